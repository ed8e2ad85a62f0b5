"""What a service needs to run: the config, the clock and the database, built once per command."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailflow.clock import Clock
from mailflow.config import Config
from mailflow.errors import MailflowError
from mailflow.store import db
from mailflow.store.directory import sync_committee
from mailflow.store.models import Committee

# Loaded on first use or for the type checker only: most commands parse nothing and
# run no tick.
if TYPE_CHECKING:
    from mailflow.services.parse_worker import ParseWorker
    from mailflow.workflow import Deadlines


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
    config: Config
    clock: Clock
    actor: str = "staff"
    _engine: Engine | None = field(default=None, repr=False)
    # Shared by `as_actor` copies: what this process already knows of the database.
    _known: dict[str, int] = field(default_factory=dict, repr=False)
    quiet_rounds: dict[int, Quiet] = field(default_factory=dict, repr=False)

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
        other = Services(config=self.config, clock=self.clock, actor=actor, _engine=self.engine)
        for shared in ("sessions", "parser"):
            other.__dict__[shared] = getattr(self, shared)
        other._known, other.quiet_rounds = self._known, self.quiet_rounds
        return other

    def committee(self, session: Session) -> Committee:
        """The committee's row, its people synced from the config once per process.

        `sync_committee` reads every member and address; once it has found them as the
        config says (it wrote nothing), later calls read the one row by its key.
        """
        known = self._known.get("committee")
        if known is not None:
            row = session.get(Committee, known)
            if row is not None:
                return row
        row = sync_committee(session, self.config)
        if not (session.new or session.dirty or session.deleted):
            self._known["committee"] = row.id
        return row

    def require_schema(self) -> None:
        """Fail with a clear instruction unless the database is at the newest schema."""
        current, head = db.current_revision(self.engine), _head()
        if current != head:
            state = "empty" if current is None else f"at revision {current}"
            raise SchemaOutOfDate(
                f"the database is {state}, mailflow needs {head}: run `mailflow db upgrade`"
            )
