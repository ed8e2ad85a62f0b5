"""In which phase a member's reply is filed, and whether it is late: one rule, pure.

A member writes ① questions and opinions until the members have ② in hand, ③ further
opinions after. ② reaches them at D2, or earlier when every answer was in and the
engine distributed at once (`windows.answers_closed_at`): from that instant a reply is
a ③ opinion on what they read, not a late ① question, and its department gets it in
the ③ bundle, not in a ① follow-up. Late means after the announced date of its phase.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from mailflow.domain import Phase
from mailflow.workflow.facts import Deadlines, Policy, RoundFacts
from mailflow.workflow.windows import Tick, answers_closed_at

_INSTANT = timedelta(microseconds=1)


@dataclass(frozen=True)
class ReplyPhase:
    phase: Phase
    late: bool


def member_reply_phase(
    facts: Callable[[], RoundFacts], deadlines: Deadlines, policy: Policy, arrived_at: datetime
) -> ReplyPhase:
    """The phase of a member's reply that reached us at ``arrived_at``.

    The round is looked at just before the arrival, so the reply's own items (present
    when a mail is read again) never hold ② open against themselves. ``facts`` reads the
    round's facts; it is called only for a reply between ①'s cut-off and ②'s date, the
    only time ② may have closed early (before ①'s cut-off ② cannot have closed), so a
    reply in ① costs the same whatever the round holds.
    """
    just_before = arrived_at - _INSTANT
    if arrived_at > deadlines.answers:
        phase = Phase.FURTHER
    elif just_before < deadlines.cutoff(Phase.QUESTIONS):
        phase = Phase.QUESTIONS
    else:
        before = Tick(facts(), deadlines, policy, just_before)
        phase = Phase.QUESTIONS if answers_closed_at(before) is None else Phase.FURTHER
    return ReplyPhase(phase, arrived_at > deadlines.due(phase))
