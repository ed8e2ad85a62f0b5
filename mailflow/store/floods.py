"""Queries for loops and floods: a sender's recent mail, and our receipts a mail replies to."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from mailflow.store import db
from mailflow.store.models import Message, Outbox
from mailflow.store.outbox_parts import mail_bytes

# Mail a party sent that counts towards its rate: placed, or held for being over it.
_COUNTED = ("done", "quarantined")
RECEIPT_KINDS = ("receipt", "answer_receipt")


def _party_column(department: bool) -> InstrumentedAttribute[int | None]:
    return Message.department_id if department else Message.member_id


# Every mail runs one of these: built once, not per call.
_RECENT = {
    department: select(func.count()).where(
        Message.committee_id == bindparam("committee_id"),
        _party_column(department) == bindparam("party_id"),
        db.among(Message.state, _COUNTED),
        Message.received_at > bindparam("since"),
        Message.id < bindparam("before"),
    )
    for department in (False, True)
}


@functools.cache
def _receipts_among(size: int | None) -> Any:
    return select(Outbox.id, Outbox.raw, Outbox.part_id).where(
        db.keyed(Outbox.message_id, size),
        Outbox.committee_id == bindparam("committee_id"),
        db.among(Outbox.kind, RECEIPT_KINDS),
    )


def recent_from_party(
    session: Session, committee_id: int, party_id: int, *, department: bool,
    since: datetime, before_message: int,
) -> int:  # fmt: skip
    """How many mails the party sent after `since`, stored before message `before_message`.

    Counted by store order (the message id), so replaying a mail gives the same count.
    """
    params = {
        "committee_id": committee_id, "party_id": party_id, "since": since,
        "before": before_message,
    }  # fmt: skip
    return int(db.rows(session, _RECENT[department], params).scalar() or 0)


def recent_raw_from_party(
    session: Session, committee_id: int, party_id: int, *, department: bool,
    since: datetime, before_message: int, limit: int,
) -> Sequence[bytes]:  # fmt: skip
    """The raw bytes of the party's latest placed mails (newest first), for comparisons."""
    column = _party_column(department)
    return session.scalars(
        select(Message.raw)
        .where(
            Message.committee_id == committee_id,
            column == party_id,
            Message.state == "done",
            Message.received_at > since,
            Message.id < before_message,
        )
        .order_by(Message.id.desc())
        .limit(limit)
    ).all()


def receipt_replied_to(
    session: Session, committee_id: int, message_ids: Sequence[str]
) -> bytes | None:
    """The raw bytes of our receipt among these Message-IDs (bare), if any."""
    if not message_ids:
        return None
    bracketed = [f"<{m}>" for m in message_ids[:50]]
    # By the unique Message-ID index, the newest picked here: an ORDER BY id … LIMIT in SQL
    # lets SQLite walk the whole outbox backwards instead.
    params = {"committee_id": committee_id}
    rows = db.keyed_rows(session, _receipts_among, bracketed, params).all()
    if not rows:
        return None
    _, raw, part_id = max(rows, key=lambda r: r[0])
    return mail_bytes(session, [(raw, part_id)])[0]
