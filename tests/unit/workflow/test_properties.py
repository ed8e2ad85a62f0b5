"""Whatever happens and however irregularly the clock ticks, each action goes out once."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.domain import ItemId, Phase, Verdict
from mailflow.workflow import (
    LatePolicy,
    Policy,
    RoundState,
    UnansweredPolicy,
    advance,
    can_transition,
)
from mailflow.workflow.actions import (
    SendChairDigest,
    SendDepartmentBundle,
    SendDistribution,
    Transition,
)
from mailflow.workflow.staff import open_round

from .world import MEMBERS, Decision, Item, World, jst

OPEN = jst(1, 5)
END = jst(2, 5)
minutes = st.integers(min_value=0, max_value=int((END - OPEN).total_seconds() // 60))


def at(m: int) -> datetime:
    return OPEN + timedelta(minutes=m)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    policy = Policy(
        late=draw(st.sampled_from(LatePolicy)),
        unanswered=draw(st.sampled_from(UnansweredPolicy)),
        confirm_decision=draw(st.booleans()),
    )
    w = World(policy=policy)
    w.apply(open_round(w.facts, w.deadlines, w.policy, OPEN), OPEN)
    seq = {"13": 0, "14": 0}
    for member in draw(st.lists(st.sampled_from([m.member_id for m in MEMBERS]), unique=True)):
        phase = draw(st.sampled_from([Phase.QUESTIONS, Phase.FURTHER]))
        sent = at(draw(minutes))
        items = []
        for consultation in draw(st.lists(st.sampled_from(["13", "14"]), max_size=3)):
            seq[consultation] += 1
            answer = draw(st.none() | st.integers(min_value=1, max_value=20 * 24 * 60))
            answered = None if answer is None else sent + timedelta(minutes=answer)
            # Staff may remove the answer, and the department may answer again after that.
            later = st.none() | st.integers(min_value=1, max_value=5 * 24 * 60)
            gap = draw(later) if answered is not None else None
            removed = None if answered is None or gap is None else answered + timedelta(minutes=gap)
            again = draw(later) if removed is not None else None
            again_at = (
                None if removed is None or again is None else removed + timedelta(minutes=again)
            )
            items.append(
                Item(
                    ItemId(consultation, seq[consultation]),
                    phase,
                    sent,
                    answered,
                    needs_answer=draw(st.booleans()),
                    removed_at=removed,
                    answered_again_at=again_at,
                )
            )
        w.reply(sent, phase, member, *items)
    for consultation in draw(st.lists(st.sampled_from(["13", "14"]), unique=True)):
        when = at(draw(minutes))
        confirm = draw(st.none() | st.integers(min_value=0, max_value=5 * 24 * 60))
        w.decisions.append(
            Decision(
                when,
                consultation,
                draw(st.sampled_from(Verdict)),
                by=draw(st.sampled_from(["aoki", "eto", "ishida"])),
                confirmed_at=None if confirm is None else when + timedelta(minutes=confirm),
            )
        )
    return w


@settings(max_examples=150, deadline=None)
@given(worlds(), st.lists(minutes, min_size=1, max_size=40))
def test_each_key_once_and_only_allowed_transitions(w: World, ticks: list[int]) -> None:
    for now in sorted(at(m) for m in ticks):
        before = w.facts.state
        actions = w.tick(now)
        state = before
        for a in actions:
            if isinstance(a, Transition):
                assert a.src is state and can_transition(a.src, a.dst)
                state = a.dst
            if isinstance(a, SendDepartmentBundle | SendDistribution | SendChairDigest):
                assert a.window_end <= now  # cut from stored times, never the future
        assert advance(w.facts_at(now), w.deadlines, w.policy, now) == []
    counts = Counter(a.key for _, a in w.log)
    assert [k for k, n in counts.items() if n > 1] == []


@settings(max_examples=60, deadline=None)
@given(worlds(), st.lists(minutes, min_size=2, max_size=30))
def test_a_single_late_tick_reaches_the_same_state_as_many(w: World, ticks: list[int]) -> None:
    # The daemon's uptime must not change where the round ends up or what the bundles
    # hold, only when mail goes. (Under HOLD_FOR_STAFF filing a late item does not
    # depend on whether its bundle has gone, so both worlds file alike.)
    policy = replace(w.policy, late=LatePolicy.HOLD_FOR_STAFF)
    last = at(max(ticks))
    many = World(w.facts, w.deadlines, policy, w.replies, w.items, w.decisions)
    for now in sorted(at(m) for m in ticks):
        many.tick(now)
    once = World(w.facts, w.deadlines, policy, w.replies, w.items, w.decisions)
    once.tick(last)
    assert once.facts.state is many.facts.state
    assert RoundState.DRAFT not in (once.facts.state, many.facts.state)

    def cuts(world: World) -> set[tuple[str, object, datetime]]:
        sent = world.of(SendDepartmentBundle) + world.of(SendDistribution)
        return {
            (a.key, a.item_ids, a.window_end) for _, a in sent if not getattr(a, "supplement", 0)
        }

    assert cuts(once) == cuts(many)
