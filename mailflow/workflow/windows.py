"""When each window of a round closes, derived from deadlines and stored times only.

Bundles, the distribution and the digest are cut at these instants, never at `now`, so
a tick repeated later (or a resend) sees the same contents.  Every function returns
None while the window is still open at `now`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mailflow.domain import Phase
from mailflow.workflow.facts import Deadlines, ItemFact, Policy, RoundFacts, UnansweredPolicy


@dataclass(frozen=True)
class Tick:
    """One look at a round: its facts, deadlines and policy at the instant `now`."""

    facts: RoundFacts
    deadlines: Deadlines
    policy: Policy
    now: datetime

    @property
    def tag(self) -> str:
        return self.facts.round_tag


def bundled(facts: RoundFacts, phase: Phase) -> tuple[ItemFact, ...]:
    """The items of a phase that travel on: everything not held for staff."""
    return tuple(i for i in facts.items_of(phase) if not i.held)


def _answer_window(
    items: Sequence[ItemFact], start: datetime, hard: datetime, policy: Policy, now: datetime
) -> datetime | None:
    # Departments' windows close as soon as the last owed answer is in, else at the
    # hard cut-off (gaps marked pending) or, under WAIT_FOR_STAFF, when it finally is.
    # An item staff accepted late counts only from its acceptance: accepting one after
    # the window closed must not reopen it (the distribution has gone; its answer
    # follows as a supplement), so the close is the first instant at which every item
    # present then had an answer in force. Answers are spans (`AnswerSpan`): one staff
    # removed after that instant leaves the close where it was; one removed before it
    # is owed again, and the close waits for its new answer. Whether all are answered
    # only turns true at an answer's arrival, so those (and `start`) are the candidates.
    owed = [i for i in items if i.needs_answer]
    arrivals = sorted({s.since for i in owed for s in i.answers if s.since > start})
    done = next(
        (at for at in (start, *arrivals) if all(i.answered(at) for i in owed if i.present_at(at))),
        None,
    )
    if done is not None and done <= hard and done <= now:
        return done
    if now < hard:
        return None
    if policy.unanswered is UnansweredPolicy.MARK_PENDING:
        return hard
    return done if done is not None and done <= now else None


def questions_closed_at(t: Tick) -> datetime | None:
    """① closes at its hard cut-off (or where staff closed it early)."""
    cut = t.deadlines.cutoff(Phase.QUESTIONS)
    return cut if t.now >= cut else None


def answers_closed_at(t: Tick) -> datetime | None:
    """② closes when every ① item is answered, at D2's cut-off, or later by policy."""
    start = questions_closed_at(t)
    if start is None:
        return None
    items = bundled(t.facts, Phase.QUESTIONS)
    return _answer_window(items, start, t.deadlines.cutoff(Phase.ANSWERS), t.policy, t.now)


def further_closed_at(t: Tick) -> datetime | None:
    """③ closes at D3's cut-off, but never before the distribution it answers went out."""
    start = answers_closed_at(t)
    if start is None:
        return None
    cut = max(start, t.deadlines.cutoff(Phase.FURTHER))
    return cut if t.now >= cut else None


def responses_closed_at(t: Tick) -> datetime | None:
    """The departments' answers to ③ items: like ②, against the responses date."""
    start = further_closed_at(t)
    if start is None:
        return None
    items = bundled(t.facts, Phase.FURTHER)
    hard = max(start, t.deadlines.responses_cutoff)
    return _answer_window(items, start, hard, t.policy, t.now)


def pending_at(items: Sequence[ItemFact], at: datetime) -> tuple[ItemFact, ...]:
    """Items still owed an answer at `at` (shown as 「回答準備中」)."""
    return tuple(i for i in items if i.open_at(at))
