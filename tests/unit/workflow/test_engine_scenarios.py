"""Rounds that go wrong: silent departments, time jumps, partial decisions, late items."""

from __future__ import annotations

from dataclasses import replace

from mailflow.domain import Phase, Role, Verdict
from mailflow.workflow import (
    AlertKind,
    Arrival,
    Audience,
    LatePolicy,
    Policy,
    RoundState,
    UnansweredPolicy,
)
from mailflow.workflow.actions import (
    SendCallForFurther,
    SendCallForQuestions,
    SendChairDigest,
    SendDecisionEcho,
    SendDecisionReask,
    SendDepartmentBundle,
    SendDistribution,
    SendReminder,
    SendResultNotice,
    StaffAlert,
    Transition,
)
from mailflow.workflow.facts import Participant
from mailflow.workflow.staff import delegate_decision, open_round

from .world import MEMBERS, Decision, Item, World, jst, q, seed_facts

QS, FU = Phase.QUESTIONS, Phase.FURTHER


def opened(policy: Policy | None = None, **facts: object) -> World:
    w = World(facts=seed_facts(**facts), policy=policy or Policy())
    w.apply(open_round(w.facts, w.deadlines, w.policy, jst(1, 5)), jst(1, 5))
    return w


def with_silent_department(policy: Policy) -> World:
    """kodomo answers; hoiku and joho never answer Q14-01."""
    w = opened(policy)
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7), jst(1, 14, 15)))
    w.reply(jst(1, 8), QS, "ueno", Item(q("Q14-01"), QS, jst(1, 8)))
    return w


def alerts(w: World, kind: AlertKind) -> list[StaffAlert]:
    return [a for _, a in w.of(StaffAlert) if a.kind is kind]


def test_silent_department_reminded_then_staff_alerted_and_marked_pending() -> None:
    w = with_silent_department(Policy())
    w.run(jst(1, 5, 11), jst(1, 17, 0))
    reminders = [(t, a.recipients) for t, a in w.of(SendReminder) if a.phase is Phase.ANSWERS]
    assert reminders == [(jst(1, 15, 0), ("hoiku", "joho"))]
    [unanswered] = alerts(w, AlertKind.UNANSWERED)
    assert unanswered.subject == "2" and "Q14-01" in unanswered.detail
    [(t, dist)] = w.of(SendDistribution)
    assert t == jst(1, 16, 0)  # the first tick after D2's cut-off
    assert dist.pending_ids == (q("Q14-01"),)  # shown as 「回答準備中」
    assert dist.item_ids == (q("Q13-01"), q("Q14-01"))


def test_answer_after_the_distribution_goes_out_as_a_supplement_once() -> None:
    w = with_silent_department(Policy())
    w.items[1].answered_at = jst(1, 18, 14)
    w.run(jst(1, 5, 11), jst(1, 20, 0))
    dists = w.of(SendDistribution)
    assert [(t, d.supplement, d.item_ids) for t, d in dists] == [
        (jst(1, 16, 0), False, (q("Q13-01"), q("Q14-01"))),
        (jst(1, 18, 14), True, (q("Q14-01"),)),
    ]
    assert dists[1][1].window_end == jst(1, 18, 14)


def test_wait_for_staff_holds_the_distribution_until_the_answer_is_in() -> None:
    w = with_silent_department(Policy(unanswered=UnansweredPolicy.WAIT_FOR_STAFF))
    w.run(jst(1, 5, 11), jst(1, 17, 0))
    assert w.of(SendDistribution) == []
    assert w.facts.state is RoundState.ANSWERING
    assert len(alerts(w, AlertKind.UNANSWERED)) == 1  # once, not every hour
    w.items[1].answered_at = jst(1, 17, 9, 30)
    w.run(jst(1, 17, 1), jst(1, 17, 12))
    [(t, dist)] = w.of(SendDistribution)
    assert t == jst(1, 17, 10)
    assert dist.pending_ids == () and dist.window_end == jst(1, 17, 9, 30)


def test_time_jump_after_d3_sends_everything_in_order() -> None:
    w = opened()
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7), jst(1, 14, 15)))
    w.reply(jst(1, 18), FU, "ishida", Item(q("Q13-02"), FU, jst(1, 18)))
    actions = w.tick(jst(1, 22, 0))  # the daemon was down from 1/5 to 1/22
    kinds = [type(a).__name__ for a in actions if not isinstance(a, StaffAlert | Transition)]
    assert kinds == [
        "SendDepartmentBundle",
        "SendDistribution",
        "SendCallForFurther",
        "SendDepartmentBundle",
        "SendReminder",
    ]
    assert w.facts.state is RoundState.RESPONDING
    # No reminder for dates long gone, only the one for the ③ responses due tonight;
    # the ① bundle holds what arrived by D1 only.
    [(_, reminder)] = w.of(SendReminder)
    assert reminder.audience is Audience.DEPARTMENTS and reminder.recipients == ("kodomo",)
    first, third = (a for _, a in w.of(SendDepartmentBundle))
    assert first.item_ids == (q("Q13-01"),) and third.item_ids == (q("Q13-02"),)
    assert w.tick(jst(1, 22, 0)) == []


def test_time_jump_over_every_deadline_reaches_the_decision() -> None:
    w = World()  # opened late: the call still goes first
    w.facts = replace(w.facts, state=RoundState.COLLECTING_QUESTIONS)
    w.tick(jst(1, 28, 0))
    assert w.states() == [
        RoundState.ANSWERING,
        RoundState.DISTRIBUTED,
        RoundState.COLLECTING_FURTHER,
        RoundState.RESPONDING,
        RoundState.AWAITING_DECISION,
    ]
    assert isinstance(w.log[0][1], SendCallForQuestions)
    assert len(w.of(SendChairDigest)) == 1
    assert len(alerts(w, AlertKind.DECISION_OVERDUE)) == 1


def decided_world(*decisions: Decision, facts: dict[str, object] | None = None) -> World:
    w = opened(None, **(facts or {}))
    w.decisions += decisions
    return w


def test_chair_answering_one_of_two_is_asked_again_and_staff_alerted() -> None:
    w = decided_world(Decision(jst(1, 23, 9), "13", Verdict.APPROVE))
    w.run(jst(1, 21, 0), jst(1, 24, 0))
    [(t, reask)] = w.of(SendDecisionReask)
    assert t == jst(1, 23, 9) and reask.consultations == ("14",) and reask.recipient == "aoki"
    [incomplete] = alerts(w, AlertKind.DECISION_INCOMPLETE)
    assert incomplete.subject == "14"
    assert w.of(SendDecisionEcho) == []
    w.decisions.append(Decision(jst(1, 24, 8), "14", Verdict.APPROVE, confirmed_at=jst(1, 24, 9)))
    w.decisions[0].confirmed_at = jst(1, 24, 9)
    w.run(jst(1, 24, 1), jst(1, 25, 0))
    [(te, echo)] = w.of(SendDecisionEcho)
    assert te == jst(1, 24, 8) and [d.consultation for d in echo.decisions] == ["13", "14"]
    [(tr, _)] = w.of(SendResultNotice)
    assert tr == jst(1, 24, 9) and w.facts.state is RoundState.DECIDED


def test_unclear_decision_is_not_a_decision() -> None:
    # A bare 「同意します」 on two consultations parses as unclear for both.
    w = decided_world(
        Decision(jst(1, 23, 9), "13", Verdict.UNCLEAR),
        Decision(jst(1, 23, 9), "14", Verdict.UNCLEAR),
    )
    w.run(jst(1, 21, 0), jst(1, 23, 12))
    [(_, reask)] = w.of(SendDecisionReask)
    assert reask.consultations == ("13", "14")
    assert w.facts.state is RoundState.AWAITING_DECISION


def test_decider_reminded_before_d4() -> None:
    w = decided_world()
    w.run(jst(1, 21, 0), jst(1, 28, 1))
    deciders = [(t, a.recipients) for t, a in w.of(SendReminder) if a.audience is Audience.DECIDER]
    assert deciders == [(jst(1, 26, 0), ("aoki",)), (jst(1, 27, 0), ("aoki",))]
    assert len(alerts(w, AlertKind.DECISION_OVERDUE)) == 1


def test_absent_chair_needs_a_delegate_then_the_deputy_decides() -> None:
    members = tuple(replace(m, absent=True) if m.role is Role.CHAIR else m for m in MEMBERS)
    w = World(facts=seed_facts(members=members, delegate="eto"))
    w.apply(open_round(w.facts, w.deadlines, w.policy, jst(1, 5)), jst(1, 5))
    [(_, call)] = w.of(SendCallForQuestions)
    assert "aoki" not in call.recipients  # absent members get nothing
    w.decisions += [
        Decision(jst(1, 23), c, Verdict.APPROVE, by="eto", confirmed_at=jst(1, 23, 12))
        for c in ("13", "14")
    ]
    w.run(jst(1, 21, 0), jst(1, 24, 0))
    [(_, digest)] = w.of(SendChairDigest)
    assert digest.recipient == "eto"
    assert w.facts.state is RoundState.DECIDED


def test_no_decider_alerts_staff_until_a_deputy_is_delegated() -> None:
    w = World()
    members = tuple(replace(m, absent=True) if m.role is Role.CHAIR else m for m in MEMBERS)
    w.facts = replace(w.facts, members=members, state=RoundState.AWAITING_DECISION)
    w.run(jst(1, 23, 0), jst(1, 23, 3))
    assert len(alerts(w, AlertKind.NO_DECIDER)) == 1 and w.of(SendChairDigest) == []
    delegated = delegate_decision(w.facts, "eto")
    w.apply([delegated], jst(1, 23, 4))
    w.facts = replace(w.facts, delegate=delegated.member)
    w.tick(jst(1, 23, 5))
    [(_, digest)] = w.of(SendChairDigest)
    assert digest.recipient == "eto"


def test_decision_by_an_ordinary_member_is_ignored() -> None:
    w = decided_world(
        *(
            Decision(jst(1, 23), c, Verdict.APPROVE, by="ishida", confirmed_at=jst(1, 23))
            for c in "ab"
        )
    )
    w.run(jst(1, 21, 0), jst(1, 24, 0))
    assert w.facts.state is RoundState.AWAITING_DECISION
    assert w.of(SendDecisionReask) == []


def test_late_item_joins_the_bundle_while_it_has_not_gone_out() -> None:
    w = opened(Policy())
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7)))
    w.run(jst(1, 5, 11), jst(1, 13, 23))
    w.reply(jst(1, 14, 0, 30), QS, "kato", Item(q("Q13-02"), QS, jst(1, 14, 0, 30)))
    w.tick(jst(1, 14, 1))  # the daemon ticks late, after the item came in
    _, bundle = w.bundle(QS, "kodomo")
    assert bundle.item_ids == (q("Q13-01"), q("Q13-02"))
    assert alerts(w, AlertKind.LATE_ITEM) == []


def test_late_item_after_the_bundle_is_accepted_and_follows_it() -> None:
    # Under "accept" nobody has to release it: it goes at the next tick, in a follow-up.
    w = opened(Policy(late=LatePolicy.ACCEPT))
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7)))
    w.reply(jst(1, 14, 9, 20), QS, "kato", Item(q("Q13-02"), QS, jst(1, 14, 9, 20)))
    w.run(jst(1, 5, 11), jst(1, 14, 12))
    _, bundle = w.bundle(QS, "kodomo")
    assert bundle.item_ids == (q("Q13-01"),)
    assert w.filed[q("Q13-02")] is Arrival.LATE_FOLLOWUP
    [(t, fu)] = [(t, b) for t, b in w.of(SendDepartmentBundle) if b.followup]
    assert t == jst(1, 14, 10) and fu.item_ids == (q("Q13-02"),)
    assert fu.window_end == jst(1, 14, 9, 20)  # accepted at its arrival
    assert alerts(w, AlertKind.LATE_ITEM) == []  # nothing waits for staff


def test_hold_policy_holds_even_before_the_bundle() -> None:
    w = opened(Policy(late=LatePolicy.HOLD_FOR_STAFF))
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7)))
    w.run(jst(1, 5, 11), jst(1, 13, 23))
    w.reply(jst(1, 14, 0, 30), QS, "kato", Item(q("Q13-02"), QS, jst(1, 14, 0, 30)))
    w.tick(jst(1, 14, 1))
    assert w.bundle(QS, "kodomo")[1].item_ids == (q("Q13-01"),)
    assert [a.subject for a in alerts(w, AlertKind.LATE_ITEM)] == ["Q13-02"]


def test_absent_members_are_never_reminded() -> None:
    members = (*MEMBERS[:-1], Participant("kimura", absent=True))
    w = opened(members=members)
    w.run(jst(1, 5, 11), jst(1, 21, 1))
    for _, r in w.of(SendReminder):
        assert "kimura" not in r.recipients
    [(_, call)] = w.of(SendCallForFurther)
    assert "kimura" not in call.recipients
