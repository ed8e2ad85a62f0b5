"""What the services need of the world outside: a mail sender, a mailbox, a printer, a probe.

Small protocols, written as the services use them. The adapters implement them
(`adapters/smtp`, `adapters/imap`, `adapters/chromium`, `adapters/probe`) and raise the
failures named here; the composition root (`mailflow.wiring`) hands them to `Services`
as a `Ports`, so no module of `mailflow.services` imports an adapter (import-linter keeps
it so).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import asyncio

    from mailflow.config import Imap, Smtp

# RFC 2177: a client should re-issue IDLE at least every 29 minutes.
MAX_IDLE_SECONDS = 29 * 60


# Sending -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """The server took the mail: its reply to DATA, and any recipients it refused."""

    reply: str
    refused: tuple[tuple[str, int, str], ...] = ()  # (address, code, text)


class SendFailure(Exception):
    """The server did not take the mail; ``temporary`` says whether to try again.

    ``text`` is the server's or the network's own account (English, as it came): staff see
    it labelled as such, never as our words.
    """

    def __init__(self, text: str, *, temporary: bool, code: int | None = None) -> None:
        super().__init__(text)
        self.text, self.temporary, self.code = text, temporary, code


class MailSender(Protocol):
    """One submission connection: a message per call, closed when the caller is done."""

    async def send(self, recipients: Sequence[str], raw: bytes) -> Accepted:
        """Send ``raw`` to ``recipients``; raises SendFailure."""
        ...

    async def close(self) -> None: ...


# The configured server and the committee's address (the default envelope sender) → a sender.
SenderFactory = Callable[["Smtp", str], MailSender]


# The mailbox -------------------------------------------------------------------------


class MailboxError(Exception):
    """The server or the network failed us: the caller reconnects after a pause."""


class MailboxRefused(MailboxError):
    """The server answered NO or BAD to a command: retrying the same will not help.

    ``reply`` is the server's own answer (its status and text), shown to staff labelled
    as the server's words, never as ours.
    """

    def __init__(self, message: str, reply: str = "") -> None:
        super().__init__(message)
        self.reply = reply


@dataclass(frozen=True)
class Selected:
    """What selecting the mailbox told us."""

    mailbox: str
    uidvalidity: int
    exists: int


@dataclass(frozen=True)
class FetchedMessage:
    """One mail's bytes as the server holds them (at most the requested prefix)."""

    uid: int
    raw: bytes
    size: int  # the full size even when only a prefix was fetched
    internal_date: datetime | None  # when the server received it (到達: the arrival time)


class MailboxSession(Protocol):
    """One logged-in connection to the committee's mailbox. Every call but ``logout``
    raises MailboxError on any failure."""

    @property
    def can_idle(self) -> bool: ...

    async def select(self, mailbox: str) -> Selected: ...

    async def separator(self) -> str | None:
        """The server's hierarchy separator (None: a flat namespace)."""
        ...

    async def ensure_folder(self, name: str) -> None: ...

    async def sizes_after(self, last_uid: int, small: int) -> list[tuple[int, int]]:
        """(UID, size) of every mail above ``last_uid``; sizes up to ``small`` may be guessed."""
        ...

    async def fetch(self, uids: Sequence[int], max_bytes: int) -> list[FetchedMessage]: ...

    async def move(self, uids: Sequence[int], folder: str) -> None: ...

    async def flag(self, uids: Sequence[int]) -> None:
        """Mark ``uids`` as seen and stored by mailflow, left where they are."""
        ...

    async def idle(self, seconds: float, stop: asyncio.Event) -> bool:
        """Wait up to ``seconds`` for the server to report a change; True if it did."""
        ...

    async def noop(self) -> None: ...

    async def logout(self) -> None:
        """Say goodbye if the connection still stands; never raises."""
        ...


Connector = Callable[[], Awaitable[MailboxSession]]
# The configured mailbox and its password → connections to it.
MailboxFactory = Callable[["Imap", str], Connector]


# Printing and reaching ---------------------------------------------------------------


class PrintFailure(Exception):
    """No PDF could be made; the text says why, in a few words."""


class PdfPrinter(Protocol):
    def available(self) -> bool:
        """Whether printing can work here at all (the printer is installed)."""
        ...

    def print_pdf(self, html: str) -> bytes:
        """The PDF of ``html`` (A4, as its print style says); raises PrintFailure."""
        ...


# (host, port) → None when a connection opens, else why not in a few words.
Probe = Callable[[str, int], "str | None"]


@dataclass(frozen=True)
class Ports:
    """The adapters one process uses, given to its `Services` by the composition root."""

    sender: SenderFactory
    mailbox: MailboxFactory
    printer: PdfPrinter
    probe: Probe
