"""The cron lines of the worker's periodic jobs: every N seconds, rounded to what divides."""

from __future__ import annotations

import pytest

from mailflow.services.worker import TICK, Repeat, cron, latest_time, period


@pytest.mark.parametrize(
    ("seconds", "line"),
    [
        (1, "* * * * * */1"),
        (2, "* * * * * */2"),
        (7, "* * * * * */6"),  # 7 does not divide a minute: every 6 s, never later
        (60, "*/1 * * * *"),
        (90, "*/1 * * * *"),
        (300, "*/5 * * * *"),
        (3600, "*/30 * * * *"),
    ],
)
def test_cron_fires_at_least_as_often_as_asked(seconds: int, line: str) -> None:
    assert cron(seconds) == line


@pytest.mark.parametrize(
    ("seconds", "every"), [(1, 1), (7, 6), (59, 30), (60, 60), (90, 60), (300, 300), (7200, 1800)]
)
def test_a_period_is_what_its_cron_line_fires_at(seconds: int, every: int) -> None:
    assert period(seconds) == every
    line = cron(seconds)
    fired = int(line.split("/")[1].split()[0])
    assert fired * (1 if line.startswith("* * * * * ") else 60) == every


def test_the_latest_time_is_the_last_of_its_period_at_or_before_now() -> None:
    assert latest_time(60, 0, 1_800_000_000.0) == 1_800_000_000
    assert latest_time(60, 0, 1_800_000_059.9) == 1_800_000_000
    assert latest_time(60, 0, 1_800_000_060.0) == 1_800_000_060
    assert latest_time(60, 17, 1_800_000_016.9) == 1_799_999_957
    assert latest_time(60, 17, 1_800_000_017.0) == 1_800_000_017
    assert latest_time(90, 0, 1_800_000_089.0) == 1_800_000_000  # any period, not a divisor


def test_committees_times_are_spread_over_the_period_the_same_on_every_worker() -> None:
    repeats = [Repeat(TICK, f"c{n:03d}", 60) for n in range(300)]
    offsets = [r.offset for r in repeats]
    assert all(0 <= o < 60 for o in offsets)
    assert offsets == [Repeat(TICK, f"c{n:03d}", 60).offset for n in range(300)]
    # Spread: no second of the minute has more than a small share of the 300 ticks.
    assert len(set(offsets)) >= 50 and max(offsets.count(o) for o in offsets) <= 15
