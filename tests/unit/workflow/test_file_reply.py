"""file_reply: the phase, lateness and arrival of a member's items, and correctability."""

from __future__ import annotations

from mailflow.domain import ItemId, Phase
from mailflow.workflow import Arrival, LatePolicy, Policy, RoundState
from mailflow.workflow.actions import bundle_key
from mailflow.workflow.facts import AnswerSpan, ItemFact
from mailflow.workflow.filing import correctable, file_reply
from tests.unit.workflow.world import SEED_DEADLINES, jst, seed_facts

D = SEED_DEADLINES


def test_on_time_in_one_then_late_and_sent_in_a_follow_up() -> None:
    facts = seed_facts(state=RoundState.COLLECTING_QUESTIONS)
    filed = file_reply(lambda: facts, D, Policy(), ("13", None), jst(1, 8))
    assert (filed.phase, filed.late) == (Phase.QUESTIONS, False)
    assert filed.arrivals == (Arrival.ON_TIME, Arrival.ON_TIME)
    assert correctable(facts, Phase.QUESTIONS, "13")
    # After D1 and the bundle to kodomo (13): a late ① item follows in a follow-up.
    gone = seed_facts(
        state=RoundState.ANSWERING,
        issued=frozenset({bundle_key("R2-5", Phase.QUESTIONS, "kodomo")}),
        items=(ItemFact(ItemId.parse("Q14-01"), Phase.QUESTIONS, jst(1, 6)),),
    )
    filed = file_reply(lambda: gone, D, Policy(), ("13", "14"), jst(1, 14, 12))
    assert (filed.phase, filed.late) == (Phase.QUESTIONS, True)
    assert filed.arrivals == (Arrival.LATE_FOLLOWUP, Arrival.LATE_ACCEPTED)
    assert filed.followups == (0,)
    assert not correctable(gone, Phase.QUESTIONS, "13") and correctable(gone, Phase.QUESTIONS, "14")
    hold = Policy(late=LatePolicy.HOLD_FOR_STAFF)
    held = file_reply(lambda: gone, D, hold, ("13",), jst(1, 14, 12))
    assert held.arrivals == (Arrival.LATE_HELD,)


def test_after_an_early_distribution_a_reply_is_a_further_opinion() -> None:
    answered = ItemFact(
        ItemId.parse("Q13-01"), Phase.QUESTIONS, jst(1, 6), answers=(AnswerSpan(jst(1, 14, 10)),)
    )
    facts = seed_facts(state=RoundState.COLLECTING_FURTHER, items=(answered,))
    before = file_reply(lambda: facts, D, Policy(), ("13",), jst(1, 14, 9))
    assert (before.phase, before.late) == (Phase.QUESTIONS, True)
    after = file_reply(lambda: facts, D, Policy(), ("13",), jst(1, 14, 12))
    assert (after.phase, after.late, after.arrivals) == (Phase.FURTHER, False, (Arrival.ON_TIME,))
