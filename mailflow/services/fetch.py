"""IMAP sync loop: store every new mail and commit it, then move or flag it on the server."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import random
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mailflow.adapters.imap import MAX_IDLE_SECONDS, FetchedMessage, ImapClient, ImapError
from mailflow.clock import Clock
from mailflow.config import Imap
from mailflow.store import events
from mailflow.store.db import transaction
from mailflow.store.messages import (
    RawMail,
    StoredOutcome,
    acquire_lease,
    get_mailbox_state,
    mark_server_done,
    pending_server_actions,
    release_lease,
    renew_lease,
    set_mailbox_state,
    store_batch,
)

log = logging.getLogger("mailflow.fetch")

OnStored = Callable[[tuple[int, ...]], Awaitable[None] | None]
Connector = Callable[[], Awaitable[ImapClient]]
_T = TypeVar("_T")


def _nothing(_ids: tuple[int, ...]) -> None:
    return None


class LeaseHeld(Exception):
    """Another poller holds this mailbox's lease (DESIGN.md: exactly one poller)."""


@dataclass(frozen=True)
class FetchOptions:
    """How the loop behaves; the defaults suit production."""

    # One transaction per batch costs one fsync per `fetch_batch` mails; "message" commits
    # each mail on its own (docs/benchmarks.md "Ingestion" measures both).
    commit_per: Literal["batch", "message"] = "batch"
    lease_ttl: timedelta = timedelta(seconds=120)
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    backoff_initial: float = 1.0
    backoff_max: float = 60.0


@dataclass(frozen=True)
class FetchCounts:
    """What one sync did."""

    fetched: int = 0
    inserted: int = 0
    duplicates: int = 0
    truncated: int = 0
    completed_on_server: int = 0
    rescanned: bool = False

    def __add__(self, other: FetchCounts) -> FetchCounts:
        return FetchCounts(
            self.fetched + other.fetched,
            self.inserted + other.inserted,
            self.duplicates + other.duplicates,
            self.truncated + other.truncated,
            self.completed_on_server + other.completed_on_server,
            self.rescanned or other.rescanned,
        )


def connector(
    settings: Imap, password: str, ssl_context: ssl.SSLContext | None = None
) -> Connector:
    """Connections to the configured server (certificates verified unless told otherwise)."""

    async def connect() -> ImapClient:
        return await ImapClient.connect(settings, password, ssl_context=ssl_context)

    return connect


class MailFetcher:
    """Brings new mail from one IMAP mailbox into the store, loss-free and exactly once.

    Order per batch: fetch (BODY.PEEK, so nothing is marked seen) → store raw bytes and
    advance the UID checkpoint in one commit → `on_stored` → move or flag on the server.
    A crash anywhere re-fetches at most what was not committed, and dedupe drops it.
    """

    def __init__(
        self,
        settings: Imap,
        *,
        committee_id: int,
        sessions: sessionmaker[Session],
        clock: Clock,
        connect: Connector,
        on_stored: OnStored = _nothing,
        options: FetchOptions | None = None,
    ) -> None:
        self._settings = settings
        self._committee_id = committee_id
        self._sessions = sessions
        self._clock = clock
        self._connect = connect
        self._on_stored = on_stored
        self._options = options or FetchOptions()
        self._lease_name = f"imap:{committee_id}:{settings.mailbox}"
        self._done_unrecorded: list[int] = []
        self.reconnects = 0

    async def _db(self, work: Callable[[Session], _T]) -> _T:
        # SQLAlchemy blocks; a worker thread keeps IDLE and the other tasks of the loop alive.
        def run() -> _T:
            with transaction(self._sessions) as session:
                return work(session)

        return await asyncio.to_thread(run)

    async def _lease(self) -> bool:
        opts = self._options
        return await self._db(
            lambda s: acquire_lease(
                s, self._lease_name, opts.holder, self._clock.now(), opts.lease_ttl
            )
        )

    async def _renew(self) -> bool:
        opts = self._options
        return await self._db(
            lambda s: renew_lease(
                s, self._lease_name, opts.holder, self._clock.now(), opts.lease_ttl
            )
        )

    async def _release(self) -> None:
        await self._db(lambda s: release_lease(s, self._lease_name, self._options.holder))

    async def run_once(self) -> FetchCounts:
        """Fetch everything new once, then log out; LeaseHeld if another poller runs."""
        if not await self._lease():
            raise LeaseHeld(self._lease_name)
        try:
            client = await self._connect()
            try:
                await self._prepare(client)
                return await self._sync(client, asyncio.Event())
            finally:
                await client.logout()
        finally:
            await self._release()

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Sync, then wait in IDLE (or poll), until `stop`; reconnect with backoff on errors."""
        failures = 0
        try:
            while not stop.is_set():
                try:
                    if not await self._lease():
                        log.info("mailbox %s: lease held by another poller", self._lease_name)
                        await _sleep(stop, self._options.lease_ttl.total_seconds() / 4)
                        continue
                    client = await self._connect()
                    try:
                        await self._prepare(client)
                        failures = 0
                        await self._serve(client, stop)
                    finally:
                        await client.logout()
                except (ImapError, OSError, SQLAlchemyError) as exc:
                    failures += 1
                    self.reconnects += 1
                    delay = min(
                        self._options.backoff_max,
                        self._options.backoff_initial * 2 ** (failures - 1),
                    ) * random.uniform(0.8, 1.2)
                    log.warning(
                        "mailbox %s: %s; reconnecting in %.1f s",
                        self._settings.mailbox,
                        _describe(exc),
                        delay,
                    )
                    await _sleep(stop, delay)
        finally:
            try:
                await self._release()
            except SQLAlchemyError as exc:
                log.warning("lease %s not released: %s", self._lease_name, _describe(exc))

    async def _prepare(self, client: ImapClient) -> None:
        if self._settings.after_processing == "move":
            await client.ensure_folder(self._settings.processed_folder)

    async def _serve(self, client: ImapClient, stop: asyncio.Event) -> None:
        settings, opts = self._settings, self._options
        wait = min(MAX_IDLE_SECONDS, opts.lease_ttl.total_seconds() / 3)
        while not stop.is_set():
            await self._sync(client, stop)
            if not await self._renew():
                log.warning("mailbox %s: lease lost; stepping back", self._lease_name)
                return
            if stop.is_set():
                return
            if settings.idle and client.can_idle:
                await client.idle(wait, stop)
            else:
                await _sleep(stop, min(wait, settings.poll_interval_seconds))
                await client.noop()

    async def _sync(self, client: ImapClient, stop: asyncio.Event) -> FetchCounts:
        settings = self._settings
        selected = await client.select(settings.mailbox)
        uidvalidity = selected.uidvalidity
        state = await self._db(lambda s: get_mailbox_state(s, self._committee_id, settings.mailbox))
        rescan = state.uidvalidity is not None and state.uidvalidity != uidvalidity
        last_uid = 0 if rescan else state.last_uid
        if rescan or state.uidvalidity is None:
            await self._db(lambda s: self._new_uidvalidity(s, state.uidvalidity, uidvalidity))
        counts = FetchCounts(rescanned=rescan)
        pending = await self._db(
            lambda s: pending_server_actions(s, self._committee_id, settings.mailbox, uidvalidity)
        )
        if pending:
            log.info("completing server actions for %d stored mails", len(pending))
            await self._complete(client, pending)
            counts += FetchCounts(completed_on_server=len(pending))
        uids = await client.uids_after(last_uid)
        for start in range(0, len(uids), settings.fetch_batch):
            if stop.is_set():
                break
            chunk = uids[start : start + settings.fetch_batch]
            fetched = await client.fetch(chunk, settings.max_message_bytes)
            outcomes = await self._store_all(uidvalidity, fetched)
            counts += _count(fetched, outcomes)
            new_ids = tuple(o.row_id for o in outcomes if o.inserted)
            if new_ids:
                await self._notify(new_ids)
            await self._complete(client, [m.uid for m in fetched])
            counts += FetchCounts(completed_on_server=len(fetched))
            log.info(
                "mailbox %s: uid %d-%d: %d stored, %d duplicate",
                settings.mailbox,
                chunk[0],
                chunk[-1],
                len(new_ids),
                len(fetched) - len(new_ids),
            )
        if self._done_unrecorded:
            await self._db(lambda s: self._record_done(s, uidvalidity))
        return counts

    def _new_uidvalidity(self, session: Session, old: int | None, new: int) -> None:
        set_mailbox_state(session, self._committee_id, self._settings.mailbox, new, 0)
        if old is None:
            return
        log.warning(
            "mailbox %s: UIDVALIDITY changed %d -> %d: rescanning with dedupe",
            self._settings.mailbox,
            old,
            new,
        )
        events.record(
            session,
            at=self._clock.now(),
            actor="mailflow-fetch",
            kind="mailbox.uidvalidity_changed",
            committee_id=self._committee_id,
            reason="the server renumbered the mailbox: every mail is re-read and deduplicated",
            mailbox=self._settings.mailbox,
            old=old,
            new=new,
        )

    async def _store_all(
        self, uidvalidity: int, fetched: Sequence[FetchedMessage]
    ) -> list[StoredOutcome]:
        if self._options.commit_per == "batch":
            return await self._db(lambda s: self._store(s, uidvalidity, fetched))

        def each() -> list[StoredOutcome]:
            outcomes: list[StoredOutcome] = []
            for message in sorted(fetched, key=lambda m: m.uid):
                with transaction(self._sessions) as session:
                    outcomes.extend(self._store(session, uidvalidity, [message]))
            return outcomes

        return await asyncio.to_thread(each)

    def _store(
        self, session: Session, uidvalidity: int, fetched: Sequence[FetchedMessage]
    ) -> list[StoredOutcome]:
        settings = self._settings
        self._record_done(session, uidvalidity)
        ordered = sorted(fetched, key=lambda m: m.uid)
        now = self._clock.now()
        outcomes = store_batch(
            session,
            self._committee_id,
            settings.mailbox,
            uidvalidity,
            [RawMail(m.uid, m.raw, m.internal_date or now, m.size) for m in ordered],
            settings.max_message_bytes,
        )
        if ordered:
            self._checkpoint(session, uidvalidity, ordered[-1].uid)
        return outcomes

    def _checkpoint(self, session: Session, uidvalidity: int, uid: int) -> None:
        state = get_mailbox_state(session, self._committee_id, self._settings.mailbox)
        last = state.last_uid if state.uidvalidity == uidvalidity else 0
        set_mailbox_state(
            session, self._committee_id, self._settings.mailbox, uidvalidity, max(last, uid)
        )

    def _record_done(self, session: Session, uidvalidity: int) -> None:
        # Recorded in the next commit rather than one of its own: a crash before it only
        # repeats a MOVE or STORE, which is harmless for UIDs already gone or flagged.
        done, self._done_unrecorded = self._done_unrecorded, []
        if done:
            mark_server_done(session, self._committee_id, self._settings.mailbox, uidvalidity, done)

    async def _complete(self, client: ImapClient, uids: Sequence[int]) -> None:
        if not uids:
            return
        if self._settings.after_processing == "move":
            await client.move(uids, self._settings.processed_folder)
        else:
            await client.flag(uids)
        self._done_unrecorded.extend(uids)

    async def _notify(self, ids: tuple[int, ...]) -> None:
        try:
            result = self._on_stored(ids)
            if inspect.isawaitable(result):
                await result
        except Exception:
            # The mail is committed and can be replayed; processing must not stop fetching.
            log.exception("processing hook failed for stored messages %s", ids)


def _count(fetched: Sequence[FetchedMessage], outcomes: Sequence[StoredOutcome]) -> FetchCounts:
    inserted = sum(1 for o in outcomes if o.inserted)
    return FetchCounts(
        fetched=len(fetched),
        inserted=inserted,
        duplicates=len(outcomes) - inserted,
        truncated=sum(1 for o in outcomes if o.inserted and o.truncated),
    )


def _describe(exc: BaseException) -> str:
    # The class and first line only: exception texts may quote server data, never bodies.
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max(0.0, seconds))
