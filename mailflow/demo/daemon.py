"""The demo runs the real daemon (`run_daemon`), paced for a fast clock.

`mailflow run` paces itself for real time (the scheduler at least every minute, the
sender resting 15 s when idle); here both run every tenth of a second, so a day of the
demo clock (about three seconds) sees many cycles.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from mailflow.services.context import Services
from mailflow.services.daemon import CycleReport, run_daemon
from mailflow.services.outbox import SendPolicy, entries
from mailflow.services.rounds import show_round

OnState = Callable[[str, bool], None]  # the round's state, and whether the outbox is empty
PAUSE = 0.1


async def run_services(
    services: Services, stop: asyncio.Event, round_key: str, on_state: OnState
) -> None:
    """Run the daemon until `stop`; report the round's state after each scheduler cycle."""

    def on_cycle(_report: CycleReport) -> None:
        on_state(*_state(services, round_key))

    await run_daemon(
        services, stop, tick_every=PAUSE, on_cycle=on_cycle,
        send_policy=SendPolicy(idle_seconds=PAUSE),
    )  # fmt: skip


def _state(services: Services, round_key: str) -> tuple[str, bool]:
    unsent = [e for e in entries(services) if e.state not in ("sent", "failed")]
    return show_round(services, round_key).state, not unsent
