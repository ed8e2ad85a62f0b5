"""Deadlines in the committee's timezone, lateness by arrival, reminder offsets, states."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise

import pytest

from mailflow.domain import Phase
from mailflow.workflow import (
    TRANSITIONS,
    Arrival,
    Deadlines,
    LatePolicy,
    Policy,
    RoundState,
    can_transition,
    end_of_day,
    is_late,
    judge_arrival,
)
from mailflow.workflow.errors import DeadlineOrderError, NaiveDatetime
from mailflow.workflow.timing import iso_duration, reminder_offset_due

from .world import JST, SEED_DEADLINES, jst

D1 = SEED_DEADLINES.questions


def test_a_date_deadline_means_the_end_of_that_day_in_tokyo() -> None:
    assert datetime(2021, 1, 13, 23, 59, 59, tzinfo=JST) == D1
    assert D1.astimezone(UTC) == datetime(2021, 1, 13, 14, 59, 59, tzinfo=UTC)


def test_end_of_day_has_one_definition() -> None:
    # The round file, the phase machine, the mails, the minutes and the CLI share it.
    from mailflow.domain import roundspec
    from mailflow.domain.endofday import end_of_day as defined
    from mailflow.minutes import wording
    from mailflow.outbound import render
    from mailflow.workflow import end_of_day

    assert end_of_day is defined and roundspec.end_of_day is defined
    assert wording.is_end_of_day is render.is_end_of_day
    spec = roundspec.parse_round_spec(
        {
            "id": "R2-5", "title": "t", "fiscal_year": 2020, "notice_date": "2021-01-05",
            "deadlines": {"questions": date(2021, 1, 13), "answers": date(2021, 1, 15),
                          "further": date(2021, 1, 20), "decision": date(2021, 1, 27)},
            "consultations": [{"key": "13", "number": "n", "title": "t", "departments": ["d"]}],
        },
        "round.toml",
    )  # fmt: skip
    assert spec.resolved_deadlines(JST, "round.toml")[Phase.QUESTIONS] == D1


def test_lateness_is_by_arrival_whatever_zone_the_time_is_written_in() -> None:
    # 15:30 UTC on the 13th is already 00:30 on the 14th in Tokyo: late.
    assert is_late(datetime(2021, 1, 13, 15, 30, tzinfo=UTC), Phase.QUESTIONS, SEED_DEADLINES)
    assert not is_late(datetime(2021, 1, 13, 14, 59, tzinfo=UTC), Phase.QUESTIONS, SEED_DEADLINES)
    pst = timezone(timedelta(hours=-8))
    assert not is_late(datetime(2021, 1, 13, 6, 0, tzinfo=pst), Phase.QUESTIONS, SEED_DEADLINES)
    with pytest.raises(NaiveDatetime):
        is_late(datetime(2021, 1, 13, 12, 0), Phase.QUESTIONS, SEED_DEADLINES)


def test_grace_moves_the_hard_cut_off_but_not_the_date_shown() -> None:
    d = Deadlines(
        D1,
        SEED_DEADLINES.answers,
        SEED_DEADLINES.further,
        SEED_DEADLINES.decision,
        grace=timedelta(hours=9),
    )
    assert d.due(Phase.QUESTIONS) == D1
    assert not is_late(jst(1, 14, 8), Phase.QUESTIONS, d)
    assert is_late(jst(1, 14, 9, 1), Phase.QUESTIONS, d)


def test_judge_arrival_follows_the_late_policy() -> None:
    accept, hold = Policy(), Policy(late=LatePolicy.HOLD_FOR_STAFF)
    late = jst(1, 14, 1)
    assert (
        judge_arrival(jst(1, 13, 20), Phase.QUESTIONS, SEED_DEADLINES, hold, bundle_sent=True)
        is Arrival.ON_TIME
    )
    args = (late, Phase.QUESTIONS, SEED_DEADLINES)
    assert judge_arrival(*args, accept, bundle_sent=False) is Arrival.LATE_ACCEPTED
    # the committee accepts late mail: after the bundle it goes in a follow-up
    assert judge_arrival(*args, accept, bundle_sent=True) is Arrival.LATE_FOLLOWUP
    assert judge_arrival(*args, hold, bundle_sent=False) is Arrival.LATE_HELD
    assert judge_arrival(*args, hold, bundle_sent=True) is Arrival.LATE_HELD
    assert [a for a in Arrival if a.held] == [Arrival.LATE_HELD]


def test_deadlines_must_be_aware_and_in_order() -> None:
    with pytest.raises(DeadlineOrderError, match=r"② .* is not before ③"):
        Deadlines(jst(1, 13), jst(1, 21), jst(1, 20), jst(1, 27))
    with pytest.raises(NaiveDatetime, match="timezone"):
        Deadlines(datetime(2021, 1, 13), jst(1, 15), jst(1, 20), jst(1, 27))
    with pytest.raises(DeadlineOrderError, match="between ③ and ④"):
        Deadlines(jst(1, 13), jst(1, 15), jst(1, 20), jst(1, 27), responses=jst(1, 28))


def test_responses_due_mirrors_the_answer_window_or_halves_the_gap_to_d4() -> None:
    assert SEED_DEADLINES.responses_due == end_of_day(date(2021, 1, 22), JST)
    tight = Deadlines(jst(1, 13), jst(1, 18), jst(1, 20), jst(1, 22))
    assert tight.responses_due == jst(1, 21)


def test_only_the_nearest_reached_offset_counts() -> None:
    offsets = (timedelta(days=2), timedelta(days=1))
    assert reminder_offset_due(D1, offsets, jst(1, 11, 12)) is None
    assert reminder_offset_due(D1, offsets, jst(1, 12, 12)) == timedelta(days=2)
    assert reminder_offset_due(D1, offsets, jst(1, 13, 12)) == timedelta(days=1)
    assert reminder_offset_due(D1, offsets, jst(1, 14, 0)) is None


def test_iso_durations_for_keys() -> None:
    assert iso_duration(-timedelta(days=1)) == "-P1D"
    assert iso_duration(timedelta(days=1, hours=12)) == "P1DT12H"
    assert iso_duration(timedelta(minutes=90)) == "PT1H30M"
    assert iso_duration(timedelta(0)) == "P0D"


def test_policy_refuses_non_positive_offsets() -> None:
    with pytest.raises(ValueError, match="positive"):
        Policy(reminder_offsets=(timedelta(0),))


def test_transitions_move_forward_one_step_and_end_in_final_states() -> None:
    order = [s for s in RoundState if s is not RoundState.CANCELLED]
    for src, dst in pairwise(order):
        assert can_transition(src, dst)
        assert not can_transition(dst, src)
    assert not can_transition(RoundState.DRAFT, RoundState.ANSWERING)
    assert TRANSITIONS[RoundState.MINUTES_PUBLISHED] == frozenset()
    assert TRANSITIONS[RoundState.CANCELLED] == frozenset()
    assert not can_transition(RoundState.DECIDED, RoundState.CANCELLED)
    assert can_transition(RoundState.AWAITING_DECISION, RoundState.CANCELLED)
