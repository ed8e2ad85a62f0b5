"""What a service needs to run: the config, the clock and the database, built once per command."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailflow.clock import Clock
from mailflow.config import Config
from mailflow.errors import MailflowError
from mailflow.services.parse_worker import Budget, ParseWorker
from mailflow.store import db
from mailflow.store.directory import SyncMemo, committee_of
from mailflow.store.models import Committee


@lru_cache(maxsize=1)
def _head() -> str | None:
    # The migrations shipped with this process do not change under it; reading them
    # (Alembic's script directory) cost ~30 ms on every console page.
    return db.head_revision()


class SchemaOutOfDate(MailflowError):
    exit_code = 2


@dataclass
class Services:
    config: Config
    clock: Clock
    actor: str = "staff"
    _engine: Engine | None = field(default=None, repr=False)
    # Shared with the copies made by ``as_actor``: the config is synced once per process.
    _synced: SyncMemo = field(default_factory=SyncMemo, repr=False)

    @cached_property
    def engine(self) -> Engine:
        return self._engine or db.make_engine(
            self.config.database_url, self.config.database_password
        )

    @cached_property
    def parser(self) -> ParseWorker:
        """The pure parsing stages under the config's budget, in a process started on first use."""
        p = self.config.parsing
        return ParseWorker(Budget(p.cpu_seconds, p.memory_mb, p.isolate))

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return db.session_factory(self.engine)

    def as_actor(self, actor: str) -> Services:
        """The same config, clock, engine and parser, acting in the name of ``actor``."""
        other = Services(config=self.config, clock=self.clock, actor=actor, _engine=self.engine,
                         _synced=self._synced)  # fmt: skip
        for shared in ("sessions", "parser"):
            other.__dict__[shared] = getattr(self, shared)
        return other

    def sync(self) -> None:
        """Bring the committee's rows in step with the config now, in a unit of work of
        its own, so that later reads (`db.reading`) find nothing to write."""
        with db.transaction(self.sessions) as s:
            self.committee(s)

    def committee(self, session: Session) -> Committee:
        """The committee's row in ``session``, its people in step with the config."""
        return committee_of(session, self.config, self._synced)

    def require_schema(self) -> None:
        """Fail with a clear instruction unless the database is at the newest schema."""
        current, head = db.current_revision(self.engine), _head()
        if current != head:
            state = "empty" if current is None else f"at revision {current}"
            raise SchemaOutOfDate(
                f"the database is {state}, mailflow needs {head}: run `mailflow db upgrade`"
            )
