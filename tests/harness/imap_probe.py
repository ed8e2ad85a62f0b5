"""A blocking stdlib-imaplib client that tests use to put mail into a server and look at it."""

from __future__ import annotations

import imaplib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_LIST_NAME = re.compile(rb'\((?P<attrs>[^)]*)\) (?:"[^"]*"|NIL) (?P<name>.+)$')


class ImapProbeError(AssertionError):
    """The server said NO or BAD where the test expected OK."""


@dataclass(frozen=True)
class Appended:
    """The UIDPLUS answer to APPEND (RFC 4315): the mailbox's UIDVALIDITY and the new UID."""

    uidvalidity: int
    uid: int


def _ok(result: tuple[str, Sequence[object]], what: str) -> list[object]:
    typ, data = result
    if typ != "OK":
        raise ImapProbeError(f"{what}: {typ} {data!r}")
    return list(data)


def _quote(mailbox: str) -> str:
    # imaplib sends names verbatim; quoting keeps names with spaces one argument.
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapProbe:
    """One logged-in connection. Every method raises ImapProbeError on a NO/BAD answer."""

    def __init__(self, host: str, port: int, user: str, password: str, timeout: float = 10.0):
        self.conn = imaplib.IMAP4(host, port, timeout=timeout)
        _ok(self.conn.login(user, password), "LOGIN")

    def close(self) -> None:
        try:
            self.conn.logout()
        except (OSError, imaplib.IMAP4.error):
            # The connection may already be gone (a test that made the server drop it).
            self.conn.shutdown()

    def append(
        self,
        raw: bytes,
        mailbox: str = "INBOX",
        flags: Sequence[str] = (),
        arrived: datetime | None = None,
    ) -> Appended:
        """APPEND; `arrived` sets the INTERNALDATE (the arrival time lateness is judged by)."""
        flag_list = "(" + " ".join(flags) + ")" if flags else None
        date = imaplib.Time2Internaldate(arrived) if arrived is not None else None
        data = _ok(self.conn.append(_quote(mailbox), flag_list, date, raw), "APPEND")
        match = _APPENDUID.search(_join(data))
        if match is None:
            raise ImapProbeError(f"APPEND answered without APPENDUID: {data!r}")
        return Appended(uidvalidity=int(match.group(1)), uid=int(match.group(2)))

    def select(self, mailbox: str = "INBOX", readonly: bool = True) -> int:
        """Select `mailbox` and return its UIDVALIDITY."""
        _ok(self.conn.select(_quote(mailbox), readonly=readonly), "SELECT")
        typ, data = self.conn.response("UIDVALIDITY")
        if typ != "UIDVALIDITY" or not data or data[0] is None:
            raise ImapProbeError(f"SELECT {mailbox} gave no UIDVALIDITY")
        return int(data[0])

    def uidvalidity(self, mailbox: str = "INBOX") -> int:
        data = _ok(self.conn.status(_quote(mailbox), "(UIDVALIDITY)"), "STATUS")
        match = _UIDVALIDITY.search(_join(data))
        if match is None:
            raise ImapProbeError(f"STATUS gave no UIDVALIDITY: {data!r}")
        return int(match.group(1))

    def uids(self, mailbox: str = "INBOX") -> list[int]:
        self.select(mailbox)
        data = _ok(self.conn.uid("SEARCH", "ALL"), "UID SEARCH")
        return [int(uid) for uid in _join(data).split()]

    def fetch(self, uid: int, mailbox: str = "INBOX") -> bytes:
        """The message's exact bytes (BODY.PEEK[], so \\Seen stays as it was)."""
        self.select(mailbox)
        data = _ok(self.conn.uid("FETCH", str(uid), "(BODY.PEEK[])"), "UID FETCH")
        for part in data:
            if isinstance(part, tuple):
                return bytes(part[1])
        raise ImapProbeError(f"UID FETCH {uid} in {mailbox} returned no body: {data!r}")

    def flags(self, uid: int, mailbox: str = "INBOX") -> set[str]:
        self.select(mailbox)
        data = _ok(self.conn.uid("FETCH", str(uid), "(FLAGS)"), "UID FETCH FLAGS")
        return {flag.decode() for flag in imaplib.ParseFlags(_join(data))}

    def mailboxes(self) -> list[str]:
        names = []
        for line in _ok(self.conn.list(), "LIST"):
            if not isinstance(line, bytes):
                continue
            match = _LIST_NAME.match(line)
            if match is not None:
                names.append(match.group("name").decode().strip('"'))
        return sorted(names)

    def capabilities(self) -> set[str]:
        """What the server offers after login (imaplib only remembers the greeting's list)."""
        data = _ok(self.conn.capability(), "CAPABILITY")
        return {word.decode() for word in _join(data).split()}

    def create(self, mailbox: str) -> None:
        _ok(self.conn.create(_quote(mailbox)), "CREATE")


def _join(data: Sequence[object]) -> bytes:
    return b" ".join(part for part in data if isinstance(part, bytes))


@contextmanager
def imap_probe(host: str, port: int, user: str, password: str) -> Iterator[ImapProbe]:
    probe = ImapProbe(host, port, user, password)
    try:
        yield probe
    finally:
        probe.close()
