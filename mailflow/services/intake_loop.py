"""The daemon's intake: fetch and store new mail, process each one, count every cycle.

Store first, then process: `MailFetcher` commits a batch, then calls `_process` with the
new message ids, which runs `ingest.process_stored` on them in a worker thread (a group
of mails to a commit; the event loop keeps serving IDLE and the other tasks meanwhile).
Processing decides where the mail goes on the server: a quarantined mail, and one
processing failed on, is moved to `imap.quarantine_folder` (staff must look at both),
every other one to `imap.processed_folder`. Mail stored but never processed (the process
died in between) is processed at start, before the first fetch; its server-side move, if
still pending, then follows its processing state too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from mailflow.outbound.alerts import StaffLine, StaffNotice, notice_line
from mailflow.services.context import Services
from mailflow.services.db_wait import UNAVAILABLE, DatabaseWait
from mailflow.services.fetch import (
    FOR_STAFF,
    FetchCounts,
    FetchOptions,
    LeaseHeld,
    MailFetcher,
)
from mailflow.services.ingest import Outcome, process_stored
from mailflow.services.ports import Connector
from mailflow.store import db
from mailflow.store.leases import acquire_lease
from mailflow.store.messages import pending_messages

log = logging.getLogger("mailflow.intake")


@dataclass(frozen=True)
class CycleCounts:
    """One intake cycle, for the daemon's health line."""

    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    done: int = 0
    quarantined: int = 0
    failed: int = 0
    # Staff alerts raised by processing (quarantine, bounces, …), for one digest per cycle.
    alerts: tuple[StaffLine, ...] = field(default=())

    def __add__(self, other: CycleCounts) -> CycleCounts:
        return CycleCounts(
            self.fetched + other.fetched,
            self.stored + other.stored,
            self.duplicates + other.duplicates,
            self.done + other.done,
            self.quarantined + other.quarantined,
            self.failed + other.failed,
            self.alerts + other.alerts,
        )

    def describe(self) -> str:
        return (
            f"fetched {self.fetched}, stored {self.stored}, duplicates {self.duplicates}, "
            f"done {self.done}, quarantined {self.quarantined}, failed {self.failed}"
        )


def _from_fetch(counts: FetchCounts, mailbox: str, language: str) -> CycleCounts:
    alerts = (
        tuple(
            notice_line(language, StaffNotice.UNREADABLE, uid=uid, mailbox=mailbox)
            for uid in counts.unreadable
        )
        + counts.alerts
    )
    return CycleCounts(
        fetched=counts.fetched,
        stored=counts.inserted,
        duplicates=counts.duplicates,
        alerts=alerts,
    )


def _from_outcomes(outcomes: Sequence[Outcome]) -> CycleCounts:
    alerts = tuple(a for o in outcomes for a in o.alerts)
    return CycleCounts(
        done=sum(1 for o in outcomes if o.state == "done"),
        quarantined=sum(1 for o in outcomes if o.state == "quarantined"),
        failed=sum(1 for o in outcomes if o.state not in ("done", "quarantined")),
        alerts=alerts,
    )


class IntakeLoop:
    """Runs one committee mailbox: `run_forever` for the daemon, `run_once` for a single pass."""

    def __init__(
        self,
        services: Services,
        *,
        committee_id: int,
        connect: Connector,
        options: FetchOptions | None = None,
        waits: DatabaseWait | None = None,
    ) -> None:
        settings = services.config.imap
        if settings is None:
            raise ValueError("the configuration has no [imap] section")
        self._services = services
        self._waits = waits or DatabaseWait.of(services)
        # Mail left `stored` because the database refused its processing: retried soon.
        self._stalled = False
        self._mailbox = settings.mailbox
        self._language = services.config.committee.language
        self._committee_id = committee_id
        self._options = options or FetchOptions()
        self._processed = CycleCounts()
        self._on_cycle: Callable[[CycleCounts], None] | None = None
        self._fetcher = MailFetcher(
            settings,
            committee_id=committee_id,
            sessions=services.sessions,
            clock=services.clock,
            connect=connect,
            on_stored=self._process,
            on_cycle=self._cycle,
            options=self._options,
            language=services.config.committee.language,
        )

    @classmethod
    def build(
        cls,
        services: Services,
        options: FetchOptions | None = None,
        *,
        waits: DatabaseWait | None = None,
    ) -> IntakeLoop:
        """The loop for the configured committee and mailbox (IMAP password resolved now)."""
        settings = services.config.imap
        if settings is None:
            raise ValueError("the configuration has no [imap] section")
        with db.transaction(services.sessions) as session:
            committee_id = services.committee(session).id
        return cls(
            services,
            committee_id=committee_id,
            connect=services.ports.mailbox(settings, settings.password.reveal()),
            options=options,
            waits=waits,
        )

    @property
    def reconnects(self) -> int:
        return self._fetcher.reconnects

    async def recover(self) -> CycleCounts:
        """Process mail a previous run stored but never processed; nothing if another runs."""
        if not await asyncio.to_thread(self._take_lease):
            return CycleCounts()
        ids = await asyncio.to_thread(self._pending)
        if ids:
            log.info("processing %d mails stored before the last stop", len(ids))
        outcomes = await asyncio.to_thread(self._process_all, ids)
        return _from_outcomes(outcomes)

    async def run_once(self) -> CycleCounts:
        """Recover, fetch and process everything new once; LeaseHeld if another poller runs."""
        recovered = await self.recover()
        fetched = await self._fetcher.run_once()
        return (
            recovered + _from_fetch(fetched, self._mailbox, self._language) + self._take_processed()
        )

    async def run_forever(
        self, stop: asyncio.Event, on_cycle: Callable[[CycleCounts], None] | None = None
    ) -> None:
        """Recover, then fetch and process until `stop`; `on_cycle` gets each cycle's counts."""
        # Counted with the first cycle: the health line then covers everything done.
        await self._recover_or_wait(stop)
        self._on_cycle = on_cycle
        retry = asyncio.ensure_future(self._retry_stalled(stop))
        try:
            await self._fetcher.run_forever(stop)
        finally:
            self._on_cycle = None
            retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await retry

    async def _recover_or_wait(self, stop: asyncio.Event) -> None:
        try:
            self._processed += await self.recover()
        except UNAVAILABLE as exc:
            # Nothing is lost: the fetcher waits the database out too, and what is stored
            # but unprocessed is taken up by `_retry_stalled`.
            self._stalled = True
            await self._waits.pause(stop, self._waits.failed("intake", exc))

    async def _retry_stalled(self, stop: asyncio.Event) -> None:
        """Process mail the database refused earlier, once it takes writes again."""
        while not stop.is_set():
            await self._waits.pause(stop, 5.0)
            if self._stalled and not stop.is_set():
                self._stalled = False
                await self._recover_or_wait(stop)

    def _cycle(self, counts: FetchCounts) -> None:
        total = _from_fetch(counts, self._mailbox, self._language) + self._take_processed()
        log.info("intake cycle: %s", total.describe())
        if self._on_cycle is not None:
            self._on_cycle(total)

    def _take_lease(self) -> bool:
        if not self._options.lease:
            return True
        with db.transaction(self._services.sessions) as session:
            return acquire_lease(
                session,
                self._fetcher.lease_name,
                self._options.holder,
                self._services.clock.now(),
                self._options.lease_ttl,
            )

    def _pending(self) -> list[int]:
        with db.transaction(self._services.sessions) as session:
            return pending_messages(session, self._committee_id)

    def _take_processed(self) -> CycleCounts:
        taken, self._processed = self._processed, CycleCounts()
        return taken

    async def _process(self, ids: tuple[int, ...]) -> Collection[int]:
        """The fetcher's `on_stored`: process the batch; the quarantined ids go aside."""
        outcomes = await asyncio.to_thread(self._process_all, ids)
        self._processed += _from_outcomes(outcomes)
        return {o.message_pk for o in outcomes if o.state in FOR_STAFF}

    def _process_all(self, ids: Sequence[int]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        try:
            for outcome in process_stored(self._services, ids):
                outcomes.append(outcome)  # each group's, once it has committed
        except UNAVAILABLE as exc:
            # The database refused (locked, down): this mail's group and the rest stay
            # `stored`, and are processed once it answers again.
            self._stalled = True
            self._waits.failed("intake", exc)
        return outcomes


__all__ = ["CycleCounts", "IntakeLoop", "LeaseHeld"]
