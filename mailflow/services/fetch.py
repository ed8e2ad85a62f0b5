"""IMAP sync loop: store every new mail and commit it, then move or flag it on the server."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import random
import socket
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Literal, TypeVar

from mailflow.clock import Clock
from mailflow.config import Imap
from mailflow.domain.states import EventKind
from mailflow.outbound.alerts import StaffLine, StaffNotice, notice_line
from mailflow.services.ports import (
    MAX_IDLE_SECONDS,
    Connector,
    FetchedMessage,
    MailboxError,
    MailboxRefused,
    MailboxSession,
)
from mailflow.store import events
from mailflow.store.db import DatabaseError, transaction
from mailflow.store.leases import (
    acquire_lease,
    advance_mailbox_state,
    get_mailbox_state,
    mark_acted,
    release_lease,
    renew_lease,
    set_mailbox_state,
)
from mailflow.store.messages import (
    PreparedMail,
    RawMail,
    ServerAction,
    StoredOutcome,
    pending_server_actions,
    prepare_mails,
    store_prepared,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("mailflow.fetch")

# Called with the ids of newly committed mails before they leave the mailbox; it may
# return the ids among them that belong in the quarantine folder (see MailFetcher).
OnStored = Callable[[tuple[int, ...]], Awaitable[Collection[int] | None] | Collection[int] | None]
OnCycle = Callable[["FetchCounts"], None]
_T = TypeVar("_T")
QUARANTINED = "quarantined"
# States whose mail goes to the quarantine folder: staff must look at it either way.
FOR_STAFF = frozenset((QUARANTINED, "failed"))


def _nothing(_ids: tuple[int, ...]) -> None:
    return None


class LeaseHeld(Exception):
    """Another poller holds this mailbox's lease (docs/design.md "Lessons": exactly one poller)."""


@dataclass(frozen=True)
class FetchOptions:
    """How the loop behaves; the defaults suit production."""

    # One transaction per batch costs one fsync per `fetch_batch` mails; "message" commits
    # each mail on its own (docs/benchmarks.md "Ingestion" measures both).
    commit_per: Literal["batch", "message"] = "batch"
    # Mails committed before the server moves or flags them in one command: Dovecot takes
    # ~7 ms per UID STORE/MOVE whatever its size, a tenth of a 100-mail FETCH. Those
    # committed but not yet moved stay above the mailbox's acted_uid mark and are finished
    # after a crash, so a larger group only keeps mail in the inbox a little longer.
    server_action_every: int = 1000
    lease_ttl: timedelta = timedelta(seconds=120)
    # False when something else already makes this the only poller of the mailbox (the
    # task queue's lock, under `mailflow worker`): the lease table is then left alone.
    lease: bool = True
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    # A batch holds at most this many bytes of mail (each counted up to the size cap):
    # with `fetch_batch` it bounds memory whatever the mailbox holds.
    batch_bytes: int = 64 * 1024 * 1024
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
    # UIDs the server listed but failed to send, again and again: left in the mailbox.
    unreadable: tuple[int, ...] = ()
    # Staff alerts of this sync (a folder the server will not create), each said once.
    alerts: tuple[StaffLine, ...] = ()

    def __add__(self, other: FetchCounts) -> FetchCounts:
        return FetchCounts(
            self.fetched + other.fetched,
            self.inserted + other.inserted,
            self.duplicates + other.duplicates,
            self.truncated + other.truncated,
            self.completed_on_server + other.completed_on_server,
            self.rescanned or other.rescanned,
            self.unreadable + other.unreadable,
            self.alerts + other.alerts,
        )


# A mail the server failed to send this many times on its own is passed over.
UNREADABLE_AFTER = 3


@dataclass(frozen=True)
class _FetchFailure:
    """The batch whose FETCH failed last: where it began, how many mails, how often."""

    uidvalidity: int
    first_uid: int
    size: int
    count: int = 1


@dataclass(frozen=True)
class _Fetched:
    """One batch as read from the server, in UID order, with its digests worked out."""

    fetched: tuple[FetchedMessage, ...]
    prepared: tuple[PreparedMail, ...]


@dataclass(frozen=True)
class _Committed:
    """One batch after its commit (and `on_stored`): what to do with it on the server."""

    fetched: tuple[FetchedMessage, ...]
    outcomes: tuple[StoredOutcome, ...]
    quarantine_uids: frozenset[int]


class MailFetcher:
    """Brings new mail from one IMAP mailbox into the store, loss-free and exactly once.

    Per batch: fetch (BODY.PEEK, so nothing is marked seen) → store raw bytes and advance
    the UID checkpoint in one commit → `on_stored`; then, once `server_action_every` mails
    are committed (or the sync ends), one move or flag on the server for all of them.
    Batches overlap: batch k+1 is fetched while batch k commits; a mail is still never
    moved before its own commit, and batches commit in UID order, so the checkpoint never
    passes uncommitted mail. A crash anywhere re-fetches at most what was not committed,
    and dedupe drops it; committed mail not yet moved is moved on the next sync.

    Where mail goes: the processed folder, except the ids `on_stored` returns, which go to
    the quarantine folder; after a crash between commit and move, the message's stored
    state decides (quarantined or failed → quarantine folder). In flag mode every mail stays put.
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
        on_cycle: OnCycle | None = None,
        options: FetchOptions | None = None,
        language: str = "ja",
    ) -> None:
        """``language``: the committee's (`committee.language`), for the alerts staff read."""
        self._settings = settings
        self._language = language
        self._committee_id = committee_id
        self._sessions = sessions
        self._clock = clock
        self._connect = connect
        self._on_stored = on_stored
        self._on_cycle = on_cycle
        self._options = options or FetchOptions()
        self._lease_name = f"imap:{committee_id}:{settings.mailbox}"
        # The highest UID moved or flagged on the server, by UIDVALIDITY, not yet recorded.
        self._done_unrecorded: dict[int, int] = {}
        self._folders: set[str] = set()
        self._refused: set[str] = set()  # folders the server refused on this connection
        self._alerted: set[str] = set()  # ... of which staff have been told, once
        self._alerts: list[StaffLine] = []
        self._separator: str | None = "/"
        self._failure: _FetchFailure | None = None
        self.reconnects = 0

    @property
    def lease_name(self) -> str:
        """The lease this fetcher holds while it runs (one poller per mailbox)."""
        return self._lease_name

    async def _db(self, work: Callable[[Session], _T]) -> _T:
        # SQLAlchemy blocks; a worker thread keeps IDLE and the other tasks of the loop alive.
        def run() -> _T:
            with transaction(self._sessions) as session:
                return work(session)

        return await asyncio.to_thread(run)

    async def _lease(self) -> bool:
        opts = self._options
        if not opts.lease:
            return True
        return await self._db(
            lambda s: acquire_lease(
                s, self._lease_name, opts.holder, self._clock.now(), opts.lease_ttl
            )
        )

    async def _renew(self) -> bool:
        opts, done = self._options, self._take_done()

        def renew(session: Session) -> bool:
            self._record_done(session, done)
            if not opts.lease:
                return True
            return renew_lease(
                session, self._lease_name, opts.holder, self._clock.now(), opts.lease_ttl
            )

        return await self._db(renew)

    async def _release(self) -> None:
        done = self._take_done()

        def release(session: Session) -> None:
            self._record_done(session, done)
            if self._options.lease:
                release_lease(session, self._lease_name, self._options.holder)

        await self._db(release)

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
                except (MailboxError, OSError, DatabaseError) as exc:
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
            except DatabaseError as exc:
                log.warning("lease %s not released: %s", self._lease_name, _describe(exc))

    async def _prepare(self, client: MailboxSession) -> None:
        self._folders, self._refused = set(), set()
        if self._settings.after_processing == "move":
            self._separator = await client.separator()
            await self._ensure(client, self._settings.processed_folder)

    async def _ensure(self, client: MailboxSession, folder: str) -> bool:
        """Whether ``folder`` (as configured) exists on the server now, created if need be.

        A folder the server refuses is alerted to staff once, and its mail is flagged in
        place instead of moved: intake goes on, and nothing retries in silence.
        """
        name = server_folder(folder, self._separator)
        if name in self._folders:
            return True
        if name in self._refused:
            return False
        try:
            await client.ensure_folder(name)
        except MailboxRefused as exc:
            self._refused.add(name)
            log.error("mailbox folder %r cannot be created: %s", name, _describe(exc))
            if name not in self._alerted:
                self._alerted.add(name)
                self._alerts.append(self._folder_refused(folder, name, exc))
            return False
        self._folders.add(name)
        return True

    def _folder_refused(self, folder: str, name: str, exc: MailboxRefused) -> StaffLine:
        """The staff alert: which setting names the folder, and the server's own words."""
        quarantine = folder == self._settings.quarantine_folder
        setting = "imap.quarantine_folder" if quarantine else "imap.processed_folder"
        said = exc.reply or (str(exc).splitlines()[0] if str(exc) else "")
        reply = "".join(c if c.isprintable() else " " for c in said)[:200].strip()
        return notice_line(
            self._language, StaffNotice.FOLDER_REFUSED, folder=name, setting=setting, reply=reply
        )

    async def _serve(self, client: MailboxSession, stop: asyncio.Event) -> None:
        settings, opts = self._settings, self._options
        # With a lease, IDLE is cut short to renew it in time; without one (the task
        # queue's lock makes this the only poller) only RFC 2177's limit applies, and an
        # idle mailbox costs nothing between the mail it brings.
        wait: float = MAX_IDLE_SECONDS
        if opts.lease:
            wait = min(wait, opts.lease_ttl.total_seconds() / 3)
        while not stop.is_set():
            counts = await self._sync(client, stop)
            if self._on_cycle is not None:
                self._on_cycle(counts)
            if not await self._renew():
                log.warning("mailbox %s: lease lost; stepping back", self._lease_name)
                return
            if stop.is_set():
                return
            if counts.fetched:
                # Mail that came while these were read was announced in the replies to
                # the sync's own commands, not in IDLE: look again before idling, or it
                # would wait for IDLE's timeout (29 minutes without a lease).
                continue
            if settings.idle and client.can_idle:
                await client.idle(wait, stop)
            else:
                await _sleep(stop, min(wait, settings.poll_interval_seconds))
                await client.noop()

    async def _sync(self, client: MailboxSession, stop: asyncio.Event) -> FetchCounts:
        settings = self._settings
        selected = await client.select(settings.mailbox)
        uidvalidity = selected.uidvalidity
        done = self._take_done()
        rescan, last_uid, pending = await self._db(lambda s: self._open(s, uidvalidity, done))
        counts = FetchCounts(rescanned=rescan)
        if pending:
            log.info("completing server actions for %d stored mails", len(pending))
            held = frozenset(a.uid for a in pending if a.state in FOR_STAFF)
            await self._complete(client, uidvalidity, [a.uid for a in pending], held)
            counts += FetchCounts(completed_on_server=len(pending))
        # Mails under budget/count cost at most that much each; larger ones are measured.
        small = max(1, self._options.batch_bytes // settings.fetch_batch)
        sizes = await client.sizes_after(last_uid, small)
        chunks = batches(sizes, settings.fetch_batch, self._options.batch_bytes,
                         settings.max_message_bytes)  # fmt: skip
        chunks, unreadable = await self._isolate(client, uidvalidity, chunks)
        if unreadable is not None:
            await self._db(lambda s: self._pass_over(s, uidvalidity, unreadable))
            counts += FetchCounts(unreadable=(unreadable,))
        # What the last server action finished is recorded by the next unit of work (the
        # lease's renewal or release, or the next sync), not by a commit of its own.
        counts += await self._pipeline(client, uidvalidity, chunks, stop)
        alerts, self._alerts = tuple(self._alerts), []
        return counts + FetchCounts(alerts=alerts)

    async def _isolate(
        self, client: MailboxSession, uidvalidity: int, chunks: list[list[int]]
    ) -> tuple[list[list[int]], int | None]:
        """Corner a mail the server cannot send: (the batches to fetch, a UID to pass over).

        Dovecot drops the connection when one mail of a FETCH cannot be read (a damaged
        or unreadable file), so retrying the same batch would stall intake for good.
        After a failed batch the next sync fetches its first half alone, and so on down
        to one mail; one that fails UNREADABLE_AFTER times alone is passed over, but only
        once the server has just sent the mail after it (a server failing every FETCH
        must stall intake, not skip it). It stays in the mailbox and staff are told.
        """
        failure = self._failure
        if (
            failure is None
            or failure.uidvalidity != uidvalidity
            or not chunks
            or chunks[0][0] != failure.first_uid
        ):
            return chunks, None
        first, rest = chunks[0], chunks[1:]
        if failure.size > 1 or failure.count < UNREADABLE_AFTER:
            cut = max(1, min(failure.size, len(first)) // 2)
            log.warning(
                "mailbox %s: FETCH of %d mails from uid %d failed; trying %d",
                self._settings.mailbox, failure.size, failure.first_uid, cut,
            )  # fmt: skip
            return [first[:cut], *([first[cut:]] if first[cut:] else []), *rest], None
        after = first[1:2] or (rest[0][:1] if rest else [])
        if not after:
            # Nothing after it to prove the server well: wait for the next mail to arrive.
            return [], None
        await client.fetch(after, self._settings.max_message_bytes)
        self._failure = None
        return [*([first[1:]] if first[1:] else []), *rest], failure.first_uid

    def _pass_over(self, session: Session, uidvalidity: int, uid: int) -> None:
        mailbox = self._settings.mailbox
        log.warning("mailbox %s: uid %d could not be read from the server; passed over",
                    mailbox, uid)  # fmt: skip
        advance_mailbox_state(session, self._committee_id, mailbox, uidvalidity, uid)
        events.record(
            session,
            at=self._clock.now(),
            actor="mailflow-fetch",
            kind=EventKind.MAILBOX_UNREADABLE_MAIL,
            committee_id=self._committee_id,
            reason=(
                f"the server failed {UNREADABLE_AFTER} times to send this mail: it stays in "
                "the mailbox, unread by mailflow"
            ),
            mailbox=mailbox,
            uidvalidity=uidvalidity,
            uid=uid,
        )

    async def _pipeline(
        self,
        client: MailboxSession,
        uidvalidity: int,
        chunks: Sequence[list[int]],
        stop: asyncio.Event,
    ) -> FetchCounts:
        """Fetch, commit and move the chunks in order, overlapping IMAP and database work.

        The connection does one thing at a time (fetch k+1, then move what is committed);
        the database commits batch k meanwhile. Moves wait for `server_action_every`
        committed mails (and the last batch), so most batches cost no server action.
        """
        counts = FetchCounts()
        if not chunks or stop.is_set():
            return counts
        owed: list[int] = []  # committed, not yet moved or flagged
        owed_held: set[int] = set()
        stage: asyncio.Future[_Committed] | None = asyncio.ensure_future(
            self._commit(uidvalidity, await self._read(client, uidvalidity, chunks[0]))
        )
        try:
            for index in range(len(chunks)):
                assert stage is not None
                following = index + 1 < len(chunks) and not stop.is_set()
                upcoming = (
                    await self._read(client, uidvalidity, chunks[index + 1]) if following else None
                )
                committed = await stage
                stage = None
                if upcoming is not None:
                    stage = asyncio.ensure_future(self._commit(uidvalidity, upcoming))
                owed.extend(m.uid for m in committed.fetched)
                owed_held |= committed.quarantine_uids
                if stage is None or len(owed) >= self._options.server_action_every:
                    await self._complete(client, uidvalidity, owed, owed_held)
                    counts += FetchCounts(completed_on_server=len(owed))
                    owed, owed_held = [], set()
                counts += _count(committed.fetched, committed.outcomes)
                inserted = sum(1 for o in committed.outcomes if o.inserted)
                log.info(
                    "mailbox %s: uid %d-%d: %d stored, %d duplicate",
                    self._settings.mailbox,
                    chunks[index][0],
                    chunks[index][-1],
                    inserted,
                    len(committed.outcomes) - inserted,
                )
                if stage is None:
                    break
        finally:
            if stage is not None:
                # A fetch or move failed while a batch was committing: let the commit end
                # (its mail stays in the mailbox and is moved after the reconnect).
                await asyncio.wait({stage})
                failure = None if stage.cancelled() else stage.exception()
                if failure is not None:
                    log.warning("batch commit failed too: %s", _describe(failure))
        return counts

    async def _read(
        self, client: MailboxSession, uidvalidity: int, uids: Sequence[int]
    ) -> _Fetched:
        limit = self._settings.max_message_bytes
        try:
            fetched = sorted(await client.fetch(uids, limit), key=lambda m: m.uid)
        except MailboxError:
            self._note_failure(uidvalidity, uids)
            raise
        if self._failure is not None and self._failure.first_uid == uids[0]:
            self._failure = None
        now = self._clock.now()
        raws = [RawMail(m.uid, m.raw, m.internal_date or now, m.size) for m in fetched]
        # Hashing here, in a thread of its own, overlaps the previous batch's commit:
        # hashlib and SQLite both let go of the interpreter lock while they work.
        prepared = await asyncio.to_thread(prepare_mails, raws, limit)
        return _Fetched(tuple(fetched), tuple(prepared))

    def _note_failure(self, uidvalidity: int, uids: Sequence[int]) -> None:
        last = self._failure
        same = (uidvalidity, uids[0], len(uids))
        if last is not None and (last.uidvalidity, last.first_uid, last.size) == same:
            self._failure = _FetchFailure(*same, last.count + 1)
        else:
            self._failure = _FetchFailure(*same)

    async def _commit(self, uidvalidity: int, batch: _Fetched) -> _Committed:
        done = self._take_done()
        outcomes = await self._store_all(uidvalidity, batch.prepared, done)
        new_ids = tuple(o.row_id for o in outcomes if o.inserted)
        held: frozenset[int] = frozenset()
        if new_ids:
            quarantined = set(await self._notify(new_ids))
            held = frozenset(
                m.uid
                for m, o in zip(batch.fetched, outcomes, strict=True)
                if o.inserted and o.row_id in quarantined
            )
        return _Committed(batch.fetched, tuple(outcomes), held)

    def _take_done(self) -> dict[int, int]:
        # Taken on the event loop before a worker thread records them: a move finishing
        # meanwhile appends to the fresh list, for the next commit.
        done, self._done_unrecorded = self._done_unrecorded, {}
        return done

    def _open(
        self, session: Session, uidvalidity: int, done: dict[int, int]
    ) -> tuple[bool, int, list[ServerAction]]:
        """Where this sync starts, in one unit of work: (rescan?, last UID, owed actions)."""
        mailbox = self._settings.mailbox
        self._record_done(session, done)
        state = get_mailbox_state(session, self._committee_id, mailbox)
        rescan = state.uidvalidity is not None and state.uidvalidity != uidvalidity
        if rescan or state.uidvalidity is None:
            self._new_uidvalidity(session, state.uidvalidity, uidvalidity)
            return rescan, 0, []
        pending = pending_server_actions(
            session, self._committee_id, mailbox, uidvalidity, state.acted_uid
        )
        return False, state.last_uid, pending

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
            kind=EventKind.MAILBOX_UIDVALIDITY_CHANGED,
            committee_id=self._committee_id,
            reason="the server renumbered the mailbox: every mail is re-read and deduplicated",
            mailbox=self._settings.mailbox,
            old=old,
            new=new,
        )

    async def _store_all(
        self, uidvalidity: int, prepared: Sequence[PreparedMail], done: dict[int, int]
    ) -> list[StoredOutcome]:
        if self._options.commit_per == "batch":
            return await self._db(lambda s: self._store(s, uidvalidity, prepared, done))

        def each() -> list[StoredOutcome]:
            outcomes: list[StoredOutcome] = []
            with transaction(self._sessions) as session:
                self._record_done(session, done)
            for mail in prepared:
                with transaction(self._sessions) as session:
                    outcomes.extend(self._store(session, uidvalidity, [mail], {}))
            return outcomes

        return await asyncio.to_thread(each)

    def _store(
        self,
        session: Session,
        uidvalidity: int,
        prepared: Sequence[PreparedMail],
        done: dict[int, int],
    ) -> list[StoredOutcome]:
        settings = self._settings
        self._record_done(session, done)
        outcomes = store_prepared(
            session, self._committee_id, settings.mailbox, uidvalidity, prepared
        )
        if prepared:
            advance_mailbox_state(
                session, self._committee_id, settings.mailbox, uidvalidity, prepared[-1].mail.uid
            )
        return outcomes

    def _record_done(self, session: Session, done: dict[int, int]) -> None:
        # Recorded in the next commit rather than one of its own: a crash before it only
        # repeats a MOVE or STORE, which is harmless for UIDs already gone or flagged.
        for uidvalidity, uid in done.items():
            mark_acted(session, self._committee_id, self._settings.mailbox, uidvalidity, uid)

    async def _complete(
        self,
        client: MailboxSession,
        uidvalidity: int,
        uids: Sequence[int],
        quarantine: Collection[int] = (),
    ) -> None:
        if not uids:
            return
        settings = self._settings
        if settings.after_processing == "move":
            normal = [u for u in uids if u not in quarantine]
            held = [u for u in uids if u in quarantine]
            for folder, group in (
                (settings.processed_folder, normal),
                (settings.quarantine_folder, held),
            ):
                if not group:
                    continue
                if await self._ensure(client, folder):
                    await client.move(group, server_folder(folder, self._separator))
                else:
                    await client.flag(group)
        else:
            await client.flag(uids)
        self._done_unrecorded[uidvalidity] = max(
            max(uids), self._done_unrecorded.get(uidvalidity, 0)
        )

    async def _notify(self, ids: tuple[int, ...]) -> Collection[int]:
        try:
            result = self._on_stored(ids)
            if inspect.isawaitable(result):
                result = await result
        except Exception:
            # The mail is committed and can be replayed; processing must not stop fetching.
            log.exception("processing hook failed for stored messages %s", ids)
            return ()
        return result or ()


def batches(sizes: Sequence[tuple[int, int]], most: int, budget: int, cap: int) -> list[list[int]]:
    """UIDs in order, cut into runs of at most `most` mails and `budget` bytes (one
    mail larger than the budget goes alone)."""
    out: list[list[int]] = []
    current: list[int] = []
    used = 0
    for uid, size in sizes:
        cost = min(size, cap)
        if current and (len(current) >= most or used + cost > budget):
            out.append(current)
            current, used = [], 0
        current.append(uid)
        used += cost
    if current:
        out.append(current)
    return out


def server_folder(configured: str, separator: str | None) -> str:
    """A configured folder name ('/' between levels, as in ``mailflow/processed``) in the
    server's own hierarchy: ``mailflow.processed`` where LIST gives "." (a stock Dovecot),
    ``mailflow_processed`` in a flat namespace."""
    parts = [p for p in configured.split("/") if p]
    return (separator or "_").join(parts)


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
