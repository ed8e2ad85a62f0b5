"""`mailflow worker`: the daemon's tasks as procrastinate jobs, shared by many processes.

On PostgreSQL any number of workers (any machine) share every committee's work through
procrastinate's tables in the same database:

* `mailflow.poll` (one job per mailbox every `poll_interval_seconds`, deferred as
  procrastinate's periodic jobs are, under a periodic id: `QueueWorker._schedule`): holds
  the mailbox in IDLE for `hold_seconds`, then ends; the next one, queued meanwhile,
  takes over at once, in whichever worker fetches it (a dead worker's hold is ended by
  `mailflow.recover`, not waited out). Its lock (`poll:<committee>`) lets only
  one run per mailbox, its queueing lock keeps at most one waiting.
* `mailflow.tick` (one job per committee every `tick_every` seconds, deferred alike, and right
  after intake processed mail): the deadline tick; it then queues a send job for each
  mail due.
* `mailflow.send` (one job per outbox mail, lock and queueing lock `send:<id>`): sends
  it once. A worker killed mid-send leaves the row ``sending``; the job is queued again
  and the mail goes again with the same bytes and Message-ID (services/outbox.py).
* `mailflow.recover` (periodic, every few seconds): jobs of a worker whose heartbeat is
  older than `stalled_after` are ended as failed, which frees their lock; the poll and
  tick waiting behind them run at once, a send is queued again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import logging
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Status
from procrastinate.schema import SchemaManager
from procrastinate.types import JSONValue

from mailflow.services.context import Services
from mailflow.services.intake_loop import CycleCounts
from mailflow.services.outbox import mail_sender
from mailflow.services.ports import MailSender
from mailflow.services.tasks import alert_staff, poll_mailbox, send_mail, tick_committee
from mailflow.store import db

log = logging.getLogger("mailflow.worker")
POLL, TICK, SEND, RECOVER = "mailflow.poll", "mailflow.tick", "mailflow.send", "mailflow.recover"


def apply_schema(services: Services) -> bool:
    """procrastinate's tables in the committee database; False if they were there."""
    return db.apply_queue_schema(services.engine, SchemaManager.get_schema())


@dataclass(frozen=True)
class WorkerSettings:
    """How a worker paces itself; the defaults suit production."""

    concurrency: int | None = None  # None: two jobs per committee, and four more
    tick_every: int = 60
    # A worker silent this long is taken for dead and its jobs are taken over.
    stalled_after: float = 10.0
    recover_every: int = 2
    # How long one poll job holds its mailbox (at least one poll interval). A takeover
    # after a worker's death does not wait for it; a longer hold means fewer reconnects.
    hold_seconds: int = 300
    # How often a worker looks for new jobs when no notification wakes it.
    fetch_every: float = 1.0


_DIVISORS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)  # of a minute's seconds, an hour's minutes


def period(seconds: int) -> int:
    """Every `seconds`, rounded down to what divides a minute (or, from a minute on, an
    hour): the times are then the same multiples of it on every worker's clock."""
    if seconds < 60:
        return max(d for d in _DIVISORS if d <= max(1, seconds))
    return 60 * max(d for d in _DIVISORS if d <= seconds // 60)


def cron(seconds: int) -> str:
    """A cron line firing every `period(seconds)`."""
    every = period(seconds)
    return f"* * * * * */{every}" if every < 60 else f"*/{every // 60} * * * *"


def latest_time(every: int, offset: int, now: float) -> int:
    """The latest of the times `offset + k·every` (k whole, seconds since the epoch) at
    or before `now`: the same on every worker's clock."""
    return int((now - offset) // every) * every + offset


@dataclass(frozen=True)
class Repeat:
    """A committee's job deferred every `every` seconds, under its periodic id: the same
    id and time deferred by any worker is one job (procrastinate's periodic defers)."""

    task: str  # POLL or TICK
    committee: str
    every: int

    @property
    def periodic_id(self) -> str:
        return f"{'poll' if self.task == POLL else 'tick'}:{self.committee}"

    @property
    def offset(self) -> int:
        """Where in its period the committee's times fall, from its id: a worker's
        committees are due spread over the period, not all in its first second (a job
        each to defer, fetch and run at once)."""
        digest = hashlib.sha256(self.periodic_id.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.every


class QueueWorker:
    """The procrastinate back end: every committee's tasks, as jobs, in this process."""

    def __init__(self, committees: Sequence[Services], settings: WorkerSettings) -> None:
        if not committees:
            raise ValueError("a worker needs at least one committee")
        first = committees[0]
        if not db.is_postgres(first.engine):
            raise ValueError("mailflow worker needs PostgreSQL; use `mailflow run` on SQLite")
        self.by_key = {s.config.committee.id: s for s in committees}
        self.settings = settings
        connector = procrastinate.PsycopgConnector(conninfo=db.libpq_url(first.engine))
        self.app = procrastinate.App(connector=connector)
        self._stops: set[asyncio.Event] = set()
        self._follow_ups: set[asyncio.Future[None]] = set()
        self._senders: dict[str, tuple[MailSender, asyncio.Lock]] = {}
        self._stopping = False
        # Ticks run one at a time per worker: a hundred committees' ticks due in the same
        # second would otherwise fill the threads that intake needs for new mail.
        self._ticking = asyncio.Semaphore(1)
        self._register()

    # The tasks ---------------------------------------------------------------------

    def _register(self) -> None:
        app = self.app
        self._tasks = {POLL: app.task(name=POLL)(self._poll), TICK: app.task(name=TICK)(self._tick)}
        self._send_task = app.task(name=SEND)(self._send)
        recover = app.task(name=RECOVER, lock="mailflow:recover")(self._recover)
        app.periodic(cron=cron(self.settings.recover_every), periodic_id="recover")(recover)
        # Each committee's polls and ticks are deferred by `_schedule`, not registered as
        # periodic tasks: procrastinate's deferrer works out every periodic task's cron
        # line each time it wakes (every `recover_every` seconds), 2 per committee:
        # 26.5 ms a wake at 300 committees, growing with them.
        self.repeats = [
            Repeat(task, key, every)
            for key, services in self.by_key.items()
            for task, every in (
                (POLL, services.config.imap.poll_interval_seconds if services.config.imap else 0),
                (TICK, self.settings.tick_every),
            )
            if every
        ]

    async def _poll(self, timestamp: int, committee: str) -> None:
        services = self.by_key[committee]
        imap = services.config.imap
        if self._stopping or imap is None:
            return
        stop = asyncio.Event()
        self._stops.add(stop)
        # Held for a while; the next poll, queued meanwhile, follows at once.
        hold = max(imap.poll_interval_seconds, self.settings.hold_seconds)
        timer = asyncio.get_running_loop().call_later(hold, stop.set)

        def after(counts: CycleCounts) -> None:
            if counts.done or counts.quarantined or counts.failed or counts.alerts:
                follow = asyncio.ensure_future(self._after_intake(committee, counts))
                self._follow_ups.add(follow)
                follow.add_done_callback(self._follow_ups.discard)

        try:
            await poll_mailbox(services, stop, exclusive=True, on_cycle=after)
        finally:
            timer.cancel()
            self._stops.discard(stop)
            # Receipts and staff alerts of the last cycle leave before the mailbox does.
            if self._follow_ups:
                await asyncio.gather(*self._follow_ups, return_exceptions=True)

    async def _after_intake(self, committee: str, counts: CycleCounts) -> None:
        services = self.by_key[committee]
        await asyncio.to_thread(alert_staff, services, counts.alerts)
        await self._defer_tick(committee)

    async def _tick(self, timestamp: int, committee: str) -> None:
        services = self.by_key[committee]
        async with self._ticking:
            result = await asyncio.to_thread(tick_committee, services)
        for outbox_id in result.due:
            await self._defer_send(committee, outbox_id)

    async def _send(self, committee: str, outbox_id: int) -> None:
        services = self.by_key[committee]
        sender, lock = self._sender(committee)
        async with lock:  # one SMTP connection per committee, one mail at a time
            report = await send_mail(services, outbox_id, sender)
        if report.resumed:
            log.warning("outbox %d sent again after its sender died (same Message-ID)", outbox_id)

    async def _recover(self, timestamp: int | None = None) -> None:
        """End the jobs of dead workers (their locks go with them) and requeue sends."""
        manager = self.app.job_manager
        stalled = await manager.get_stalled_jobs(
            seconds_since_heartbeat=self.settings.stalled_after
        )
        for job in stalled:
            assert job.id is not None
            await manager.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
            log.warning("job %d (%s) of a dead worker ended; taken over", job.id, job.task_name)
            kwargs = job.task_kwargs
            if job.task_name == SEND:
                await self._defer_send(str(kwargs["committee"]), int(str(kwargs["outbox_id"])))

    # Deferring -----------------------------------------------------------------------

    async def _schedule(self) -> None:
        """Defer each committee's poll and tick at their times, each at once at start:
        the soonest time first, asleep until it comes."""
        now = time.time()
        soonest = [(latest_time(r.every, r.offset, now), n, r) for n, r in enumerate(self.repeats)]
        heapq.heapify(soonest)
        while soonest:
            due, n, repeat = soonest[0]
            wait = due - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            try:
                await self._defer_repeat(repeat, due)
            except Exception as exc:  # the database away: its next time is tried
                log.error("%s not deferred: %s", repeat.periodic_id, type(exc).__name__)
            # Fallen behind by more than a period (a long wait for the database): the
            # latest time is deferred next, the ones missed are not.
            after = max(due + repeat.every, latest_time(repeat.every, repeat.offset, time.time()))
            heapq.heapreplace(soonest, (after, n, repeat))

    async def _defer_repeat(self, repeat: Repeat, due: int) -> None:
        lock = repeat.periodic_id
        kwargs: dict[str, JSONValue] = {"committee": repeat.committee, "timestamp": due}
        task = self._tasks[repeat.task]
        job = task.configure(lock=lock, queueing_lock=lock, task_kwargs=kwargs).job
        with contextlib.suppress(AlreadyEnqueued):  # one waiting is enough
            await self.app.job_manager.defer_periodic_job(
                job, periodic_id=repeat.periodic_id, defer_timestamp=due
            )

    async def _defer_tick(self, committee: str) -> None:
        lock = f"tick:{committee}"
        configured = self._tasks[TICK].configure(
            lock=lock, queueing_lock=lock, task_kwargs={"committee": committee, "timestamp": 0}
        )
        with contextlib.suppress(AlreadyEnqueued):  # one waiting is enough
            await configured.defer_async()

    async def _defer_send(self, committee: str, outbox_id: int) -> None:
        lock = f"send:{outbox_id}"
        configured = self._send_task.configure(
            lock=lock, queueing_lock=lock,
            task_kwargs={"committee": committee, "outbox_id": outbox_id},
        )  # fmt: skip
        with contextlib.suppress(AlreadyEnqueued):
            await configured.defer_async()

    def _sender(self, committee: str) -> tuple[MailSender, asyncio.Lock]:
        if committee not in self._senders:
            sender = mail_sender(self.by_key[committee])
            self._senders[committee] = (sender, asyncio.Lock())
        return self._senders[committee]

    # Running -------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop`; then end the mailbox holds and let running jobs finish."""
        settings = self.settings
        concurrency = settings.concurrency or 2 * len(self.by_key) + 4
        async with self.app.open_async():
            worker = asyncio.create_task(
                self.app.run_worker_async(
                    name=f"{socket.gethostname()}:{id(self):x}",
                    concurrency=concurrency,
                    install_signal_handlers=False,
                    fetch_job_polling_interval=settings.fetch_every,
                    update_heartbeat_interval=max(0.5, settings.stalled_after / 4),
                    stalled_worker_timeout=settings.stalled_after,
                    delete_jobs="successful",
                )
            )
            schedule = asyncio.create_task(self._schedule())
            log.info("worker running for %d committees, %d jobs at once",
                     len(self.by_key), concurrency)  # fmt: skip
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait([stopper, worker], return_when=asyncio.FIRST_COMPLETED)
            self._stopping = True
            schedule.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await schedule
            for hold in list(self._stops):
                hold.set()
            worker.cancel()  # procrastinate then waits for the running jobs
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            stopper.cancel()
        for sender, _ in self._senders.values():
            await sender.close()
        log.info("worker stopped")
