"""What a service needs to run: the config, the clock and the database, built once per command."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from mailflow.clock import Clock
from mailflow.config import Config
from mailflow.errors import MailflowError
from mailflow.services.ports import Ports
from mailflow.store import db
from mailflow.store.directory import SyncMemo, committee_of
from mailflow.store.models import Committee

# Loaded on first use or for the type checker only: most commands parse nothing and
# run no tick.
if TYPE_CHECKING:
    from mailflow.services.parse_worker import ParseWorker
    from mailflow.workflow import Deadlines

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker


@lru_cache(maxsize=1)
def _head() -> str | None:
    # The migrations shipped with this process do not change under it; reading them
    # (Alembic's script directory) cost ~30 ms on every console page.
    return db.head_revision()


class SchemaOutOfDate(MailflowError):
    exit_code = 2


@dataclass(frozen=True)
class Quiet:
    """A round a tick found with nothing due: skipped until `until`, while its records
    (`marks`: the newest row ids of its log, actions, mail, items, decisions) and its
    deadlines stay as they were."""

    marks: tuple[int | None, ...]
    deadlines: Deadlines
    until: datetime | None


@dataclass
class Services:
    """A committee's config, the clock, the database and the adapters (``ports``), for the
    use cases. Built by the composition root (`mailflow.wiring`), which alone knows the
    adapters."""

    config: Config
    clock: Clock
    actor: str = "staff"
    ports: Ports = field(kw_only=True, repr=False)
    _engine: Engine | None = field(default=None, repr=False)
    # Shared with the copies made by ``as_actor``: the config is synced once per process,
    # and the rounds a tick found quiet are remembered.
    _synced: SyncMemo = field(default_factory=SyncMemo, repr=False)
    quiet_rounds: dict[int, Quiet] = field(default_factory=dict, repr=False)
    # Once found at the newest schema, the database stays there for this process's life:
    # `mailflow ingest` checks it per call, the daemon per poll.
    _schema_at_head: bool = field(default=False, repr=False)

    @cached_property
    def engine(self) -> Engine:
        return self._engine or db.make_engine(
            self.config.database_url, self.config.database_password
        )

    @cached_property
    def parser(self) -> ParseWorker:
        """The pure parsing stages under the config's budget, in a process started on first use."""
        from mailflow.services.parse_worker import Budget, ParseWorker

        p = self.config.parsing
        return ParseWorker(Budget(p.cpu_seconds, p.memory_mb, p.isolate))

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return db.session_factory(self.engine)

    def as_actor(self, actor: str) -> Services:
        """The same config, clock, engine and parser, acting in the name of ``actor``."""
        other = Services(
            config=self.config, clock=self.clock, actor=actor, ports=self.ports, _engine=self.engine
        )
        for shared in ("sessions", "parser"):
            other.__dict__[shared] = getattr(self, shared)
        other._synced, other.quiet_rounds = self._synced, self.quiet_rounds
        return other

    def sync(self) -> None:
        """Bring the committee's rows in step with the config now, in a unit of work of
        its own, so that later reads (`db.reading`) find nothing to write."""
        with db.transaction(self.sessions) as s:
            self.committee(s)

    def committee(self, session: Session) -> Committee:
        """The committee's row in ``session``, its people in step with the config (synced
        once per process; later calls read the one row by its key)."""
        return committee_of(session, self.config, self._synced)

    def for_config(self, config: Config) -> Services:
        """Another committee's services in this process: on the same database, the same
        engine, sessions and parsing process (one pool, one child, however many
        committees)."""
        same = (config.database_url, config.database_password) == (
            self.config.database_url,
            self.config.database_password,
        )
        if not same:
            return Services(config=config, clock=self.clock, actor=self.actor, ports=self.ports)
        other = Services(
            config=config, clock=self.clock, actor=self.actor, ports=self.ports, _engine=self.engine
        )
        for shared in ("sessions", "parser"):
            other.__dict__[shared] = getattr(self, shared)
        return other

    def require_schema(self) -> None:
        """Fail with a clear instruction unless the database is at the newest schema."""
        if self._schema_at_head:
            return
        current, head = db.current_revision(self.engine), _head()
        if current != head:
            state = "empty" if current is None else f"at revision {current}"
            raise SchemaOutOfDate(
                f"the database is {state}, mailflow needs {head}: run `mailflow db upgrade`"
            )
        self._schema_at_head = True
