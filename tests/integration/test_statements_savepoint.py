"""`db.statements_savepoint`: what Core statements wrote in the block is undone when it
fails, and the unit of work goes on (on PostgreSQL a failed statement would otherwise
abort it); on success it is kept. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, select
from sqlalchemy.exc import IntegrityError, OperationalError

from mailflow.store import db

_META = MetaData()
_NOTES = Table(
    "savepoint_probe", _META, Column("id", Integer, primary_key=True), Column("note", String(40))
)


def _notes(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [(r.id, r.note) for r in conn.execute(select(_NOTES).order_by(_NOTES.c.id))]


def test_a_refused_statement_undoes_the_block_and_the_unit_of_work_goes_on(
    engine: Engine,
) -> None:
    _META.create_all(engine)
    sessions = db.session_factory(engine)
    with db.transaction(sessions) as s:
        s.connection().execute(_NOTES.insert(), {"id": 1, "note": "before"})
        with pytest.raises(IntegrityError), db.statements_savepoint(s):
            s.connection().execute(_NOTES.insert(), {"id": 2, "note": "inside, undone"})
            s.connection().execute(_NOTES.insert(), {"id": 1, "note": "a duplicate key"})
        # The transaction is usable: PostgreSQL would refuse this after the error above
        # had the savepoint not been rolled back to.
        s.connection().execute(_NOTES.insert(), {"id": 3, "note": "after"})
    assert _notes(engine) == [(1, "before"), (3, "after")]


def test_an_error_of_the_code_in_the_block_undoes_its_statements_too(engine: Engine) -> None:
    _META.create_all(engine)
    sessions = db.session_factory(engine)
    with db.transaction(sessions) as s:
        with pytest.raises(LookupError), db.statements_savepoint(s):
            s.connection().execute(_NOTES.insert(), {"id": 5, "note": "undone"})
            raise LookupError("the block's own failure")
        with db.statements_savepoint(s):
            s.connection().execute(_NOTES.insert(), {"id": 6, "note": "kept"})
    assert _notes(engine) == [(6, "kept")]


def test_it_nests_inside_a_savepoint_of_the_session(engine: Engine) -> None:
    _META.create_all(engine)
    sessions = db.session_factory(engine)
    with db.transaction(sessions) as s:
        with s.begin_nested():
            with pytest.raises(IntegrityError), db.statements_savepoint(s):
                s.connection().execute(_NOTES.insert(), {"id": 7, "note": "first"})
                s.connection().execute(_NOTES.insert(), {"id": 7, "note": "again"})
            s.connection().execute(_NOTES.insert(), {"id": 8, "note": "in the outer one"})
        with pytest.raises(LookupError), s.begin_nested():
            s.connection().execute(_NOTES.insert(), {"id": 9, "note": "rolled back"})
            raise LookupError("the outer savepoint's own failure")
    assert _notes(engine) == [(8, "in the outer one")]


def test_a_lost_server_is_raised_as_sqlalchemy_raises_it(postgres_schema_url: str) -> None:
    # The daemon waits out an unavailable database (`db.UNAVAILABLE`) and keeps the mail
    # `stored`: the savepoint's own statements must fail as SQLAlchemy's do.
    engine = db.make_engine(postgres_schema_url)
    _META.create_all(engine)
    sessions = db.session_factory(engine)
    try:
        raised: list[Exception] = []
        with pytest.raises(db.UNAVAILABLE), db.transaction(sessions) as s:
            pid = s.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
            try:
                with db.statements_savepoint(s):
                    s.connection().execute(_NOTES.insert(), {"id": 10, "note": "lost"})
                    with engine.connect() as other:
                        other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid or 0)})")
            except Exception as exc:
                raised.append(exc)
                raise
        # Raised so by the savepoint's own RELEASE, not only by the unit of work's end.
        assert [type(e) for e in raised] == [OperationalError]
        assert _notes(engine) == []
    finally:
        engine.dispose()
