"""A thin, typed IMAP client over aioimaplib: TLS, UID search and fetch, move or flag, IDLE."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import ssl
from collections.abc import Awaitable, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import aioimaplib

from mailflow.adapters.imap_protocol import FETCH_START, LinearFetch, LinearImap4
from mailflow.config import Imap, TlsMode
from mailflow.services.ports import (
    MAX_IDLE_SECONDS,
    Connector,
    FetchedMessage,
    MailboxError,
    MailboxRefused,
    Selected,
)

log = logging.getLogger("mailflow.imap")

PROCESSED_KEYWORD = "$MailflowStored"
# `(\Noselect) "." ""`: the flags, then the separator quoted (or NIL), then the name.
_LIST_SEPARATOR = re.compile(r'\([^)]*\)\s+("(?:\\.|[^"])"|NIL)', re.IGNORECASE)

_T = TypeVar("_T")
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_INTERNALDATE = re.compile(rb'\bINTERNALDATE "([^"]+)"')
_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_EXISTS = re.compile(rb"^(\d+) EXISTS")
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    )
}
_DATE = re.compile(r"^\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$")


class ImapError(MailboxError):
    """The server or the network failed us: the caller reconnects after a pause."""


class ImapConnectionLost(ImapError):
    """The connection closed (server BYE, reset, proxy cut) while we waited for it."""


class ImapRefused(ImapError, MailboxRefused):
    """The server answered NO or BAD to a command: retrying the same will not help."""


def default_ssl_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """Verifies the server's certificate and host name against the system's CAs, or
    against those in `ca_file` alone."""
    return ssl.create_default_context(
        ssl.Purpose.SERVER_AUTH, cafile=None if ca_file is None else str(ca_file)
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def quote_mailbox(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def uid_set(uids: Iterable[int]) -> str:
    """Compact UID set such as 1:5,9,12:13."""
    ordered = sorted(set(uids))
    parts: list[str] = []
    start = prev = ordered[0] if ordered else 0
    for uid in ordered[1:]:
        if uid == prev + 1:
            prev = uid
            continue
        parts.append(f"{start}:{prev}" if prev > start else str(start))
        start = prev = uid
    if ordered:
        parts.append(f"{start}:{prev}" if prev > start else str(start))
    return ",".join(parts)


def parse_internaldate(text: str) -> datetime | None:
    """RFC 3501 date-time (" 5-Jan-2021 10:00:00 +0900"), locale-independent."""
    m = _DATE.match(text)
    if m is None or m.group(2) not in _MONTHS:
        return None
    day, mon, year, hh, mm, ss, sign, oh, om = m.groups()
    offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == "-" else 1)
    return datetime(
        int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=timezone(offset)
    )


def fetch_items(max_bytes: int) -> str:
    """What a sync fetches of each mail: its identity, size, arrival time and bytes."""
    return f"(UID RFC822.SIZE INTERNALDATE BODY.PEEK[]<0.{max_bytes}>)"


_UID_RE = re.compile(r"\bUID (\d+)")
_SIZE_RE = re.compile(r"\bRFC822\.SIZE (\d+)")


def parse_fetch(lines: Sequence[Any]) -> list[FetchedMessage]:
    """Split aioimaplib's FETCH lines into messages: text lines carry the items, a
    bytearray is the BODY[] literal. Unsolicited FETCHes (flag changes) carry no body."""
    found: list[FetchedMessage] = []
    meta = b""
    body: bytes | None = None

    def close() -> None:
        uid = _UID.search(meta)
        if uid is None or body is None:
            return
        size = _SIZE.search(meta)
        date = _INTERNALDATE.search(meta)
        found.append(
            FetchedMessage(
                uid=int(uid.group(1)),
                raw=body,
                size=int(size.group(1)) if size else len(body),
                internal_date=parse_internaldate(date.group(1).decode()) if date else None,
            )
        )

    for line in lines:
        if isinstance(line, bytearray):
            body = bytes(line)
        elif isinstance(line, bytes) and FETCH_START.match(line):
            close()
            meta, body = line, None
        elif isinstance(line, bytes):
            meta += b" " + line
    close()
    return found


class ImapClient:
    """One logged-in connection. Every call raises ImapError on any failure."""

    def __init__(self, client: aioimaplib.IMAP4, lost: asyncio.Event, settings: Imap) -> None:
        self._client = client
        self._lost = lost
        self._settings = settings
        self.capabilities: frozenset[str] = frozenset()

    @classmethod
    async def connect(
        cls,
        settings: Imap,
        password: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
    ) -> ImapClient:
        """Connect, secure (implicit TLS or STARTTLS; plain only on loopback) and log in."""
        if settings.tls is TlsMode.NONE and not is_loopback(settings.host):
            raise ImapError(f"refusing a plain-text IMAP login to {settings.host}")
        lost = asyncio.Event()

        def on_lost(_exc: Exception | None) -> None:
            lost.set()

        # Loading the system's CAs costs ~20 ms: only a TLS connection pays it.
        implicit = None
        if settings.tls is TlsMode.IMPLICIT:
            implicit = ssl_context or default_ssl_context(settings.ca_file)
        try:
            raw = LinearImap4(
                host=settings.host,
                port=settings.port,
                timeout=timeout,
                conn_lost_cb=on_lost,
                ssl_context=implicit,
            )
            client = cls(raw, lost, settings)
            await client._guard(raw.wait_hello_from_server())
            if settings.tls is TlsMode.STARTTLS:
                await client._starttls(ssl_context or default_ssl_context(settings.ca_file))
            login = await client._guard(raw.login(settings.user, password))
            if login.result != "OK":
                raise ImapError(f"IMAP login refused for {settings.user}")
            await client._guard(raw.protocol.capability())
        except ImapError:
            raise
        except (OSError, ssl.SSLError, aioimaplib.AioImapException, TimeoutError) as exc:
            raise ImapError(f"IMAP connect to {settings.host}:{settings.port}: {exc!r}") from exc
        client.capabilities = frozenset(c.upper() for c in raw.protocol.capabilities)
        return client

    async def _starttls(self, context: ssl.SSLContext) -> None:
        protocol = self._client.protocol
        if "STARTTLS" not in {c.upper() for c in protocol.capabilities}:
            raise ImapError("server does not offer STARTTLS")
        answer = await self._guard(
            protocol.execute(aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop))
        )
        if answer.result != "OK":
            raise ImapError("STARTTLS refused")
        loop = asyncio.get_running_loop()
        secured = await loop.start_tls(
            protocol.transport, protocol, context, server_hostname=self._settings.host
        )
        protocol.transport = secured
        # RFC 3501 §6.2.1: capabilities learnt before TLS must be forgotten.
        await self._guard(protocol.capability())

    async def _guard(self, step: Awaitable[_T]) -> _T:
        """Await `step`, but give up as soon as the connection is lost.

        aioimaplib leaves a pending command waiting on a dead socket until its timeout;
        racing the lost-connection event makes a cut or a BYE a fast reconnect instead.
        """
        if self._lost.is_set():
            raise ImapConnectionLost("connection already closed")
        task = asyncio.ensure_future(step)
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            await asyncio.wait({task, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
        if not task.done():
            task.cancel()
            raise ImapConnectionLost("connection closed by the server or the network")
        try:
            return task.result()
        except (aioimaplib.AioImapException, OSError, TimeoutError) as exc:
            raise ImapError(f"IMAP: {exc!r}") from exc

    async def _ok(self, step: Awaitable[Any], what: str) -> Any:
        response = await self._guard(step)
        if response.result != "OK":
            reply = f"{response.result} {_text(response.lines)[:200]}"
            raise ImapRefused(f"{what}: {reply}", reply=reply)
        return response

    @property
    def can_idle(self) -> bool:
        return "IDLE" in self.capabilities

    @property
    def can_move(self) -> bool:
        return "MOVE" in self.capabilities

    async def select(self, mailbox: str) -> Selected:
        response = await self._ok(self._client.select(quote_mailbox(mailbox)), "SELECT")
        uidvalidity = exists = None
        for line in response.lines:
            if not isinstance(line, bytes):
                continue
            if (m := _UIDVALIDITY.search(line)) is not None:
                uidvalidity = int(m.group(1))
            if (m := _EXISTS.match(line)) is not None:
                exists = int(m.group(1))
        if uidvalidity is None:
            raise ImapError(f"SELECT {mailbox}: the server gave no UIDVALIDITY")
        return Selected(mailbox, uidvalidity, exists or 0)

    async def separator(self) -> str | None:
        """The server's hierarchy separator, from ``LIST "" ""`` (None: a flat namespace)."""
        listed = await self._ok(self._client.list('""', '""'), "LIST")
        for line in listed.lines:
            text = line.decode("utf-8", "replace") if isinstance(line, bytes) else str(line)
            m = _LIST_SEPARATOR.search(text)
            if m is not None:
                sep = m.group(1)
                return None if sep.upper() == "NIL" else sep[1:-1].replace("\\\\", "\\")
        return None

    async def ensure_folder(self, name: str) -> None:
        """Create `name` unless it exists (a NO to CREATE for an existing folder is fine)."""
        listed = await self._ok(self._client.list('""', quote_mailbox(name)), "LIST")
        if any(isinstance(line, bytes) and b"(" in line[:6] for line in listed.lines):
            return
        await self._ok(self._client.create(quote_mailbox(name)), f"CREATE {name}")

    async def uids_after(self, last_uid: int) -> list[int]:
        """UIDs greater than `last_uid`, ascending."""
        response = await self._ok(
            self._client.uid_search("UID", f"{last_uid + 1}:*", charset=None), "UID SEARCH"
        )
        found: set[int] = set()
        # aioimaplib strips "* SEARCH" from the untagged lines; the last line is the
        # tagged completion text.
        for line in response.lines[:-1]:
            if isinstance(line, bytes):
                found.update(int(word) for word in line.split() if word.isdigit())
        # "n:*" also matches the highest UID when it is below n (RFC 3501 §6.4.8).
        return sorted(uid for uid in found if uid > last_uid)

    async def sizes_after(self, last_uid: int, small: int) -> list[tuple[int, int]]:
        """(UID, size) of every mail above `last_uid`, ascending, sizes at least `small`.

        Batches are cut by bytes as well as by count, so a run of large attachments stays
        bounded. Only mails LARGER than `small` are asked their exact RFC822.SIZE (few);
        the others count as `small`, which keeps this to a SEARCH or two per cycle.
        """
        uids = await self.uids_after(last_uid)
        if not uids:
            return []
        sizes = dict.fromkeys(uids, small)
        response = await self._ok(
            self._client.uid_search("UID", f"{last_uid + 1}:*", "LARGER", str(small),
                                    charset=None),
            "UID SEARCH LARGER",
        )  # fmt: skip
        big = sorted(
            int(word)
            for line in response.lines[:-1]
            if isinstance(line, bytes)
            for word in line.split()
            if word.isdigit() and int(word) in sizes
        )
        protocol = self._client.protocol
        for start in range(0, len(big), 500):
            command = LinearFetch(
                protocol.new_tag(),
                uid_set(big[start : start + 500]),
                "(UID RFC822.SIZE)",
                prefix="UID",
                loop=protocol.loop,
                timeout=self._client.timeout,
            )
            reply = await self._ok(protocol.execute(command), "UID FETCH RFC822.SIZE")
            for line in reply.lines[:-1]:
                text = line.decode("ascii", "replace") if isinstance(line, bytes) else str(line)
                uid, size = _UID_RE.search(text), _SIZE_RE.search(text)
                if uid and size and int(uid.group(1)) in sizes:
                    sizes[int(uid.group(1))] = max(small, int(size.group(1)))
        return sorted(sizes.items())

    async def fetch(self, uids: Sequence[int], max_bytes: int) -> list[FetchedMessage]:
        """Fetch at most `max_bytes` of each mail without setting \\Seen (BODY.PEEK)."""
        if not uids:
            return []
        protocol = self._client.protocol
        command = LinearFetch(
            protocol.new_tag(),
            uid_set(uids),
            fetch_items(max_bytes),
            prefix="UID",
            loop=protocol.loop,
            timeout=self._client.timeout,
        )
        response = await self._ok(protocol.execute(command), "UID FETCH")
        wanted = set(uids)
        return [m for m in parse_fetch(response.lines) if m.uid in wanted]

    async def move(self, uids: Sequence[int], folder: str) -> None:
        """MOVE (RFC 6851), or COPY + \\Deleted + EXPUNGE where MOVE is missing."""
        if not uids:
            return
        where, target = uid_set(uids), quote_mailbox(folder)
        if self.can_move:
            await self._ok(self._client.uid("move", where, target), "UID MOVE")
            return
        await self._ok(self._client.uid("copy", where, target), "UID COPY")
        await self._ok(
            self._client.uid("store", where, "+FLAGS.SILENT", r"(\Deleted)"), "UID STORE"
        )
        if "UIDPLUS" in self.capabilities:
            await self._ok(self._client.uid("expunge", where), "UID EXPUNGE")
        else:
            # Without UIDPLUS a plain EXPUNGE also removes mail others marked \Deleted.
            await self._ok(self._client.expunge(), "EXPUNGE")

    async def flag(self, uids: Sequence[int], keyword: str = PROCESSED_KEYWORD) -> None:
        if not uids:
            return
        await self._ok(
            self._client.uid("store", uid_set(uids), "+FLAGS.SILENT", f"(\\Seen {keyword})"),
            "UID STORE",
        )

    async def idle(self, seconds: float, stop: asyncio.Event) -> bool:
        """Wait in IDLE up to `seconds` (≤ 29 min) for the server to report a change.

        True when the server pushed something (new mail, expunge); False on timeout or stop.
        """
        seconds = max(1.0, min(seconds, MAX_IDLE_SECONDS))
        client = self._client
        idle_task = await self._guard(client.idle_start(timeout=seconds))
        pushed = False
        stopper = asyncio.ensure_future(stop.wait())
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            while client.has_pending_idle():
                push = asyncio.ensure_future(client.wait_server_push(timeout=seconds + 5))
                await asyncio.wait({push, stopper, lost}, return_when=asyncio.FIRST_COMPLETED)
                if lost.done():
                    push.cancel()
                    raise ImapConnectionLost("connection closed during IDLE")
                if stopper.done():
                    push.cancel()
                    break
                try:
                    message = push.result()
                except TimeoutError:
                    break
                if message == aioimaplib.STOP_WAIT_SERVER_PUSH:
                    break
                if any(isinstance(line, bytes) and b"EXISTS" in line for line in message):
                    pushed = True
                    break
            if client.has_pending_idle():
                client.idle_done()
            await self._guard(asyncio.wait_for(idle_task, 10))
        finally:
            stopper.cancel()
            lost.cancel()
        return pushed

    async def noop(self) -> None:
        await self._ok(self._client.noop(), "NOOP")

    async def logout(self) -> None:
        """Say goodbye if the connection still stands; never raises."""
        try:
            if not self._lost.is_set():
                await asyncio.wait_for(self._client.logout(), 5)
        except (aioimaplib.AioImapException, OSError, TimeoutError, asyncio.CancelledError):
            pass
        finally:
            transport = self._client.protocol.transport
            if transport is not None:
                transport.close()


def _text(lines: Iterable[Any]) -> str:
    return " ".join(line.decode("utf-8", "replace") for line in lines if isinstance(line, bytes))


def connector(
    settings: Imap, password: str, ssl_context: ssl.SSLContext | None = None
) -> Connector:
    """Connections to the configured server (certificates verified unless told otherwise)."""

    async def connect() -> ImapClient:
        return await ImapClient.connect(settings, password, ssl_context=ssl_context)

    return connect
