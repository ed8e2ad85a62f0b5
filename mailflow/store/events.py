"""Writing the audit log (event table)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mailflow.domain.states import EventKind
from mailflow.store.models import Event


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
) -> Event:
    ev = Event(
        committee_id=committee_id,
        round_id=round_id,
        message_id=message_id,
        at=at,
        actor=actor,
        kind=kind.value,
        reason=reason,
        detail=detail,
    )
    session.add(ev)
    return ev
