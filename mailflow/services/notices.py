"""Mails that answer events rather than deadlines: receipts, and the staff digest per cycle."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from mailflow.domain import Phase
from mailflow.domain.states import EventKind
from mailflow.outbound import views as v
from mailflow.outbound.alerts import (
    Intake,
    ReceiptFailure,
    StaffLine,
    StaffNotice,
    intake_line,
    notice_line,
)
from mailflow.outbound.compose import compose
from mailflow.outbound.model import OutgoingMail
from mailflow.outbound.msgid import reply_target
from mailflow.outbound.render import render_mail
from mailflow.parsing.mime import decode
from mailflow.routing import PartyKind, PartyRef
from mailflow.routing.outcome import reason_words
from mailflow.services.context import Services
from mailflow.services.db_wait import UNAVAILABLE
from mailflow.services.mail_views import RoundItems, committee_info, party_names
from mailflow.services.mailing import RoundMail
from mailflow.services.records import RecordResult
from mailflow.store import db, events
from mailflow.store import intake as intake_repo
from mailflow.store import outbox as outbox_repo
from mailflow.store import workflow as workflow_repo
from mailflow.store.models import Department, Message, Round
from mailflow.workflow import actions as act

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_CUTOFF = {1: Phase.QUESTIONS, 3: Phase.FURTHER}
# Lines of each kind one staff digest lists before it only counts the rest.
DIGEST_LINES = 30


def queue_receipt(
    services: Services, session: Session, msg: Message, rnd: Round, result: RecordResult,
    now: datetime, suffix: str = "",
) -> int:  # fmt: skip
    """受付確認 to the member who wrote: every item as understood, with its new ID.

    Keyed by the message (and ``suffix``, for what a later confirmation applied), so
    reprocessing a mail never sends a second receipt.
    """
    if msg.member_id is None or msg.phase not in _CUTOFF:
        return 0
    r = RoundMail(services, session, rnd)
    member = next((m for m in r.members.values() if m.id == msg.member_id), None)
    if member is None:
        return 0
    # A receipt names the items as understood; it shows no answers (receipt.txt).
    mine = RoundItems(
        session, rnd, r.names, only={*result.items, *result.corrected}, with_answers=False
    )
    items = mine.selected(result.items, upto=None)
    phase = _CUTOFF[msg.phase]
    view = v.Receipt(
        v.Recipient(member.name), r.committee, r.info, r.consultations, items,
        result.empty_reply, result.late, result.unplaced_items,
        r.info.deadlines[phase], phase,
        mine.selected(result.corrected, upto=None), tuple(result.withdrawn),
        tuple(result.held_corrections), tuple(result.documents_read),
        tuple(name for name, _ in result.documents_unread),
    )  # fmt: skip
    in_reply_to = _in_reply_to(services, msg)
    return r.queue(
        kind="receipt", key=f"receipt:{msg.id}{suffix}",
        party=_party(member.id), name=member.name,
        addresses=list(member.addresses), view=view, now=now,
        approved=True, in_reply_to=in_reply_to, alone=True,
    )  # fmt: skip


def queue_answer_receipt(
    services: Services, session: Session, msg: Message, rnd: Round, result: RecordResult,
    now: datetime,
) -> int:  # fmt: skip
    """受付確認 to the department: the answers read, the ones still owed, unknown IDs."""
    if msg.department_id is None:
        return 0
    r = RoundMail(services, session, rnd)
    dept = session.get(Department, msg.department_id)
    if dept is None:
        return 0
    session.flush()
    # Only what the department has been sent is owed, by the date of the latest phase
    # it is in: ② for the ① bundle, the ③ responses date once the ③ bundle went.
    sent = workflow_repo.bundles_sent_to(session, rnd, dept.key)
    owed = intake_repo.department_item_ids(
        session, rnd.id, dept.id, unanswered_only=True, phases=sent
    )
    deferred = tuple(i for i in result.deferred if i in owed)
    deadlines = workflow_repo.deadlines_of(rnd, services.config.policy.grace_period)
    due = deadlines.responses_due if sent and sent[-1] == 3 else deadlines.due(Phase.ANSWERS)
    view = v.AnswerReceipt(
        v.Recipient(dept.name, department=True), r.committee, r.info,
        tuple(result.answers), tuple(i for i in owed if i not in deferred),
        tuple(result.unknown_answers), tuple(result.refused_sheets), deferred, due,
    )  # fmt: skip
    in_reply_to = _in_reply_to(services, msg)
    return r.queue(
        kind="answer_receipt", key=f"answer-receipt:{msg.id}",
        party=PartyRef(PartyKind.DEPARTMENT, str(dept.id)), name=dept.name,
        addresses=[a.address for a in dept.addresses], view=view, now=now, approved=True,
        in_reply_to=in_reply_to, alone=True,
    )  # fmt: skip


# The receipt each author role gets; the chair's reply is answered by the workflow (echo).
RECEIPTS = {"member": queue_receipt, "department": queue_answer_receipt}


def queue_receipt_or_alert(
    services: Services, session: Session, msg: Message, rnd: Round, role: str,
    result: RecordResult, now: datetime, suffix: str = "",
) -> tuple[StaffLine, ...]:  # fmt: skip
    """The author's receipt, in a savepoint of its own: a mail we cannot answer is still filed.

    A failure is an event and a staff alert (returned); the receipt's key lets `mailflow
    reprocess` queue it once the cause is fixed. A database that is away is not caught:
    then nothing is filed now and the mail is processed later.
    """
    queue = RECEIPTS.get(role)
    if queue is None:
        return ()
    session.flush()  # the filing's own rows: a failure there is the mail's, not the receipt's
    try:
        with db.statements_savepoint(session):
            if suffix:
                queue_receipt(services, session, msg, rnd, result, now, suffix)
            else:
                queue(services, session, msg, rnd, result, now)
    except UNAVAILABLE:
        raise
    except Exception as exc:
        log.error("message %s: no receipt queued: %s", msg.id, type(exc).__name__)
        events.record(
            session,
            at=now,
            actor="system",
            kind=EventKind.RECEIPT_FAILED,
            committee_id=msg.committee_id,
            round_id=rnd.id,
            message_id=msg.id,
            reason=f"{type(exc).__name__}: {exc}"[:500],
        )
        return (
            intake_line(
                services.config.committee.language, Intake.NO_RECEIPT, msg.id,
                why=ReceiptFailure.DATABASE if isinstance(exc, db.DatabaseError)
                else ReceiptFailure.OTHER,
                error=type(exc).__name__,
            ),
        )  # fmt: skip
    return ()


def _in_reply_to(services: Services, msg: Message) -> str | None:
    """The received mail's own Message-ID to thread under, or ours where it is unusable."""
    domain = services.config.committee.address.rsplit("@", 1)[1]
    return reply_target(msg.message_id, msg.sha256, domain)


def _party(member_pk: int):  # type: ignore[no-untyped-def]
    from mailflow.routing import PartyRef

    return PartyRef(PartyKind.MEMBER, str(member_pk))


def send_staff_digest(
    services: Services, alerts: Sequence[act.StaffAlert], now: datetime,
    intake_alerts: Sequence[StaffLine] = (),
) -> bool:  # fmt: skip
    """One mail per cycle to staff: workflow alerts, intake alerts, new quarantine."""
    conf = services.config
    with db.transaction(services.sessions) as s:
        committee = services.committee(s)
        quarantined = intake_repo.unreported_quarantine(s, committee.id)
        if not alerts and not intake_alerts and not quarantined:
            return False

        names = party_names(conf)
        lines = [
            v.AlertLine(
                a.round_tag, a.kind.value, a.subject, a.detail,
                tuple(names.get(p, p) for p in a.parties), a.items, a.followup, a.supplement,
            )
            for a in alerts
        ]  # fmt: skip
        # A mail the digest lists (or counts) below as waiting for staff is not also said
        # to be held; a line said twice in one cycle (two readings of one mail) is said once.
        waiting = {m.id for m in quarantined}
        fresh = [
            a for a in dict.fromkeys(intake_alerts)
            if not (a.kind in _SAID_BY_WAITING and a.message in waiting)
        ]  # fmt: skip
        bounces = [a.text for a in fresh if a.kind is Intake.BOUNCE]
        intake = [a for a in fresh if a.kind is not Intake.BOUNCE]
        # A flood must not make the digest a flood too: so many lines, then a count.
        lines += [
            v.AlertLine(None, _HEADING.get(a.kind, "intake"), "", a.text)
            for a in intake[:DIGEST_LINES]
        ]
        language = conf.committee.language
        over = max(0, len(intake) - DIGEST_LINES) + max(0, len(bounces) - DIGEST_LINES)
        if over:
            more = notice_line(language, StaffNotice.MORE_INTAKE, count=over)
            lines.append(v.AlertLine(None, "intake", "", more.text))
        lines = list(dict.fromkeys(lines))
        q_lines = [waiting_line(m, language) for m in quarantined[:DIGEST_LINES]]
        if len(quarantined) > DIGEST_LINES:
            count = len(quarantined) - DIGEST_LINES
            more = notice_line(language, StaffNotice.MORE_WAITING, count=count)
            lines.append(v.AlertLine(None, "intake", "", more.text))
        for m in quarantined:
            m.reported_at = now
            events.record(
                s,
                at=now,
                actor="system",
                kind=EventKind.QUARANTINE_REPORTED,
                committee_id=committee.id,
                message_id=m.id,
            )
        view = v.StaffAlertDigest(
            committee_info(conf), tuple(lines), tuple(q_lines), tuple(bounces[:DIGEST_LINES]),
            rounds=tuple(sorted({a.round_tag for a in alerts})),
        )  # fmt: skip
        rendered = render_mail(
            view,
            conf.committee.language,
            conf.committee.tz,
            now.astimezone(conf.committee.tz).date(),
        )
        stamp = now.strftime("%Y%m%dT%H%M%S%f")
        unique = hashlib.sha256(f"{committee.id}:{stamp}".encode()).hexdigest()[:20]
        domain = conf.committee.address.rsplit("@", 1)[1]
        mail = OutgoingMail(
            from_name=conf.committee.name, from_address=conf.committee.address,
            to=tuple(("", a) for a in conf.committee.staff_alerts),
            subject=rendered.subject, text=rendered.text,
            message_id=f"<mf-staff.{unique}@{domain}>", date=now,
        )  # fmt: skip
        outbox_repo.enqueue(
            s,
            outbox_repo.NewMail(
                committee_id=committee.id,
                kind="staff_alert",
                message_id=mail.message_id,
                recipients=mail.envelope_recipients,
                subject=mail.subject,
                raw=compose(mail),
                action_key=f"staff-digest:{committee.id}:{stamp}",
                round_id=_single_round(s, committee.id, view),
            ),
            now=now,
            approved=True,
        )
    return True


# What the digest's list of waiting mail says itself, so no intake line repeats it.
_SAID_BY_WAITING = frozenset({Intake.HELD})
_NO_SENDER_NAME = {"ja": "（差出人名なし）", "en": "(no sender name)"}
# The digest labels intake's lines "intake" (受信), the rest by what they are about.
_HEADING: dict[Intake | StaffNotice, str] = {StaffNotice.DATABASE_WAITED: "system"}


def waiting_line(msg: Message, language: str) -> v.QuarantineLine:
    """A mail that waits for staff, as the digest lists it: never its text."""
    try:
        sender = decode(msg.raw).from_name
    except Exception:  # a mail that failed may fail to decode here too
        sender = None
    shown = sender or _NO_SENDER_NAME.get(language, _NO_SENDER_NAME["ja"])
    reason = waiting_words(msg, language)
    return v.QuarantineLine(str(msg.id), display_id(msg.message_id), reason, shown)


def waiting_words(msg: Message, language: str) -> str:
    """Why a mail waits for staff, in ``language``: its quarantine reason in words, or that
    processing failed on it with the error's type alone (the error's text may quote the
    mail: `mailflow quarantine show` has it)."""
    if msg.state == "failed":
        return notice_line(language, StaffNotice.FAILED, error=error_type(msg.error)).text
    return reason_words(msg.quarantine_reason or "", language)


def error_type(error: str | None) -> str | None:
    """The exception's type a failed mail's stored error begins with ("KeyError: …")."""
    head = (error or "").split(":", 1)[0].strip()
    return head if head and all(p.isidentifier() for p in head.split(".")) else None


def waiting_reason(msg: Message) -> str:
    """ "failed: <error>" for a mail processing failed on, else the quarantine reason's
    code: what staff's own tools (`quarantine list`, the console) show beside the words."""
    if msg.state == "failed":
        first = (msg.error or "unknown error").splitlines()[0] if msg.error else "unknown error"
        return f"failed: {first[:200]}"
    return msg.quarantine_reason or ""


def display_id(message_id: str | None) -> str | None:
    """A received Message-ID fit to print: control characters shown, at most 120 characters."""
    if message_id is None:
        return None
    shown = message_id.encode("unicode_escape", "backslashreplace").decode("ascii")
    return shown if len(shown) <= 120 else f"{shown[:117]}..."


def _single_round(session: Session, committee_id: int, view: v.StaffAlertDigest) -> int | None:
    """The round a digest is about, when it is about one: it then shows in that round's export."""
    from mailflow.store import rounds as round_repo

    if view.tag is None:
        return None
    rnd = round_repo.get(session, committee_id, view.tag)
    return rnd.id if rnd is not None else None
