"""Read queries of the staff console: reply marks, reminders, a round's mail, the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, distinct, exists, func, select
from sqlalchemy.orm import Session

from mailflow.domain.states import EventKind
from mailflow.store.models import Answer, Decision, Event, Item, Member, Message, Outbox, Round
from mailflow.store.outbox_parts import mail_bytes


def reply_marks(session: Session, round_id: int) -> Sequence[tuple[int, int, bool]]:
    """(member id, phase, late) of every processed member mail of ① and ③."""
    rows = session.execute(
        select(Message.member_id, Message.phase, Message.late).where(
            Message.round_id == round_id,
            Message.state == "done",
            Message.member_id.is_not(None),
            Message.phase.in_((1, 3)),
        )
    ).all()
    return [(m, p, bool(late)) for m, p, late in rows if m is not None and p is not None]


def reminders(session: Session, round_id: int) -> Sequence[tuple[str, datetime]]:
    """(outbox action key, queued at) of every reminder of the round."""
    rows = session.execute(
        select(Outbox.action_key, Outbox.created_at).where(
            Outbox.round_id == round_id, Outbox.kind == "reminder"
        )
    ).all()
    return [(k, at) for k, at in rows if k is not None]


def messages_of_round(session: Session, round_id: int) -> Sequence[Message]:
    return session.scalars(
        select(Message)
        .where(Message.round_id == round_id)
        .order_by(Message.received_at, Message.id)
    ).all()


@dataclass(frozen=True)
class MessageRecords:
    items: Sequence[Item]
    answers: Sequence[Answer]
    decisions: Sequence[Decision]


def records_of_round_mail(session: Session, round_id: int) -> MessageRecords:
    """Every item, answer and decision of a round that came from a stored mail."""
    items = session.scalars(
        select(Item).where(Item.round_id == round_id, Item.source_message_id.is_not(None))
    ).all()
    answers = session.scalars(
        select(Answer)
        .join(Item, Item.id == Answer.item_id)
        .where(Item.round_id == round_id, Answer.source_message_id.is_not(None))
    ).all()
    decisions = session.scalars(
        select(Decision).where(
            Decision.round_id == round_id, Decision.source_message_id.is_not(None)
        )
    ).all()
    return MessageRecords(items, answers, decisions)


@dataclass(frozen=True)
class EventFilter:
    """The audit log's filters; None means any."""

    round_id: int | None = None
    actor: str | None = None
    kind: EventKind | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 500


def events(session: Session, committee_id: int, f: EventFilter) -> Sequence[Event]:
    """Newest first, at most ``f.limit``; events of no committee (logins…) included."""
    q = select(Event).where((Event.committee_id == committee_id) | Event.committee_id.is_(None))
    if f.round_id is not None:
        q = q.where(Event.round_id == f.round_id)
    if f.actor:
        q = q.where(Event.actor == f.actor)
    if f.kind is not None:
        q = q.where(Event.kind == f.kind)
    if f.since is not None:
        q = q.where(Event.at >= f.since)
    if f.until is not None:
        q = q.where(Event.at < f.until)
    return session.scalars(q.order_by(Event.at.desc(), Event.id.desc()).limit(f.limit)).all()


def event_choices(session: Session, committee_id: int) -> tuple[list[str], list[EventKind]]:
    """The actors and kinds that occur in the committee's log, for the filter lists."""
    mine = (Event.committee_id == committee_id) | Event.committee_id.is_(None)
    actors = session.scalars(select(Event.actor).where(mine).distinct().order_by(Event.actor))
    kinds = session.scalars(select(Event.kind).where(mine).distinct().order_by(Event.kind))
    return list(actors), [EventKind(k) for k in kinds]


def item_rows(session: Session, round_id: int) -> Sequence[Any]:
    """The round's items as plain rows (no ORM objects: a round may have thousands).

    Without their arrival times: read back from SQLite, each is a string parsed into a
    datetime (~2 µs), and the round page shows only the held items' (`held_arrivals`).
    """
    return session.execute(
        select(
            Item.id, Item.public_id, Item.consultation_id, Item.member_id, Item.phase,
            Item.kind, Item.state, Item.late, Item.text, Item.published_text,
            Item.parent_item_id,
        )
        .where(Item.round_id == round_id)
        .order_by(Item.phase, Item.consultation_id, Item.seq, Item.id)
    ).all()  # fmt: skip


def held_arrivals(session: Session, round_id: int) -> dict[int, datetime]:
    """When each held (late) item of the round arrived."""
    rows = session.execute(
        select(Item.id, Item.received_at).where(Item.round_id == round_id, Item.state == "held")
    ).all()
    return {pk: at for pk, at in rows}


def answer_rows(session: Session, round_id: int) -> Sequence[Any]:
    return session.execute(
        select(
            Answer.id, Answer.item_id, Answer.department_id, Answer.by_secretariat,
            Answer.author_label, Answer.text, Answer.published_text,
        )
        .join(Item, Item.id == Answer.item_id)
        .where(Item.round_id == round_id, Answer.state == "active")
        .order_by(Answer.received_at, Answer.id)
    ).all()  # fmt: skip


def last_outbox_id(session: Session) -> int:
    return int(session.scalar(select(func.max(Outbox.id))) or 0)


def outbox_after(session: Session, round_id: int, after_id: int) -> Sequence[tuple[Any, bytes]]:
    """(recipients, bytes) of the round's mail queued after ``after_id``, in order."""
    rows = session.execute(
        select(Outbox.recipients, Outbox.raw, Outbox.part_id)
        .where(Outbox.round_id == round_id, Outbox.id > after_id)
        .order_by(Outbox.id)
    ).all()
    raws = mail_bytes(session, [(raw, part_id) for _, raw, part_id in rows])
    return [(r[0], raw) for r, raw in zip(rows, raws, strict=True)]


def member_rows(session: Session, committee_id: int) -> Sequence[Any]:
    """(id, key, name, role, active) of the committee's members, as plain rows."""
    return session.execute(
        select(Member.id, Member.key, Member.name, Member.role, Member.active)
        .where(Member.committee_id == committee_id)
        .order_by(Member.id)
    ).all()  # fmt: skip


@dataclass(frozen=True)
class RoundCounts:
    items: int = 0
    answered: int = 0
    late: int = 0
    held: int = 0
    decisions: int = 0  # consultations with a decision (not superseded)


def round_counts(session: Session, committee_id: int) -> dict[int, RoundCounts]:
    """Per round id, the counts of the rounds list, in two grouped queries for all rounds.

    The items counted are those the phase machine counts (`store.workflow.round_facts`):
    active or held, placed in a consultation with a number.
    """
    answered = exists().where(Answer.item_id == Item.id, Answer.state == "active")
    rows = session.execute(
        select(
            Item.round_id, func.count(),
            func.sum(case((answered, 1), else_=0)),
            func.sum(case((Item.late.is_(True), 1), else_=0)),
            func.sum(case((Item.state == "held", 1), else_=0)),
        )
        .join(Round, Round.id == Item.round_id)
        .where(Round.committee_id == committee_id, Item.state.in_(("active", "held")),
               Item.consultation_id.is_not(None), Item.seq.is_not(None))
        .group_by(Item.round_id)
    ).all()  # fmt: skip
    decisions = session.execute(
        select(Decision.round_id, func.count(distinct(Decision.consultation_id)))
        .join(Round, Round.id == Decision.round_id)
        .where(Round.committee_id == committee_id, Decision.state != "superseded")
        .group_by(Decision.round_id)
    ).all()
    decided = {int(rid): int(n) for rid, n in decisions}
    out = {rid: RoundCounts(int(n), int(a or 0), int(late or 0), int(held or 0),
                            int(decided.get(rid, 0)))
           for rid, n, a, late, held in rows}  # fmt: skip
    for rid, n in decided.items():
        out.setdefault(rid, RoundCounts(decisions=int(n)))
    return out


def consultation_items(
    session: Session, committee_id: int, round_key: str, pk: int
) -> Sequence[tuple[str, str]]:
    """(public ID, text) of the other active items of the same author, step and
    consultation as item ``pk``: those it may be merged with."""
    item = session.get(Item, pk)
    if item is None or item.consultation_id is None:
        return []
    rows = session.execute(
        select(Item.public_id, Item.text)
        .join(Round, Round.id == Item.round_id)
        .where(Round.committee_id == committee_id, Round.key == round_key,
               Item.consultation_id == item.consultation_id, Item.state == "active",
               Item.public_id.is_not(None), Item.id != pk,
               # one reply read as two: the same author and step (`item merge` refuses others)
               Item.member_id == item.member_id, Item.phase == item.phase)
        .order_by(Item.phase, Item.seq, Item.id)
    ).all()  # fmt: skip
    return [(str(p), t) for p, t in rows]
