"""The store's side of the phase machine: facts of a round, and applied action keys."""

from __future__ import annotations

import functools
import gc
import sys
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, aliased

from mailflow.domain import ItemId, Phase, Role, Verdict
from mailflow.store import db
from mailflow.store import directory as parties
from mailflow.store.models import (
    Answer,
    Consultation,
    Decision,
    Department,
    Event,
    Item,
    Message,
    Round,
    RoundDocument,
    WorkflowAction,
)
from mailflow.store.rounds import deadlines as round_deadlines
from mailflow.workflow import (
    AnswerSpan,
    Deadlines,
    DecisionFact,
    DepartmentFact,
    ItemFact,
    Participant,
    RoundFacts,
    RoundState,
)
from mailflow.workflow.actions import bundles_sent
from mailflow.workflow.decisions import decision_in_force


def applied_keys(session: Session, round_id: int) -> frozenset[str]:
    return frozenset(
        session.scalars(select(WorkflowAction.key).where(WorkflowAction.round_id == round_id))
    )


def applied_times(session: Session, round_id: int) -> tuple[tuple[str, datetime], ...]:
    """Every applied key of a round with when it was applied, oldest first."""
    rows = session.execute(
        select(WorkflowAction.key, WorkflowAction.applied_at)
        .where(WorkflowAction.round_id == round_id)
        .order_by(WorkflowAction.applied_at, WorkflowAction.id)
    )
    return tuple((key, at) for key, at in rows)


def bundles_sent_to(session: Session, rnd: Round, department_key: str) -> list[int]:
    """The phases (1, 3) whose bundle this department has been sent, in order."""
    keys = applied_keys(session, rnd.id)
    phases = (Phase.QUESTIONS, Phase.FURTHER)
    return [p.value for p in phases if department_key in bundles_sent(keys, rnd.key, p)]


def _joined_by_staff(accepted: datetime | None, placed_at: datetime | None) -> datetime | None:
    """When staff last let the item into the round: accepted it, or placed it in its
    consultation (`item place`, `item move`, the second half of `item split`)."""
    times = [t for t in (accepted, placed_at) if t is not None]
    return max(times) if times else None


def log_marks(session: Session, round_id: int) -> tuple[int | None, ...]:
    """The newest row id of each record a round's facts come from (one index seek each,
    in one statement: an idle tick's read, a round trip each on PostgreSQL): if none
    moved, the facts did not change. A fact changed in place (an acceptance, a
    correction, a first reading) is logged in the same transaction: the event's id moves."""
    return tuple(session.execute(_LOG_MARKS, {"round_id": round_id}).one())


_LOG_MARKS = select(
    *(
        select(func.max(t.id)).where(t.round_id == bindparam("round_id")).scalar_subquery()
        for t in (Event, WorkflowAction, Message, Item, Decision)
    )
)


def mark_applied(session: Session, round_id: int, key: str, at: datetime) -> bool:
    """Remember an applied action; False if it was applied before (then do nothing again)."""
    exists = session.scalar(
        select(WorkflowAction.id).where(
            WorkflowAction.round_id == round_id, WorkflowAction.key == key
        )
    )
    if exists is not None:
        return False
    session.add(WorkflowAction(round_id=round_id, key=key, applied_at=at))
    return True


def deadlines_of(rnd: Round, grace: timedelta) -> Deadlines:
    d = round_deadlines(rnd)
    closed = tuple(
        (Phase(int(p)), datetime.fromisoformat(at))
        for p, at in sorted((rnd.closed_early or {}).items())
    )
    return Deadlines(
        questions=d[Phase.QUESTIONS],
        answers=d[Phase.ANSWERS],
        further=d[Phase.FURTHER],
        decision=d[Phase.DECISION],
        grace=grace,
        responses=rnd.responses_due,
        closed_early=closed,
    )


# The phase of each of a round's many thousand items: a lookup, not an Enum() call.
_PHASES = {p.value: p for p in Phase}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector held off while a round's facts are built.

    Tens of thousands of small objects (rows, items, times) set off several full
    collections, each walking every object the process holds: a fifth of the read of a
    round of 30,000 items. Nothing built here is left in a cycle; the collector runs as
    usual afterwards (and stays off if the caller had turned it off).
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@_collector_paused()
def round_facts(session: Session, rnd: Round) -> RoundFacts:
    """Everything the phase machine needs, read in a handful of queries."""
    members = {m.id: m for m in parties.members(session, rnd.committee_id)}
    absent = {a.member_id for a in rnd.absences}
    cons = session.scalars(
        select(Consultation).where(Consultation.round_id == rnd.id).order_by(Consultation.position)
    ).all()
    cons_key = {c.id: c.key for c in cons}
    depts: dict[str, set[str]] = {}
    for c in cons:
        for d in c.departments:
            depts.setdefault(d.key, set()).add(c.key)

    replied: dict[int, set[str]] = {1: set(), 3: set()}
    for member_id, phase in session.execute(
        select(Message.member_id, Message.phase).where(
            Message.round_id == rnd.id,
            Message.state == "done",
            Message.sender_kind == "member",
            Message.member_id.is_not(None),
        )
    ):
        if phase in replied and member_id in members:
            replied[phase].add(members[member_id].key)

    answered: dict[int, list[AnswerSpan]] = {}
    for item_id, at, state, corrected_at in session.execute(
        select(Answer.item_id, Answer.received_at, Answer.state, Answer.corrected_at)
        .join(Item, Item.id == Answer.item_id)
        .where(Item.round_id == rnd.id)
    ):
        answered.setdefault(item_id, []).append(AnswerSpan.of(at, state, corrected_at))
    items = []
    # Plain rows, not ORM objects: a round of many thousand items is read on every tick
    # that follows new mail.
    rows = session.execute(
        select(
            Item.id, Item.consultation_id, Item.seq, Item.phase, Item.received_at, Item.late,
            Item.state, Item.placed_at, Item.accepted_at, Message.first_processed_at,
        )
        .outerjoin(Message, Message.id == Item.source_message_id)
        .where(
            Item.round_id == rnd.id,
            Item.state.in_(("active", "held")),
            Item.consultation_id.is_not(None),
            Item.seq.is_not(None),
        )
    ).all()  # fmt: skip
    for row in rows:
        held = row.state == "held"
        items.append(
            ItemFact(
                item_id=ItemId(cons_key[row.consultation_id], row.seq),
                phase=_PHASES[row.phase],
                received_at=row.received_at,
                answers=tuple(answered.get(row.id, ())),
                late=row.late,
                held=held,
                accepted_at=None if held else _joined_by_staff(row.accepted_at, row.placed_at),
                recorded_at=row.first_processed_at,
            )
        )

    decisions = []
    stored = session.scalars(
        select(Decision)
        .where(Decision.round_id == rnd.id)
        .order_by(Decision.received_at, Decision.id)
    )
    in_force = decision_in_force(
        stored, lambda d: d.consultation_id, superseded=lambda d: d.state == "superseded"
    )
    for cid, decision in in_force.items():
        by_id = decision.decided_by_member_id
        by = members.get(by_id) if by_id else None
        decisions.append(
            DecisionFact(
                consultation=cons_key[cid],
                verdict=Verdict(decision.verdict),
                decided_by=by.key if by else "",
                conditions=decision.conditions or "",
                confirmed=decision.state == "confirmed",
            )
        )
    delegate = members[rnd.decider_member_id].key if rnd.decider_member_id in members else None
    applied = applied_times(session, rnd.id)
    return RoundFacts(
        round_tag=rnd.key,
        state=RoundState(rnd.state),
        consultations=tuple(c.key for c in cons),
        members=tuple(
            Participant(m.key, Role(m.role), m.id in absent) for m in members.values() if m.active
        ),
        departments=tuple(DepartmentFact(key, frozenset(ck)) for key, ck in sorted(depts.items())),
        replied_questions=frozenset(replied[1]),
        replied_further=frozenset(replied[3]),
        items=tuple(items),
        decisions=tuple(decisions),
        issued=frozenset(key for key, _ in applied),
        delegate=delegate,
        issued_at=applied,
    )


def department_by_key(session: Session, committee_id: int, key: str) -> Department | None:
    return session.scalar(
        select(Department).where(Department.committee_id == committee_id, Department.key == key)
    )


def open_rounds(session: Session, committee_id: int) -> Sequence[Round]:
    return session.scalars(
        select(Round)
        .where(
            Round.committee_id == committee_id,
            Round.state.not_in(("draft", "cancelled", "minutes_published")),
        )
        .order_by(Round.id)
    ).all()


class ItemRow(NamedTuple):
    """An item as the mails show it: the columns they read, as a plain row."""

    id: int
    public_id: str | None
    consultation_id: int | None
    member_id: int | None
    phase: int
    seq: int | None
    kind: str
    text: str
    reference: str | None
    parent_item_id: int | None
    late: bool
    state: str


class AnswerRow(NamedTuple):
    """An active answer as the mails show it, as a plain row."""

    id: int
    item_id: int
    department_id: int | None
    author_label: str | None
    text: str
    published_text: str | None
    received_at: datetime


def _item_row(row: Any) -> ItemRow:
    """The row with its kind and state shared with every other item's: the driver makes
    a string per value, two per item held while a distribution of thousands is queued."""
    item = ItemRow._make(row)
    return item._replace(kind=sys.intern(item.kind), state=sys.intern(item.state))


# Plain rows, not ORM objects: a bundle or a distribution reads every item of a round
# of many thousand, and the ORM's per-object bookkeeping was most of that read.
_ITEM_COLUMNS = tuple(getattr(Item, name) for name in ItemRow._fields)
_ANSWER_COLUMNS = tuple(getattr(Answer, name) for name in AnswerRow._fields)


def items_and_answers(
    session: Session, round_id: int, public_ids: Collection[str] | None = None,
    *, with_answers: bool = True,
) -> tuple[list[ItemRow], dict[int, list[AnswerRow]], dict[int, str]]:  # fmt: skip
    """Active and held items of a round in order, their active answers, and the names of
    the committee's departments (when there are answers: the names sign them).

    With ``public_ids``, only those items (one keyed read, whatever the round holds) and
    the active or held items they follow, so that a receipt can name them.
    ``with_answers=False`` reads no answers, for a mail that shows none (a receipt).
    """
    if public_ids is None:
        live = (Item.round_id == round_id, Item.state.in_(("active", "held")))
        order = (Item.phase, Item.consultation_id, Item.seq, Item.id)
        items = [
            _item_row(r)
            for r in session.execute(select(*_ITEM_COLUMNS).where(*live).order_by(*order))
        ]
    else:
        items = _keyed_items(session, round_id, sorted(public_ids))
    if not with_answers:
        return items, {}, {}
    if public_ids is None:
        query = (
            select(*_ANSWER_COLUMNS)
            .where(Answer.state == "active")
            .join(Item, Item.id == Answer.item_id)
            .where(Item.round_id == round_id)
            .order_by(Answer.received_at, Answer.id)
        )
        answers = _by_item(session.execute(query))
    else:
        answers = answers_of(session, [i.id for i in items])
    # The names sign the answers: none read (a member's receipt, mostly), none needed.
    names: dict[int, str] = {}
    if answers:
        names = {
            pk: name
            for pk, name in session.execute(
                select(Department.id, Department.name)
                .join(Round, Round.committee_id == Department.committee_id)
                .where(Round.id == round_id)
            )
        }
    return items, answers, names


# A receipt's reads, built once: each mail runs them (a statement built per call costs
# more than SQLite takes to answer it).
_LIVE = (Item.round_id == bindparam("round_id"), db.among(Item.state, ("active", "held")))


@functools.cache
def _items_by_public_id(size: int | None) -> Any:
    return select(*_ITEM_COLUMNS).where(*_LIVE, db.keyed(Item.public_id, size))


@functools.cache
def _items_by_id(size: int | None) -> Any:
    return select(*_ITEM_COLUMNS).where(*_LIVE, db.keyed(Item.id, size))


@functools.cache
def _answers_of_items(size: int | None) -> Any:
    return (
        select(*_ANSWER_COLUMNS)
        .where(Answer.state == "active", db.keyed(Answer.item_id, size))
        .order_by(Answer.received_at, Answer.id)
    )


def _keyed_items(session: Session, round_id: int, public_ids: list[str]) -> list[ItemRow]:
    def read(build: Any, keys: list[Any]) -> list[ItemRow]:
        if not keys:
            return []
        return [_item_row(r) for r in db.keyed_rows(session, build, keys, {"round_id": round_id})]

    found = read(_items_by_public_id, public_ids)
    have = {i.id for i in found}
    parents = {i.parent_item_id for i in found if i.parent_item_id is not None} - have
    if parents:
        found += read(_items_by_id, sorted(parents))
    return sorted(found, key=lambda i: (i.phase, i.consultation_id or 0, i.seq or 0, i.id))


# One consultation's items at a time, for the mails that show a whole round (the
# distribution, the chair's digest, a department's bundle): each row with the public ID
# of the live item it follows, so no mail needs the round's rows to name it.
_FOLLOWED = aliased(Item)
_FOLLOWED_LIVE = (_FOLLOWED.id == Item.parent_item_id) & _FOLLOWED.state.in_(("active", "held"))
_ORDER = (Item.phase, Item.consultation_id, Item.seq, Item.id)
_WITH_FOLLOWED = select(*_ITEM_COLUMNS, _FOLLOWED.public_id).outerjoin(_FOLLOWED, _FOLLOWED_LIVE)
_ITEMS_OF_CONSULTATION = _WITH_FOLLOWED.where(
    *_LIVE, Item.consultation_id == bindparam("consultation_id")
).order_by(*_ORDER)
# Items that follow a live item of another consultation (or of none, or are of none).
_CROSS_FOLLOWERS = (
    select(*_ITEM_COLUMNS, _FOLLOWED.public_id)
    .join(_FOLLOWED, _FOLLOWED_LIVE)
    .where(*_LIVE, Item.consultation_id.is_distinct_from(_FOLLOWED.consultation_id))
    .order_by(*_ORDER)
)
_FOLLOWERS_OF = _WITH_FOLLOWED.where(
    *_LIVE, Item.parent_item_id.in_(bindparam("keys", expanding=True))
).order_by(*_ORDER)
_TEXTS_OF_CONSULTATION = (
    select(Item.public_id, Item.text, Item.phase)
    .where(*_LIVE, Item.consultation_id == bindparam("consultation_id"))
    .order_by(*_ORDER)
)
_IDS_OF_CONSULTATION = select(Item.public_id, Item.phase).where(
    *_LIVE, Item.consultation_id == bindparam("consultation_id")
)
_ANSWERS_OF_CONSULTATION = (
    select(*_ANSWER_COLUMNS)
    .join(Item, Item.id == Answer.item_id)
    .where(
        Answer.state == "active",
        Item.round_id == bindparam("round_id"),
        Item.consultation_id == bindparam("consultation_id"),
    )
    .order_by(Answer.received_at, Answer.id)
)
# What decides a consultation's section before its views are built: each live item
# with the public ID of the live item it follows (in the index's order), and when the
# active answers to its items came.
_HEADS_OF_CONSULTATION = (
    select(Item.id, Item.public_id, _FOLLOWED.public_id)
    .outerjoin(_FOLLOWED, _FOLLOWED_LIVE)
    .where(*_LIVE, Item.consultation_id == bindparam("consultation_id"))
    .order_by(Item.seq, Item.id)
)
_ANSWER_TIMES_OF_CONSULTATION = (
    select(Answer.item_id, Answer.received_at)
    .join(Item, Item.id == Answer.item_id)
    .where(
        Answer.state == "active",
        Item.round_id == bindparam("round_id"),
        Item.consultation_id == bindparam("consultation_id"),
    )
)
_DEPARTMENT_NAMES = (
    select(Department.id, Department.name)
    .join(Round, Round.committee_id == Department.committee_id)
    .where(Round.id == bindparam("round_id"))
)

Followed = tuple[ItemRow, str | None]  # an item and the public ID of the live one it follows


def _followed(rows: Any) -> list[Followed]:
    intern = sys.intern  # the kind's and state's strings shared, as `_item_row` does
    return [
        (ItemRow(pk, pid, cid, mid, ph, seq, intern(kind), text, ref, parent, late, intern(st)), f)
        for pk, pid, cid, mid, ph, seq, kind, text, ref, parent, late, st, f in rows
    ]


def consultation_items(session: Session, round_id: int, consultation_id: int) -> list[Followed]:
    """A consultation's active and held items in round order, each with the public ID of
    the live item it follows (one keyed read)."""
    params = {"round_id": round_id, "consultation_id": consultation_id}
    return _followed(session.execute(_ITEMS_OF_CONSULTATION, params))


def cross_followers(session: Session, round_id: int) -> list[Followed]:
    """Live items that follow a live item of another consultation, in round order (few:
    a follow-up is filed under the consultation of what it follows, unless staff moved
    one of them)."""
    return _followed(session.execute(_CROSS_FOLLOWERS, {"round_id": round_id}))


def followers_of(session: Session, round_id: int, item_ids: list[int]) -> list[Followed]:
    """Live items that follow these items, in round order."""
    if not item_ids:
        return []
    return _followed(session.execute(_FOLLOWERS_OF, {"round_id": round_id, "keys": item_ids}))


def consultation_texts(
    session: Session, round_id: int, consultation_id: int
) -> Iterator[tuple[str | None, str, int]]:
    """A consultation's live items as (public ID, text, phase) in round order, read as
    they are iterated (an answer sheet's rows)."""
    params = {"round_id": round_id, "consultation_id": consultation_id}
    with session.execute(_TEXTS_OF_CONSULTATION, params) as rows:
        yield from rows


def consultation_ids(
    session: Session, round_id: int, consultation_id: int
) -> Iterator[tuple[str | None, int]]:
    """A consultation's live items as (public ID, phase), in no order."""
    params = {"round_id": round_id, "consultation_id": consultation_id}
    with session.execute(_IDS_OF_CONSULTATION, params) as rows:
        yield from rows


def consultation_answers(
    session: Session, round_id: int, consultation_id: int
) -> dict[int, list[AnswerRow]]:
    """The active answers to a consultation's items, per item, oldest first."""
    params = {"round_id": round_id, "consultation_id": consultation_id}
    return _by_item(session.execute(_ANSWERS_OF_CONSULTATION, params))


def answers_of(session: Session, item_ids: list[int]) -> dict[int, list[AnswerRow]]:
    """The active answers to these items, per item, oldest first."""
    if not item_ids:
        return {}
    return _by_item(db.keyed_rows(session, _answers_of_items, item_ids, {}))


def _by_item(rows: Any) -> dict[int, list[AnswerRow]]:
    answers: dict[int, list[AnswerRow]] = {}
    for row in rows:
        a = AnswerRow._make(row)
        answers.setdefault(a.item_id, []).append(a)
    return answers


def consultation_heads(
    session: Session, round_id: int, consultation_id: int
) -> Iterator[tuple[int, str | None, str | None]]:
    """Each live item of a consultation as (row id, public ID, public ID of the live item
    it follows), read as it is iterated, so a caller may stop early."""
    params = {"round_id": round_id, "consultation_id": consultation_id}
    with session.execute(_HEADS_OF_CONSULTATION, params) as rows:
        yield from rows


def answer_times(
    session: Session, round_id: int, consultation_id: int
) -> dict[int, list[datetime]]:
    """When each active answer to a consultation's items came, per item."""
    params = {"round_id": round_id, "consultation_id": consultation_id}
    times: dict[int, list[datetime]] = {}
    for item_id, at in session.execute(_ANSWER_TIMES_OF_CONSULTATION, params):
        times.setdefault(item_id, []).append(at)
    return times


# The ③ call names each consultation's first and last item of ① and how many there are.
_PHASE_IDS = (*_LIVE, Item.phase == bindparam("phase"), Item.public_id.is_not(None))
_FIRST_OF_PHASE = (
    select(Item.public_id)
    .where(*_PHASE_IDS)
    .order_by(Item.consultation_id, Item.seq, Item.id)
    .limit(1)
)
_OF_CONSULTATION = Item.consultation_id == bindparam("consultation_id")
_PHASE_COUNT = select(func.count()).select_from(Item).where(*_PHASE_IDS, _OF_CONSULTATION)
_PHASE_FIRST = (
    select(Item.public_id).where(*_PHASE_IDS, _OF_CONSULTATION).order_by(Item.seq, Item.id).limit(1)
)
_PHASE_LAST = (
    select(Item.public_id)
    .where(*_PHASE_IDS, _OF_CONSULTATION)
    .order_by(Item.seq.desc(), Item.id.desc())
    .limit(1)
)


def first_of_phase(session: Session, round_id: int, phase: int) -> str | None:
    """The public ID of the phase's first live item in round order."""
    return session.scalar(_FIRST_OF_PHASE, {"round_id": round_id, "phase": phase})


def phase_span(
    session: Session, round_id: int, consultation_id: int, phase: int
) -> tuple[str, str, int] | None:
    """The public IDs of a consultation's first and last live items of a phase, in round
    order, and how many it has; None when it has none."""
    params = {"round_id": round_id, "consultation_id": consultation_id, "phase": phase}
    count = session.scalar(_PHASE_COUNT, params) or 0
    if not count:
        return None
    first, last = session.scalar(_PHASE_FIRST, params), session.scalar(_PHASE_LAST, params)
    assert first is not None and last is not None
    return first, last, count


def department_names(session: Session, round_id: int) -> dict[int, str]:
    """The names of the round's committee's departments by row id (they sign answers)."""
    return {pk: name for pk, name in session.execute(_DEPARTMENT_NAMES, {"round_id": round_id})}


def documents_of(session: Session, round_id: int) -> Sequence[RoundDocument]:
    """The round's documents in the order the round file lists them."""
    return session.scalars(
        select(RoundDocument)
        .where(RoundDocument.round_id == round_id)
        .order_by(RoundDocument.position)
    ).all()


def clear_decisions(session: Session, round_id: int) -> dict[str, tuple[str, str | None]]:
    """Consultation key → (verdict, conditions) of each decision in force that is clear."""
    rows = session.execute(
        select(Consultation.key, Decision.verdict, Decision.conditions, Decision.state)
        .join(Consultation, Consultation.id == Decision.consultation_id)
        .where(Decision.round_id == round_id)
        .order_by(Decision.received_at, Decision.id)
    ).all()
    in_force = decision_in_force(
        rows, lambda r: r.key, superseded=lambda r: r.state == "superseded"
    )
    return {k: (r.verdict, r.conditions) for k, r in in_force.items() if r.verdict != "unclear"}
