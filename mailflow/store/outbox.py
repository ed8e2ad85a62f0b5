"""The outbox table: queue, approve, claim and settle outbound mail (transactional outbox).

States: ``draft`` (held for staff, or by the daily cap) → ``approved`` → ``sending`` →
``sent`` / ``failed``; ``approved`` again (with ``next_attempt_at``) after a temporary
failure, or when staff retry a ``failed`` mail once its cause is fixed. A row in
``sending`` carries a lease in ``next_attempt_at``: past it, the row is claimed again
(its sender died), with the same bytes and the same Message-ID.

Claiming is safe with several senders. On PostgreSQL the candidates are locked with
``FOR UPDATE SKIP LOCKED``, so two processes never see the same row. On SQLite, which
has one writer at a time, the claim transaction starts with a write (a no-op UPDATE),
so it holds the database's write lock from its first read to its commit: a second
sender waits (busy_timeout) and then sees the rows already ``sending``. Each update is
also conditional on the state read (compare-and-set), so a stale read can never turn
into a second claim.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailflow.errors import InputError, NotFoundError
from mailflow.outbound.model import SharedTail
from mailflow.store.db import insert_or_nothing
from mailflow.store.models import Outbox
from mailflow.store.outbox_parts import mail_bytes, put

# Mails written in answer to an inbound mail: a misbehaving client could make us write
# any number of them, so these count towards the daily cap per address (docs/design.md,
# "Mail protocol": automatic mail to any one address is capped per day). Scheduled mails (calls,
# bundles, reminders, notices) are bounded by the workflow's action keys instead.
AUTO_REPLY_KINDS = frozenset(
    {
        "receipt",
        "answer_receipt",
        "decision_echo",
        "decision_echo_again",
        "decision_reask",
        "confirm_request",
    }
)
# Who approved a mail that the approval policy let through without staff.
POLICY_APPROVER = "policy:auto"
STATES = ("draft", "approved", "sending", "sent", "failed", "cancelled")


@dataclass(frozen=True)
class NewMail:
    """A composed mail to queue; ``action_key`` makes queueing it idempotent."""

    committee_id: int
    kind: str
    message_id: str  # with angle brackets
    recipients: tuple[str, ...]  # envelope recipients
    subject: str  # decoded, for staff listings
    raw: bytes  # the mail's own bytes: the whole mail, unless `shared` follows them
    action_key: str | None = None
    round_id: int | None = None
    shared: SharedTail | None = None  # the tail it shares with other mails, stored once


@dataclass(frozen=True)
class OutboxEntry:
    """One outbox row without its bytes: what staff listings and reports show."""

    id: int
    committee_id: int
    round_id: int | None
    kind: str
    action_key: str | None
    message_id: str
    recipients: tuple[str, ...]
    subject: str
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    approved_at: datetime | None
    approved_by: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None

    @property
    def auto_reply(self) -> bool:
        return self.kind in AUTO_REPLY_KINDS

    @property
    def staff_approved(self) -> bool:
        return self.approved_by is not None and self.approved_by != POLICY_APPROVER


@dataclass(frozen=True)
class ClaimedMail:
    """A mail this sender now owns until ``lease_until``: send it, then settle it."""

    entry: OutboxEntry
    raw: bytes
    resumed: bool  # it was already ``sending``: a sender died, maybe after SMTP took it
    lease_until: datetime


def _entry(row: Outbox) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        committee_id=row.committee_id,
        round_id=row.round_id,
        kind=row.kind,
        action_key=row.action_key,
        message_id=row.message_id,
        recipients=tuple(row.recipients),
        subject=row.subject,
        state=row.state,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        approved_at=row.approved_at,
        approved_by=row.approved_by,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
    )


def enqueue(
    session: Session, mail: NewMail, *, now: datetime, approved: bool
) -> tuple[OutboxEntry, bool]:
    """Queue a mail; returns (row, created). The same ``action_key`` twice: the first row.

    ``approved`` is the approval policy's answer: True queues it ``approved`` (sent at
    the next run), False leaves it ``draft`` until staff approve it.
    """
    if mail.shared is None:
        return _enqueue_whole(session, mail, _values(mail, now, approved))
    if mail.action_key is not None:
        existing = session.scalar(_BY_ACTION_KEY, {"key": mail.action_key})
        if existing is not None:
            return _entry(existing), False
    row = Outbox(**_values(mail, now, approved))
    try:
        # A savepoint: a concurrent enqueue of the same key loses the race cleanly and
        # the caller's transaction goes on with the winner's row.
        with session.begin_nested():
            # Inside the savepoint: a row that loses leaves no part of its own behind.
            row.part_id = put(session, mail.shared)
            session.add(row)
    except IntegrityError:
        if mail.action_key is None:
            raise
        existing = session.scalar(_BY_ACTION_KEY, {"key": mail.action_key})
        if existing is None:
            raise
        return _entry(existing), False
    return _entry(row), True


_BY_ACTION_KEY = select(Outbox).where(Outbox.action_key == bindparam("key"))


def _values(mail: NewMail, now: datetime, approved: bool) -> dict[str, Any]:
    """The new row's columns: ``approved`` is the approval policy's answer."""
    return {
        "committee_id": mail.committee_id, "round_id": mail.round_id, "kind": mail.kind,
        "action_key": mail.action_key, "message_id": mail.message_id,
        "recipients": list(mail.recipients), "subject": mail.subject, "raw": mail.raw,
        "state": "approved" if approved else "draft", "attempts": 0, "created_at": now,
        "approved_at": now if approved else None,
        "approved_by": POLICY_APPROVER if approved else None,
    }  # fmt: skip


def _enqueue_whole(
    session: Session, mail: NewMail, values: dict[str, Any]
) -> tuple[OutboxEntry, bool]:
    """`enqueue` of a mail with no shared part (every receipt): one INSERT that does
    nothing when the action key is queued already, then the queued row is read. No
    look-up before it and no savepoint around it: a reply's receipt is the common case,
    and a repeat (a reprocessed mail) or a lost race the rare one."""
    new_id = insert_or_nothing(session, Outbox, values)
    if new_id is not None:
        # The row as inserted, not read back: a transient object only to describe it.
        return _entry(Outbox(id=new_id, **values)), True
    existing = (
        session.scalar(_BY_ACTION_KEY, {"key": mail.action_key})
        if mail.action_key is not None
        else None
    )
    if existing is None:
        # Message-IDs follow from action keys, so only a bug makes one clash alone.
        raise RuntimeError(f"outbox: {mail.message_id} is queued already under another key")
    return _entry(existing), False


def get(session: Session, outbox_id: int) -> OutboxEntry:
    row = session.get(Outbox, outbox_id)
    if row is None:
        raise NotFoundError(f"outbox mail {outbox_id} does not exist")
    return _entry(row)


def raw_bytes(session: Session, outbox_id: int) -> bytes:
    """The mail's bytes as they are sent (its own and its shared part's)."""
    row = session.get(Outbox, outbox_id)
    if row is None:
        raise NotFoundError(f"outbox mail {outbox_id} does not exist")
    return mail_bytes(session, [(row.raw, row.part_id)])[0]


def entries(session: Session, committee_id: int, state: str | None = None) -> list[OutboxEntry]:
    if state is not None and state not in STATES:
        raise InputError([f"--state: one of {', '.join(STATES)}, not {state!r}"])
    q = select(Outbox).where(Outbox.committee_id == committee_id).order_by(Outbox.id)
    if state is not None:
        q = q.where(Outbox.state == state)
    return [_entry(r) for r in session.scalars(q)]


def approve(session: Session, outbox_id: int, *, by: str, now: datetime) -> OutboxEntry:
    """Staff let one held mail go; only a ``draft`` can be approved."""
    row = session.get(Outbox, outbox_id)
    if row is None:
        raise NotFoundError(f"outbox mail {outbox_id} does not exist")
    if row.state != "draft":
        raise InputError([f"outbox mail {outbox_id} is {row.state}, only a draft can be approved"])
    _approve(row, by, now)
    return _entry(row)


def approve_all(session: Session, committee_id: int, *, by: str, now: datetime) -> list[int]:
    rows = session.scalars(
        select(Outbox)
        .where(Outbox.committee_id == committee_id, Outbox.state == "draft")
        .order_by(Outbox.id)
    ).all()
    for row in rows:
        _approve(row, by, now)
    return [r.id for r in rows]


def _approve(row: Outbox, by: str, now: datetime) -> None:
    row.state, row.approved_at, row.approved_by = "approved", now, by
    row.next_attempt_at, row.last_error = None, None


def retry(session: Session, outbox_id: int, *, now: datetime) -> OutboxEntry:
    """Send a mail given up on once more; only a ``failed`` mail can be retried."""
    # Locked and read afresh (PostgreSQL): a second retry of the same mail waits, then
    # reads it no longer ``failed`` and is refused instead of pulling it out of ``sending``.
    row = session.get(Outbox, outbox_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFoundError(f"outbox mail {outbox_id} does not exist")
    if row.state != "failed":
        raise InputError(
            [f"outbox mail {outbox_id} is {row.state}, only a failed mail can be retried"]
        )
    _retry(row, now)
    return _entry(row)


def retry_failed(session: Session, committee_id: int, *, now: datetime) -> list[OutboxEntry]:
    """Every ``failed`` mail of the committee back to ``approved``, oldest first."""
    rows = session.scalars(
        select(Outbox)
        .where(Outbox.committee_id == committee_id, Outbox.state == "failed")
        .order_by(Outbox.id)
        .with_for_update()
    ).all()
    for row in rows:
        _retry(row, now)
    return [_entry(r) for r in rows]


def _retry(row: Outbox, now: datetime) -> None:
    # Due now, and attempts start again from zero: the whole backoff schedule applies
    # as for a new mail. The approval stands as it was (the same bytes go to the same
    # recipients), so the daily cap still applies to a policy-approved automatic reply.
    # ``last_error`` is kept on purpose: until the next attempt replaces it (``sent``
    # clears it, a new failure overwrites it), `outbox list`/`show` still tell staff why
    # the mail had failed, which matters while no sender is running.
    row.state, row.next_attempt_at, row.attempts = "approved", now, 0


def _due(now: datetime) -> ColumnElement[bool]:
    """Approved and due, or ``sending`` past its lease (its sender died)."""
    return or_(
        and_(
            Outbox.state == "approved",
            or_(Outbox.next_attempt_at.is_(None), Outbox.next_attempt_at <= now),
        ),
        and_(Outbox.state == "sending", Outbox.next_attempt_at <= now),
    )


def claim_due(
    session: Session, committee_id: int, *, now: datetime, limit: int, lease: timedelta
) -> list[ClaimedMail]:
    """Take up to ``limit`` due mails: ``approved`` and due, or ``sending`` past its lease.

    Each is marked ``sending``, its attempts counted, its lease set; the caller commits
    before it talks to SMTP, so a crash from then on leaves the row ``sending``.
    """
    if session.get_bind().dialect.name == "sqlite":
        # Take SQLite's write lock before reading (see the module docstring).
        session.execute(update(Outbox).where(Outbox.id == -1).values(state=Outbox.state))
    q = (
        select(Outbox)
        .where(Outbox.committee_id == committee_id, _due(now))
        .order_by(Outbox.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    taken: list[tuple[Outbox, bool]] = []
    until = now + lease
    for row in session.scalars(q).all():
        before, attempts = row.state, row.attempts
        done = session.execute(
            update(Outbox)
            .where(Outbox.id == row.id, Outbox.state == before, Outbox.attempts == attempts)
            .values(state="sending", attempts=attempts + 1, next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )
        if getattr(done, "rowcount", 0) != 1:
            continue  # another sender was quicker
        session.refresh(row)
        taken.append((row, before == "sending"))
    raws = mail_bytes(session, [(row.raw, row.part_id) for row, _ in taken])
    return [
        ClaimedMail(_entry(row), raw, resumed, until)
        for (row, resumed), raw in zip(taken, raws, strict=True)
    ]


def due_ids(session: Session, committee_id: int, *, now: datetime) -> list[int]:
    """The ids `claim_due` would take now, without claiming them (one send task each)."""
    q = select(Outbox.id).where(Outbox.committee_id == committee_id, _due(now)).order_by(Outbox.id)
    return list(session.scalars(q))


def claim_one(
    session: Session, outbox_id: int, *, now: datetime, lease: timedelta
) -> ClaimedMail | None:
    """Take one mail by id, as `claim_due` would; None unless it is due or ``sending``.

    A row found ``sending`` is taken whatever its lease says: the caller holds the task
    queue's lock on this mail, so whoever marked it ``sending`` has died (its task was
    found stalled). It is sent again with the same bytes and Message-ID.
    """
    due = or_(_due(now), Outbox.state == "sending")
    row = session.scalars(
        select(Outbox).where(Outbox.id == outbox_id, due).with_for_update(skip_locked=True)
    ).first()
    if row is None:
        return None
    before, attempts = row.state, row.attempts
    until = now + lease
    done = session.execute(
        update(Outbox)
        .where(Outbox.id == row.id, Outbox.state == before, Outbox.attempts == attempts)
        .values(state="sending", attempts=attempts + 1, next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:
        return None
    session.refresh(row)
    (raw,) = mail_bytes(session, [(row.raw, row.part_id)])
    return ClaimedMail(_entry(row), raw, before == "sending", until)


def _settle(session: Session, outbox_id: int, **values: object) -> bool:
    # Only the holder of the claim may settle it: a row that left `sending` meanwhile
    # (staff cancelled it, another sender reclaimed and finished it) is left alone.
    done = session.execute(
        update(Outbox)
        .where(Outbox.id == outbox_id, Outbox.state == "sending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return getattr(done, "rowcount", 0) == 1


def mark_sent(session: Session, outbox_id: int, *, now: datetime) -> bool:
    return _settle(
        session, outbox_id, state="sent", sent_at=now, next_attempt_at=None, last_error=None
    )


def mark_retry(session: Session, outbox_id: int, *, at: datetime, error: str) -> bool:
    return _settle(session, outbox_id, state="approved", next_attempt_at=at, last_error=error)


def mark_failed(session: Session, outbox_id: int, *, error: str) -> bool:
    return _settle(session, outbox_id, state="failed", next_attempt_at=None, last_error=error)


def hold(session: Session, outbox_id: int, *, reason: str) -> bool:
    """Back to ``draft`` until staff approve it (the daily cap); the attempt is undone."""
    row = session.get(Outbox, outbox_id)
    if row is None or row.state != "sending":
        return False
    row.state, row.last_error, row.next_attempt_at = "draft", reason, None
    row.approved_at, row.approved_by = None, None
    row.attempts = max(0, row.attempts - 1)
    return True


def auto_reply_counts(
    session: Session,
    committee_id: int,
    *,
    since: datetime,
    until: datetime,
    exclude: Iterable[int] = (),
) -> Counter[str]:
    """Per lower-cased address: auto-replies sent in [since, until), plus those in flight."""
    excluded = list(exclude)
    q = select(Outbox.recipients).where(
        Outbox.committee_id == committee_id,
        Outbox.kind.in_(AUTO_REPLY_KINDS),
        or_(
            and_(Outbox.state == "sent", Outbox.sent_at >= since, Outbox.sent_at < until),
            Outbox.state == "sending",
        ),
    )
    if excluded:
        q = q.where(Outbox.id.not_in(excluded))
    counts: Counter[str] = Counter()
    for recipients in session.scalars(q):
        counts.update({a.lower() for a in recipients})
    return counts


def states(session: Session, committee_id: int) -> dict[str, int]:
    """How many mails are in each state (every state listed, zeros included)."""
    counts = dict.fromkeys(STATES, 0)
    for state in session.scalars(select(Outbox.state).where(Outbox.committee_id == committee_id)):
        counts[state] += 1
    return counts
