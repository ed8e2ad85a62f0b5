"""When each window of a round closes, derived from deadlines and stored times only.

Bundles, the distribution and the digest are cut at these instants, never at `now`, so
a tick repeated later (or a resend) sees the same contents.  Every function returns
None while the window is still open at `now`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mailflow.domain import Phase
from mailflow.workflow.facts import Deadlines, ItemFact, Policy, RoundFacts, UnansweredPolicy


@dataclass(frozen=True)
class Tick:
    """One look at a round: its facts, deadlines and policy at the instant `now`."""

    facts: RoundFacts
    deadlines: Deadlines
    policy: Policy
    now: datetime
    # What the window functions found for this look (`_once_per_tick`): the steps ask
    # when ② closed many times in one tick, and each answer is a pass over the items.
    memo: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def tag(self) -> str:
        return self.facts.round_tag


def _once_per_tick(
    fn: Callable[[Tick], datetime | None],
) -> Callable[[Tick], datetime | None]:
    @functools.wraps(fn)
    def once(t: Tick) -> datetime | None:
        if fn.__name__ not in t.memo:
            t.memo[fn.__name__] = fn(t)
        found: datetime | None = t.memo[fn.__name__]
        return found

    return once


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
    done = _first_all_answered(owed, [start, *arrivals])
    if done is not None and done <= hard and done <= now:
        return done
    if now < hard:
        return None
    if policy.unanswered is UnansweredPolicy.MARK_PENDING:
        return hard
    return done if done is not None and done <= now else None


def _first_all_answered(owed: Sequence[ItemFact], instants: Sequence[datetime]) -> datetime | None:
    """The first of `instants` (ascending) at which every owed item present then is answered.

    An item keeps the window open while it has no answer in force from when it joined
    (`ItemFact.open_periods`; for good while unanswered; never while held): an instant is
    free when no such period covers it, that is when the periods begun by then all end by
    then. One sweep over periods sorted by their start keeps the furthest end so far:
    O(n log n) where asking every item at every answer's instant was O(answers × items).
    """
    spans = sorted((p for i in owed for p in i.open_periods()), key=lambda span: span[0])
    begun = 0
    furthest: datetime | None = None
    for at in instants:
        while begun < len(spans) and spans[begun][0] <= at:
            end = spans[begun][1]
            if end is None:  # present and never answered: no later instant is free either
                return None
            if furthest is None or end > furthest:
                furthest = end
            begun += 1
        if furthest is None or furthest <= at:
            return at
    return None


@_once_per_tick
def questions_closed_at(t: Tick) -> datetime | None:
    """① closes at its hard cut-off (or where staff closed it early)."""
    cut = t.deadlines.cutoff(Phase.QUESTIONS)
    return cut if t.now >= cut else None


@_once_per_tick
def answers_closed_at(t: Tick) -> datetime | None:
    """② closes when every ① item is answered, at D2's cut-off, or later by policy."""
    start = questions_closed_at(t)
    if start is None:
        return None
    items = bundled(t.facts, Phase.QUESTIONS)
    return _answer_window(items, start, t.deadlines.cutoff(Phase.ANSWERS), t.policy, t.now)


@_once_per_tick
def further_closed_at(t: Tick) -> datetime | None:
    """③ closes at D3's cut-off, but never before the distribution it answers went out."""
    start = answers_closed_at(t)
    if start is None:
        return None
    cut = max(start, t.deadlines.cutoff(Phase.FURTHER))
    return cut if t.now >= cut else None


@_once_per_tick
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
