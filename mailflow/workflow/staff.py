"""Staff commands on a round, pure: each checks its preconditions and returns actions.

The caller applies what a command returns (saving new deadlines when there are any),
then runs `engine.advance` at the same `now`, which sends whatever the change made due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mailflow.domain import Phase, Role
from mailflow.workflow.actions import (
    Action,
    DeadlineChanged,
    DecisionDelegated,
    PhaseClosedEarly,
    SendCancellationNotice,
    SendDeadlineNotice,
    Transition,
)
from mailflow.workflow.engine import advance, assume
from mailflow.workflow.errors import (
    CannotDelegate,
    DeadlineInPast,
    NaiveDatetime,
    NotEveryoneReplied,
    NothingToClose,
    PhaseClosed,
    RoundNotReady,
)
from mailflow.workflow.facts import Deadlines, Policy, RoundFacts
from mailflow.workflow.state import PHASE_OPEN_STATES, RoundState, check_transition


@dataclass(frozen=True)
class StaffOutcome:
    """What a command changed: the deadlines to store and the actions to apply."""

    deadlines: Deadlines
    actions: tuple[Action, ...]


def _require_aware(what: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime(what, value)


def open_round(
    facts: RoundFacts, deadlines: Deadlines, policy: Policy, now: datetime
) -> list[Action]:
    """Open a draft round: the transition, then the call for questions to every member."""
    _require_aware("now", now)
    check_transition(facts.state, RoundState.COLLECTING_QUESTIONS)
    problems: list[str] = []
    if not facts.present_members:
        problems.append("no member is present")
    if facts.decider is None:
        problems.append("no chair is present and no deputy has been delegated")
    if not facts.consultations:
        problems.append("the round has no consultation")
    for c in facts.consultations:
        if not facts.departments_for(c):
            problems.append(f"consultation {c} has no responsible department")
    if deadlines.cutoff(Phase.QUESTIONS) <= now:
        problems.append(f"the ① deadline {deadlines.questions.isoformat()} has already passed")
    if problems:
        raise RoundNotReady(problems)
    opened: list[Action] = [
        Transition(facts.round_tag, facts.state, RoundState.COLLECTING_QUESTIONS, "opened by staff")
    ]
    return opened + advance(assume(facts, opened, now), deadlines, policy, now)


def _concerned(facts: RoundFacts, phase: Phase) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Who hears of a new date: (members, departments)."""
    if phase is Phase.DECISION:
        return (facts.decider,) if facts.decider else (), ()
    if phase is Phase.ANSWERS:  # departments answer by it, members expect the distribution
        return facts.present_members, facts.department_ids
    return facts.present_members, ()


def extend_deadline(
    facts: RoundFacts, deadlines: Deadlines, phase: Phase, new: datetime, now: datetime
) -> StaffOutcome:
    """Move a phase's soft date; the order ① < ② < ③ < ④ must still hold.

    Reminders are keyed by the date they announce, so a moved date re-arms them.
    """
    _require_aware("the new deadline", new)
    _require_aware("now", now)
    if facts.state not in PHASE_OPEN_STATES[phase]:
        raise PhaseClosed(phase, facts.state)
    if new <= now:
        raise DeadlineInPast(phase, new, now)
    moved = deadlines.with_due(phase, new)
    actions: list[Action] = [DeadlineChanged(facts.round_tag, phase, deadlines.due(phase), new)]
    if facts.state is not RoundState.DRAFT:  # nobody has heard of a draft's dates yet
        members, departments = _concerned(facts, phase)
        actions.append(SendDeadlineNotice(facts.round_tag, phase, new, members, departments))
    return StaffOutcome(moved, tuple(actions))


_MEMBER_PHASES = {
    RoundState.COLLECTING_QUESTIONS: Phase.QUESTIONS,
    RoundState.COLLECTING_FURTHER: Phase.FURTHER,
}


def close_phase_early(facts: RoundFacts, deadlines: Deadlines, now: datetime) -> StaffOutcome:
    """Close the members' phase now (① or ③) when every present member has replied.

    Departments' phases need no such command: they close once every item is answered.
    Items arriving after an early close are late, judged against this new cut-off.
    """
    _require_aware("now", now)
    phase = _MEMBER_PHASES.get(facts.state)
    if phase is None:
        raise NothingToClose(facts.state)
    if now >= deadlines.cutoff(phase):
        raise PhaseClosed(phase, facts.state)
    missing = facts.not_replied(phase)
    if missing:
        raise NotEveryoneReplied(phase, missing)
    closed = deadlines.with_early_close(phase, now)
    return StaffOutcome(closed, (PhaseClosedEarly(facts.round_tag, phase, now),))


def cancel(facts: RoundFacts, reason: str) -> list[Action]:
    """Cancel the round; everyone who has heard of it is told."""
    check_transition(facts.state, RoundState.CANCELLED)
    actions: list[Action] = [
        Transition(facts.round_tag, facts.state, RoundState.CANCELLED, reason or "cancelled")
    ]
    if facts.state is not RoundState.DRAFT:
        actions.append(
            SendCancellationNotice(facts.round_tag, facts.present_members, facts.department_ids)
        )
    return actions


def delegate_decision(facts: RoundFacts, member: str) -> DecisionDelegated:
    """Let the deputy (会長職務代理) decide; the store then sets `facts.delegate`."""
    for m in facts.members:
        if m.member_id == member:
            if m.role is not Role.DEPUTY:
                raise CannotDelegate(member, "not the deputy chair (会長職務代理)")
            if m.absent:
                raise CannotDelegate(member, "absent from this round")
            if not facts.state.is_open and facts.state is not RoundState.DRAFT:
                raise PhaseClosed(Phase.DECISION, facts.state)
            return DecisionDelegated(facts.round_tag, member)
    raise CannotDelegate(member, "not a member of this round")


def publish_minutes(facts: RoundFacts, reason: str = "minutes published") -> Transition:
    """Record that the minutes (会議録) are out; only a decided round has minutes."""
    check_transition(facts.state, RoundState.MINUTES_PUBLISHED)
    return Transition(facts.round_tag, facts.state, RoundState.MINUTES_PUBLISHED, reason)
