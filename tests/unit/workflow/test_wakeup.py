"""A round with nothing due stays so, with the same facts, until its next instant."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.workflow import advance
from mailflow.workflow.wakeup import next_wakeup

from .test_properties import END, at, minutes, worlds
from .world import World, jst


@settings(max_examples=80, deadline=None)
@given(worlds(), st.lists(minutes, min_size=1, max_size=20), st.data())
def test_nothing_falls_due_before_the_next_wakeup(
    w: World, ticks: list[int], data: st.DataObject
) -> None:
    for now in sorted(at(m) for m in ticks):
        w.tick(now)
        facts = w.facts_at(now)  # the facts as a tick now reads them, actions applied
        wake = next_wakeup(facts, w.deadlines, w.policy, now)
        assert wake is None or wake > now
        last = min(wake or END, END + timedelta(days=30))
        span = int((last - now).total_seconds())
        if span <= 1:
            continue
        seconds = data.draw(st.lists(st.integers(1, span - 1), max_size=8))
        for s in [*seconds, span - 1]:
            later = now + timedelta(seconds=s)
            assert advance(facts, w.deadlines, w.policy, later) == [], (now, later, wake)


def test_a_quiet_round_wakes_at_the_first_reminder_then_at_the_cut_off() -> None:
    w = World()
    from mailflow.workflow.staff import open_round

    opened = jst(1, 5)
    w.apply(open_round(w.facts, w.deadlines, w.policy, opened), opened)
    facts = w.facts_at(opened)
    first = next_wakeup(facts, w.deadlines, w.policy, opened)
    assert first == w.deadlines.questions - max(w.policy.reminder_offsets)
    assert advance(facts, w.deadlines, w.policy, first) != []  # the reminder is due then
