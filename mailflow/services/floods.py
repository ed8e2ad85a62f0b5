"""Loops and floods at intake: a sender over its hourly rate held, echoes of receipts unanswered.

Both run after routing, before anything is parsed or answered, and neither applies when
staff place a mail by hand (`quarantine assign`): staff have looked at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mailflow.domain.states import EventKind
from mailflow.outbound.alerts import Intake, StaffLine, intake_line
from mailflow.parsing.mime import decode
from mailflow.parsing.model import DecodedMessage
from mailflow.parsing.quote import extract_new_text
from mailflow.routing import MailKind, PartyKind, PartyRef, Quarantine, QuarantineReason
from mailflow.routing.echo import EchoReason, echo_reason
from mailflow.services.context import Services
from mailflow.store import events
from mailflow.store import floods as repo
from mailflow.store import intake as intake_repo
from mailflow.store.models import Department, Message, Round

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

RATE_WINDOW = timedelta(hours=1)
# A canned answer is compared with the sender's latest few mails of the last two days.
_EARLIER_MAILS = 5
_EARLIER_WINDOW = timedelta(days=2)


@dataclass(frozen=True)
class Held:
    """A mail over its sender's rate: quarantined, with one alert when the rate is crossed."""

    quarantine: Quarantine
    alert: StaffLine | None


def party_name(session: Session, party: PartyRef) -> str | None:
    """The registered name, for staff alerts: never an address, nor an id (None when the
    party is gone; the alert then says its role)."""
    if party.kind is PartyKind.DEPARTMENT:
        dept = session.get(Department, int(party.id))
        return dept.name if dept else None
    return intake_repo.member_name(session, int(party.id))


def over_rate(services: Services, session: Session, msg: Message, party: PartyRef) -> Held | None:
    """Hold the mail when its sender sent `mails_per_sender_per_hour` already this hour.

    The held mail is marked with its sender, so it counts too: a flood stays held for as
    long as it lasts. Staff release a mail with `quarantine assign`.
    """
    limit = services.config.policy.mails_per_sender_per_hour
    department = party.kind is PartyKind.DEPARTMENT
    sent = repo.recent_from_party(
        session, msg.committee_id, int(party.id), department=department,
        since=msg.received_at - RATE_WINDOW, before_message=msg.id,
    )  # fmt: skip
    if sent < limit:
        return None
    msg.member_id = None if department else int(party.id)
    msg.department_id = int(party.id) if department else None
    name = party_name(session, party)
    # For the audit log (English, like every event's detail): staff read the alert.
    detail = f"{name or party}: {sent} mails in the hour before this one (limit {limit})"
    alert = None
    if sent == limit:  # the first mail over the rate; the rest are in the quarantine list
        alert = intake_line(
            services.config.committee.language, Intake.FLOOD, msg.id,
            name=name, role=party.kind.value, limit=limit,
        )  # fmt: skip
    return Held(Quarantine(QuarantineReason.SENDER_OVER_RATE, detail), alert)


def receipt_echo(
    session: Session, msg: Message, decoded: DecodedMessage, new_text: str, party: PartyRef
) -> EchoReason | None:
    """Why this mail is an echo of one of our receipts (nothing new in it), or None."""
    receipt = repo.receipt_replied_to(
        session,
        msg.committee_id,
        [m for m in (decoded.in_reply_to, *decoded.references) if m],
    )
    if receipt is None:
        return None
    department = party.kind is PartyKind.DEPARTMENT
    earlier = [
        extract_new_text(decode(raw).body)
        for raw in repo.recent_raw_from_party(
            session, msg.committee_id, int(party.id), department=department,
            since=msg.received_at - _EARLIER_WINDOW, before_message=msg.id,
            limit=_EARLIER_MAILS,
        )
    ]  # fmt: skip
    return echo_reason(new_text, decode(receipt).body, earlier)


def file_echo(
    services: Services, session: Session, msg: Message, rnd: Round, reason: EchoReason,
    party: PartyRef, now: datetime,
) -> StaffLine:  # fmt: skip
    """File an echo like an auto-reply (no items, no receipt); the staff alert about it.

    It is not marked as the party's mail: an echo is no reply of theirs in any phase.
    """
    msg.state, msg.error, msg.classification = "done", None, MailKind.AUTO_REPLY.value
    msg.round_id, msg.member_id, msg.department_id, msg.sender_kind = rnd.id, None, None, None
    events.record(
        session,
        at=now,
        actor="system",
        kind=EventKind.MESSAGE_RECEIPT_ECHO,
        committee_id=msg.committee_id,
        round_id=rnd.id,
        message_id=msg.id,
        reason=reason,
    )
    return intake_line(
        services.config.committee.language, Intake.RECEIPT_ECHO, msg.id,
        name=party_name(session, party), role=party.kind.value, why=reason,
    )  # fmt: skip
