"""Filing one routed mail: read it as its role, then apply or hold each change it makes.

workflow.identity's table says, from the routing's proof, which changes are applied
and which wait for the party's confirmation; this module only carries that out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from mailflow.domain import ConsultationRef, Verdict
from mailflow.outbound.alerts import Intake, intake_line
from mailflow.parsing.corrections import Correction
from mailflow.parsing.model import DecodedMessage
from mailflow.parsing.pipeline import AuthorRole, MailParse
from mailflow.parsing.signature import department_name_forms
from mailflow.routing import PartyKind, PartyRef, Proof
from mailflow.services import confirmations, corrections
from mailflow.services.context import Services
from mailflow.services.records import RecordResult, write_records
from mailflow.store import intake as repo
from mailflow.store import rounds as round_repo
from mailflow.store.models import Department, Message, Round
from mailflow.workflow.identity import Change, Disposition, Reply, dispose, read_reply

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_ROLE_CHANGE: dict[str, Change] = {
    "member": Change.ITEMS,
    "department": Change.ANSWERS,
    "chair": Change.DECISIONS,
}


@dataclass(frozen=True)
class Reading:
    """One mail read as its author's role: the new text, its 訂正/取消 commands, the parse."""

    role: AuthorRole
    party_pk: int
    new_text: str
    commands: tuple[Correction, ...]
    parsed: MailParse

    @property
    def changes(self) -> list[Change]:
        """What the mail would change, in the identity table's words."""
        out = [_ROLE_CHANGE[self.role]]
        if self.commands:
            out.append(Change.CORRECTIONS)
        return out

    @property
    def has_content(self) -> bool:
        """Changes of its own beyond a bare 「確認しました」 (for a reply to a request)."""
        p = self.parsed
        # Answers matched only by their order are a guess: 「確認しました」 would be one.
        answers = p.answers is not None and p.answers.method != "order" and bool(p.answers.answers)
        # A bare 「了承します」 in a round of one names nothing: in reply to our echo it
        # assents; only a verdict that names its consultation is a decision of its own.
        decided = any(d.verdict is not Verdict.UNCLEAR and d.named for d in p.decisions or ())
        return bool(self.commands) or answers or decided

    def reply(self) -> Reply:
        return read_reply(self.new_text, content=self.has_content)


def read(
    services: Services, session: Session, msg: Message, decoded: DecodedMessage, rnd: Round,
    party: PartyRef,
) -> Reading:  # fmt: skip
    """Parse the mail as the routed party writes it (member, department or decider)."""
    role = _author_role(rnd, party, msg.received_at, session)
    refs = [ConsultationRef(c.key, c.number, c.title) for c in repo.consultation_rows(session, rnd)]
    expected: list[str] = []
    if role == "department":
        expected = repo.department_item_ids(session, rnd.id, int(party.id))
    signers = _signer_names(services, session, role, party)
    # The pure stages run in the parsing process, under its time and memory budget.
    stage = services.parser.parse(decoded, refs, role, expected, signers)
    return Reading(
        role, int(party.id), stage.new_text, stage.corrections, stage.mail_parse(role, decoded)
    )


def file(
    services: Services, session: Session, msg: Message, rnd: Round, reading: Reading,
    proof: Proof, confirmed: bool, now: datetime,
) -> tuple[RecordResult, bool]:  # fmt: skip
    """Apply what the proof allows and hold the rest for the party; and whether a
    receipt is due (`receipt`, queued once the mail is marked read, so that the
    message's row is written once).

    ``confirmed``: the party confirmed this mail's held changes by reply, so a decision
    in it is confirmed too (the request showed it as understood, as an echo does).
    """
    held = [c for c in reading.changes if dispose(c, proof) is Disposition.CONFIRM]
    role = reading.role
    msg.round_id = rnd.id
    msg.sender_kind = role
    msg.member_id = reading.party_pk if role != "department" else None
    msg.department_id = reading.party_pk if role == "department" else None
    taken = None
    if role == "member" and reading.commands and Change.CORRECTIONS not in held:
        taken = corrections.take(
            session, msg, rnd, reading.party_pk, reading.new_text, now, reading.commands
        )
    alone = reading.commands and (
        reading.parsed.reply is None
        or (not reading.parsed.reply.all_items and not reading.parsed.reply.responded_nothing)
    )
    nothing = _ROLE_CHANGE[role] in held or bool(alone and Change.CORRECTIONS in held)
    if taken is not None and alone:
        result = taken.result(msg)
    elif nothing:
        result = RecordResult()
        msg.phase = 4 if role == "chair" else (2 if role == "department" else None)
    else:
        result = write_records(session, services, msg, rnd, reading.parsed, confirmed=confirmed)
        if taken is not None:
            taken.merge(result)
        if role == "member":
            corrections.reapply(session, msg)
    if held and reading.has_content:
        alerts = confirmations.hold(
            services, session, msg, rnd, role, reading.party_pk, held, reading.commands,
            reading.parsed, now,
        )  # fmt: skip
        result.alerts = (*result.alerts, *alerts)
        result.awaiting_confirmation = [c.value for c in held]
    elif held:
        # Nothing in it to confirm (a bare 「確認しました」 in the chair's name): a claimed
        # mail that changes nothing is only recorded, and staff see it.
        why = intake_line(
            services.config.committee.language, Intake.UNPROVEN_NOTHING, msg.id, role=role
        )
        result.alerts = (*result.alerts, why)
    return result, not nothing


def receipt(
    services: Services, session: Session, msg: Message, rnd: Round, result: RecordResult,
    role: str, confirmed: bool, now: datetime,
) -> None:  # fmt: skip
    """A receipt for what was applied, to the party's registered address only: a forger
    never gets it, and the member imitated sees what was filed in their name. A receipt
    that cannot be queued leaves the mail filed and staff alerted."""
    from mailflow.services.notices import queue_receipt_or_alert

    # What a confirmation applied gets a receipt of its own, beside the first one.
    suffix = ":confirmed" if confirmed and role == "member" else ""
    alerts = queue_receipt_or_alert(services, session, msg, rnd, role, result, now, suffix)
    result.alerts = (*result.alerts, *alerts)


def _author_role(
    rnd: Round, party: PartyRef, received_at: datetime, session: Session
) -> AuthorRole:
    if party.kind is PartyKind.DEPARTMENT:
        return "department"
    if party.kind is PartyKind.CHAIR:
        return "chair"
    # A registered chair (or the delegated deputy) writing after ③ is deciding (④).
    if received_at <= rnd.further_due:
        return "member"
    if rnd.decider_member_id is not None:
        deciders = {rnd.decider_member_id}
    else:
        deciders = round_repo.chair_ids(session, rnd.committee_id)
    return "chair" if int(party.id) in deciders else "member"


def _signer_names(
    services: Services, session: Session, role: AuthorRole, party: PartyRef
) -> tuple[str, ...]:
    """The names the sender signs with: the department's (and its aliases in the config),
    or the member's and surname."""
    if role == "department":
        dept = session.get(Department, int(party.id))
        if dept is None:
            return ()
        conf = services.config.department(dept.key)
        aliases = tuple(a for a in (conf.aliases if conf else ()) if a.strip())
        return (*department_name_forms(dept.name), *aliases)
    name = repo.member_name(session, int(party.id))
    if not name or not name.strip():
        return ()
    # 「青木 和子」 signs 「青木」 as often as the full name.
    surname = name.split()[0]
    return (name, surname) if surname != name.strip() else (name,)
