"""A real aiosmtpd server on loopback that records every mail and fails on request.

Plain by default; `SmtpServer(TlsMode.STARTTLS, context)` offers STARTTLS and refuses
any mail before it (RFC 3207 §4), `SmtpServer(TlsMode.IMPLICIT, context)` speaks TLS
from the first byte (RFC 8314 §3).
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections import deque
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from enum import Enum
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from mailflow.config import TlsMode

LOOPBACK = "127.0.0.1"


class Reply(Enum):
    """SMTP replies the server can be told to give (RFC 5321 §4.2, RFC 3463 status codes)."""

    OK = (250, "2.0.0 OK")
    SERVICE_UNAVAILABLE = (421, "4.3.2 Service not available, closing transmission channel")
    MAILBOX_BUSY = (450, "4.2.1 Mailbox temporarily unavailable")
    LOCAL_ERROR = (451, "4.3.0 Local error in processing, try again later")
    INSUFFICIENT_STORAGE = (452, "4.3.1 Insufficient system storage")
    MAILBOX_UNAVAILABLE = (550, "5.1.1 Mailbox unavailable")
    TRANSACTION_FAILED = (554, "5.6.0 Transaction failed")

    @property
    def code(self) -> int:
        return self.value[0]

    @property
    def text(self) -> str:
        return f"{self.value[0]} {self.value[1]}"

    @property
    def temporary(self) -> bool:
        return 400 <= self.code < 500


class Stage(Enum):
    """The SMTP command whose answer a fault replaces."""

    RCPT = "RCPT"
    DATA = "DATA"


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted transaction, exactly as the client sent it.

    `raw` is the DATA content after dot-unstuffing (RFC 5321 §4.5.2) and nothing else:
    this handler adds no Received:, X-Peer or other header, so a client's bytes come
    back unchanged. `tls_version` is the protocol the mail came over ("TLSv1.3"), None
    when it came in clear.
    """

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message_id: str | None
    tls_version: str | None = None


@dataclass(frozen=True)
class Rejection:
    """A reply the server gave because a test told it to."""

    stage: Stage
    reply: Reply
    address: str | None


_DROP = "drop"
_DROP_AFTER_DELIVERY = "drop-after-delivery"


def _tls_version(server: SMTP) -> str | None:
    # After STARTTLS aiosmtpd's transport is the TLS one, so one lookup serves both modes.
    transport: Any = server.transport
    ssl_object = None if transport is None else transport.get_extra_info("ssl_object")
    return None if ssl_object is None else str(ssl_object.version())


def _message_id(raw: bytes) -> str | None:
    # compat32 keeps the header verbatim: a test compares it with the ID the sender wrote.
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    value = headers.get("Message-ID")
    return None if value is None else str(value).strip()


class RecordingHandler:
    """The aiosmtpd handler: records accepted mail and plays queued faults, thread-safely.

    aiosmtpd runs it on the server's own thread while the test reads from another.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[ReceivedMail] = []
        self._rejections: list[Rejection] = []
        self._faults: dict[Stage, deque[Reply | str]] = {stage: deque() for stage in Stage}

    @property
    def received(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._received)

    @property
    def rejections(self) -> list[Rejection]:
        with self._lock:
            return list(self._rejections)

    def fail_next(self, stage: Stage, reply: Reply, times: int = 1) -> None:
        """Answer the next `times` RCPT or DATA commands with `reply` instead of 250."""
        with self._lock:
            self._faults[stage].extend([reply] * times)

    def drop_next_data(self, times: int = 1, *, deliver: bool = False) -> None:
        """Close the connection after the final "." of the next DATA, before any reply.

        The client then cannot know whether the mail was taken; `deliver=True` records
        it anyway, as a server that crashed after queueing would (the duplicate case).
        """
        with self._lock:
            self._faults[Stage.DATA].extend([_DROP_AFTER_DELIVERY if deliver else _DROP] * times)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
            self._rejections.clear()
            for queue in self._faults.values():
                queue.clear()

    def _next_fault(self, stage: Stage) -> Reply | str | None:
        with self._lock:
            queue = self._faults[stage]
            return queue.popleft() if queue else None

    def _record(self, server: SMTP, envelope: Envelope) -> None:
        raw = bytes(envelope.original_content or b"")
        mail = ReceivedMail(
            mail_from=str(envelope.mail_from),
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw,
            message_id=_message_id(raw),
            tls_version=_tls_version(server),
        )
        with self._lock:
            self._received.append(mail)

    def _reject(self, server: SMTP, stage: Stage, reply: Reply, address: str | None) -> str:
        with self._lock:
            self._rejections.append(Rejection(stage, reply, address))
        if reply is Reply.SERVICE_UNAVAILABLE:
            # 421 means the server closes the channel (RFC 5321 §3.8). aiosmtpd writes
            # the reply as soon as this returns, before the loop runs the close.
            transport: Any = server.transport
            if transport is not None:
                asyncio.get_running_loop().call_soon(transport.close)
        return reply.text

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        fault = self._next_fault(Stage.RCPT)
        if isinstance(fault, Reply):
            return self._reject(server, Stage.RCPT, fault, address)
        envelope.rcpt_tos.append(address)
        return Reply.OK.text

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        fault = self._next_fault(Stage.DATA)
        if isinstance(fault, Reply):
            return self._reject(server, Stage.DATA, fault, None)
        if fault is not None:
            if fault == _DROP_AFTER_DELIVERY:
                self._record(server, envelope)
            # abort() sends a reset at once; the reply aiosmtpd writes next goes nowhere.
            transport: Any = server.transport
            if transport is not None:
                transport.abort()
            return Reply.OK.text
        self._record(server, envelope)
        return Reply.OK.text


class _FreePortController(Controller):
    # aiosmtpd would probe port 0 literally; read back the port the OS chose first.
    def _trigger_server(self) -> None:
        server: Any = self.server
        if self.port == 0 and server is not None:
            self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SmtpServer:
    """aiosmtpd on a free loopback port, served from its own thread.

    `tls` other than NONE needs `context`, a server context with a certificate
    (`tests.harness.certs.LoopbackCa.server_context()`); NONE takes none.
    """

    def __init__(self, tls: TlsMode = TlsMode.NONE, context: ssl.SSLContext | None = None) -> None:
        if (tls is TlsMode.NONE) != (context is None):
            raise ValueError(f"tls={tls.value} {'takes no' if context else 'needs a'} context")
        self.tls = tls
        self.handler = RecordingHandler()
        options: dict[str, Any] = {}
        if tls is TlsMode.STARTTLS:
            options = {"tls_context": context, "require_starttls": True}
        elif tls is TlsMode.IMPLICIT:
            options = {"ssl_context": context}
        self._controller = _FreePortController(self.handler, hostname=LOOPBACK, port=0, **options)

    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def port(self) -> int:
        port: int = self._controller.port
        return port

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
