"""Round rows: create from a round file, look up, list, change deadlines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mailflow.domain import Phase
from mailflow.store import directory as parties
from mailflow.store.models import (
    Committee,
    Consultation,
    Department,
    Member,
    Round,
    RoundAbsence,
)

DEADLINE_COLUMNS: dict[Phase, str] = {
    Phase.QUESTIONS: "questions_due",
    Phase.ANSWERS: "answers_due",
    Phase.FURTHER: "further_due",
    Phase.DECISION: "decision_due",
}


def deadlines(rnd: Round) -> dict[Phase, datetime]:
    return {p: getattr(rnd, col) for p, col in DEADLINE_COLUMNS.items()}


def set_deadline(rnd: Round, phase: Phase, when: datetime) -> None:
    setattr(rnd, DEADLINE_COLUMNS[phase], when)


def get(session: Session, committee_id: int, key: str) -> Round | None:
    return session.scalar(
        select(Round)
        .where(Round.committee_id == committee_id, Round.key == key)
        .options(
            selectinload(Round.consultations).selectinload(Consultation.departments),
            selectinload(Round.absences),
        )
    )


def list_all(session: Session, committee_id: int) -> Sequence[Round]:
    return session.scalars(
        select(Round).where(Round.committee_id == committee_id).order_by(Round.created_at, Round.id)
    ).all()


def departments_by_key(session: Session, committee: Committee) -> dict[str, Department]:
    rows = session.scalars(select(Department).where(Department.committee_id == committee.id))
    return {d.key: d for d in rows}


def members_by_key(session: Session, committee: Committee) -> dict[str, Member]:
    rows = session.scalars(
        select(Member).where(Member.committee_id == committee.id, Member.active.is_(True))
    )
    return {m.key: m for m in rows}


def chair_ids(session: Session, committee_id: int) -> set[int]:
    """The committee's chairs (one, or none while the config names none)."""
    return {m.id for m in parties.members(session, committee_id) if m.role == "chair"}


def members_by_id(session: Session, committee_id: int) -> dict[int, Member]:
    rows = session.scalars(select(Member).where(Member.committee_id == committee_id))
    return {m.id: m for m in rows}


def add_absence(session: Session, rnd: Round, member: Member) -> None:
    session.add(RoundAbsence(round_id=rnd.id, member_id=member.id))
