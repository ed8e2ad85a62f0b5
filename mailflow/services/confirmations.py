"""The confirmation loop: a claimed mail's changes wait for a reply from their party.

workflow.identity decides what is held and what a reply does; this module keeps the
pending row, asks the party at their registered address (a reply token naming the
request), and carries out each resolution through one table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from mailflow.domain import Verdict
from mailflow.domain.states import EventKind
from mailflow.outbound import views as v
from mailflow.outbound.alerts import Intake, StaffLine, intake_line
from mailflow.parsing.corrections import Correction, CorrectionKind
from mailflow.parsing.pipeline import MailParse
from mailflow.routing import PartyKind, PartyRef
from mailflow.services.context import Services
from mailflow.services.mailing import RoundMail
from mailflow.store import directory as directory_repo
from mailflow.store import events
from mailflow.store import intake as repo
from mailflow.store import pending as pending_repo
from mailflow.store import workflow as workflow_repo
from mailflow.store.models import Department, Member, Message, PendingChange, Round
from mailflow.workflow import actions as act
from mailflow.workflow.identity import Change, Reply, RequestKind, Resolution, resolve
from mailflow.workflow.steps import current_decisions

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_PARTY_KINDS = {
    "member": PartyKind.MEMBER,
    "department": PartyKind.DEPARTMENT,
    "chair": PartyKind.CHAIR,
}


def hold(
    services: Services, session: Session, msg: Message, rnd: Round, role: str,
    party_pk: int, changes: list[Change], commands: tuple[Correction, ...],
    parsed: MailParse, now: datetime,
) -> list[StaffLine]:  # fmt: skip
    """Keep a claimed mail's changes pending and ask its party; the alerts for staff."""
    row, created = pending_repo.hold_message(
        session, msg, rnd, role, party_pk, [c.value for c in changes], now
    )
    if row.state != "pending":
        return []
    alert = intake_line(
        _language(session, rnd), Intake.UNPROVEN_HELD, msg.id,
        changes=[c.value for c in changes], role=role, request=row.id,
    )  # fmt: skip
    if not created:
        return [alert]
    r = RoundMail(services, session, rnd)
    party = PartyRef(_PARTY_KINDS[role], str(party_pk))
    name, addresses = _registered(session, role, party_pk)
    view = v.ConfirmRequest(
        v.Recipient(name, department=role == "department"), r.committee, r.info,
        msg.received_at, _corrections(commands), _answers(parsed), _decisions(r, parsed),
    )  # fmt: skip
    r.queue(
        kind="confirm_request", key=f"confirm:{row.id}", party=party, name=name,
        addresses=addresses, view=view, now=now, approved=True, ask=row.id,
    )  # fmt: skip
    events.record(
        session, at=now, actor="system", kind=EventKind.CHANGE_HELD, committee_id=rnd.committee_id,
        round_id=rnd.id, message_id=msg.id, reason="sender_not_proven", request=row.id,
        changes=[c.value for c in changes],
    )  # fmt: skip
    return [alert]


def ask_again(
    services: Services, session: Session, msg: Message, rnd: Round, ask: int, now: datetime
) -> tuple[StaffLine, ...]:
    """The decider answered the echo with neither assent nor a decision: never silence.

    The echo goes again (its reply token still names the request) and staff are told.
    """
    row = session.get(PendingChange, ask)
    if (
        row is None
        or row.state != "pending"
        or RequestKind(row.kind) is not RequestKind.DECISION_ECHO
        or row.member_id is None
    ):
        return ()
    facts = workflow_repo.round_facts(session, rnd)
    current = current_decisions(facts)
    r = RoundMail(services, session, rnd)
    by_key = {ci.key: ci for ci in r.consultations}
    decisions = tuple(
        v.DecisionInfo(by_key[c], current[c].verdict, current[c].conditions or None)
        for c in facts.consultations
        if c in current and c in by_key and current[c].verdict is not Verdict.UNCLEAR
    )
    name, addresses = _registered(session, "chair", row.member_id)
    view = v.DecisionEchoAgain(v.Recipient(name), r.committee, r.info, decisions)
    r.queue(
        kind="decision_echo_again", key=f"echo-again:{msg.id}",
        party=PartyRef(PartyKind.CHAIR, str(row.member_id)), name=name, addresses=addresses,
        view=view, now=now, approved=True, ask=row.id,
    )  # fmt: skip
    events.record(
        session, at=now, actor="system", kind=EventKind.ECHO_UNREAD, committee_id=rnd.committee_id,
        round_id=rnd.id, message_id=msg.id, reason="neither_confirms_nor_decides",
        request=row.id,
    )  # fmt: skip
    return (intake_line(_language(session, rnd), Intake.ECHO_AGAIN, msg.id, name=name),)


def _language(session: Session, rnd: Round) -> str:
    return directory_repo.committee_language(session, rnd.committee_id)


def _registered(session: Session, role: str, pk: int) -> tuple[str, list[str]]:
    """The party's name and registered addresses: the request never goes anywhere else."""
    if role == "department":
        dept = session.get(Department, pk)
        assert dept is not None
        return dept.name, [a.address for a in dept.addresses]
    member = session.get(Member, pk)
    assert member is not None
    return member.name, [a.address for a in member.addresses]


def _corrections(commands: tuple[Correction, ...]) -> tuple[v.CorrectionInfo, ...]:
    return tuple(
        v.CorrectionInfo(c.item, c.kind is CorrectionKind.WITHDRAW, c.text) for c in commands
    )


def _answers(parsed: MailParse) -> tuple[tuple[str, str], ...]:
    if parsed.answers is None:
        return ()
    return tuple((a.item, a.text) for a in parsed.answers.answers)


def _decisions(r: RoundMail, parsed: MailParse) -> tuple[v.DecisionInfo, ...]:
    by_key = {c.key: c for c in r.consultations}
    return tuple(
        v.DecisionInfo(by_key[d.consultation], d.verdict, d.conditions)
        for d in parsed.decisions or ()
        if d.consultation in by_key and d.verdict is not Verdict.UNCLEAR
    )


@dataclass(frozen=True)
class Answered:
    """What a reply to a request did: ``apply`` names the held mail to file now."""

    detail: str
    alerts: tuple[StaffLine, ...] = ()
    apply: int | None = None


@dataclass(frozen=True)
class _Reply:
    services: Services
    session: Session
    msg: Message
    rnd: Round
    row: PendingChange
    now: datetime


def answer(
    services: Services, session: Session, msg: Message, rnd: Round, ask: int,
    party: PartyRef, reply: Reply, now: datetime,
) -> Answered | None:  # fmt: skip
    """Carry out a proven reply to request ``ask``; None when it is to be read as a mail."""
    row = session.get(PendingChange, ask)
    if row is None or row.round_id != rnd.id or not _same_party(row, party):
        return None
    kind = RequestKind(row.kind)
    if row.state != "pending":
        if row.resolved_by_message_id == msg.id:
            return Answered(f"request {row.id} was {row.state} by this mail")
        # A second 「確認しました」 must not become an item of its own.
        if reply is Reply.ASSENT:
            return Answered(f"request {row.id} is already {row.state}")
        return None
    resolution = resolve(kind, reply)
    return _RESOLVE[resolution](_Reply(services, session, msg, rnd, row, now))


def _same_party(row: PendingChange, party: PartyRef) -> bool:
    pk = row.department_id if row.party_kind == "department" else row.member_id
    is_dept = party.kind is PartyKind.DEPARTMENT
    return pk is not None and str(pk) == party.id and is_dept == (row.party_kind == "department")


def _apply(x: _Reply) -> Answered:
    pending_repo.resolve(x.session, x.row, "applied", x.msg, x.now)
    _event(x, EventKind.CHANGE_CONFIRMED, None)
    return Answered(f"confirmed request {x.row.id}: message {x.row.message_id} applied",
                    apply=x.row.message_id)  # fmt: skip


def _refuse(x: _Reply) -> Answered:
    pending_repo.resolve(x.session, x.row, "refused", x.msg, x.now)
    _event(x, EventKind.CHANGE_REFUSED, "disowned_by_party")
    alert = intake_line(
        _language(x.session, x.rnd), Intake.DISOWNED, x.row.message_id or x.msg.id,
        role=x.row.party_kind, reply=x.msg.id, request=x.row.id,
    )  # fmt: skip
    return Answered(f"request {x.row.id} refused by its party", (alert,))


def _confirm_echo(x: _Reply) -> Answered:
    """The decider confirms the echo: only if the decision is still what was echoed."""
    facts = workflow_repo.round_facts(x.session, x.rnd)
    decider = facts.decider
    current = current_decisions(facts)
    clear = tuple(
        current[c] for c in facts.consultations
        if c in current and current[c].verdict is not Verdict.UNCLEAR
    )  # fmt: skip
    key = act.SendDecisionEcho(facts.round_tag, decider or "", clear).key
    if decider is None or key != x.row.echo_key:
        pending_repo.resolve(x.session, x.row, "stale", x.msg, x.now)
        _event(x, EventKind.ECHO_STALE, "decision_changed")
        alert = intake_line(_language(x.session, x.rnd), Intake.ECHO_STALE, x.msg.id)
        return Answered(f"echo {x.row.id} is out of date", (alert,))
    keys = repo.confirm_pending_decisions(x.session, x.rnd.id, x.row.member_id)
    pending_repo.resolve(x.session, x.row, "applied", x.msg, x.now)
    _event(x, EventKind.DECISION_CONFIRMED, None)
    return Answered("decisions " + " ".join(f"{k}:confirmed" for k in keys))


def _read(x: _Reply) -> None:
    return None


def _event(x: _Reply, kind: EventKind, reason: str | None) -> None:
    events.record(
        x.session, at=x.now, actor="system", kind=kind, committee_id=x.rnd.committee_id,
        round_id=x.rnd.id, message_id=x.msg.id, reason=reason, request=x.row.id,
        source_message=x.row.message_id,
    )  # fmt: skip


_RESOLVE: dict[Resolution, Callable[[_Reply], Answered | None]] = {
    Resolution.APPLY: _apply,
    Resolution.REFUSE: _refuse,
    Resolution.CONFIRM: _confirm_echo,
    Resolution.READ: _read,
}
