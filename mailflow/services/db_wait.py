"""Waiting out a database that is locked or unreachable: backoff, log lines, a staff alert after.

A backup holding SQLite's lock, a staff command in a long transaction, PostgreSQL
restarting: none of these is a reason for the daemon to exit. Each task that finds the
database unusable waits (1, 2, 4 … seconds, at most a minute) and tries again; the
log says so at once, and staff get one alert in the first digest the database can take
again, saying for how long mailflow waited.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from mailflow.clock import Clock
from mailflow.outbound.alerts import StaffLine, StaffNotice, notice_line
from mailflow.store import db

if TYPE_CHECKING:
    from mailflow.services.context import Services

log = logging.getLogger("mailflow.database")

# What "the database cannot be used now" looks like (store.db.UNAVAILABLE).
UNAVAILABLE = db.UNAVAILABLE


class DatabaseWait:
    """Shared by the daemon's tasks: when the database became unusable, and the alert after."""

    def __init__(
        self, clock: Clock, *, language: str, tz: tzinfo, first: float = 1.0, most: float = 60.0
    ) -> None:
        """``language`` and ``tz``: the committee's, for the alert staff read."""
        self._clock, self._first, self._most = clock, first, most
        self._language, self._tz = language, tz
        self._lock = threading.Lock()
        self._since: tuple[datetime, float] | None = None
        self._failures = 0
        self._alerts: list[StaffLine] = []

    @classmethod
    def of(cls, services: Services) -> DatabaseWait:
        """The committee's: its clock, and its language and time zone for the alert."""
        committee = services.config.committee
        return cls(services.clock, language=committee.language, tz=committee.tz)

    def failed(self, task: str, exc: BaseException) -> float:
        """Note one failure of `task`; the seconds it should wait before trying again."""
        with self._lock:
            if self._since is None:
                self._since = (self._clock.now(), time.monotonic())
            self._failures += 1
            delay = min(self._most, self._first * float(1 << min(self._failures - 1, 16)))
        # The class and first line: an error text may name a table, never a mail's words
        # (SQL parameters are hidden by the engine).
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        log.warning(
            "%s: the database cannot be used (%s: %s); waiting %.0f s",
            task, type(exc).__name__, first, delay,
        )  # fmt: skip
        return delay * random.uniform(0.8, 1.2)

    def worked(self) -> None:
        """A task used the database again: if it had been unusable, staff are told once."""
        with self._lock:
            if self._since is None:
                return
            since, started = self._since
            self._since, self._failures = None, 0
            waited = time.monotonic() - started
            alert = notice_line(
                self._language, StaffNotice.DATABASE_WAITED,
                since=f"{since.astimezone(self._tz):%Y-%m-%d %H:%M:%S}", seconds=f"{waited:.0f}",
            )  # fmt: skip
            self._alerts.append(alert)
        log.warning(
            "database: could not be used from %s for about %.0f s; waited, nothing was lost",
            since.isoformat(timespec="seconds"), waited,
        )  # fmt: skip

    def requeue(self, alerts: tuple[StaffLine, ...]) -> None:
        """Alerts taken for a digest the database then refused: they go in the next one."""
        with self._lock:
            self._alerts[:0] = alerts

    def take_alerts(self) -> tuple[StaffLine, ...]:
        with self._lock:
            taken, self._alerts = tuple(self._alerts), []
        return taken

    async def pause(self, stop: asyncio.Event, seconds: float) -> None:
        """Sleep `seconds`, or less if `stop` is set meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max(0.0, seconds))
