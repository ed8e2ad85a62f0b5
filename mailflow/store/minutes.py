"""Read-only queries for the minutes, the JSON export and staff edits of items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.store.models import (
    Answer,
    Decision,
    Department,
    Event,
    Item,
    Message,
    Outbox,
    Round,
)


def items_of_round(session: Session, round_id: int) -> Sequence[Item]:
    return session.scalars(select(Item).where(Item.round_id == round_id).order_by(Item.id)).all()


def answers_of_round(session: Session, round_id: int) -> Sequence[Answer]:
    return session.scalars(
        select(Answer)
        .join(Item, Answer.item_id == Item.id)
        .where(Item.round_id == round_id)
        .order_by(Answer.id)
    ).all()


def decisions_of_round(session: Session, round_id: int) -> Sequence[Decision]:
    return session.scalars(
        select(Decision).where(Decision.round_id == round_id).order_by(Decision.id)
    ).all()


def member_replies(session: Session, round_id: int) -> Sequence[tuple[int, int]]:
    """(member id, phase) of every processed member mail, 「特になし」 included.

    Only columns are read: the raw bytes of a round's mail stay in the database.
    """
    rows = session.execute(
        select(Message.member_id, Message.phase).where(
            Message.round_id == round_id,
            Message.state == "done",
            Message.member_id.is_not(None),
            Message.phase.in_((1, 3)),
        )
    ).all()
    return [(m, p) for m, p in rows if m is not None and p is not None]


def departments_by_id(session: Session, committee_id: int) -> dict[int, Department]:
    rows = session.scalars(select(Department).where(Department.committee_id == committee_id))
    return {d.id: d for d in rows}


def events_of_round(session: Session, round_id: int) -> Sequence[Event]:
    return session.scalars(
        select(Event).where(Event.round_id == round_id).order_by(Event.at, Event.id)
    ).all()


def outbox_of_round(session: Session, round_id: int) -> Sequence[Any]:
    """The outbound mail log without the rendered bytes."""
    return session.execute(
        select(
            Outbox.id,
            Outbox.kind,
            Outbox.recipients,
            Outbox.subject,
            Outbox.message_id,
            Outbox.state,
            Outbox.attempts,
            Outbox.created_at,
            Outbox.sent_at,
        )
        .where(Outbox.round_id == round_id)
        .order_by(Outbox.created_at, Outbox.id)
    ).all()


def items_by_public_id(session: Session, committee_id: int, public_id: str) -> Sequence[Item]:
    """Items with this ID (such as Q13-03) in any round of the committee."""
    return session.scalars(
        select(Item)
        .join(Round, Item.round_id == Round.id)
        .where(Round.committee_id == committee_id, Item.public_id == public_id)
        .order_by(Item.id)
    ).all()


def item_by_pk(session: Session, committee_id: int, pk: int) -> Item | None:
    return session.scalar(
        select(Item)
        .join(Round, Item.round_id == Round.id)
        .where(Round.committee_id == committee_id, Item.id == pk)
    )


def answers_of_item(session: Session, item_id: int) -> Sequence[Answer]:
    return session.scalars(
        select(Answer).where(Answer.item_id == item_id).order_by(Answer.received_at, Answer.id)
    ).all()
