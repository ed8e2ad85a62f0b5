"""The example committee on real servers: its mailbox on pymap or Dovecot, its mail to aiosmtpd.

`CommitteeMailbox` delivers raw mail into the IMAP mailbox, runs one intake pass through
the real fetcher (store first, then process, then file on the server), one scheduler
tick and one outbox send to the recording SMTP server, and reads back what was sent —
the staff digest, the receipts — as text.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from mailflow.clock import FixedClock
from mailflow.config import load_config
from mailflow.domain.roundspec import load_round_spec
from mailflow.parsing.mime import decode
from mailflow.routing import PartyKind, PartyRef
from mailflow.routing.token import make_token, plus_address
from mailflow.services.context import Services
from mailflow.services.fetch import FetchOptions
from mailflow.services.intake_loop import CycleCounts, IntakeLoop
from mailflow.services.outbox import send_due
from mailflow.services.rounds import import_round
from mailflow.services.workflow import open_round, tick
from mailflow.store import db
from mailflow.store.models import Member, Message, Round
from mailflow.wiring import PORTS
from tests.harness.imap_extra import MailServer, folder_digests
from tests.harness.smtp_server import ReceivedMail, SmtpServer

ROOT = Path(__file__).resolve().parents[2]
# 44 characters: the base64 of 32 random bytes, as README tells operators to make one.
SECRET = "c2VjdXJpdHktdGVzdHMtb25seS0zMi1ieXRlcy1sb25n"
STAFF = "joho-kokai@city.example.jp"
PROCESSED, QUARANTINE = "processed", "quarantine"
OPENED = datetime(2021, 1, 6, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
FAST = FetchOptions(holder="committee-mailbox", backoff_initial=0.05, backoff_max=0.5)


@dataclass
class CommitteeMailbox:
    """The example committee with round R2-5 open, reading `server`, sending to `smtp`."""

    services: Services
    server: MailServer
    smtp: SmtpServer
    folder: Path

    @property
    def clock(self) -> FixedClock:
        clock = self.services.clock
        assert isinstance(clock, FixedClock)
        return clock

    def deliver(self, *mails: bytes) -> None:
        """APPEND to INBOX, arriving (INTERNALDATE) at the test clock's now."""
        probe = self.server.probe()
        try:
            for raw in mails:
                probe.append(crlf(raw), arrived=self.clock.now())
        finally:
            probe.close()

    async def intake(self) -> CycleCounts:
        """One pass of the daemon's intake: fetch, store, process, file on the server."""
        return await IntakeLoop.build(self.services, FAST).run_once()

    async def cycle(self) -> CycleCounts:
        """Intake, then a tick (with intake's alerts: the staff digest) and one send."""
        counts = await self.intake()
        await asyncio.to_thread(tick, self.services, counts.alerts)
        await send_due(self.services, self.services.clock.now())
        return counts

    def sent_to(self, address: str) -> list[ReceivedMail]:
        return [m for m in self.smtp.received if address in m.rcpt_tos]

    def digests(self) -> list[str]:
        """The text of every staff digest sent so far, oldest first."""
        return [decode(m.raw).body for m in self.sent_to(STAFF)]

    def folder_count(self, folder: str) -> int:
        return len(folder_digests(self.server, folder))

    def member_id(self, key: str) -> int:
        with self.services.sessions() as s:
            return s.scalars(select(Member.id).where(Member.key == key)).one()

    def round_id(self) -> int:
        with self.services.sessions() as s:
            return s.scalars(select(Round.id).where(Round.key == "R2-5")).one()

    def reply_address(self, member: str, round_id: int | None = None) -> str:
        """The member's signed reply address for the round (or any round id)."""
        party = PartyRef(PartyKind.MEMBER, str(self.member_id(member)))
        rid = self.round_id() if round_id is None else round_id
        token = make_token(SECRET.encode(), str(rid), party)
        return plus_address(self.services.config.committee.address, token)

    def messages(self) -> list[Message]:
        with self.services.sessions() as s:
            return list(s.scalars(select(Message).order_by(Message.id)))


_SECURITY = '[security]\ntoken_secret = { env = "MAILFLOW_TOKEN_SECRET" }\n'


async def open_committee(
    server: MailServer, smtp: SmtpServer, folder: Path, *, policy: str = "",
    security: str = _SECURITY, database_url: str | None = None, processed: str = PROCESSED,
) -> CommitteeMailbox:  # fmt: skip
    """Write the config into `folder`, import R2-5 and open it (the call goes out).

    `policy` lines are added to the example's [policy] table; `security` replaces its
    [security] table; `database_url` replaces the SQLite file in `folder`; `processed`
    names the folder read mail is moved to.
    MAILFLOW_IMAP_PASSWORD (and the token secret's source) must be set.
    """
    endpoint = server.endpoint
    text = (ROOT / "examples/committee-r2-5.toml").read_text(encoding="utf-8")
    text = text.replace('data_dir = "../data/example"', 'data_dir = "data"')
    assert "[policy]\n" in text and _SECURITY in text
    text = text.replace("[policy]\n", f"[policy]\n{policy}\n").replace(_SECURITY, security)
    text += f"""
[imap]
host = "{endpoint.host}"
port = {endpoint.port}
tls = "none"
user = "{endpoint.user}"
password = {{ env = "MAILFLOW_IMAP_PASSWORD" }}
processed_folder = "{processed}"
quarantine_folder = "{QUARANTINE}"

[smtp]
host = "{smtp.host}"
port = {smtp.port}
tls = "none"
"""
    if database_url is not None:
        text += f'\n[database]\nurl = "{database_url}"\n'
    path = folder / "committee.toml"
    path.write_text(text, encoding="utf-8")
    shutil.copy(ROOT / "examples/round-r2-5.toml", folder / "round.toml")
    shutil.copytree(ROOT / "examples/documents", folder / "documents", dirs_exist_ok=True)
    services = Services(load_config(path), FixedClock(OPENED), actor="staff:test", ports=PORTS)
    db.upgrade(services.engine)
    import_round(services, load_round_spec(folder / "round.toml"), folder / "round.toml")
    open_round(services, "R2-5")
    await send_due(services, services.clock.now())
    smtp.handler.clear()
    return CommitteeMailbox(services, server, smtp, folder)


def crlf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def member_mail(
    sender: str,
    body: str,
    *,
    to: str = "shingikai@city.example.jp",
    subject: str = "Re: [R2-5] 質疑・意見の受付",
    message_id: str | None = "<fresh-1@example.com>",
    headers: str = "",
) -> bytes:
    """A plain UTF-8 mail as a member's client writes it; `headers` adds raw header lines."""
    lines = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        "Date: Thu, 7 Jan 2021 10:00:00 +0900",
    ]
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8"]
    lines += ["Content-Transfer-Encoding: 8bit"]
    head = "\n".join(lines) + "\n" + headers
    return crlf(head.encode("utf-8", "surrogateescape") + b"\n" + body.encode("utf-8"))
