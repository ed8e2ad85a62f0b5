"""Queries and writes of the intake pipeline: directory snapshot, records from a message."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from mailflow.domain import Role
from mailflow.domain.states import AnswerState, MessageState
from mailflow.routing import (
    ClosedRound,
    CommitteeEntry,
    DepartmentEntry,
    Directory,
    MemberEntry,
    OpenRound,
)
from mailflow.store import db
from mailflow.store import directory as parties
from mailflow.store.models import (
    Answer,
    Committee,
    Consultation,
    ConsultationDepartment,
    Decision,
    DeliveryFailure,
    Department,
    DepartmentAddress,
    Item,
    Member,
    MemberAddress,
    Message,
    Round,
)

CLOSED_STATES = ("cancelled", "minutes_published")


def directory(session: Session, committee_id: int) -> Directory:
    """Routing's snapshot; party and round ids are the store's primary keys as strings.

    Tokens pack those integer ids, so a reply address stays short whatever the slugs.
    Read again only when the committee's directory mark has moved (`parties.kept`).
    """
    return parties.kept(session, committee_id, "routing", lambda: _directory(session, committee_id))


def _directory(session: Session, committee_id: int) -> Directory:
    members = parties.members(session, committee_id, active_only=True)
    depts = parties.departments(session, committee_id)
    rounds = session.execute(
        select(Round.id, Round.key, Round.state).where(Round.committee_id == committee_id)
    ).all()
    entry = CommitteeEntry(
        id=str(committee_id),
        members=tuple(MemberEntry(str(m.id), Role(m.role), m.addresses) for m in members),
        departments=tuple(DepartmentEntry(str(d.id), d.addresses) for d in depts),
        open_rounds=tuple(
            OpenRound(str(r.id), r.key) for r in rounds if r.state not in CLOSED_STATES
        ),
        closed_rounds=tuple(
            ClosedRound(str(r.id), r.key, r.state) for r in rounds if r.state in CLOSED_STATES
        ),
    )
    return Directory((entry,))


# Statements every mail runs, built once (building one per call cost more than SQLite
# takes to answer it).
_COMMITTEE_ADDRESS = select(Committee.address).where(Committee.id == bindparam("id"))
_ROUND = select(Round).where(Round.id == bindparam("id"))


def _last_seq(consultation: str) -> Any:
    """A consultation's last item number, the consultation bound as ``consultation``."""
    return select(func.max(Item.seq)).where(
        Item.round_id == bindparam("round_id"), Item.consultation_id == bindparam(consultation)
    )


_MAX_SEQ = _last_seq("consultation_id")
_ITEM_BY_PUBLIC_ID = select(Item).where(
    Item.round_id == bindparam("round_id"), Item.public_id == bindparam("public_id")
)
_ITEMS_OF_MESSAGE = (
    select(Item).where(Item.source_message_id == bindparam("message_id")).order_by(Item.position)
)
_MEMBER_NAME = select(Member.name).where(Member.id == bindparam("id"))


def committee_address(session: Session, committee_id: int) -> str:
    """The committee's own address (a mail's reading needs only that of its row)."""
    [(address,)] = db.rows(session, _COMMITTEE_ADDRESS, {"id": committee_id})
    return str(address)


def round_row(session: Session, round_id: int) -> Round | None:
    """The round by id; its consultations come from `consultation_rows`, which a process
    keeps (the relationship is loaded only by code that still asks it)."""
    return session.scalar(_ROUND, {"id": round_id})


@dataclass(frozen=True)
class ConsultationRow:
    """A round's consultation as plain data, with its departments' (id, key, name)."""

    id: int
    key: str
    number: str
    title: str
    departments: tuple[tuple[int, str, str], ...]


def consultation_rows(session: Session, rnd: Round) -> tuple[ConsultationRow, ...]:
    """The round's consultations in their order, read again only when the committee's
    directory mark has moved (every mail of the round reads them)."""

    def read() -> tuple[ConsultationRow, ...]:
        rows = session.execute(
            select(
                Consultation.id,
                Consultation.key,
                Consultation.number,
                Consultation.title,
                Department.id,
                Department.key,
                Department.name,
            )
            .outerjoin(
                ConsultationDepartment, ConsultationDepartment.consultation_id == Consultation.id
            )
            .outerjoin(Department, Department.id == ConsultationDepartment.department_id)
            .where(Consultation.round_id == rnd.id)
            .order_by(Consultation.position, Consultation.id, Department.id)
        ).all()
        out: dict[int, tuple[tuple[str, str, str], list[tuple[int, str, str]]]] = {}
        for cid, key, number, title, did, dkey, dname in rows:
            _, depts = out.setdefault(cid, ((key, number, title), []))
            if did is not None:
                depts.append((did, dkey, dname))
        return tuple(
            ConsultationRow(cid, key, number, title, tuple(depts))
            for cid, ((key, number, title), depts) in out.items()
        )

    return parties.kept(session, rnd.committee_id, f"consultations:{rnd.id}", read)


def next_seq(session: Session, round_id: int, consultation_id: int) -> int:
    current = session.scalar(_MAX_SEQ, {"round_id": round_id, "consultation_id": consultation_id})
    return (current or 0) + 1


@functools.cache
def _last_seq_each(size: int | None) -> Any:
    """One column per key: each consultation's last number as its own `max`, which
    SQLite and PostgreSQL read from the end of the (round, consultation, seq) index. A
    `max` grouped by consultation walked all of a consultation's items instead: half of
    a reply's cost in a round of 600,000 items."""
    assert size is not None, "read at most _KEYS_AT_ONCE keys at once"
    return select(*(_last_seq(f"key{i}").scalar_subquery() for i in range(size)))


_KEYS_AT_ONCE = 64


def last_seqs(session: Session, round_id: int, consultation_ids: Collection[int]) -> dict[int, int]:
    """The last item number of each of these consultations (0 for none yet), in one read
    per 64 of them."""
    found = dict.fromkeys(consultation_ids, 0)
    keys = sorted(found)
    for start in range(0, len(keys), _KEYS_AT_ONCE):
        chunk = keys[start : start + _KEYS_AT_ONCE]
        [row] = db.keyed_rows(session, _last_seq_each, chunk, {"round_id": round_id})
        for cid, last in zip(chunk, row, strict=False):  # the row repeats the last key's
            found[cid] = last or 0
    return found


# New items are written through Core, not added to a session: the unit of work cost
# more than the rows, and on SQLite it inserted them one statement each (SQLite cannot
# give back the ids of several rows in their order).
_INSERT_ITEM = insert(Item).returning(Item.id)
_INSERT_ITEMS = insert(Item)


def insert_item(session: Session, values: dict[str, Any]) -> int:
    """Insert one item with these columns (the others their defaults); its id."""
    return int(session.connection().execute(_INSERT_ITEM, values).scalar_one())


def insert_items(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert items in their order, in one statement when they give the same columns."""
    if len({frozenset(values) for values in rows}) > 1:
        for values in rows:
            session.connection().execute(_INSERT_ITEMS, values)
    elif rows:
        session.connection().execute(_INSERT_ITEMS, rows)


def item_by_public_id(session: Session, round_id: int, public_id: str) -> Item | None:
    return session.scalar(_ITEM_BY_PUBLIC_ID, {"round_id": round_id, "public_id": public_id})


def never_read(msg: Message) -> bool:
    """Whether no processing of this mail ever completed: then nothing in the store came
    from it yet (items, answers, decisions, held changes, corrections), and its first
    reading need not look for them. A mail leaves `stored` only when a processing of it
    commits, and nothing puts it back."""
    return msg.state == MessageState.STORED


def items_from_message(session: Session, message_pk: int) -> Sequence[Item]:
    return session.scalars(_ITEMS_OF_MESSAGE, {"message_id": message_pk}).all()


def answers_from_message(session: Session, message_pk: int) -> Sequence[Answer]:
    return session.scalars(select(Answer).where(Answer.source_message_id == message_pk)).all()


def earlier_answers(
    session: Session, item_pk: int, department_pk: int | None, message_pk: int
) -> Sequence[Answer]:
    """The answers the same department gave the item in other mails and that stand,
    oldest first. One staff replaced or removed is history (the round's timing reads
    when it was in force) and is not among them."""
    return session.scalars(
        select(Answer)
        .where(
            Answer.item_id == item_pk,
            Answer.department_id == department_pk,
            Answer.source_message_id != message_pk,
            Answer.state == AnswerState.ACTIVE.value,
        )
        .order_by(Answer.received_at, Answer.id)
    ).all()


def decisions_from_message(session: Session, message_pk: int) -> Sequence[Decision]:
    return session.scalars(select(Decision).where(Decision.source_message_id == message_pk)).all()


def department_item_ids(
    session: Session,
    round_id: int,
    department_id: int,
    *,
    unanswered_only: bool = False,
    phases: Collection[int] | None = None,
) -> list[str]:
    """IDs of the active items on the department's consultations, in round order.

    All of them are what a department's reply may answer (a second answer, a correction,
    an item a co-responsible department answered first: none is dropped);
    `unanswered_only` keeps those nobody has answered yet, for its receipt, and
    `phases` those of the phases given (the ones it has been sent).
    """
    items = session.scalars(
        select(Item)
        .join(Consultation, Consultation.id == Item.consultation_id)
        .where(
            Item.round_id == round_id,
            Item.state == "active",
            Item.public_id.is_not(None),
            Consultation.departments.any(Department.id == department_id),
        )
        .order_by(Item.phase, Consultation.position, Item.seq)
    ).all()
    answered: set[int] = set()
    if unanswered_only:
        # An item with two responsible departments is answered once either answers it.
        answered = set(
            session.scalars(
                select(Answer.item_id).where(
                    Answer.item_id.in_([i.id for i in items]), Answer.state == "active"
                )
            )
        )
    return [
        i.public_id
        for i in items
        if i.public_id and i.id not in answered and (phases is None or i.phase in phases)
    ]


@dataclass(frozen=True)
class ItemByText:
    """An active item found by its text, its round's state and how many answers it has."""

    pk: int
    public_id: str | None
    round_state: str
    answers: int


def active_item_by_text(session: Session, text: str) -> ItemByText | None:
    """The first active item whose text is exactly ``text`` (the demo's secretariat)."""
    row = session.execute(
        select(Item.id, Item.public_id, Round.state)
        .join(Round, Round.id == Item.round_id)
        .where(Item.text == text, Item.state == "active")
    ).first()
    if row is None:
        return None
    answers = session.scalar(
        select(func.count()).select_from(Answer).where(Answer.item_id == row.id)
    )
    return ItemByText(row.id, row.public_id, row.state, int(answers or 0))


def member_name(session: Session, member_id: int) -> str | None:
    """A member's registered name (the chair is a member)."""
    known = parties.remembered_member(session, member_id)
    if known is not None:
        return known.name
    return session.scalar(_MEMBER_NAME, {"id": member_id})


def party_by_address(
    session: Session, committee_id: int, address: str
) -> tuple[int | None, int | None]:
    """(member id, department id) registered with this address, for bounces."""
    m = session.scalar(
        select(MemberAddress.member_id).where(
            MemberAddress.committee_id == committee_id, MemberAddress.address == address
        )
    )
    d = session.scalar(
        select(DepartmentAddress.department_id).where(
            DepartmentAddress.committee_id == committee_id, DepartmentAddress.address == address
        )
    )
    return m, d


def add_delivery_failure(
    session: Session,
    committee_id: int,
    message_pk: int,
    address: str,
    permanent: bool,
    at: datetime,
) -> DeliveryFailure:
    member_id, department_id = party_by_address(session, committee_id, address)
    row = DeliveryFailure(
        committee_id=committee_id,
        message_id=message_pk,
        address=address,
        permanent=permanent,
        member_id=member_id,
        department_id=department_id,
        at=at,
    )
    session.add(row)
    return row


def quarantined(session: Session, committee_id: int) -> Sequence[Message]:
    return session.scalars(
        select(Message)
        .where(Message.committee_id == committee_id, Message.state == "quarantined")
        .order_by(Message.received_at, Message.id)
    ).all()


# Mail that waits for staff: placed nowhere (quarantined) or not processed (failed). It
# stays in `quarantine list` and `status` until staff reprocess, assign or discard it.
AWAITING_STAFF = (MessageState.QUARANTINED, MessageState.FAILED)


def awaiting_staff(session: Session, committee_id: int) -> Sequence[Message]:
    """Quarantined and failed mail, oldest first."""
    return session.scalars(
        select(Message)
        .where(Message.committee_id == committee_id, Message.state.in_(AWAITING_STAFF))
        .order_by(Message.received_at, Message.id)
    ).all()


def count_awaiting_staff(session: Session, committee_id: int) -> dict[str, int]:
    """{"quarantined": n, "failed": m}, zeros included."""
    rows = session.execute(
        select(Message.state, func.count())
        .where(Message.committee_id == committee_id, Message.state.in_(AWAITING_STAFF))
        .group_by(Message.state)
    ).all()
    found = {str(state): int(n) for state, n in rows}
    return {state: found.get(state, 0) for state in AWAITING_STAFF}


def unreported_quarantine(session: Session, committee_id: int) -> Sequence[Message]:
    """Quarantined or failed mail staff have not yet been told of (`reported_at` unset:
    never listed, or failed again since), by id."""
    return session.scalars(
        select(Message)
        .where(
            Message.committee_id == committee_id,
            Message.state.in_(AWAITING_STAFF),
            Message.reported_at.is_(None),
        )
        .order_by(Message.id)
    ).all()


def confirm_pending_decisions(session: Session, round_id: int, member_id: int | None) -> list[str]:
    """Mark the decider's pending decisions confirmed; the consultation keys confirmed."""
    rows = session.scalars(
        select(Decision)
        .where(
            Decision.round_id == round_id,
            Decision.state == "pending",
            Decision.verdict != "unclear",
            Decision.decided_by_member_id == member_id,
        )
        .order_by(Decision.id)
    ).all()
    keys = []
    for d in rows:
        d.state = "confirmed"
        cons = session.get(Consultation, d.consultation_id)
        keys.append(cons.key if cons else str(d.consultation_id))
    return keys


def consultations_decided_elsewhere(session: Session, round_id: int, message_pk: int) -> set[int]:
    """Consultation ids with a clear decision from another mail than this one."""
    return set(
        session.scalars(
            select(Decision.consultation_id).where(
                Decision.round_id == round_id,
                Decision.source_message_id != message_pk,
                Decision.verdict != "unclear",
                Decision.state != "superseded",
            )
        )
    )


def message_pks(session: Session, committee_id: int, round_id: int | None) -> list[int]:
    """Stored messages of the committee (of one round, when given), oldest first."""
    q = select(Message.id).where(Message.committee_id == committee_id).order_by(Message.id)
    if round_id is not None:
        q = q.where(Message.round_id == round_id)
    return list(session.scalars(q))
