"""Changes awaiting their party's reply (確認待ち): a claimed mail's, or a decision echo."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from mailflow.store.models import Message, PendingChange, Round

_FOR_MESSAGE = select(PendingChange).where(PendingChange.message_id == bindparam("id"))


def for_message(session: Session, message_pk: int) -> PendingChange | None:
    """The request made for this stored mail's changes, if one was made (every mail asks:
    the statement is built once)."""
    return session.scalar(_FOR_MESSAGE, {"id": message_pk})


def hold_message(
    session: Session,
    msg: Message,
    rnd: Round,
    party_kind: str,
    party_pk: int,
    changes: Sequence[str],
    now: datetime,
) -> tuple[PendingChange, bool]:
    """The pending row for a claimed mail's changes, made on first sight; (row, created)."""
    row = for_message(session, msg.id)
    if row is not None:
        return row, False
    row = PendingChange(
        committee_id=rnd.committee_id,
        round_id=rnd.id,
        kind="change",
        party_kind=party_kind,
        member_id=party_pk if party_kind != "department" else None,
        department_id=party_pk if party_kind == "department" else None,
        message_id=msg.id,
        changes=list(changes),
        state="pending",
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row, True


def echo_request(
    session: Session, rnd: Round, decider_pk: int, echo_key: str, now: datetime
) -> PendingChange:
    """The request behind one decision echo (one per echo key), made when it is queued."""
    row = session.scalar(
        select(PendingChange).where(
            PendingChange.round_id == rnd.id, PendingChange.echo_key == echo_key
        )
    )
    if row is not None:
        return row
    # A new echo replaces the ones before it: confirming an older one confirms nothing.
    for older in session.scalars(
        select(PendingChange).where(
            PendingChange.round_id == rnd.id,
            PendingChange.kind == "decision_echo",
            PendingChange.state == "pending",
        )
    ):
        older.state, older.resolved_at = "stale", now
    row = PendingChange(
        committee_id=rnd.committee_id,
        round_id=rnd.id,
        kind="decision_echo",
        party_kind="chair",
        member_id=decider_pk,
        echo_key=echo_key,
        changes=["decisions"],
        state="pending",
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def resolve(session: Session, row: PendingChange, state: str, by: Message, now: datetime) -> None:
    """Close a request: applied, refused by its party, or stale."""
    row.state, row.resolved_at, row.resolved_by_message_id = state, now, by.id
    session.flush()


def open_requests(session: Session, committee_id: int) -> Sequence[PendingChange]:
    """Requests still waiting for their party, oldest first (for status and staff)."""
    return session.scalars(
        select(PendingChange)
        .where(PendingChange.committee_id == committee_id, PendingChange.state == "pending")
        .order_by(PendingChange.id)
    ).all()
