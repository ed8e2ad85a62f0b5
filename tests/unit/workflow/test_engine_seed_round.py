"""The seed round (令和2年度第5回) lived hour by hour: every mail at its time, once."""

from __future__ import annotations

from collections import Counter

from mailflow.domain import Phase, Verdict
from mailflow.workflow import AlertKind, Audience, RoundState
from mailflow.workflow.actions import (
    SendCallForFurther,
    SendCallForQuestions,
    SendChairDigest,
    SendDecisionEcho,
    SendDistribution,
    SendReminder,
    SendResultNotice,
    StaffAlert,
)
from mailflow.workflow.staff import open_round

from .world import SEED_DEADLINES, Decision, Item, World, jst, q

S = RoundState


def lived_seed_round() -> World:
    w = World()
    w.apply(open_round(w.facts, w.deadlines, w.policy, jst(1, 5)), jst(1, 5))
    qs = Phase.QUESTIONS
    w.reply(jst(1, 7), qs, "ishida", Item(q("Q13-01"), qs, jst(1, 7), jst(1, 15, 9)))
    w.items.append(Item(q("Q13-02"), qs, jst(1, 7), jst(1, 15, 9)))
    w.reply(jst(1, 8), qs, "ueno", Item(q("Q14-01"), qs, jst(1, 8), jst(1, 15, 11)))
    w.reply(jst(1, 10), qs, "okada")  # 「特になし」
    w.reply(jst(1, 12), qs, "kato", Item(q("Q13-03"), qs, jst(1, 12), jst(1, 15, 9)))
    w.reply(jst(1, 13, 20), qs, "kimura", Item(q("Q14-02"), qs, jst(1, 13, 20), jst(1, 15, 10)))
    fu = Phase.FURTHER
    w.reply(jst(1, 18), fu, "ishida", Item(q("Q13-04"), fu, jst(1, 18), jst(1, 21, 15)))
    w.reply(jst(1, 19, 9), fu, "okada")
    w.decisions += [
        Decision(jst(1, 22, 9), "13", Verdict.APPROVE_WITH_CONDITIONS, confirmed_at=jst(1, 22, 12)),
        Decision(jst(1, 22, 9), "14", Verdict.APPROVE_WITH_CONDITIONS, confirmed_at=jst(1, 22, 12)),
    ]
    w.run(jst(1, 5, 11), jst(1, 28, 0))
    return w


def test_states_follow_the_four_steps_in_order() -> None:
    w = lived_seed_round()
    assert w.states() == [
        S.COLLECTING_QUESTIONS,
        S.ANSWERING,
        S.DISTRIBUTED,
        S.COLLECTING_FURTHER,
        S.RESPONDING,
        S.AWAITING_DECISION,
        S.DECIDED,
    ]
    assert w.facts.state is S.DECIDED


def test_every_key_once_and_a_repeated_tick_sends_nothing() -> None:
    w = lived_seed_round()
    counts = Counter(a.key for _, a in w.log)
    assert [k for k, n in counts.items() if n > 1] == []
    assert w.tick(jst(1, 28, 0)) == []


def test_call_for_questions_goes_to_everyone_at_open() -> None:
    w = lived_seed_round()
    [(t, call)] = w.of(SendCallForQuestions)
    assert t == jst(1, 5)
    assert isinstance(call, SendCallForQuestions)
    assert len(call.recipients) == 7
    assert call.deadline == SEED_DEADLINES.questions


def test_reminders_before_d1_only_to_those_who_have_not_replied() -> None:
    w = lived_seed_round()
    first = [(t, a) for t, a in w.of(SendReminder) if a.phase is Phase.QUESTIONS]
    assert [(t, a.recipients) for t, a in first] == [
        # 2 days before: okada said 「特になし」 and counts as replied.
        (jst(1, 12, 0), ("aoki", "eto", "kato", "kimura")),
        (jst(1, 13, 0), ("aoki", "eto", "kimura")),
    ]


def test_bundles_per_department_right_after_d1_cut_at_d1() -> None:
    w = lived_seed_round()
    t, kodomo = w.bundle(Phase.QUESTIONS, "kodomo")
    assert t == jst(1, 14, 0)
    assert kodomo.item_ids == (q("Q13-01"), q("Q13-02"), q("Q13-03"))
    assert kodomo.window_end == SEED_DEADLINES.questions
    # 諮問第14号 has two responsible departments: both get its items.
    assert w.bundle(Phase.QUESTIONS, "hoiku")[1].item_ids == (q("Q14-01"), q("Q14-02"))
    assert w.bundle(Phase.QUESTIONS, "joho")[1].item_ids == (q("Q14-01"), q("Q14-02"))
    missing = [(t, a) for t, a in w.of(StaffAlert) if a.kind is AlertKind.MISSING_REPLIES]
    assert [(t, a.subject) for t, a in missing] == [(jst(1, 14, 0), "1"), (jst(1, 21, 0), "3")]
    alert = missing[0][1]
    assert alert.detail.endswith("aoki, eto")


def test_department_reminder_skips_the_offset_that_falls_on_d1() -> None:
    w = lived_seed_round()
    reminders = [(t, a) for t, a in w.of(SendReminder) if a.audience is Audience.DEPARTMENTS]
    # D2 − 2 days is D1 itself: the bundle is the reminder. D2 − 1 day is sent.
    assert [(t, a.phase, a.recipients) for t, a in reminders] == [
        (jst(1, 15, 0), Phase.ANSWERS, ("hoiku", "joho", "kodomo")),
    ]


def test_distribution_goes_when_the_last_answer_is_in_with_the_call_for_further() -> None:
    w = lived_seed_round()
    [(t, dist)] = w.of(SendDistribution)
    assert isinstance(dist, SendDistribution)
    assert t == jst(1, 15, 11)
    assert dist.window_end == jst(1, 15, 11)
    assert len(dist.item_ids) == 5 and dist.pending_ids == ()
    assert len(dist.recipients) == 7 and dist.anonymous
    [(t3, call)] = w.of(SendCallForFurther)
    assert t3 == t and call.deadline == SEED_DEADLINES.further


def test_further_items_bundled_after_d3_and_digest_once_answered() -> None:
    w = lived_seed_round()
    t, bundle = w.bundle(Phase.FURTHER, "kodomo")
    assert t == jst(1, 21, 0) and bundle.item_ids == (q("Q13-04"),)
    [(td, digest)] = w.of(SendChairDigest)
    assert isinstance(digest, SendChairDigest)
    assert td == jst(1, 21, 15)
    assert digest.recipient == "aoki"
    assert digest.consultations == ("13", "14")
    assert q("Q13-04") in digest.item_ids and digest.pending_ids == ()


def test_decision_echoed_then_result_to_members_and_departments() -> None:
    w = lived_seed_round()
    [(te, echo)] = w.of(SendDecisionEcho)
    assert te == jst(1, 22, 9) and echo.recipient == "aoki"
    [(tr, result)] = w.of(SendResultNotice)
    assert isinstance(result, SendResultNotice)
    assert tr == jst(1, 22, 12)
    assert result.departments == ("hoiku", "joho", "kodomo")
    assert [d.consultation for d in result.decisions] == ["13", "14"]
    assert not any(a.audience is Audience.DECIDER for _, a in w.of(SendReminder))
