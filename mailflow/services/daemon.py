"""`mailflow run`: one asyncio process for the mailbox, the schedule and the outbox.

Three tasks share one stop event: the IMAP intake loop (IDLE, polling fallback, store
first), the scheduler (`tick` on a timer, at each deadline, and right after intake
placed new mail, so a receipt or an echo does not wait for the timer) and the outbox
sender. Stopping lets each finish what it holds: the message being processed is
committed, the mail being sent is recorded; nothing is left half-done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from mailflow.errors import InputError
from mailflow.services.context import Services
from mailflow.services.db_wait import UNAVAILABLE, DatabaseWait
from mailflow.services.health import record_cycle
from mailflow.services.intake_loop import CycleCounts, IntakeLoop
from mailflow.services.outbox import SendPolicy, run_sender
from mailflow.services.private import secret_findings
from mailflow.services.workflow import TickReport, tick
from mailflow.store import db
from mailflow.store import outbox as outbox_repo
from mailflow.store import workflow as wf_repo
from mailflow.store.rounds import deadlines

log = logging.getLogger("mailflow.daemon")


@dataclass
class CycleReport:
    """One scheduler cycle: what intake did since the last one, the ticks, the outbox."""

    at: datetime
    intake: CycleCounts = field(default_factory=CycleCounts)
    ticks: list[TickReport] = field(default_factory=list)
    outbox: dict[str, int] = field(default_factory=dict)

    def health(self) -> str:
        rounds = ", ".join(f"{t.round_key} {t.state}" for t in self.ticks) or "no open round"
        box = " ".join(f"{k} {v}" for k, v in sorted(self.outbox.items()) if v) or "empty"
        return f"health: intake [{self.intake.describe()}]; rounds [{rounds}]; outbox [{box}]"


class Scheduler:
    """Runs `tick` every `every` seconds, at the next deadline, or when woken by intake."""

    def __init__(self, services: Services, every: float,
                 on_cycle: Callable[[CycleReport], None] | None,
                 waits: DatabaseWait | None = None) -> None:  # fmt: skip
        self.services, self.every, self.on_cycle = services, every, on_cycle
        self.waits = waits or DatabaseWait.of(services)
        self.wake = asyncio.Event()
        self.queued = asyncio.Event()  # set when a cycle queued mail: wakes the sender
        self._intake = CycleCounts()

    def intake_cycle(self, counts: CycleCounts) -> None:
        self._intake += counts
        if counts.done or counts.quarantined or counts.failed:
            self.wake.set()

    def _seconds_to_next_deadline(self) -> float | None:
        now = self.services.clock.now()
        with db.transaction(self.services.sessions) as s:
            committee = self.services.committee(s)
            upcoming = [
                at for rnd in wf_repo.open_rounds(s, committee.id)
                for at in deadlines(rnd).values() if at > now
            ]  # fmt: skip
        return (min(upcoming) - now).total_seconds() if upcoming else None

    def _cycle(self) -> CycleReport:
        with db.transaction(self.services.sessions) as s:
            self.services.committee(s)
        self.waits.worked()  # the database answers: a wait before is told in this digest
        # Taken only now: counts and alerts of a cycle the database refused are kept.
        intake, self._intake = self._intake, CycleCounts()
        report = CycleReport(self.services.clock.now(), intake)
        alerts = (*intake.alerts, *self.waits.take_alerts())
        try:
            report.ticks = tick(self.services, alerts)
        except UNAVAILABLE:
            self._intake = intake + self._intake
            self.waits.requeue(alerts[len(intake.alerts) :])
            raise
        with db.transaction(self.services.sessions) as s:
            committee = self.services.committee(s)
            report.outbox = outbox_repo.states(s, committee.id)
        record_cycle(self.services, report.at, {
            "intake": report.intake.describe(),
            "rounds": {t.round_key: t.state for t in report.ticks},
            "actions": sum(len(t.applied) for t in report.ticks),
        })  # fmt: skip
        db.checkpoint(self.services.engine)
        return report

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            wait = self.every
            try:
                report = await asyncio.to_thread(self._cycle)
                if any(t.mails for t in report.ticks) or report.intake.done:
                    self.queued.set()
                log.info(report.health())
                if self.on_cycle is not None:
                    self.on_cycle(report)
                nxt = await asyncio.to_thread(self._seconds_to_next_deadline)
                if nxt is not None:
                    wait = max(0.05, min(wait, nxt + 0.01))
            except UNAVAILABLE as exc:
                wait = self.waits.failed("scheduler", exc)
            except Exception:  # the schedule must survive one bad cycle
                log.exception("scheduler cycle failed; retrying at the next one")
            self.wake.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.wake.wait())]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED), wait
                )
            for w in waiters:
                w.cancel()


async def run_daemon(
    services: Services,
    stop: asyncio.Event,
    *,
    tick_every: float = 60.0,
    on_cycle: Callable[[CycleReport], None] | None = None,
    send_policy: SendPolicy | None = None,
) -> None:
    """Run intake, scheduler and sender until `stop`; then let each finish cleanly."""
    services.require_schema()
    found = secret_findings(services.config)
    if found.problems:
        # Better not to start than to take mail it cannot route or answer.
        raise InputError(found.problems)
    waits = DatabaseWait.of(services)
    scheduler = Scheduler(services, tick_every, on_cycle, waits)
    tasks = [asyncio.create_task(scheduler.run(stop), name="scheduler")]
    if services.config.smtp is not None:
        sender = run_sender(services, stop, policy=send_policy, wake=scheduler.queued, waits=waits)
        tasks.append(asyncio.create_task(sender, name="sender"))
    else:
        log.warning("no [smtp] section: mail is queued in the outbox but not sent")
    if services.config.imap is not None:
        intake = IntakeLoop.build(services, waits=waits)
        tasks.append(
            asyncio.create_task(intake.run_forever(stop, scheduler.intake_cycle), name="intake")
        )
    else:
        log.warning("no [imap] section: no mail is read")
    log.info("mailflow running for committee %s", services.config.committee.id)
    stopper = asyncio.ensure_future(stop.wait())
    failed = False
    try:
        done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
        # A task that ends on its own has failed: stop the rest and say so (a supervisor
        # such as systemd restarts the daemon; nothing is lost, everything is stored).
        failed = stopper not in done
    finally:
        stop.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for task, result in zip(tasks, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                failed = True
                log.error("%s stopped with %s: %s", task.get_name(), type(result).__name__, result)
        log.info("mailflow stopped")
    if failed:
        raise DaemonFailed("a part of the daemon stopped unexpectedly; see the log")


class DaemonFailed(Exception):
    """One of the daemon's tasks ended on its own."""


@dataclass
class Daemon:
    """The single-process back end (`services.tasks.Backend`): one daemon per committee,
    all in this process; the lease table keeps a second process off each mailbox."""

    committees: list[Services]
    tick_every: float = 60.0

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(
            *(run_daemon(s, stop, tick_every=self.tick_every) for s in self.committees)
        )
