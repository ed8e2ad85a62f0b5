"""Action keys are read back only by the functions beside their builders."""

from __future__ import annotations

from datetime import timedelta

from mailflow.domain import ItemId, Phase
from mailflow.workflow import actions as act
from tests.unit.workflow.world import SEED_DEADLINES


def test_every_key_read_back_is_one_its_builder_made() -> None:
    q = (ItemId.parse("Q13-02"), ItemId.parse("Q13-03"))
    d = SEED_DEADLINES.answers
    bundle = act.SendDepartmentBundle("R2-5", Phase.QUESTIONS, "kodomo", d, q[:1], d)
    follow = act.SendDepartmentBundle("R2-5", Phase.QUESTIONS, "kodomo", d, q, d, followup=True)
    supplement = act.SendDistribution("R2-5", ("ishida",), d, q[1:], (), True, supplement=True)
    # Q13-02's answer was withdrawn at `d` and given anew: its token carries that instant.
    renewed = act.SendDistribution("R2-5", ("ishida",), d, q, (), True, True, ((q[0], d),))
    issued = {bundle.key, follow.key, supplement.key, "R2-5:bundle:3:hoiku"}
    assert act.followed_up(issued, bundle.key) == {"Q13-02", "Q13-03"}
    assert act.supplemented(issued, "R2-5") == {"Q13-03"}
    assert act.supplemented({*issued, renewed.key}, "R2-5") == {"Q13-02", "Q13-03"}
    times = ((supplement.key, d), (renewed.key, d + timedelta(days=1)))
    assert act.supplemented_at(times, "R2-5", "Q13-02") == [d + timedelta(days=1)]
    assert act.supplemented_at(times, "R2-5", "Q13-03") == [d, d + timedelta(days=1)]
    assert act.bundles_sent(issued, "R2-5", Phase.QUESTIONS) == {"kodomo"}
    assert act.bundles_sent(issued, "R2-5", Phase.FURTHER) == {"hoiku"}
    reminder = act.SendReminder(
        "R2-5", Phase.FURTHER, act.Audience.MEMBERS, ("ueno",), timedelta(days=1), d
    )
    assert act.reminded(act.recipient_key(reminder.key, "ueno")) == (Phase.FURTHER, "ueno")
    assert act.reminded(act.recipient_key(bundle.key, "kodomo")) is None
