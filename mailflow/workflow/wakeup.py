"""When a round that had nothing due can next have something due, if its facts stay the same.

The steps compare `now` only with instants: the deadlines and cut-offs (soft date, the
date plus grace or an early close, the ③ responses date), those instants less each
reminder offset, and the times the facts carry (arrivals, answers, acceptances, actions
applied). Facts already in the past when the round was looked at keep their comparisons
as time goes on, so with the same facts nothing new can fall due before the first of
these instants still ahead. A tick may skip the round until then, or until its facts
change (a mail filed, a staff command), which the caller detects.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from mailflow.domain import Phase
from mailflow.workflow.facts import Deadlines, Policy, RoundFacts


def _deadline_instants(deadlines: Deadlines, policy: Policy) -> Iterator[datetime]:
    marks = [deadlines.due(p) for p in Phase] + [deadlines.cutoff(p) for p in Phase]
    marks += [deadlines.responses_due, deadlines.responses_due + deadlines.grace]
    marks += [at for _phase, at in deadlines.closed_early]
    for at in marks:
        yield at
        for offset in policy.reminder_offsets:
            yield at - offset


def _fact_instants(facts: RoundFacts) -> Iterator[datetime]:
    for item in facts.items:
        yield item.received_at
        yield from item.answer_instants
        for at in (item.accepted_at, item.recorded_at):
            if at is not None:
                yield at
    for _key, at in facts.issued_at:
        yield at


def next_wakeup(
    facts: RoundFacts, deadlines: Deadlines, policy: Policy, now: datetime
) -> datetime | None:
    """The first instant after `now` at which `advance` may act on these same facts."""
    ahead = [
        at for at in (*_deadline_instants(deadlines, policy), *_fact_instants(facts)) if at > now
    ]
    return min(ahead, default=None)
