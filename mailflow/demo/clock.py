"""The demo clock: the seed's calendar (from 2021-01-05 09:00 JST) on fast-forward."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
START = datetime(2021, 1, 5, 9, 0, tzinfo=JST)  # the chair's notice (会長通知) of 1/5
# One demo day in about three real seconds: the round (1/5 to about 1/23) in about a minute.
DEFAULT_SPEED = 28_800.0


class DemoClock:
    """`speed` demo seconds pass per real second; safe to read from worker threads.

    Mailflow's deadlines, reminders and lateness are all judged on this clock, so the
    minutes and mails show the seed's dates (1月13日（水）) while the round takes a minute.
    """

    def __init__(self, start: datetime = START, speed: float = DEFAULT_SPEED) -> None:
        if start.tzinfo is None:
            raise ValueError("the demo clock needs an aware start")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start, self.speed = start, speed
        self._t0 = time.monotonic()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            elapsed = time.monotonic() - self._t0
        return self.start + timedelta(seconds=elapsed * self.speed)

    def real_seconds(self, demo: timedelta) -> float:
        """How long `demo` of demo time lasts in real seconds."""
        return demo.total_seconds() / self.speed

    async def sleep_until(self, at: datetime) -> None:
        """Wait (really) until the demo clock shows `at`."""
        while (left := at - self.now()) > timedelta(0):
            await asyncio.sleep(max(0.01, self.real_seconds(left)))
