"""The store's side of corrections: staff's (items made anew, lineage, answers kept as
history) and the members' own 訂正 / 取消, kept so that a reprocess puts them back."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from mailflow.domain import ItemId
from mailflow.domain.states import AnswerState, CorrectionAction, HeldDocumentState, ItemState
from mailflow.store.intake import next_seq
from mailflow.store.models import (
    Answer,
    Consultation,
    HeldDocument,
    Item,
    ItemCorrection,
    Member,
    Message,
)

# An item whose row staff changed by hand: a reprocessed mail leaves it as staff made it.
STAFF_STATES = (ItemState.MOVED.value, ItemState.MERGED.value)


def kept_by_staff(item: Item) -> bool:
    """Whether staff corrected the item (placed, moved, merged, split, edited or withdrew it)."""
    return item.staff_edited or item.placed_at is not None or item.state in STAFF_STATES


def file_under(session: Session, item: Item, consultation: Consultation) -> None:
    """Give the item the consultation and the next ID in it."""
    item.consultation_id = consultation.id
    item.seq = next_seq(session, item.round_id, consultation.id)
    item.public_id = str(ItemId(consultation.key, item.seq))


def copy_item(
    session: Session, item: Item, consultation: Consultation, text: str, at: datetime
) -> Item:
    """A new item made from ``item`` by staff (a move, the second half of a split).

    It belongs to no stored mail (``origin_id`` says where it came from), so reprocessing
    the member's mail never takes it for one of the mail's own items; it joins the round
    at ``at``, as an item staff accept does.
    """
    new = Item(
        round_id=item.round_id,
        member_id=item.member_id,
        phase=item.phase,
        kind=item.kind,
        text=text,
        reference=item.reference,
        parent_item_id=item.parent_item_id,
        confidence=item.confidence,
        late=item.late,
        state=item.state,
        source_message_id=None,
        position=item.position,
        received_at=item.received_at,
        origin_id=item.id,
        placed_at=at,
    )
    session.add(new)
    file_under(session, new, consultation)
    session.flush()
    return new


def adopt_children(session: Session, old: Item, new: Item) -> None:
    """Follow-ups of ``old`` follow ``new`` from now on."""
    session.execute(update(Item).where(Item.parent_item_id == old.id).values(parent_item_id=new.id))


def adopt_answers(session: Session, old: Item, new: Item) -> None:
    """Answers to ``old`` become answers to ``new`` (a merge)."""
    session.execute(update(Answer).where(Answer.item_id == old.id).values(item_id=new.id))


def latest_active_answer(session: Session, item_id: int) -> tuple[Answer | None, int]:
    """The item's latest answer in force, and how many it has."""
    rows = session.scalars(
        select(Answer)
        .where(Answer.item_id == item_id, Answer.state == AnswerState.ACTIVE.value)
        .order_by(Answer.received_at, Answer.id)
    ).all()
    return (rows[-1] if rows else None), len(rows)


def replace_answer(session: Session, old: Answer, text: str, at: datetime) -> Answer:
    """A new answer in the old one's place; the old one is kept as ``replaced``.

    The new one keeps the old one's time of arrival: the department answered then, and
    the round's windows (closed when every answer was in) must not move.
    """
    new = Answer(
        item_id=old.item_id,
        department_id=old.department_id,
        by_secretariat=old.by_secretariat,
        author_label=old.author_label,
        phase=old.phase,
        text=text,
        staff_edited=True,
        source_message_id=old.source_message_id,
        received_at=old.received_at,
        corrected_at=at,
    )
    session.add(new)
    session.flush()
    old.state, old.replaced_by_id, old.corrected_at = AnswerState.REPLACED.value, new.id, at
    return new


def remove_answer(old: Answer, at: datetime) -> None:
    old.state, old.corrected_at = AnswerState.REMOVED.value, at


def unplaced_items(session: Session, round_id: int) -> Sequence[tuple[Item, str | None]]:
    """Items of a round read without a consultation that staff have yet to place, with
    their author's name."""
    return [
        (item, name)
        for item, name in session.execute(
            select(Item, Member.name)
            .outerjoin(Member, Member.id == Item.member_id)
            .where(
                Item.round_id == round_id,
                Item.consultation_id.is_(None),
                Item.state.in_((ItemState.ACTIVE.value, ItemState.HELD.value)),
            )
            .order_by(Item.received_at, Item.id)
        )
    ]


def resolve(session: Session, item: Item) -> Item:
    """Where an item lives now: a moved or merged one leads to the item it became."""
    seen = {item.id}
    while item.moved_to_id is not None and item.state in STAFF_STATES:
        nxt = session.get(Item, item.moved_to_id)
        if nxt is None or nxt.id in seen:
            break
        seen.add(nxt.id)
        item = nxt
    return item


def hold_document(
    session: Session, round_id: int, message_id: int, member_id: int | None, filename: str,
    reason: str, at: datetime,
) -> None:  # fmt: skip
    """Keep an attachment that could not be read for staff; once per mail and file name
    (a reprocessed mail does not hold it twice, nor again once staff filed it)."""
    name = filename[:255]
    exists = session.scalar(
        select(HeldDocument.id).where(
            HeldDocument.message_id == message_id, HeldDocument.filename == name
        )
    )
    if exists is None:
        session.add(
            HeldDocument(
                round_id=round_id, message_id=message_id, member_id=member_id, filename=name,
                reason=reason[:64], state=HeldDocumentState.WAITING.value, created_at=at,
            )
        )  # fmt: skip


def waiting_documents(session: Session, round_id: int) -> Sequence[tuple[HeldDocument, str | None]]:
    """Attachments of a round held for staff, oldest first, with their author's name."""
    return [
        (doc, name)
        for doc, name in session.execute(
            select(HeldDocument, Member.name)
            .outerjoin(Member, Member.id == HeldDocument.member_id)
            .where(
                HeldDocument.round_id == round_id,
                HeldDocument.state == HeldDocumentState.WAITING.value,
            )
            .order_by(HeldDocument.id)
        )
    ]


def file_documents(session: Session, message_id: int, at: datetime) -> int:
    """Staff filed what the mail's unread attachments say: they wait no more."""
    rows = session.scalars(
        select(HeldDocument).where(
            HeldDocument.message_id == message_id,
            HeldDocument.state == HeldDocumentState.WAITING.value,
        )
    ).all()
    for doc in rows:
        doc.state, doc.resolved_at = HeldDocumentState.FILED.value, at
    return len(rows)


def member_message(session: Session, committee_id: int, message_pk: int) -> Message | None:
    """A stored mail of the committee routed to a round as a member's."""
    return session.scalar(
        select(Message).where(
            Message.id == message_pk,
            Message.committee_id == committee_id,
            Message.round_id.is_not(None),
            Message.member_id.is_not(None),
            Message.sender_kind.in_(("member", "chair")),
        )
    )


def add_item(
    session: Session, msg: Message, consultation: Consultation, text: str, kind: str,
    at: datetime,
) -> Item:  # fmt: skip
    """An item staff file by hand from the mail; like one staff made, it belongs to no
    stored mail's own items (reprocess leaves it) and joins the round at ``at``."""
    assert msg.round_id is not None and msg.phase is not None
    item = Item(
        round_id=msg.round_id, member_id=msg.member_id, phase=msg.phase, kind=kind,
        text=text, late=msg.late, state=ItemState.ACTIVE.value, received_at=msg.received_at,
        placed_at=at, position=0,
    )  # fmt: skip
    session.add(item)
    file_under(session, item, consultation)
    session.flush()
    return item


def record_member_correction(
    session: Session, item: Item, message_pk: int, action: CorrectionAction, new_text: str | None,
    at: datetime,
) -> None:  # fmt: skip
    """A member's own correction of ``item``, as applied from mail ``message_pk``."""
    session.add(
        ItemCorrection(
            item_id=item.id, message_id=message_pk, action=action.value, new_text=new_text, at=at
        )
    )


def message_items_corrected(session: Session, message_pk: int) -> bool:
    """Whether any item of mail ``message_pk`` has a member's correction: one keyed
    look-up, so that filing a mail nobody corrected reads nothing more."""
    return session.scalar(_CORRECTED, {"id": message_pk}) is not None


_CORRECTED = (
    select(ItemCorrection.id)
    .join(Item, Item.id == ItemCorrection.item_id)
    .where(Item.source_message_id == bindparam("id"))
    .limit(1)
)


def member_corrections(session: Session, item_pks: Collection[int]) -> Sequence[ItemCorrection]:
    """The members' own corrections of these items, in the order they were applied."""
    return session.scalars(
        select(ItemCorrection)
        .where(ItemCorrection.item_id.in_(sorted(item_pks)))
        .order_by(ItemCorrection.id)
    ).all()
