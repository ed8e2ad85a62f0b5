"""Running the phase machine on stored rounds: `tick`, and the staff commands on a round.

The machine is pure (mailflow.workflow); here its facts are read from the store, its
actions applied in one transaction per round, and each applied action's key recorded so
that a repeated tick — after a crash, or from a second process — applies nothing twice.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mailflow.domain import Phase
from mailflow.domain.roundspec import deadline_order_problems
from mailflow.domain.states import EventKind
from mailflow.errors import InputError, NotFoundError, Refused
from mailflow.services.context import Quiet, Services
from mailflow.services.mail_views import party_names
from mailflow.services.mailing import deliver, forget_round
from mailflow.services.notices import send_staff_digest
from mailflow.services.policy import policy_of
from mailflow.services.previews import MailPreview, preview
from mailflow.services.staff_corrections import unplaced_alerts
from mailflow.store import console as console_repo
from mailflow.store import db, events
from mailflow.store import rounds as round_repo
from mailflow.store import workflow as repo
from mailflow.store.models import Round
from mailflow.workflow import (
    Deadlines,
    Policy,
    RoundFacts,
    advance,
    staff,
)
from mailflow.workflow import actions as act
from mailflow.workflow.describe import describe
from mailflow.workflow.errors import WorkflowError
from mailflow.workflow.wakeup import next_wakeup

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mailflow.outbound.alerts import StaffLine


class WorkflowRefused(Refused):
    """A staff command the round's state does not allow; the message says why."""


@dataclass
class TickReport:
    """What one round's tick did: its state afterwards and the keys of the actions applied."""

    round_key: str
    state: str
    applied: list[str] = field(default_factory=list)
    described: list[str] = field(default_factory=list)  # the same actions, in words
    mails: int = 0
    alerts: list[act.StaffAlert] = field(default_factory=list)


@dataclass
class _Applying:
    """One action being applied: where, when, by whom, and the report it adds to."""

    services: Services
    session: Session
    rnd: Round
    now: datetime
    report: TickReport
    why: str | None
    policy: Policy

    def record(
        self, kind: EventKind, *, actor: str | None = None, reason: str | None = None, **data: Any
    ) -> None:
        events.record(
            self.session, at=self.now, actor=actor or self.services.actor, kind=kind,
            committee_id=self.rnd.committee_id, round_id=self.rnd.id, reason=reason, **data,
        )  # fmt: skip


def _transition(x: _Applying, a: act.Transition) -> None:
    x.rnd.state = a.dst.value
    x.record(EventKind.ROUND_TRANSITION, reason=a.reason, src=a.src.value, dst=a.dst.value)


def _deadline_changed(x: _Applying, a: act.DeadlineChanged) -> None:
    round_repo.set_deadline(x.rnd, a.phase, a.new)
    x.record(EventKind.DEADLINE_CHANGED, reason=x.why, phase=a.phase.value, old=a.old.isoformat(),
             new=a.new.isoformat())  # fmt: skip


def _phase_closed_early(x: _Applying, a: act.PhaseClosedEarly) -> None:
    x.rnd.closed_early = {**(x.rnd.closed_early or {}), str(a.phase.value): a.at.isoformat()}
    x.record(EventKind.PHASE_CLOSED_EARLY, phase=a.phase.value)


def _decision_delegated(x: _Applying, a: act.DecisionDelegated) -> None:
    members = round_repo.members_by_id(x.session, x.rnd.committee_id).values()
    x.rnd.decider_member_id = next(m.id for m in members if m.key == a.member)
    x.record(EventKind.DECISION_DELEGATED, member=a.member)


def _staff_alert(x: _Applying, a: act.StaffAlert) -> None:
    x.report.alerts.append(a)
    x.record(EventKind.STAFF_ALERT, actor="system", reason=a.detail, alert=a.kind.value,
             subject=a.subject)  # fmt: skip


def _mail(x: _Applying, a: act.Mail) -> None:
    approval = act.needs_approval(a, x.policy)
    x.report.mails += deliver(x.services, x.session, x.rnd, a, x.now, approval=approval)


# Each engine action → its store writes, audit events and mails (decide, then apply).
_APPLY: dict[type, Callable[[_Applying, Any], None]] = {
    act.Transition: _transition,
    act.DeadlineChanged: _deadline_changed,
    act.PhaseClosedEarly: _phase_closed_early,
    act.DecisionDelegated: _decision_delegated,
    act.StaffAlert: _staff_alert,
    **{mail: _mail for mail in typing.get_args(act.Mail)},
}


_MAILS = frozenset(typing.get_args(act.Mail))


def _apply(
    services: Services,
    session: Session,
    rnd: Round,
    actions: list[act.Action],
    now: datetime,
    report: TickReport,
    why: str | None = None,
) -> None:
    x = _Applying(services, session, rnd, now, report, why, policy_of(services.config))
    names = party_names(services.config)
    for action in actions:
        if not repo.mark_applied(session, rnd.id, action.key, now):
            continue
        report.applied.append(action.key)
        report.described.append(describe(action, names))
        if type(action) not in _MAILS:
            forget_round(session)  # the round changed: its mail context is read anew
        _APPLY[type(action)](x, action)
    report.state = rnd.state


def _facts(session: Session, rnd: Round, services: Services) -> tuple[RoundFacts, Deadlines]:
    grace = services.config.policy.grace_period
    return repo.round_facts(session, rnd), repo.deadlines_of(rnd, grace)


def tick(services: Services, intake_alerts: Sequence[StaffLine] = ()) -> list[TickReport]:
    """Apply everything due now, round by round; then one staff digest for the cycle.

    ``intake_alerts`` are what intake raised since the last tick (bounces, unplaced
    items…): they join the same digest, so staff get one mail per cycle. A round found
    quiet before (`Services.quiet_rounds`) is not read again until its next instant or
    until its records move: an idle tick reads the rounds' rows and a few row ids.
    """
    services.require_schema()
    now = services.clock.now()
    policy = policy_of(services.config)
    grace = services.config.policy.grace_period
    reports: list[TickReport] = []
    due: list[str] = []
    with db.transaction(services.sessions) as s:
        committee = services.committee(s)
        for open_round in repo.open_rounds(s, committee.id):
            if _still_quiet(services, s, open_round, repo.deadlines_of(open_round, grace), now):
                reports.append(TickReport(open_round.key, open_round.state))
            else:
                due.append(open_round.key)
    for key in due:
        with db.transaction(services.sessions) as s:
            committee = services.committee(s)
            rnd = round_repo.get(s, committee.id, key)
            assert rnd is not None
            facts, deadlines = _facts(s, rnd, services)
            report = TickReport(key, rnd.state)
            # An item waiting to be placed is a new row (or a staff command's event): it
            # moves the round's log marks, so a quiet round is read again and alerts it.
            actions = advance(facts, deadlines, policy, now) + unplaced_alerts(s, rnd)
            _apply(services, s, rnd, actions, now, report)
            services.quiet_rounds.pop(rnd.id, None)
            if not report.applied:
                until = next_wakeup(facts, deadlines, policy, now)
                marks = repo.log_marks(s, rnd.id)
                services.quiet_rounds[rnd.id] = Quiet(marks, deadlines, until)
            reports.append(report)
    send_staff_digest(services, [a for r in reports for a in r.alerts], now, intake_alerts)
    return reports


def _still_quiet(
    services: Services, session: Session, rnd: Round, deadlines: Deadlines, now: datetime
) -> bool:
    quiet = services.quiet_rounds.get(rnd.id)
    return (
        quiet is not None
        and (quiet.until is None or now < quiet.until)
        and quiet.deadlines == deadlines
        and quiet.marks == repo.log_marks(session, rnd.id)
    )


class _DryRun(Exception):
    """Raised at the end of a dry run so that its unit of work is rolled back."""

    def __init__(self, previews: list[MailPreview]) -> None:
        self.previews = previews


def _staff_command(
    services: Services,
    key: str,
    command: Callable[[RoundFacts, Deadlines, Policy, datetime], list[act.Action]],
    why: str | None = None,
    dry_run: bool = False,
) -> TickReport:
    """Apply a staff command; with ``dry_run`` the same code runs and is rolled back,
    raising _DryRun with the mails it would have queued."""
    services.require_schema()
    now = services.clock.now()
    with db.transaction(services.sessions) as s:
        committee = services.committee(s)
        rnd = round_repo.get(s, committee.id, key)
        if rnd is None:
            raise NotFoundError(f"no round {key!r}")
        facts, deadlines = _facts(s, rnd, services)
        try:
            actions = command(facts, deadlines, policy_of(services.config), now)
        except WorkflowError as exc:
            raise WorkflowRefused(f"round {key}: {exc}") from None
        report = TickReport(key, rnd.state)
        before = console_repo.last_outbox_id(s) if dry_run else 0
        if why:
            events.record(
                s,
                at=now,
                actor=services.actor,
                kind=EventKind.STAFF_COMMAND,
                committee_id=committee.id,
                round_id=rnd.id,
                reason=why,
                actions=[a.key for a in actions],
            )
        _apply(services, s, rnd, actions, now, report, why)
        if dry_run:
            s.flush()
            raise _DryRun(
                [
                    preview(raw, tuple(to))
                    for to, raw in console_repo.outbox_after(s, rnd.id, before)
                ]
            )
    return report


def open_round(services: Services, key: str) -> TickReport:
    """draft → ① collecting questions; the call for questions goes to every present member."""
    return _staff_command(services, key, staff.open_round, "open round")


def extend_deadline(
    services: Services, key: str, phase: Phase, new: datetime, why: str, dry_run: bool = False
) -> TickReport:
    def command(f: RoundFacts, d: Deadlines, p: Policy, now: datetime) -> list[act.Action]:
        return list(staff.extend_deadline(f, d, phase, new, now).actions)

    if not why.strip():
        raise InputError(["--why: say why the deadline moves (kept in the audit log)"])
    with db.transaction(services.sessions) as s:
        committee = services.committee(s)
        rnd = round_repo.get(s, committee.id, key)
        if rnd is None:
            raise NotFoundError(f"no round {key!r}")
        moved = {**round_repo.deadlines(rnd), phase: new}
    errs = deadline_order_problems(moved)
    if errs:
        raise InputError([f"round {key}: {e}" for e in errs])
    return _staff_command(services, key, command, why, dry_run)


def preview_deadline(
    services: Services, key: str, phase: Phase, new: datetime, why: str
) -> list[MailPreview]:
    """The notices ``extend_deadline`` would queue, exactly, without queueing anything."""
    try:
        extend_deadline(services, key, phase, new, why, dry_run=True)
    except _DryRun as done:
        return done.previews
    return []


def close_early(services: Services, key: str, why: str) -> TickReport:
    def command(f: RoundFacts, d: Deadlines, p: Policy, now: datetime) -> list[act.Action]:
        outcome = staff.close_phase_early(f, d, now)
        # The machine runs on at once: closing ① early bundles the questions now.
        from mailflow.workflow import assume

        return list(outcome.actions) + advance(
            assume(f, list(outcome.actions), now), outcome.deadlines, p, now
        )

    return _staff_command(services, key, command, why)


def cancel(services: Services, key: str, why: str) -> TickReport:
    return _staff_command(services, key, lambda f, d, p, now: staff.cancel(f, why), why)


def delegate(services: Services, key: str, member: str, why: str) -> TickReport:
    return _staff_command(
        services, key, lambda f, d, p, now: [staff.delegate_decision(f, member)], why
    )
