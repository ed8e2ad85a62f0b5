"""Writing the audit log (event table)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from mailflow.domain.states import EventKind
from mailflow.store.models import Event

# Written at once, not added to the session: nothing reads an event back as an object,
# and the unit of work costs more than the row (a mail writes one or two).
_INSERT = insert(Event)


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    kind: EventKind,
    committee_id: int | None = None,
    round_id: int | None = None,
    message_id: int | None = None,
    reason: str | None = None,
    **detail: Any,
) -> None:
    """One row of the audit log, inserted now in the session's transaction (a savepoint
    rolled back takes it with it); the rows it names must be in the store already."""
    session.connection().execute(
        _INSERT,
        {
            "committee_id": committee_id, "round_id": round_id, "message_id": message_id,
            "at": at, "actor": actor, "kind": kind.value, "reason": reason, "detail": detail,
        },
    )  # fmt: skip
