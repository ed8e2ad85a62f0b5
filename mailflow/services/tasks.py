"""The daemon's work as three tasks on one committee, and the two back ends that run them.

* `poll_mailbox`: hold the committee's mailbox (IDLE, polling fallback) until told to
  stop, storing and processing every new mail;
* `tick_committee`: apply what is due in every open round (the deadline tick), then list
  the mail due to go;
* `send_mail`: send one outbox mail.

`mailflow run` (SQLite, or one process for a few committees) runs them in one asyncio
process: `services.daemon`, whose lease keeps a second daemon off the same mailbox.
`mailflow worker` (PostgreSQL) runs them as procrastinate jobs shared by any number of
processes: `services.worker`. The back ends differ only in who decides what runs where.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from mailflow.outbound.alerts import StaffLine
from mailflow.services.context import Services
from mailflow.services.fetch import FetchOptions
from mailflow.services.intake_loop import CycleCounts, IntakeLoop
from mailflow.services.notices import send_staff_digest
from mailflow.services.outbox import SendPolicy, SendReport, due_mail, send_one
from mailflow.services.ports import MailSender
from mailflow.services.workflow import TickReport, tick


class Backend(Protocol):
    """Runs every committee's tasks until `stop` is set."""

    async def run(self, stop: asyncio.Event) -> None: ...


async def poll_mailbox(
    services: Services,
    stop: asyncio.Event,
    *,
    exclusive: bool,
    on_cycle: Callable[[CycleCounts], None] | None = None,
) -> None:
    """Hold the mailbox until `stop`: mail stored first, processed, moved on the server.

    `exclusive` says the caller already is the mailbox's only poller (the queue's lock);
    otherwise the lease table decides between contenders.
    """
    intake = IntakeLoop.build(services, FetchOptions(lease=not exclusive))
    await intake.run_forever(stop, on_cycle)


def tick_committee(services: Services, intake_alerts: Sequence[StaffLine] = ()) -> TickResult:
    """One deadline tick of the committee, and the ids of the mail then due to go."""
    reports = tick(services, intake_alerts)
    return TickResult(reports, due_mail(services))


def alert_staff(services: Services, alerts: Sequence[StaffLine]) -> None:
    """Intake's alerts in a digest of their own (the queue's ticks run elsewhere)."""
    if alerts:
        send_staff_digest(services, [], services.clock.now(), alerts)


async def send_mail(
    services: Services, outbox_id: int, sender: MailSender, policy: SendPolicy | None = None
) -> SendReport:
    """Send one outbox mail if it is (still) due; a mail left mid-send goes again as is."""
    return await send_one(services, outbox_id, sender=sender, policy=policy)


@dataclass(frozen=True)
class TickResult:
    reports: list[TickReport]
    due: list[int]
