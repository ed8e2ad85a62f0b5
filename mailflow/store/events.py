"""Writing the audit log (event table)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.store.models import Event


def of_kinds(session: Session, round_id: int, kinds: Collection[str]) -> Sequence[Event]:
    """The round's events of these kinds, oldest first."""
    return session.scalars(
        select(Event).where(Event.round_id == round_id, Event.kind.in_(kinds)).order_by(Event.id)
    ).all()


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    kind: str,
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
        kind=kind,
        reason=reason,
        detail=detail,
    )
    session.add(ev)
    return ev
