"""Late items staff accept after the bundles went out: a follow-up bundle to the department."""

from __future__ import annotations

from mailflow.domain import Phase
from mailflow.workflow import AlertKind, Arrival, ItemFact, LatePolicy, Policy, RoundState, advance
from mailflow.workflow.actions import SendDepartmentBundle, SendDistribution, StaffAlert
from mailflow.workflow.staff import open_round

from .world import SEED_DEADLINES, Item, World, jst, q, seed_facts

QS, FU = Phase.QUESTIONS, Phase.FURTHER


HOLD = Policy(late=LatePolicy.HOLD_FOR_STAFF)


def opened(policy: Policy = HOLD) -> World:
    """The seed round, opened; late items wait for staff unless a test says otherwise."""
    w = World(facts=seed_facts(), policy=policy)
    w.apply(open_round(w.facts, w.deadlines, w.policy, jst(1, 5)), jst(1, 5))
    return w


def followups(w: World) -> list[tuple[object, SendDepartmentBundle]]:
    return [(t, b) for t, b in w.of(SendDepartmentBundle) if b.followup]


def late_question(w: World, **item: object) -> Item:
    """Q13-01 on time (answered 1/14 15:00); Q13-02 mailed 1/14 9:30, after the bundle."""
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7), jst(1, 14, 15)))
    late = Item(q("Q13-02"), QS, jst(1, 14, 9, 30), **item)  # type: ignore[arg-type]
    w.reply(late.received_at, QS, "kato", late)
    return late


def test_accepted_before_the_distribution_goes_to_the_department_and_into_it() -> None:
    w = opened()
    late_question(w, accepted_at=jst(1, 14, 11, 30), answered_at=jst(1, 15, 10, 15))
    w.run(jst(1, 5, 11), jst(1, 14, 23))
    assert w.bundle(QS, "kodomo")[1].item_ids == (q("Q13-01"),)  # held when it went
    [(t, fu)] = followups(w)
    assert t == jst(1, 14, 12)  # the first tick after staff accepted it
    assert (fu.department, fu.phase, fu.item_ids) == ("kodomo", QS, (q("Q13-02"),))
    assert fu.key == "R2-5:bundle:1:kodomo:followup:Q13-02"
    assert fu.window_end == jst(1, 14, 11, 30)  # the acceptance, not the tick
    assert fu.deadline == SEED_DEADLINES.answers
    # The accepted item keeps ② open: Q13-01's answer at 15:00 does not close it.
    assert w.facts.state is RoundState.ANSWERING and w.of(SendDistribution) == []
    w.run(jst(1, 15, 0), jst(1, 17, 0))
    [(t, dist)] = w.of(SendDistribution)
    assert t == jst(1, 15, 11)  # closed at the department's answer, 10:15
    assert dist.item_ids == (q("Q13-01"), q("Q13-02")) and dist.pending_ids == ()
    assert len(followups(w)) == 1  # once, however many ticks


def test_nothing_goes_while_the_item_is_held() -> None:
    w = opened()
    late_question(w)
    w.run(jst(1, 5, 11), jst(1, 21, 0))
    assert followups(w) == []
    [dist] = [d for _, d in w.of(SendDistribution)]
    assert dist.item_ids == (q("Q13-01"),)
    [alert] = [a for _, a in w.of(StaffAlert) if a.kind is AlertKind.LATE_ITEM]
    assert alert.subject == "Q13-02"
    assert "kodomo in a follow-up bundle" in alert.detail
    assert "supplement" not in alert.detail  # ② had not been distributed yet


def test_accepted_after_the_distribution_goes_and_its_answer_is_a_supplement() -> None:
    w = opened()
    # ② closes early at 1/14 15:00, when Q13-01 is answered; staff accept Q13-02 the
    # next morning, still before D2's cut-off: the closed window must not reopen.
    late_question(w, accepted_at=jst(1, 15, 9, 30), answered_at=jst(1, 16, 10, 15))
    w.run(jst(1, 5, 11), jst(1, 17, 0))
    dists = [(t, d.supplement, d.item_ids, d.pending_ids) for t, d in w.of(SendDistribution)]
    assert dists == [
        (jst(1, 14, 15), False, (q("Q13-01"),), ()),
        (jst(1, 16, 11), True, (q("Q13-02"),), ()),
    ]
    [(t, fu)] = followups(w)
    assert t == jst(1, 15, 10) and fu.item_ids == (q("Q13-02"),)
    # ② is over for this item: the department gets the next departments' date.
    assert fu.deadline == SEED_DEADLINES.responses_due
    assert w.facts.state is RoundState.COLLECTING_FURTHER
    assert len([t for t, d in w.of(SendDistribution) if not d.supplement]) == 1


def test_held_alert_after_the_distribution_says_the_answer_comes_as_a_supplement() -> None:
    w = opened()
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7), jst(1, 14, 15)))
    w.reply(jst(1, 15, 8, 30), QS, "kato", Item(q("Q13-02"), QS, jst(1, 15, 8, 30)))
    w.run(jst(1, 5, 11), jst(1, 15, 12))
    [alert] = [a for _, a in w.of(StaffAlert) if a.kind is AlertKind.LATE_ITEM]
    assert "follow-up bundle" in alert.detail and "supplement" in alert.detail


def test_accepted_before_the_bundle_went_out_is_simply_in_the_bundle() -> None:
    w = opened(Policy(late=LatePolicy.HOLD_FOR_STAFF))
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7), jst(1, 14, 15)))
    w.run(jst(1, 5, 11), jst(1, 13, 23))
    held = Item(q("Q13-02"), QS, jst(1, 14, 0, 30), jst(1, 14, 16), accepted_at=jst(1, 14, 1))
    w.reply(held.received_at, QS, "kato", held)
    w.run(jst(1, 14, 2), jst(1, 16, 0))  # the daemon was down until 2:00
    t, bundle = w.bundle(QS, "kodomo")
    assert t == jst(1, 14, 2) and bundle.item_ids == (q("Q13-01"), q("Q13-02"))
    assert followups(w) == []


def test_one_followup_per_acceptance_tick_each_item_once() -> None:
    w = opened()
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7)))
    late = [
        Item(q("Q13-02"), QS, jst(1, 14, 9), accepted_at=jst(1, 14, 11, 10)),
        Item(q("Q13-03"), QS, jst(1, 14, 9), accepted_at=jst(1, 14, 11, 20)),
        Item(q("Q13-04"), QS, jst(1, 14, 9), accepted_at=jst(1, 14, 13, 5)),
    ]
    w.reply(jst(1, 14, 9), QS, "kato", *late)
    w.run(jst(1, 5, 11), jst(1, 15, 0))
    got = [(t, b.item_ids, b.window_end) for t, b in followups(w)]
    assert got == [
        (jst(1, 14, 12), (q("Q13-02"), q("Q13-03")), jst(1, 14, 11, 20)),
        (jst(1, 14, 14), (q("Q13-04"),), jst(1, 14, 13, 5)),
    ]


def test_a_repeated_tick_sends_nothing_twice() -> None:
    w = opened()
    late_question(w, accepted_at=jst(1, 14, 11, 30))
    w.run(jst(1, 5, 11), jst(1, 14, 11))
    first = w.tick(jst(1, 14, 12))
    assert [a.key for a in first if isinstance(a, SendDepartmentBundle)] == [
        "R2-5:bundle:1:kodomo:followup:Q13-02"
    ]
    again = advance(w.facts_at(jst(1, 14, 12)), w.deadlines, w.policy, jst(1, 14, 12))
    assert [a for a in again if isinstance(a, SendDepartmentBundle)] == []


def test_every_responsible_department_gets_it_and_no_other() -> None:
    w = opened()
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7)))
    w.reply(jst(1, 8), QS, "ueno", Item(q("Q14-01"), QS, jst(1, 8)))
    late = Item(q("Q14-02"), QS, jst(1, 14, 9), accepted_at=jst(1, 14, 10, 30))
    w.reply(late.received_at, QS, "kato", late)
    w.run(jst(1, 5, 11), jst(1, 14, 12))
    assert sorted((b.department, b.item_ids) for _, b in followups(w)) == [
        ("hoiku", (q("Q14-02"),)),
        ("joho", (q("Q14-02"),)),
    ]


def test_items_needing_no_answer_follow_the_bundle_rule_and_hold_nothing_open() -> None:
    # The bundle carries every item of the department's consultations, answer needed
    # or not; the follow-up does the same, and neither keeps ② open for it.
    w = opened()
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7), jst(1, 14, 15)))
    w.reply(jst(1, 7), QS, "ueno", Item(q("Q13-02"), QS, jst(1, 7), needs_answer=False))
    late = Item(q("Q13-03"), QS, jst(1, 14, 9), needs_answer=False, accepted_at=jst(1, 14, 11))
    w.reply(late.received_at, QS, "kato", late)
    w.run(jst(1, 5, 11), jst(1, 14, 17))
    assert w.bundle(QS, "kodomo")[1].item_ids == (q("Q13-01"), q("Q13-02"))
    assert [b.item_ids for _, b in followups(w)] == [(q("Q13-03"),)]
    [(t, dist)] = w.of(SendDistribution)
    assert t == jst(1, 14, 15) and dist.pending_ids == ()


def test_a_further_item_accepted_after_the_further_bundle_follows_it() -> None:
    w = opened()
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7), jst(1, 14, 15)))
    w.reply(jst(1, 18), FU, "ueno", Item(q("Q13-02"), FU, jst(1, 18)))
    late = Item(q("Q13-03"), FU, jst(1, 21, 9), accepted_at=jst(1, 21, 10, 30))
    w.reply(late.received_at, FU, "kato", late)
    w.run(jst(1, 5, 11), jst(1, 21, 12))
    assert w.bundle(FU, "kodomo")[1].item_ids == (q("Q13-02"),)
    [(t, fu)] = followups(w)
    assert (t, fu.phase, fu.item_ids) == (jst(1, 21, 11), FU, (q("Q13-03"),))
    assert fu.key == "R2-5:bundle:3:kodomo:followup:Q13-03"
    assert fu.deadline == SEED_DEADLINES.responses_due


def test_a_bundle_key_issued_without_a_time_counts_from_the_phase_cutoff() -> None:
    w = opened()
    late_question(w, accepted_at=jst(1, 14, 11, 30))
    w.run(jst(1, 5, 11), jst(1, 14, 11))
    facts = w.facts_at(jst(1, 14, 12))
    facts = type(facts)(**{**facts.__dict__, "issued_at": ()})
    due = advance(facts, w.deadlines, w.policy, jst(1, 14, 12))
    assert [a.item_ids for a in due if isinstance(a, SendDepartmentBundle)] == [(q("Q13-02"),)]


# Under the default "accept" policy a late item is accepted at its arrival: no staff action.


def test_accepted_at_arrival_after_the_bundle_goes_in_a_followup_before_the_distribution() -> None:
    w = opened(Policy())
    assert w.policy.late is LatePolicy.ACCEPT  # the default policy
    late_question(w, answered_at=jst(1, 14, 16))  # mailed 1/14 9:30, after the bundle
    w.run(jst(1, 5, 11), jst(1, 14, 13))
    assert w.filed[q("Q13-02")] is Arrival.LATE_FOLLOWUP
    assert w.bundle(QS, "kodomo")[1].item_ids == (q("Q13-01"),)
    [(t, fu)] = followups(w)
    assert t == jst(1, 14, 10)  # the first tick after it arrived
    assert fu.window_end == jst(1, 14, 9, 30) and fu.item_ids == (q("Q13-02"),)
    assert fu.deadline == SEED_DEADLINES.answers
    assert [a for _, a in w.of(StaffAlert) if a.kind is AlertKind.LATE_ITEM] == []
    # ② waits for its answer (16:00), not just Q13-01's (15:00), and shows both
    w.run(jst(1, 14, 14), jst(1, 15, 0))
    [(t, dist)] = w.of(SendDistribution)
    assert t == jst(1, 14, 16) and dist.item_ids == (q("Q13-01"), q("Q13-02"))
    assert dist.pending_ids == () and len(followups(w)) == 1


def test_accepted_at_arrival_after_the_distribution_does_not_reopen_it() -> None:
    w = opened(Policy())
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7), jst(1, 14, 15)))
    late = Item(q("Q13-02"), QS, jst(1, 15, 9, 30), jst(1, 16, 10, 15))
    w.reply(late.received_at, QS, "kato", late)
    w.run(jst(1, 5, 11), jst(1, 17, 0))
    dists = [(t, d.supplement, d.item_ids) for t, d in w.of(SendDistribution)]
    assert dists == [
        (jst(1, 14, 15), False, (q("Q13-01"),)),  # ② closed before it arrived
        (jst(1, 16, 11), True, (q("Q13-02"),)),  # its answer follows as a supplement
    ]
    [(t, fu)] = followups(w)
    assert t == jst(1, 15, 10) and fu.deadline == SEED_DEADLINES.responses_due
    assert w.facts.state is RoundState.COLLECTING_FURTHER


def test_accepted_at_arrival_before_the_bundle_is_in_it_and_gets_no_followup() -> None:
    w = opened(Policy())
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7)))
    w.run(jst(1, 5, 11), jst(1, 13, 23))
    late = Item(q("Q13-02"), QS, jst(1, 14, 0, 30))
    w.reply(late.received_at, QS, "kato", late)
    w.run(jst(1, 14, 1), jst(1, 14, 12))
    assert w.filed[q("Q13-02")] is Arrival.LATE_ACCEPTED
    assert w.bundle(QS, "kodomo")[1].item_ids == (q("Q13-01"), q("Q13-02"))
    assert followups(w) == []


def test_joined_at_is_the_acceptance_else_the_arrival() -> None:
    arrived, accepted = jst(1, 14, 9), jst(1, 14, 11)
    auto = ItemFact(q("Q13-02"), QS, arrived, late=True)
    staff = ItemFact(q("Q13-02"), QS, arrived, late=True, accepted_at=accepted)
    held = ItemFact(q("Q13-02"), QS, arrived, late=True, held=True)
    assert auto.joined_at == arrived and staff.joined_at == accepted
    assert not auto.present_at(jst(1, 14, 8)) and auto.present_at(arrived)
    assert not staff.present_at(jst(1, 14, 10)) and staff.present_at(accepted)
    assert not held.present_at(jst(2, 1))


def test_an_on_time_mail_read_only_after_the_bundle_went_follows_it() -> None:
    # Mailed at 23:59 on the due date, read at 00:20, twenty minutes after the
    # bundle left at midnight (delivery delay, or the daemon was down): on time, not
    # late, and not in the bundle either, so it goes in a follow-up.
    w = World(facts=seed_facts())
    w.apply(open_round(w.facts, w.deadlines, w.policy, jst(1, 5)), jst(1, 5))
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7)))
    tardy = Item(q("Q13-02"), QS, jst(1, 13, 23, 59), recorded_at=jst(1, 14, 0, 20))
    w.reply(tardy.received_at, QS, "kato", tardy)
    w.run(jst(1, 5, 11), jst(1, 14, 3))
    bundle_at, bundle = w.bundle(QS, "kodomo")
    assert bundle_at == jst(1, 14, 0) and bundle.item_ids == (q("Q13-01"),)
    [(t, fu)] = followups(w)
    assert t == jst(1, 14, 1) and fu.item_ids == (q("Q13-02"),)
    assert w.filed[q("Q13-02")] is Arrival.ON_TIME


def test_an_on_time_mail_read_before_the_bundle_is_in_it_and_nowhere_else() -> None:
    w = World(facts=seed_facts())
    w.apply(open_round(w.facts, w.deadlines, w.policy, jst(1, 5)), jst(1, 5))
    w.reply(jst(1, 7), QS, "ishida", Item(q("Q13-01"), QS, jst(1, 7)))
    prompt = Item(q("Q13-02"), QS, jst(1, 13, 23, 58), recorded_at=jst(1, 13, 23, 59))
    w.reply(prompt.received_at, QS, "kato", prompt)
    w.run(jst(1, 5, 11), jst(1, 14, 3))
    assert w.bundle(QS, "kodomo")[1].item_ids == (q("Q13-01"), q("Q13-02"))
    assert followups(w) == []
