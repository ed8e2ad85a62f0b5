"""Sending the outbox: claim due mail, commit, talk to SMTP, settle; retries and the daily cap.

Order of work, per mail: the row is marked ``sending`` and that is **committed before**
the SMTP transaction starts; after the server's reply the row becomes ``sent`` (or
goes back for a retry, or ``failed``) in a second, short transaction.

The one window: a crash (SIGKILL, power cut) after the server accepted the mail and
before ``sent`` is committed leaves the row ``sending``. When its lease
(``SendPolicy.lease``) has run out, the next run sends it again — the same bytes with
the **same Message-ID**, so clients and our own intake see one mail, and the resend is
recorded as an ``outbound_resumed`` event. At most one mail per crash can be
duplicated this way; none is ever lost. The same holds when the server closes the
connection after the final "." without a reply (RFC 5321 §4.1.1.4 cannot tell us
whether it kept the mail).

Other rules: a temporary failure (4xx, connection) is retried with exponential
backoff until ``max_attempts``; a permanent one (5xx), or one temporary failure too
many, marks the mail ``failed`` and writes an ``outbound_failed`` event, from which the
staff digest is built. Once the cause is fixed, staff send it again with ``retry``
(an ``outbound_retried`` event): nothing given up on has to stay unsent. Replies to
inbound mail (receipts, decision echoes) beyond ``auto_replies_per_address_per_day``
to one address are held in ``draft`` with an ``outbound_held`` event; a staff approval
then overrides the cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mailflow.config import Approval
from mailflow.domain.states import EventKind
from mailflow.errors import InputError, NotFoundError
from mailflow.outbound.compose import compose
from mailflow.outbound.model import OutgoingMail
from mailflow.services.context import Services
from mailflow.services.db_wait import UNAVAILABLE, DatabaseWait
from mailflow.services.ports import MailSender, SendFailure
from mailflow.store import directory as directory_repo
from mailflow.store import events
from mailflow.store import outbox as repo
from mailflow.store.db import transaction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
ACTOR = "outbox"


@dataclass(frozen=True)
class SendPolicy:
    """How the sender paces itself; the defaults suit a municipal submission server."""

    lease: timedelta = timedelta(minutes=15)  # > claim_batch × the SMTP timeout
    claim_batch: int = 10
    backoff_first: timedelta = timedelta(minutes=1)
    backoff_max: timedelta = timedelta(hours=1)
    max_attempts: int = 10  # about five hours of retries with the defaults
    idle_seconds: float = 15.0  # the loop's pause when nothing is due


@dataclass(frozen=True)
class SendReport:
    """What one pass did, by outcome; ``resumed`` counts mails re-sent after a crash."""

    sent: int = 0
    retry_later: int = 0
    failed: int = 0
    held: int = 0
    resumed: int = 0
    sent_ids: tuple[int, ...] = field(default=(), repr=False)

    def __add__(self, other: SendReport) -> SendReport:
        return SendReport(
            self.sent + other.sent,
            self.retry_later + other.retry_later,
            self.failed + other.failed,
            self.held + other.held,
            self.resumed + other.resumed,
            self.sent_ids + other.sent_ids,
        )

    @property
    def handled(self) -> int:
        return self.sent + self.retry_later + self.failed + self.held


def backoff(attempts: int, policy: SendPolicy) -> timedelta:
    """1, 2, 4, … minutes after the n-th failed attempt, at most ``backoff_max``."""
    delay: timedelta = policy.backoff_first * (2 ** max(0, attempts - 1))
    return min(delay, policy.backoff_max)


def committee_id(services: Services) -> int:
    """The committee's row id; synchronised from the config only when it is missing."""
    with transaction(services.sessions) as s:
        return _committee_id(services, s)


def _committee_id(services: Services, session: Session) -> int:
    found = directory_repo.committee_pk(session, services.config.committee.id)
    return found if found is not None else services.committee(session).id


def approval_needed(services: Services) -> bool:
    """Whether new mail waits in draft for staff (policy ``approval = "staff"``)."""
    return services.config.policy.approval is Approval.STAFF


def enqueue(
    services: Services,
    mail: OutgoingMail,
    *,
    kind: str,
    action_key: str | None = None,
    round_id: int | None = None,
) -> tuple[repo.OutboxEntry, bool]:
    """Compose and queue a mail, approved or held per policy; idempotent on ``action_key``.

    Returns (row, created); a key queued before returns its first row and queues nothing.
    """
    raw = compose(mail)
    cid = committee_id(services)
    new = repo.NewMail(
        committee_id=cid,
        kind=kind,
        message_id=mail.message_id,
        recipients=mail.envelope_recipients,
        subject=mail.subject,
        raw=raw,
        action_key=action_key,
        round_id=round_id,
    )
    now = services.clock.now()
    with transaction(services.sessions) as s:
        entry, created = repo.enqueue(s, new, now=now, approved=not approval_needed(services))
        if created:
            events.record(
                s, at=now, actor=services.actor, kind=EventKind.OUTBOUND_QUEUED, committee_id=cid,
                round_id=round_id, outbox_id=entry.id, outbox_kind=kind, state=entry.state,
            )  # fmt: skip
    return entry, created


def entries(services: Services, state: str | None = None) -> list[repo.OutboxEntry]:
    cid = committee_id(services)
    with transaction(services.sessions) as s:
        return repo.entries(s, cid, state)


def show(services: Services, outbox_id: int) -> tuple[repo.OutboxEntry, bytes]:
    """One mail of this committee and its bytes; NotFoundError for any other id."""
    cid = committee_id(services)
    with transaction(services.sessions) as s:
        entry = repo.get(s, outbox_id)
        if entry.committee_id != cid:
            raise NotFoundError(f"outbox mail {outbox_id} does not exist")
        return entry, repo.raw_bytes(s, outbox_id)


def approve(services: Services, outbox_id: int | None) -> list[int]:
    """Approve one draft (by id) or, with None, every draft; audited with who."""
    cid = committee_id(services)
    now = services.clock.now()
    with transaction(services.sessions) as s:
        if outbox_id is None:
            ids = repo.approve_all(s, cid, by=services.actor, now=now)
        else:
            if repo.get(s, outbox_id).committee_id != cid:
                raise NotFoundError(f"outbox mail {outbox_id} does not exist")
            ids = [repo.approve(s, outbox_id, by=services.actor, now=now).id]
        for i in ids:
            events.record(
                s, at=now, actor=services.actor, kind=EventKind.OUTBOUND_APPROVED, committee_id=cid,
                outbox_id=i,
            )  # fmt: skip
    return ids


def retry(services: Services, outbox_id: int | None) -> list[int]:
    """Send a failed mail (by id) or, with None, every failed mail again; audited with who.

    Meant for after staff fixed the cause (``ca_file``, the server, an address): each
    goes back to ``approved``, due now, with its attempts counted from zero.
    """
    cid = committee_id(services)
    now = services.clock.now()
    with transaction(services.sessions) as s:
        if outbox_id is None:
            retried = repo.retry_failed(s, cid, now=now)
        else:
            if repo.get(s, outbox_id).committee_id != cid:
                raise NotFoundError(f"outbox mail {outbox_id} does not exist")
            retried = [repo.retry(s, outbox_id, now=now)]
        for e in retried:
            events.record(
                s, at=now, actor=services.actor, kind=EventKind.OUTBOUND_RETRIED, committee_id=cid,
                round_id=e.round_id, outbox_id=e.id, outbox_kind=e.kind,
                recipients=list(e.recipients), last_error=e.last_error,
            )  # fmt: skip
    return [e.id for e in retried]


def mail_sender(services: Services) -> MailSender:
    """A sender to the configured SMTP server (connecting on first use)."""
    smtp = services.config.smtp
    if smtp is None:
        raise InputError(["smtp: no [smtp] section in the configuration; nothing can be sent"])
    return services.ports.sender(smtp, services.config.committee.address)


async def send_due(
    services: Services,
    now: datetime,
    limit: int = 100,
    *,
    sender: MailSender | None = None,
    policy: SendPolicy | None = None,
) -> SendReport:
    """Send what is due at ``now``, at most ``limit`` mails; the report counts outcomes."""
    policy = policy or SendPolicy()
    cid = committee_id(services)
    own = sender is None
    smtp = sender or mail_sender(services)
    report = SendReport()
    try:
        while report.handled < limit:
            batch = _claim(
                services, cid, now, min(policy.claim_batch, limit - report.handled), policy
            )
            if batch.empty:
                break
            report += batch.report
            for mail in batch.to_send:
                report += await _send_one(services, smtp, mail, now, policy)
    finally:
        if own:
            await smtp.close()
    return report


async def run_sender(
    services: Services,
    stop: asyncio.Event,
    *,
    sender: MailSender | None = None,
    policy: SendPolicy | None = None,
    wake: asyncio.Event | None = None,
    waits: DatabaseWait | None = None,
) -> None:
    """The daemon's sender: ``send_due`` with the services' clock until ``stop`` is set.

    ``wake`` cuts an idle pause short: the scheduler sets it when it queued mail. A
    database that cannot be used (locked, down) is waited out with ``waits``' backoff.
    """
    policy = policy or SendPolicy()
    waits = waits or DatabaseWait.of(services)
    smtp = sender or mail_sender(services)
    try:
        while not stop.is_set():
            try:
                report = await send_due(services, services.clock.now(), sender=smtp, policy=policy)
            except UNAVAILABLE as exc:
                await waits.pause(stop, waits.failed("sender", exc))
                continue
            waits.worked()
            if report.handled:
                log.info(
                    "outbox: sent %d, retry later %d, failed %d, held %d",
                    report.sent,
                    report.retry_later,
                    report.failed,
                    report.held,
                )
                continue
            waiters = [asyncio.ensure_future(stop.wait())]
            if wake is not None:
                waiters.append(asyncio.ensure_future(wake.wait()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED),
                    policy.idle_seconds,
                )
            for w in waiters:
                w.cancel()
            if wake is not None:
                wake.clear()
    finally:
        await smtp.close()


@dataclass(frozen=True)
class _Batch:
    to_send: tuple[repo.ClaimedMail, ...]
    report: SendReport
    empty: bool


def _claim(services: Services, cid: int, now: datetime, limit: int, policy: SendPolicy) -> _Batch:
    to_send: list[repo.ClaimedMail] = []
    held = resumed = 0
    with transaction(services.sessions) as s:
        claimed = repo.claim_due(s, cid, now=now, limit=limit, lease=policy.lease)
        gate = _Gate.open(s, services, cid, now, [c.entry.id for c in claimed])
        for c in claimed:
            resumed += c.resumed
            if gate.admit(s, c):
                to_send.append(c)
            else:
                held += 1
    return _Batch(tuple(to_send), SendReport(held=held, resumed=resumed), not claimed)


@dataclass
class _Gate:
    """The daily cap on automatic replies per address, applied to claimed mail in order."""

    cid: int
    now: datetime
    cap: int
    counts: Counter[str]

    @classmethod
    def open(
        cls, s: Session, services: Services, cid: int, now: datetime, claimed: list[int]
    ) -> _Gate:
        day_start = _day_start(now, services)
        counts = repo.auto_reply_counts(
            s, cid, since=day_start, until=day_start + timedelta(days=1), exclude=claimed
        )
        return cls(cid, now, services.config.policy.auto_replies_per_address_per_day, counts)

    def admit(self, s: Session, c: repo.ClaimedMail) -> bool:
        """Record a resumed send; hold a mail over the cap (False), else count it (True)."""
        e, cid, now, cap = c.entry, self.cid, self.now, self.cap
        if c.resumed:
            events.record(
                s, at=now, actor=ACTOR, kind=EventKind.OUTBOUND_RESUMED, committee_id=cid,
                round_id=e.round_id, reason="found sending after a crash; sent again",
                outbox_id=e.id, msgid=e.message_id, attempts=e.attempts,
            )  # fmt: skip
        over = [a for a in e.recipients if self.counts[a.lower()] >= cap]
        if e.auto_reply and not e.staff_approved and over:
            reason = f"daily cap of {cap} automatic replies reached for {', '.join(over)}"
            repo.hold(s, e.id, reason=reason)
            events.record(
                s, at=now, actor=ACTOR, kind=EventKind.OUTBOUND_HELD, committee_id=cid,
                round_id=e.round_id, reason=reason, outbox_id=e.id, outbox_kind=e.kind,
                recipients=list(over),
            )  # fmt: skip
            return False
        if e.auto_reply:
            self.counts.update({a.lower() for a in e.recipients})
        return True


def due_mail(services: Services) -> list[int]:
    """The committee's mail due now (approved and due, or abandoned mid-send)."""
    with transaction(services.sessions) as s:  # one, not two: every tick asks
        return repo.due_ids(s, _committee_id(services, s), now=services.clock.now())


async def send_one(
    services: Services, outbox_id: int, *, sender: MailSender, policy: SendPolicy | None = None
) -> SendReport:
    """Send one mail by id if it is due, under the same rules as `send_due`.

    For a caller that alone may send this mail (the task queue's lock on it): a row
    left ``sending`` is sent again at once, with its Message-ID (see the module doc).
    """
    policy = policy or SendPolicy()
    now = services.clock.now()
    cid = committee_id(services)
    with transaction(services.sessions) as s:
        claimed = repo.claim_one(s, outbox_id, now=now, lease=policy.lease)
        if claimed is None:
            return SendReport()
        if not _Gate.open(s, services, cid, now, [outbox_id]).admit(s, claimed):
            return SendReport(held=1, resumed=int(claimed.resumed))
    report = await _send_one(services, sender, claimed, now, policy)
    return report + SendReport(resumed=int(claimed.resumed))


async def _send_one(
    services: Services, smtp: MailSender, mail: repo.ClaimedMail, now: datetime, policy: SendPolicy
) -> SendReport:
    e = mail.entry
    try:
        accepted = await smtp.send(e.recipients, mail.raw)
    except SendFailure as failure:
        return _settle_failure(services, e, failure, now, policy)
    with transaction(services.sessions) as s:
        if not repo.mark_sent(s, e.id, now=now):
            return SendReport()
        events.record(
            s, at=now, actor=ACTOR, kind=EventKind.OUTBOUND_SENT, committee_id=e.committee_id,
            round_id=e.round_id, outbox_id=e.id, msgid=e.message_id,
            reply=accepted.reply, attempts=e.attempts,
        )  # fmt: skip
        if accepted.refused:
            events.record(
                s, at=now, actor=ACTOR, kind=EventKind.OUTBOUND_FAILED, committee_id=e.committee_id,
                round_id=e.round_id, reason="some recipients refused", outbox_id=e.id,
                outbox_kind=e.kind, refused=[list(r) for r in accepted.refused],
            )  # fmt: skip
    log.info("outbox %d (%s) sent", e.id, e.kind)
    return SendReport(sent=1, sent_ids=(e.id,))


def _settle_failure(
    services: Services,
    e: repo.OutboxEntry,
    failure: SendFailure,
    now: datetime,
    policy: SendPolicy,
) -> SendReport:
    give_up = not failure.temporary or e.attempts >= policy.max_attempts
    with transaction(services.sessions) as s:
        if not give_up:
            at = now + backoff(e.attempts, policy)
            repo.mark_retry(s, e.id, at=at, error=failure.text)
            log.warning("outbox %d: temporary failure, retry at %s: %s", e.id, at, failure.text)
            return SendReport(retry_later=1)
        reason = failure.text if not failure.temporary else f"gave up: {failure.text}"
        repo.mark_failed(s, e.id, error=reason)
        events.record(
            s, at=now, actor=ACTOR, kind=EventKind.OUTBOUND_FAILED, committee_id=e.committee_id,
            round_id=e.round_id, reason=reason, outbox_id=e.id, outbox_kind=e.kind,
            recipients=list(e.recipients), code=failure.code, attempts=e.attempts,
        )  # fmt: skip
    log.warning("outbox %d failed: %s", e.id, reason)
    return SendReport(failed=1)


def _day_start(now: datetime, services: Services) -> datetime:
    # "Per day" is the committee's calendar day, not UTC's.
    local = now.astimezone(services.config.committee.tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
