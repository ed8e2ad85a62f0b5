"""Staff commands: open, extend a deadline, close early, cancel, delegate, publish."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from mailflow.domain import Phase
from mailflow.workflow import RoundState, advance, end_of_day
from mailflow.workflow.actions import (
    DeadlineChanged,
    PhaseClosedEarly,
    SendCallForQuestions,
    SendCancellationNotice,
    SendDeadlineNotice,
    SendReminder,
    Transition,
)
from mailflow.workflow.errors import (
    CannotDelegate,
    DeadlineInPast,
    DeadlineOrderError,
    InvalidTransition,
    NaiveDatetime,
    NotEveryoneReplied,
    NothingToClose,
    PhaseClosed,
    RoundNotReady,
)
from mailflow.workflow.staff import (
    cancel,
    close_phase_early,
    delegate_decision,
    extend_deadline,
    open_round,
    publish_minutes,
)

from .world import JST, SEED_DEADLINES, Item, World, jst, q, seed_facts

QS = Phase.QUESTIONS


def test_open_round_moves_out_of_draft_and_calls_for_questions() -> None:
    w = World()
    actions = open_round(w.facts, w.deadlines, w.policy, jst(1, 5))
    assert isinstance(actions[0], Transition) and actions[0].dst is RoundState.COLLECTING_QUESTIONS
    assert [type(a) for a in actions[1:]] == [SendCallForQuestions]


def test_open_round_lists_every_problem() -> None:
    w = World(facts=seed_facts(consultations=("13", "15"), members=()))
    with pytest.raises(RoundNotReady) as err:
        open_round(w.facts, w.deadlines, w.policy, jst(1, 14))
    assert err.value.problems == (
        "no member is present",
        "no chair is present and no deputy has been delegated",
        "consultation 15 has no responsible department",
        f"the ① deadline {SEED_DEADLINES.questions.isoformat()} has already passed",
    )


def test_open_round_twice_is_refused() -> None:
    w = World(facts=seed_facts(state=RoundState.COLLECTING_QUESTIONS))
    with pytest.raises(InvalidTransition, match="collecting_questions to collecting_questions"):
        open_round(w.facts, w.deadlines, w.policy, jst(1, 5))


def opened() -> World:
    w = World()
    w.apply(open_round(w.facts, w.deadlines, w.policy, jst(1, 5)), jst(1, 5))
    return w


def test_extension_tells_members_and_rearms_reminders() -> None:
    w = opened()
    w.run(jst(1, 5, 11), jst(1, 12, 9))
    new = end_of_day(date(2021, 1, 14), JST)
    out = extend_deadline(w.facts, w.deadlines, QS, new, jst(1, 12, 10))
    assert out.deadlines.questions == new and out.deadlines.answers == SEED_DEADLINES.answers
    changed, notice = out.actions
    assert isinstance(changed, DeadlineChanged) and changed.old == SEED_DEADLINES.questions
    assert isinstance(notice, SendDeadlineNotice)
    assert notice.deadline == new and len(notice.members) == 7 and notice.departments == ()
    w.apply(list(out.actions), jst(1, 12, 10))
    w.deadlines = out.deadlines
    w.run(jst(1, 12, 11), jst(1, 15, 1))
    # One reminder (2 days) before the old date, then 2 days and 1 day before the new one.
    assert [t for t, _ in w.of(SendReminder) if _.phase is QS] == [
        jst(1, 12, 0),
        jst(1, 13, 0),
        jst(1, 14, 0),
    ]
    closed = [t for t, a in w.of(Transition) if a.dst is RoundState.ANSWERING]
    assert closed == [jst(1, 15, 0)]  # ① now closes after the new date, not the old


def test_extending_d2_tells_departments_too() -> None:
    w = opened()
    out = extend_deadline(w.facts, w.deadlines, Phase.ANSWERS, jst(1, 18), jst(1, 6))
    notice = out.actions[1]
    assert isinstance(notice, SendDeadlineNotice)
    assert notice.departments == ("hoiku", "joho", "kodomo")


def test_extension_must_keep_the_order_and_lie_ahead() -> None:
    w = opened()
    with pytest.raises(DeadlineOrderError, match=r"① .* is not before ②"):
        extend_deadline(w.facts, w.deadlines, QS, jst(1, 16), jst(1, 6))
    with pytest.raises(DeadlineInPast):
        extend_deadline(w.facts, w.deadlines, QS, jst(1, 6), jst(1, 7))
    with pytest.raises(NaiveDatetime):
        extend_deadline(w.facts, w.deadlines, QS, jst(1, 12).replace(tzinfo=None), jst(1, 6))


def test_a_closed_phase_cannot_be_extended() -> None:
    w = World(facts=seed_facts(state=RoundState.ANSWERING))
    with pytest.raises(PhaseClosed, match="phase ① is already closed"):
        extend_deadline(w.facts, w.deadlines, QS, jst(1, 14), jst(1, 14, 1))


def test_draft_extension_sends_no_notice() -> None:
    w = World()
    out = extend_deadline(w.facts, w.deadlines, QS, jst(1, 12), jst(1, 4))
    assert [type(a) for a in out.actions] == [DeadlineChanged]


def test_close_early_names_who_has_not_replied() -> None:
    w = opened()
    for m in ("ishida", "ueno", "okada", "kato", "aoki"):
        w.reply(jst(1, 8), QS, m)
    with pytest.raises(NotEveryoneReplied) as err:
        close_phase_early(w.facts_at(jst(1, 9)), w.deadlines, jst(1, 9))
    assert err.value.missing == ("eto", "kimura")
    assert "eto, kimura" in str(err.value)


def test_close_early_sends_the_bundles_at_once() -> None:
    w = opened()
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7)))
    for m in ("ueno", "okada", "kato", "aoki", "kimura", "eto"):
        w.reply(jst(1, 8), QS, m)
    out = close_phase_early(w.facts_at(jst(1, 9)), w.deadlines, jst(1, 9))
    assert out.actions == (PhaseClosedEarly("R2-5", QS, jst(1, 9)),)
    w.deadlines = out.deadlines
    w.apply(list(out.actions), jst(1, 9))
    w.tick(jst(1, 9))
    t, bundle = w.bundle(QS, "kodomo")
    assert t == jst(1, 9) and bundle.window_end == jst(1, 9)
    assert w.facts.state is RoundState.ANSWERING
    # The announced date stays what members were told, for the minutes.
    assert w.deadlines.questions == SEED_DEADLINES.questions


def test_close_early_only_for_members_phases() -> None:
    w = World(facts=seed_facts(state=RoundState.ANSWERING))
    with pytest.raises(NothingToClose):
        close_phase_early(w.facts, w.deadlines, jst(1, 14))


def test_cancel_tells_everyone_and_the_machine_stops() -> None:
    w = opened()
    actions = cancel(w.facts, "緊急事態宣言の延長により中止")
    assert isinstance(actions[0], Transition) and actions[0].dst is RoundState.CANCELLED
    assert isinstance(actions[1], SendCancellationNotice) and len(actions[1].members) == 7
    w.apply(actions, jst(1, 6))
    assert advance(w.facts_at(jst(1, 28)), w.deadlines, w.policy, jst(1, 28)) == []


def test_cancel_a_draft_sends_nothing_and_a_decided_round_cannot_be_cancelled() -> None:
    assert [type(a) for a in cancel(seed_facts(), "")] == [Transition]
    with pytest.raises(InvalidTransition):
        cancel(seed_facts(state=RoundState.DECIDED), "too late")


def test_delegation_only_to_the_present_deputy() -> None:
    facts = seed_facts(state=RoundState.AWAITING_DECISION)
    assert delegate_decision(facts, "eto").key == "R2-5:delegated:eto"
    with pytest.raises(CannotDelegate, match="not the deputy"):
        delegate_decision(facts, "ishida")
    with pytest.raises(CannotDelegate, match="not a member"):
        delegate_decision(facts, "nobody")
    absent = tuple(replace(m, absent=m.member_id == "eto") for m in facts.members)
    with pytest.raises(CannotDelegate, match="absent"):
        delegate_decision(replace(facts, members=absent), "eto")


def test_publish_minutes_only_after_the_decision() -> None:
    assert publish_minutes(seed_facts(state=RoundState.DECIDED)).dst is RoundState.MINUTES_PUBLISHED
    with pytest.raises(InvalidTransition):
        publish_minutes(seed_facts(state=RoundState.AWAITING_DECISION))
