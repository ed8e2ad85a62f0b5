"""The cron lines of the worker's periodic jobs: every N seconds, rounded to what divides."""

from __future__ import annotations

import pytest

from mailflow.services.worker import cron


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
