"""The demo's mail hub: an aiosmtpd handler that files the committee's mail into pymap over
IMAP and hands everyone else's to the simulated participant it is addressed to."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass

import aioimaplib
from aiosmtpd.smtp import SMTP, Envelope, Session

from mailflow.adapters.pymap_embed import LOOPBACK, ImapEndpoint
from mailflow.clock import Clock

Deliver = Callable[[str, bytes], None]


@dataclass(frozen=True)
class HubCounts:
    """Mail through the hub: into the committee mailbox, and out to participants."""

    into_mailbox: int
    to_people: int


class Hub:
    """aiosmtpd handler (its `handle_DATA` hook); runs on the demo's own event loop."""

    def __init__(self, committee: str, imap: ImapEndpoint, deliver: Deliver, clock: Clock) -> None:
        self._clock = clock
        self._local, _, self._domain = committee.lower().partition("@")
        self._imap_at = imap
        self._deliver = deliver
        self._imap: aioimaplib.IMAP4 | None = None
        self._lock = asyncio.Lock()
        self.into_mailbox = 0
        self.to_people = 0

    def is_committee(self, address: str) -> bool:
        """The committee address and its plus-addresses (shingikai+<token>@…)."""
        local, _, domain = address.lower().partition("@")
        return domain == self._domain and local.split("+", 1)[0] == self._local

    @property
    def counts(self) -> HubCounts:
        return HubCounts(self.into_mailbox, self.to_people)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            return "554 5.6.0 the hub takes 8-bit bytes only"
        if any(self.is_committee(r) for r in envelope.rcpt_tos):
            await self._append(raw)
            self.into_mailbox += 1
        for rcpt in envelope.rcpt_tos:
            if not self.is_committee(rcpt):
                self._deliver(rcpt.lower(), raw)
                self.to_people += 1
        return "250 2.0.0 OK"

    async def _append(self, raw: bytes) -> None:
        # One IMAP session for the hub, as an MTA's delivery agent keeps; APPENDs in turn.
        async with self._lock:
            if self._imap is None:
                client = aioimaplib.IMAP4(host=self._imap_at.host, port=self._imap_at.port)
                await client.wait_hello_from_server()
                await client.login(self._imap_at.user, self._imap_at.password)
                self._imap = client
            # The arrival time (INTERNALDATE) is what lateness is judged by (到達主義): it
            # must be the demo clock's, not the wall clock's.
            response = await self._imap.append(raw, mailbox="INBOX", date=self._clock.now())
            if response.result != "OK":
                raise RuntimeError(f"APPEND refused: {response.result}")

    async def close(self) -> None:
        if self._imap is not None:
            with suppress(TimeoutError, OSError, aioimaplib.Abort):
                await self._imap.logout()
            self._imap = None


class _HubSmtp(SMTP):
    # RFC 5321 caps lines at 1,000 octets, but ISO-2022-JP and Shift_JIS paragraphs from
    # clients that do not fold run longer, and site MTAs take them; so does the hub.
    line_length_limit = 1 << 16


async def start_hub(stack: AsyncExitStack, hub: Hub) -> int:
    """Serve SMTP for `hub` on a free loopback port of the running loop; returns the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _HubSmtp(hub, hostname="hub.demo.invalid", data_size_limit=None), sock=sock
    )
    stack.push_async_callback(hub.close)
    stack.push_async_callback(_close, server)
    port: int = sock.getsockname()[1]
    return port


async def _close(server: asyncio.AbstractServer) -> None:
    server.close()
    await server.wait_closed()
