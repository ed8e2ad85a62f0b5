"""How a member's reply is filed: its phase, late or not, each item held or not, and
whether items can still be corrected by their author — one rule each, pure.

A member writes ① questions and opinions until the members have ② in hand, ③ further
opinions after. ② reaches them at D2, or earlier when every answer was in and the
engine distributed at once (`windows.answers_closed_at`): from that instant a reply is
a ③ opinion on what they read, not a late ① question, and its department gets it in
the ③ bundle, not in a ① follow-up. Late means after the announced date of its phase.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from mailflow.domain import Phase
from mailflow.workflow.actions import bundles_sent
from mailflow.workflow.facts import Deadlines, Policy, RoundFacts
from mailflow.workflow.timing import Arrival, is_late, judge_arrival
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


def bundle_gone(facts: RoundFacts, phase: Phase, consultation: str | None) -> bool:
    """Whether the bundle that carries an item of ``phase`` has gone to its departments
    (for an item placed in no consultation, or one without departments: any bundle)."""
    sent = bundles_sent(facts.issued, facts.round_tag, phase)
    departments = facts.departments_for(consultation) if consultation else ()
    return bool(sent & set(departments)) if departments else bool(sent)


def correctable(facts: RoundFacts, phase: Phase, consultation: str | None) -> bool:
    """An author may correct or withdraw an item by reply until its bundle has gone."""
    return not bundle_gone(facts, phase, consultation)


@dataclass(frozen=True)
class ReplyFiling:
    """A member's reply, filed: its phase, lateness, and per item how it arrives."""

    phase: Phase
    late: bool
    arrivals: tuple[Arrival, ...]  # per item, in the reply's order

    @property
    def followups(self) -> tuple[int, ...]:
        """Positions of the items accepted late after their bundle went (追加送付)."""
        return tuple(n for n, a in enumerate(self.arrivals) if a is Arrival.LATE_FOLLOWUP)


def file_reply(
    facts: Callable[[], RoundFacts],
    deadlines: Deadlines,
    policy: Policy,
    consultations: tuple[str | None, ...],
    arrived_at: datetime,
) -> ReplyFiling:
    """File a member's reply whose items name ``consultations`` (None: not placed).

    ``facts`` reads the round's facts, only when the answer depends on them (a reply
    near ②'s early close, or a late item whose bundle may have gone): a reply on time
    costs the same whatever the round holds.
    """
    read = functools.cache(facts)
    where = member_reply_phase(read, deadlines, policy, arrived_at)
    late = is_late(arrived_at, where.phase, deadlines)
    arrivals = tuple(
        judge_arrival(arrived_at, where.phase, deadlines, policy,
                      bundle_sent=late and bundle_gone(read(), where.phase, c))
        for c in consultations
    )  # fmt: skip
    return ReplyFiling(where.phase, where.late, arrivals)
