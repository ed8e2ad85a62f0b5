"""Engines, sessions and schema upgrades: the only place that knows how to reach the database."""

from __future__ import annotations

import functools
import importlib
import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Engine,
    Result,
    bindparam,
    create_engine,
    event,
    inspect,
    literal,
    make_url,
    text,
)
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mailflow.resources import migrations_dir

if TYPE_CHECKING:  # Alembic is imported by the commands that migrate, not by every command
    from alembic.config import Config as AlembicConfig


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # SQLAlchemy's pysqlite recipe: the driver's own transaction handling is switched off
    # (it opens a transaction only before INSERT/UPDATE/DELETE, so a SAVEPOINT issued
    # first ran outside any transaction and its RELEASE committed) and `_sqlite_begin`
    # emits BEGIN instead, making every SQLAlchemy transaction a real SQLite one.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # Foreign keys are off by default in SQLite; WAL lets the daemon and a staff
    # command work at the same time; busy_timeout waits instead of failing.
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    # FULL, not NORMAL: in WAL mode NORMAL survives a process crash but a power cut may
    # roll back the last commits, and a mail is moved off the server right after its
    # commit, so a lost commit would be a lost mail. Committing per batch keeps the cost
    # at one fsync per batch (docs/benchmarks.md, "Ingestion").
    cur.execute("PRAGMA synchronous=FULL")
    _record.info[_SYNCHRONOUS] = "FULL"
    # The write-ahead log is copied into the database by the daemon's scheduler between
    # cycles (`checkpoint`), not by whichever commit crosses SQLite's default 4 MB mark —
    # which was an ingestion commit taking 50–90 ms. 80 MB bounds the log meanwhile.
    cur.execute("PRAGMA wal_autocheckpoint=20000")
    cur.close()


# The SQLite BEGIN mode a connection asks for through its execution options.
BEGIN_MODE = "mailflow_sqlite_begin"
# Execution option of a unit of work whose commit need not reach the disk before the
# call returns (`transaction(durable=False)`); every other one waits for it.
RELAXED = "mailflow_relaxed_commit"
_SYNCHRONOUS = "mailflow_synchronous"  # the level a pooled SQLite connection is at


def _sqlite_begin(conn: Connection) -> None:
    # A unit of work (`transaction`) begins IMMEDIATE: it takes the write lock at once,
    # waiting up to busy_timeout. A DEFERRED transaction that reads and then writes
    # fails at once with "database is locked" when another connection wrote in between
    # (its snapshot is stale) — common with the daemon's three tasks and a staff command
    # beside them. Plain sessions stay DEFERRED, so a reader never blocks a writer.
    options = conn.get_execution_options()
    # Set before BEGIN, on every transaction that needs another level than the pooled
    # connection's last one: a relaxed commit never leaks into the next unit of work.
    level = "NORMAL" if options.get(RELAXED) else "FULL"
    info = conn.connection.info
    if info.get(_SYNCHRONOUS) != level:
        conn.exec_driver_sql(f"PRAGMA synchronous={level}")
        info[_SYNCHRONOUS] = level
    mode = options.get(BEGIN_MODE, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


# What "the database cannot be used now" looks like: SQLite's "database is locked" /
# "unable to open", PostgreSQL's refused or dropped connections. Other errors (a
# constraint, a bug) are not waited out.
UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError,)
# Any error of the database layer, for loops that must outlive one.
DatabaseError = SQLAlchemyError


def redacted_url(url: str) -> str:
    """A database URL fit to print: everything but its password."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str, password: str | None = None) -> Engine:
    """The engine for `url` (with `password` added, kept out of the config file).

    SQL parameters are never put into error messages or logs (`hide_parameters`): they
    carry mail text, and a database error is logged at error level.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:" and not path.startswith("file:"):
            private_file(Path(path))
        engine = create_engine(url, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    target = make_url(url) if password is None else make_url(url).set(password=password)
    return create_engine(target, pool_pre_ping=True, hide_parameters=True)


def private_file(path: Path) -> None:
    """Create the database file (and missing folders) readable by its owner only.

    SQLite gives the -wal and -shm files the database file's permissions, so creating
    the file 0600 before SQLite opens it covers all three; folders are made 0700. An
    existing file keeps its mode (`check-config` warns when others can read it).
    """
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session], *, durable: bool = True) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back on any error.

    On SQLite it holds the write lock from its start (BEGIN IMMEDIATE), so concurrent
    units of work queue up instead of failing half-way.

    ``durable=False`` is for work that can be done again from what a durable commit
    already holds (processing a stored mail: `mailflow reprocess` does the same): its
    commit returns before the disk has it (SQLite `synchronous=NORMAL` in WAL mode,
    PostgreSQL `synchronous_commit=off`). A power cut may undo it, never corrupt the
    database, and the next durable commit — before any mail is sent, any mail moved on
    the server — writes it to the disk with its own, the log being one sequence.
    """
    options: dict[str, Any] = {BEGIN_MODE: "IMMEDIATE"}
    if not durable:
        options[RELAXED] = True
    with factory() as session, session.begin():
        conn = session.connection(execution_options=options)
        if not durable and conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        yield session


@contextmanager
def statements_savepoint(session: Session) -> Iterator[None]:
    """A savepoint around Core statements run on the session's connection: an error in
    the block undoes what they wrote and leaves the session's transaction usable (on
    PostgreSQL a failed statement would otherwise abort it).

    The session is flushed first and not inside, so the block must change no mapped
    object: what the ORM holds is not rolled back. Issued on the driver's connection:
    SQLAlchemy's nested transaction, built to restore the ORM's state, costs twenty
    times as much, paid by every mail's receipt.
    """
    session.flush()
    conn = session.connection()
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    dbapi = conn.dialect.loaded_dbapi

    def run(sql: str) -> None:
        try:
            cursor.execute(sql)
        except dbapi.Error as exc:  # as SQLAlchemy raises it: a lost server is UNAVAILABLE
            raise DBAPIError.instance(sql, None, exc, dbapi.Error, dialect=conn.dialect) from exc

    name = f"stmt_{next(_SAVEPOINTS)}"
    run(f"SAVEPOINT {name}")
    try:
        with session.no_autoflush:
            yield
    except BaseException:
        try:
            run(f"ROLLBACK TO SAVEPOINT {name}")
            run(f"RELEASE SAVEPOINT {name}")
        except DBAPIError:
            pass  # the unit of work is lost with its connection; the block's error says why
        raise
    else:
        run(f"RELEASE SAVEPOINT {name}")
    finally:
        cursor.close()


_SAVEPOINTS = itertools.count(1)


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read of one consistent snapshot, taking no write lock on SQLite (BEGIN DEFERRED).

    For pages and reports that only read: in WAL mode they neither wait behind the
    daemon's units of work nor hold them up while reading thousands of rows. Whatever
    is written in one (nothing, normally) is committed when the block ends.
    """
    with factory() as session, session.begin():
        yield session


def checkpoint(engine: Engine) -> None:
    """Copy SQLite's write-ahead log into the database without waiting for readers."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def alembic_config(url: str) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(migrations_dir()))
    # '%' must be doubled for configparser; URLs may hold percent-escapes.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for Alembic to migrate on.

    On SQLite, foreign keys are off meanwhile: adding a constraint rebuilds a table
    (Alembic's batch mode copies it, drops the old one and renames the copy), and rows
    of other tables pointing at it would fail the drop. They are checked before the
    commit instead, so a migration cannot leave a dangling reference either way.
    """
    with engine.connect() as conn:
        raw = conn.connection.driver_connection if engine.dialect.name == "sqlite" else None
        if raw is not None:  # outside any transaction, where the pragma takes effect
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
                if raw is not None:
                    dangling = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if dangling:
                        raise RuntimeError(f"migration left dangling references: {dangling[:5]}")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with migration_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The database's Alembic revision (its `alembic_version` row), None when empty."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


_REVISION = re.compile(r"^(down_revision|revision)\b[^=]*=\s*['\"]?([\w-]+|None)['\"]?", re.M)


def head_revision() -> str | None:
    """The newest migration's revision, read from the scripts' own `revision` lines.

    Alembic's ScriptDirectory would import every script (and Alembic) on each command;
    tests check this agrees with it.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in migrations_dir().joinpath("versions").glob("*.py"):
        script = path.read_text(encoding="utf-8")
        found = {m.group(1): m.group(2) for m in _REVISION.finditer(script)}
        if "revision" in found:
            revisions.add(found["revision"])
            parents.add(found.get("down_revision", "None"))
    heads = revisions - parents
    if len(heads) > 1:
        raise RuntimeError(f"the migrations have several heads: {sorted(heads)}")
    return next(iter(heads), None)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def libpq_url(engine: Engine) -> str:
    """The engine's PostgreSQL URL as libpq reads it (for the task queue's own pool)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def apply_queue_schema(engine: Engine, schema_sql: str) -> bool:
    """Create the task queue's tables (procrastinate's schema) unless they exist.

    Returns whether it created them. The schema is procrastinate's own SQL, applied as
    `procrastinate schema --apply` would; later versions of procrastinate ship their
    migrations, applied with their documented command (README, "Workers").
    """
    with engine.begin() as conn:
        if conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None:
            return False
        conn.exec_driver_sql(schema_sql.replace("%", "%%"))
    return True


# Dialects whose INSERT has ON CONFLICT DO NOTHING with RETURNING (SQLite since 3.35,
# PostgreSQL since 9.5), each in its own module of SQLAlchemy.
_INSERT_OR_NOTHING = frozenset({"sqlite", "postgresql"})


def insert_or_nothing(session: Session, model: Any, values: dict[str, Any]) -> int | None:
    """Insert one row and return its id, or None when a unique key of the table already
    holds it: one statement, with no look-up before it and no savepoint around it, for
    the hot paths whose clash is rare (a mail stored twice, a receipt queued again)."""
    name = session.get_bind().dialect.name
    statement = _or_nothing(name, model.__table__)
    found = session.connection().execute(statement, values).scalar()
    return int(found) if found is not None else None


@functools.cache
def _or_nothing(dialect_name: str, table: Any) -> Any:
    """`INSERT … ON CONFLICT DO NOTHING RETURNING id` of ``table``, built once: its values
    are bound at each execution, so the compiled form is cached with the statement
    (building it with the values each time cost more than SQLite takes to run it)."""
    if dialect_name not in _INSERT_OR_NOTHING:
        raise RuntimeError(f"mailflow runs on SQLite or PostgreSQL, not {dialect_name}")
    # The engine has loaded its dialect's module already; importing it at the top would
    # add PostgreSQL's to every command's start.
    dialect = importlib.import_module(f"sqlalchemy.dialects.{dialect_name}")
    return dialect.insert(table).on_conflict_do_nothing().returning(table.c.id)


# --- reads on the hot path -------------------------------------------------------------
#
# SQLAlchemy renders an `in_()` of a list (an "expanding" parameter) into the statement's
# text again at every execution, and runs a statement given to the session through the
# ORM's layers even when it selects plain columns: ~30 µs of the ~45 a keyed read of a
# mail's processing cost, against the ~15 SQLite takes. The reads a mail makes use these.


def among(column: Any, values: Iterable[Any]) -> Any:
    """``column IN (…)`` of constants fixed in the code (states, kinds), each a bound
    value of the compiled statement rather than an expanding list."""
    return column.in_([literal(v, column.type) for v in values])


# Keys are padded to the next of these sizes by repeating the last one, so that a read by
# up to 64 keys is one of seven statements, each compiled once.
_KEY_SIZES = (1, 2, 4, 8, 16, 32, 64)


def keyed(column: Any, size: int | None) -> Any:
    """``column IN (:key0, …)`` for ``size`` keys (`keyed_rows`); None: an expanding list
    of ``:keys``, for more keys than the largest size (its rendering is then small beside
    reading that many rows)."""
    if size is None:
        return column.in_(bindparam("keys", expanding=True))
    return column.in_([bindparam(f"key{i}") for i in range(size)])


def keyed_rows(
    session: Session, build: Callable[[int | None], Any], values: Sequence[Any],
    params: dict[str, Any],
) -> Result[*tuple[Any, ...]]:  # fmt: skip
    """The rows of ``build(size)`` (a cached function whose statement uses `keyed`) for
    ``values`` (at least one) and the other ``params``."""
    size = next((n for n in _KEY_SIZES if n >= len(values)), None)
    if size is None:
        return rows(session, build(None), {**params, "keys": list(values)})
    padded = [*values, *[values[-1]] * (size - len(values))]
    return rows(session, build(size), {**params, **{f"key{i}": v for i, v in enumerate(padded)}})


def rows(session: Session, statement: Any, params: dict[str, Any]) -> Result[*tuple[Any, ...]]:
    """A Core select's rows, as `session.execute` gives them (flushed first, unless in
    `no_autoflush`), run on the session's connection without the ORM's work around it."""
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, params)
