"""The demo's daemon: intake, scheduler and sender in one loop, paced for a fast clock.

`mailflow run`'s daemon paces itself for real time (its sender rests 15 s when idle);
here the scheduler ticks and the outbox is sent every tenth of a second, so a day of the
demo clock (about three seconds) sees many cycles.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from mailflow.adapters.smtp import SmtpSender
from mailflow.services.context import Services
from mailflow.services.intake_loop import CycleCounts, IntakeLoop
from mailflow.services.outbox import entries, send_due, smtp_settings
from mailflow.services.rounds import show_round
from mailflow.services.workflow import tick

OnState = Callable[[str, bool], None]  # the round's state, and whether the outbox is empty
PAUSE = 0.1


async def run_services(
    services: Services, stop: asyncio.Event, round_key: str, on_state: OnState
) -> None:
    """Run intake, tick and send until `stop`; report the round's state each cycle."""
    intake = IntakeLoop.build(services)
    alerts: list[str] = []

    def on_cycle(counts: CycleCounts) -> None:
        alerts.extend(counts.alerts)

    reading = asyncio.create_task(intake.run_forever(stop, on_cycle), name="intake")
    sender = SmtpSender(smtp_settings(services))
    try:
        while not stop.is_set():
            taken = tuple(alerts)
            alerts.clear()
            await asyncio.to_thread(tick, services, taken)
            await send_due(services, services.clock.now(), sender=sender)
            state, settled = await asyncio.to_thread(_state, services, round_key)
            on_state(state, settled)
            if reading.done():
                reading.result()  # raise what stopped intake
            await asyncio.sleep(PAUSE)
    finally:
        stop.set()
        await sender.close()
        await asyncio.gather(reading, return_exceptions=True)


def _state(services: Services, round_key: str) -> tuple[str, bool]:
    unsent = [e for e in entries(services) if e.state not in ("sent", "failed")]
    return show_round(services, round_key).state, not unsent
