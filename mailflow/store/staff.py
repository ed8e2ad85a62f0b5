"""Staff console rows: accounts, sessions, login attempts, and the daemon's heartbeat."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mailflow.store.models import Heartbeat, Lease, LoginAttempt, StaffAccount, StaffSession


def account(session: Session, login: str) -> StaffAccount | None:
    return session.scalar(select(StaffAccount).where(StaffAccount.login == login))


def accounts(session: Session) -> Sequence[StaffAccount]:
    return session.scalars(select(StaffAccount).order_by(StaffAccount.login)).all()


def end_sessions_of(session: Session, staff_id: int, at: datetime) -> None:
    """End every open session of an account (disabled, or its password changed)."""
    session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.ended_at.is_(None))
        .values(ended_at=at)
    )


def session_by_hash(session: Session, token_hash: str) -> tuple[StaffSession, StaffAccount] | None:
    row = session.execute(
        select(StaffSession, StaffAccount)
        .join(StaffAccount, StaffAccount.id == StaffSession.staff_id)
        .where(StaffSession.token_hash == token_hash)
    ).first()
    return (row[0], row[1]) if row is not None else None


def record_attempt(session: Session, login: str, address: str, at: datetime, ok: bool) -> None:
    session.add(LoginAttempt(login=login, address=address, at=at, ok=ok))


def failures_since(session: Session, *, since: datetime, login: str, address: str) -> int:
    """Failed attempts after ``since`` for this login, or from this address, whichever is more.

    Failures before the latest success of the same login (or address) do not count.
    """

    def count(column: Any, value: str) -> int:
        # Ordered by id, not time: attempts within one clock tick still come in order.
        last_ok = session.scalar(
            select(func.max(LoginAttempt.id)).where(column == value, LoginAttempt.ok.is_(True))
        )
        return int(
            session.scalar(
                select(func.count())
                .select_from(LoginAttempt)
                .where(
                    column == value,
                    LoginAttempt.ok.is_(False),
                    LoginAttempt.at > since,
                    LoginAttempt.id > (last_ok or 0),
                )
            )
            or 0
        )

    return max(count(LoginAttempt.login, login), count(LoginAttempt.address, address))


def beat(session: Session, name: str, at: datetime, detail: dict[str, Any]) -> None:
    row = session.get(Heartbeat, name)
    if row is None:
        session.add(Heartbeat(name=name, at=at, detail=detail))
    else:
        row.at, row.detail = at, detail


def heartbeat(session: Session, name: str) -> tuple[datetime, dict[str, Any]] | None:
    row = session.get(Heartbeat, name)
    return (row.at, dict(row.detail)) if row is not None else None


def leases(session: Session) -> Sequence[tuple[str, str, datetime]]:
    """Every lease: (name, holder, expires_at)."""
    rows = session.execute(select(Lease.name, Lease.holder, Lease.expires_at).order_by(Lease.name))
    return [(n, h, e) for n, h, e in rows]


def committee_id(session: Session, key: str) -> int | None:
    from mailflow.store.models import Committee

    return session.scalar(select(Committee.id).where(Committee.key == key))
