"""A member's reply in ① is filed without reading the round; after ①'s cut-off it is read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mailflow.domain import Phase
from mailflow.workflow import Policy, RoundFacts
from mailflow.workflow.filing import member_reply_phase

from .world import SEED_DEADLINES, seed_facts


def _unread() -> RoundFacts:
    raise AssertionError("the round's facts were read for a reply in ①")


def test_a_reply_before_the_cut_off_of_questions_reads_no_facts() -> None:
    d = SEED_DEADLINES
    filed = member_reply_phase(_unread, d, Policy(), d.questions - timedelta(hours=1))
    assert (filed.phase, filed.late) == (Phase.QUESTIONS, False)


@pytest.mark.parametrize("after", [timedelta(0), timedelta(hours=1)])
def test_a_reply_after_the_cut_off_asks_the_round_whether_two_closed(after: timedelta) -> None:
    d = SEED_DEADLINES
    read: list[bool] = []

    def facts() -> RoundFacts:
        read.append(True)
        return seed_facts()

    arrived = d.cutoff(Phase.QUESTIONS) + after + timedelta(microseconds=1)
    filed = member_reply_phase(facts, d, Policy(), arrived)
    assert read == [True]
    assert filed.phase in (Phase.QUESTIONS, Phase.FURTHER)
