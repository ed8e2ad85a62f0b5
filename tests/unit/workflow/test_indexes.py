"""The facts' indexes and the answer windows' sweep give what the plain definitions give.

The plain definitions (every item asked at every answer's instant, the items sorted and
filtered per question) are written out here as the reference; the engine's own are
built once per facts and swept in one pass, for rounds of many thousand items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.domain import ItemId, Phase
from mailflow.workflow import (
    DepartmentFact,
    ItemFact,
    Policy,
    RoundFacts,
    RoundState,
    UnansweredPolicy,
)
from mailflow.workflow.facts import AnswerSpan
from mailflow.workflow.windows import Tick, _answer_window, answers_closed_at

from .world import SEED_DEADLINES, jst, seed_facts

BASE = jst(1, 14)
CONSULTATIONS = ("13", "14", "15", "9")  # "9" sorts after "15" as text, as ItemId does


def at(minutes: int) -> datetime:
    return BASE + timedelta(minutes=minutes)


instants = st.integers(min_value=0, max_value=600)
maybe = st.none() | instants
# Mostly answered, owed and not held, so that windows often close at an answer's instant.
mostly = st.integers(0, 9).map(lambda n: n > 0)


@st.composite
def items(draw: st.DrawFn) -> tuple[ItemFact, ...]:
    out = []
    for consultation, seq in draw(
        st.lists(st.tuples(st.sampled_from(CONSULTATIONS), st.integers(1, 40)), max_size=30)
    ):
        # Answers given, some removed later by staff, some given again after that.
        spans = []
        for since, until in draw(st.lists(st.tuples(instants, maybe), max_size=3)):
            end = None if until is None or until <= since else at(until)
            spans.append(AnswerSpan(at(since), end))
        if not draw(mostly):
            spans = []
        accepted, recorded = draw(maybe), draw(maybe)
        out.append(
            ItemFact(
                ItemId(consultation, seq),
                draw(st.sampled_from([Phase.QUESTIONS, Phase.FURTHER])),
                at(draw(instants)),
                needs_answer=draw(mostly),
                answers=tuple(spans),
                held=not draw(mostly),
                accepted_at=None if accepted is None else at(accepted),
                recorded_at=None if recorded is None else at(recorded),
            )
        )
    return tuple(out)


departments = st.lists(
    st.builds(
        DepartmentFact,
        st.sampled_from(["kodomo", "hoiku", "joho"]),  # repeated ids merge, as before
        st.frozensets(st.sampled_from(CONSULTATIONS)),
    ),
    max_size=4,
).map(tuple)


def reference_first_done(owed: Sequence[ItemFact], start: datetime) -> datetime | None:
    """The definition the sweep replaces: ask every item at every answer's arrival."""
    arrivals = sorted({s.since for i in owed for s in i.answers if s.since > start})
    return next(
        (at for at in (start, *arrivals) if all(i.answered(at) for i in owed if i.present_at(at))),
        None,
    )


def reference_window(
    items: Sequence[ItemFact], start: datetime, hard: datetime, policy: Policy, now: datetime
) -> datetime | None:
    done = reference_first_done([i for i in items if i.needs_answer], start)
    if done is not None and done <= hard and done <= now:
        return done
    if now < hard:
        return None
    if policy.unanswered is UnansweredPolicy.MARK_PENDING:
        return hard
    return done if done is not None and done <= now else None


@settings(max_examples=400, deadline=None)
@given(
    items(),
    instants,
    instants,
    instants,
    st.sampled_from(UnansweredPolicy),
)
def test_the_sweep_closes_a_window_where_asking_every_item_did(
    found: tuple[ItemFact, ...], start: int, hard: int, now: int, unanswered: UnansweredPolicy
) -> None:
    policy = Policy(unanswered=unanswered)
    args = (found, at(start), at(hard), policy, at(now))
    assert _answer_window(*args) == reference_window(*args)


def test_an_answer_removed_before_the_close_keeps_its_item_open_until_answered_again() -> None:
    # Q13-01 answered at 10 and removed at 20; answered again at 40. Q13-02 answered at 30.
    # At 30 Q13-01 has no answer in force: the window closes at 40, not at 30.
    again = ItemFact(ItemId("13", 1), Phase.QUESTIONS, at(0),
                     answers=(AnswerSpan(at(10), at(20)), AnswerSpan(at(40))))  # fmt: skip
    other = ItemFact(ItemId("13", 2), Phase.QUESTIONS, at(0), answers=(AnswerSpan(at(30)),))
    args = ([again, other], at(5), at(500), Policy(), at(100))
    assert _answer_window(*args) == at(40) == reference_window(*args)
    assert again.open_periods() == ((at(0), at(10)), (at(20), at(40)))


def test_an_item_accepted_after_the_close_does_not_reopen_it() -> None:
    # The case the instants exist for: Q13-01 answered at 10, Q13-02 joins at 20 and is
    # answered at 30. At 10 every item present was answered: the window closed then.
    answered = ItemFact(ItemId("13", 1), Phase.QUESTIONS, at(0), answers=(AnswerSpan(at(10)),))
    joined = ItemFact(ItemId("13", 2), Phase.QUESTIONS, at(0), answers=(AnswerSpan(at(30)),),
                      accepted_at=at(20))  # fmt: skip
    args = ([answered, joined], at(5), at(500), Policy(), at(100))
    assert _answer_window(*args) == at(10) == reference_window(*args)
    unanswered = replace(joined, answers=(), accepted_at=at(0))
    args = ([answered, unanswered], at(5), at(500), Policy(), at(100))
    assert _answer_window(*args) is None is reference_window(*args)


@settings(max_examples=200, deadline=None)
@given(items(), departments)
def test_items_by_phase_and_department_are_the_plain_definitions(
    found: tuple[ItemFact, ...], depts: tuple[DepartmentFact, ...]
) -> None:
    facts = seed_facts(items=found, departments=depts)
    for phase in (Phase.QUESTIONS, Phase.FURTHER):
        plain = tuple(sorted((i for i in found if i.phase is phase), key=lambda i: i.item_id))
        assert facts.items_of(phase) == plain
        for dept in ("kodomo", "hoiku", "joho", "none"):
            mine = tuple(i for i in plain if dept in _plain_departments(depts, i.consultation))
            assert facts.items_for(dept, phase) == mine
    for c in (*CONSULTATIONS, "99"):
        assert facts.departments_for(c) == _plain_departments(depts, c)


def _plain_departments(depts: tuple[DepartmentFact, ...], consultation: str) -> tuple[str, ...]:
    return tuple(sorted(d.department_id for d in depts if consultation in d.consultations))


def test_a_copy_with_other_items_is_indexed_anew() -> None:
    first = ItemFact(ItemId("13", 1), Phase.QUESTIONS, at(0))
    facts = seed_facts(items=(first,))
    assert facts.items_of(Phase.QUESTIONS) == (first,)
    second = replace(first, item_id=ItemId("13", 2))
    assert replace(facts, items=(second,)).items_of(Phase.QUESTIONS) == (second,)
    # The engine's own copies (state moved, keys issued) keep the items and their index.
    moved = facts.with_state(RoundState.ANSWERING).with_issued(frozenset({"k"}), at(1))
    assert moved.items_of(Phase.QUESTIONS) == (first,)
    assert moved.issued_when("k") == at(1)


def test_issued_when_is_the_first_time_a_key_was_applied() -> None:
    facts = seed_facts(issued=frozenset({"k"}), issued_at=(("k", at(1)), ("k", at(2))))
    assert facts.issued_when("k") == at(1)
    assert facts.issued_when("other") is None


def test_a_window_asked_twice_in_one_tick_is_worked_out_once() -> None:
    item = ItemFact(
        ItemId("13", 1), Phase.QUESTIONS, jst(1, 12), answers=(AnswerSpan(jst(1, 15, 9)),)
    )
    facts: RoundFacts = seed_facts(items=(item,), state=RoundState.ANSWERING)
    t = Tick(facts, SEED_DEADLINES, Policy(), jst(1, 15, 12))
    assert answers_closed_at(t) == jst(1, 15, 9)
    t.memo["answers_closed_at"] = jst(1, 15, 10)  # what the tick found first is kept
    assert answers_closed_at(t) == jst(1, 15, 10)
    again = Tick(facts, SEED_DEADLINES, Policy(), jst(1, 15, 12))
    assert answers_closed_at(again) == jst(1, 15, 9)
