"""What a service needs to run: the config, the clock and the database, built once per command."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from mailflow.clock import Clock
from mailflow.config import Config
from mailflow.errors import MailflowError
from mailflow.services.parse_worker import Budget, ParseWorker
from mailflow.store import db

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


@dataclass
class Services:
    config: Config
    clock: Clock
    actor: str = "staff"
    _engine: Engine | None = field(default=None, repr=False)

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
        other = Services(config=self.config, clock=self.clock, actor=actor, _engine=self.engine)
        for shared in ("sessions", "parser"):
            other.__dict__[shared] = getattr(self, shared)
        return other

    def require_schema(self) -> None:
        """Fail with a clear instruction unless the database is at the newest schema."""
        current, head = db.current_revision(self.engine), _head()
        if current != head:
            state = "empty" if current is None else f"at revision {current}"
            raise SchemaOutOfDate(
                f"the database is {state}, mailflow needs {head}: run `mailflow db upgrade`"
            )
