"""The phase machine of a round (書面審議の進行): pure, `now` is always an argument."""

from mailflow.domain.endofday import end_of_day
from mailflow.workflow.actions import Action, AlertKind, Audience, needs_approval
from mailflow.workflow.engine import STEPS, advance, assume
from mailflow.workflow.facts import (
    AnswerSpan,
    Deadlines,
    DecisionFact,
    DepartmentFact,
    ItemFact,
    LatePolicy,
    Participant,
    Policy,
    RoundFacts,
    UnansweredPolicy,
)
from mailflow.workflow.state import TRANSITIONS, RoundState, can_transition
from mailflow.workflow.timing import Arrival, is_late, judge_arrival

__all__ = [
    "STEPS",
    "TRANSITIONS",
    "Action",
    "AlertKind",
    "AnswerSpan",
    "Arrival",
    "Audience",
    "Deadlines",
    "DecisionFact",
    "DepartmentFact",
    "ItemFact",
    "LatePolicy",
    "Participant",
    "Policy",
    "RoundFacts",
    "RoundState",
    "UnansweredPolicy",
    "advance",
    "assume",
    "can_transition",
    "end_of_day",
    "is_late",
    "judge_arrival",
    "needs_approval",
]
