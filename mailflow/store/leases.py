"""The poller lease (exactly one poller per mailbox) and the per-mailbox IMAP sync checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailflow.store.models import Lease, MailboxState

_LEASE = cast(Table, Lease.__table__)
_STATE = cast(Table, MailboxState.__table__)


@dataclass(frozen=True)
class MailboxSync:
    """Where sync stands for one mailbox: the UIDVALIDITY seen, the last UID committed and
    the last UID moved or flagged on the server."""

    uidvalidity: int | None
    last_uid: int
    acted_uid: int = 0


def get_mailbox_state(session: Session, committee_id: int, mailbox: str) -> MailboxSync:
    row = session.execute(
        select(_STATE.c.uidvalidity, _STATE.c.last_uid, _STATE.c.acted_uid).where(
            _STATE.c.committee_id == committee_id, _STATE.c.mailbox == mailbox
        )
    ).first()
    if row is None:
        return MailboxSync(uidvalidity=None, last_uid=0)
    return MailboxSync(row.uidvalidity, row.last_uid, row.acted_uid)


def set_mailbox_state(
    session: Session,
    committee_id: int,
    mailbox: str,
    uidvalidity: int,
    last_uid: int,
    acted_uid: int = 0,
) -> None:
    """Move the checkpoint; commit it in the same transaction as the mail it covers."""
    # Core statements: this runs once per fetched batch, where ORM bookkeeping showed up.
    moved = session.execute(
        update(_STATE)
        .where(_STATE.c.committee_id == committee_id, _STATE.c.mailbox == mailbox)
        .values(uidvalidity=uidvalidity, last_uid=last_uid, acted_uid=acted_uid)
    )
    if _rowcount(moved) == 0:
        session.execute(
            insert(_STATE).values(
                committee_id=committee_id,
                mailbox=mailbox,
                uidvalidity=uidvalidity,
                last_uid=last_uid,
                acted_uid=acted_uid,
            )
        )


def advance_mailbox_state(
    session: Session, committee_id: int, mailbox: str, uidvalidity: int, uid: int
) -> None:
    """Raise the checkpoint to `uid` (never lower it) for this UIDVALIDITY."""
    # One conditional UPDATE in the usual case (the row exists, same UIDVALIDITY): this
    # runs in every batch's commit, where each statement costs a hand-over of the
    # interpreter lock between the database thread and the IMAP reader.
    raised = session.execute(
        update(_STATE)
        .where(
            _STATE.c.committee_id == committee_id,
            _STATE.c.mailbox == mailbox,
            _STATE.c.uidvalidity == uidvalidity,
            _STATE.c.last_uid < uid,
        )
        .values(last_uid=uid)
    )
    if _rowcount(raised) == 1:
        return
    state = get_mailbox_state(session, committee_id, mailbox)
    last = state.last_uid if state.uidvalidity == uidvalidity else 0
    if state.uidvalidity == uidvalidity and last >= uid:
        return
    set_mailbox_state(session, committee_id, mailbox, uidvalidity, max(last, uid))


def mark_acted(
    session: Session, committee_id: int, mailbox: str, uidvalidity: int, uid: int
) -> None:
    """Record that every committed mail up to `uid` was moved or flagged on the server.

    Mail is committed in UID order and handed to the server in that order, so one mark
    says it all; it never goes down, and a stale UIDVALIDITY leaves it untouched.
    """
    session.execute(
        update(_STATE)
        .where(
            _STATE.c.committee_id == committee_id,
            _STATE.c.mailbox == mailbox,
            _STATE.c.uidvalidity == uidvalidity,
            _STATE.c.acted_uid < uid,
        )
        .values(acted_uid=uid)
    )


def acquire_lease(session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take (or keep) the lease `name` until now + ttl; False while someone else holds it.

    One conditional UPDATE decides between contenders on both SQLite and PostgreSQL; the
    first taker's INSERT is guarded by the primary key. The caller commits at once.
    """
    if renew_lease(session, name, holder, now, ttl):
        return True
    if session.execute(select(_LEASE.c.name).where(_LEASE.c.name == name)).first() is not None:
        return False
    try:
        # A SAVEPOINT, so that losing the race leaves the caller's transaction usable.
        with session.begin_nested():
            session.execute(insert(_LEASE).values(name=name, holder=holder, expires_at=now + ttl))
    except IntegrityError:
        return False
    return True


def renew_lease(session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Extend a lease we hold (or take an expired one); False if someone else holds it."""
    renewed = session.execute(
        update(_LEASE)
        .where(_LEASE.c.name == name, (_LEASE.c.holder == holder) | (_LEASE.c.expires_at <= now))
        .values(holder=holder, expires_at=now + ttl)
    )
    return _rowcount(renewed) == 1


def release_lease(session: Session, name: str, holder: str) -> None:
    session.execute(delete(_LEASE).where(_LEASE.c.name == name, _LEASE.c.holder == holder))


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", -1))
