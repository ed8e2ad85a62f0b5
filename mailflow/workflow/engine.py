"""The phase machine: `advance(facts, deadlines, policy, now)` returns the actions now due.

Pure and deterministic: the same facts and `now` give the same list in the same order.
A separate step (the scheduler service) applies the actions, records their keys and the
new state in the store, and calls again on the next tick; with those keys in `facts`
the machine returns nothing it already asked for.
"""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType
from typing import Final

from mailflow.workflow.actions import Action, Transition
from mailflow.workflow.errors import NaiveDatetime
from mailflow.workflow.facts import Deadlines, Policy, RoundFacts
from mailflow.workflow.state import RoundState, check_transition
from mailflow.workflow.steps import (
    Step,
    held_alerts,
    step_answering,
    step_awaiting_decision,
    step_collecting_further,
    step_collecting_questions,
    step_decided,
    step_distributed,
    step_draft,
    step_none,
    step_responding,
)
from mailflow.workflow.windows import Tick

STEPS: Final[MappingProxyType[RoundState, Step]] = MappingProxyType(
    {
        RoundState.DRAFT: step_draft,
        RoundState.COLLECTING_QUESTIONS: step_collecting_questions,
        RoundState.ANSWERING: step_answering,
        RoundState.DISTRIBUTED: step_distributed,
        RoundState.COLLECTING_FURTHER: step_collecting_further,
        RoundState.RESPONDING: step_responding,
        RoundState.AWAITING_DECISION: step_awaiting_decision,
        RoundState.DECIDED: step_decided,
        RoundState.MINUTES_PUBLISHED: step_none,
        RoundState.CANCELLED: step_none,
    }
)
"""The step run for each state; adding behaviour means editing a step, not this loop."""


def assume(facts: RoundFacts, actions: list[Action], at: datetime | None = None) -> RoundFacts:
    """The facts as they will be once `actions` are applied (at `at`): keys issued, state moved."""
    state = facts.state
    for a in actions:
        if isinstance(a, Transition):
            state = a.dst
    return facts.with_issued(frozenset(a.key for a in actions), at).with_state(state)


def advance(facts: RoundFacts, deadlines: Deadlines, policy: Policy, now: datetime) -> list[Action]:
    """Every action due at `now`, in the order to apply them.

    When `now` lies past several deadlines the machine walks state by state, so a tick
    after days of outage sends the ① bundles before the distribution before the digest.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise NaiveDatetime("now", now)
    due: list[Action] = []
    current = facts
    # Each pass either moves the state forward or stops, so the chain bounds the loop.
    for _ in RoundState:
        tick = Tick(current, deadlines, policy, now)
        step = STEPS[current.state]
        candidates = ([] if current.state.is_final else held_alerts(tick)) + step(tick)
        fresh = _fresh(current, candidates)
        due += fresh
        moved = [a for a in fresh if isinstance(a, Transition)]
        if not moved:
            break
        check_transition(moved[-1].src, moved[-1].dst)
        current = assume(current, fresh, now)
    return due


def _fresh(facts: RoundFacts, candidates: list[Action]) -> list[Action]:
    # Transitions are never filtered: the stored state, not a key, says where the round is.
    seen = set(facts.issued)
    out: list[Action] = []
    for a in candidates:
        if isinstance(a, Transition):
            out.append(a)
        elif a.key not in seen:
            seen.add(a.key)
            out.append(a)
    return out
