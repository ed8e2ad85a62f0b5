"""The example committee under attack: staff's CLI, aiosmtpd for what leaves, pymap for
what arrives, and an attacker who writes mail with any header they like.

Every mail, genuine or forged, is delivered into the committee mailbox (pymap) with its
arrival time and read by `mailflow fetch`: the real intake path.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from sqlalchemy import select

from mailflow.cli import _register
from mailflow.cli.app import cli
from mailflow.parsing.mime import decode
from mailflow.store.db import make_engine
from mailflow.store.models import Answer, Decision, Event, Item, PendingChange, Round
from tests.harness.clients import STYLES
from tests.harness.pymap_server import PymapServer
from tests.harness.smtp_server import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
JST = ZoneInfo("Asia/Tokyo")
MEMBERS = ("aoki", "ishida", "ueno", "eto", "okada", "kato", "kimura")
COMMITTEE = "shingikai@city.example.jp"
STAFF = "joho-kokai@city.example.jp"
BORDER = "mx.city.example.jp"
CONFIRM_WORDS = "このメールに返信して確定してください"
_register()


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2021, month, day, hour, minute, tzinfo=JST)


class World:
    """One committee, its servers and its people, for one test."""

    def __init__(self, tmp: Path, smtp: SmtpServer, imap: PymapServer, security: str = "") -> None:
        self.tmp, self.smtp, self.imap = tmp, smtp, imap
        text = (ROOT / "examples/committee-r2-5.toml").read_text("utf-8")
        text = text.replace('data_dir = "../data/example"', 'data_dir = "data"')
        text = text.replace("[security]\n", f"[security]\n{security}\n")
        os.environ["MAILFLOW_SECURITY_IMAP_PASSWORD"] = imap.endpoint.password
        text += (
            f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\ntls = "none"\n'
            f'\n[imap]\nhost = "127.0.0.1"\nport = {imap.port}\ntls = "none"\n'
            f'user = "{imap.user}"\npassword = {{ env = "MAILFLOW_SECURITY_IMAP_PASSWORD" }}\n'
            'processed_folder = "processed"\nquarantine_folder = "quarantine"\n'
        )
        self.conf = tmp / "committee.toml"
        self.conf.write_text(text, "utf-8")
        data = tomllib.loads(text)
        people = [*data["members"], *data["departments"]]
        self.addr = {p["id"]: p["addresses"][0] for p in people}
        self.names = {p["id"]: p["name"] for p in people}

    # -- staff -------------------------------------------------------------------
    def run(self, when: datetime, *args: str, code: int = 0) -> str:
        r = CliRunner().invoke(cli, ["--config", str(self.conf), "--now", when.isoformat(), *args])
        assert r.exit_code == code, r.stderr + r.stdout
        return r.stdout + r.stderr

    def send(self, when: datetime) -> None:
        self.run(when, "outbox", "send")

    def tick(self, when: datetime) -> str:
        out = self.run(when, "tick")
        self.send(when)
        return out

    # -- mail ----------------------------------------------------------------------
    def deliver(self, raw: bytes, when: datetime) -> str:
        """Into the committee mailbox, then `mailflow fetch`; our replies go out at once."""
        probe = self.imap.probe()
        try:
            probe.append(raw, arrived=when)
        finally:
            probe.close()
        out = self.run(when, "fetch")
        self.send(when)
        return out

    def reply(self, who: str, text: str, when: datetime, to: bytes, style: str = "gmail") -> str:
        """A genuine reply from the person's own client to a mail they received."""
        return self.deliver(STYLES[style](to, self.names[who], self.addr[who], text, when), when)

    def mails(self, who: str, words: str = "") -> list[bytes]:
        addr = self.addr.get(who, who)
        return [
            m.raw
            for m in self.smtp.received
            if addr in m.rcpt_tos and words in decode(m.raw).subject
        ]

    def all_recipients(self) -> set[str]:
        return {r for m in self.smtp.received for r in m.rcpt_tos}

    # -- the store -----------------------------------------------------------------
    def rows(self, stmt: Any) -> Sequence[Any]:
        engine = make_engine(f"sqlite:///{self.tmp / 'data' / 'mailflow.db'}")
        try:
            with engine.connect() as c:
                return c.execute(stmt).all()
        finally:
            engine.dispose()

    def items(self) -> dict[str, tuple[str, str]]:
        rows = self.rows(select(Item.public_id, Item.text, Item.state))
        return {r.public_id: (r.text, r.state) for r in rows if r.public_id}

    def decisions(self) -> list[tuple[str, str]]:
        return [(r.verdict, r.state) for r in self.rows(select(Decision).order_by(Decision.id))]

    def answers(self) -> list[str]:
        return [r.text for r in self.rows(select(Answer))]

    def pending(self) -> list[tuple[str, str]]:
        rows = self.rows(select(PendingChange).order_by(PendingChange.id))
        return [(r.kind, r.state) for r in rows]

    def events(self, kind: str) -> Sequence[Any]:
        return self.rows(select(Event).where(Event.kind == kind).order_by(Event.id))

    def state(self) -> str:
        return str(self.rows(select(Round.state))[0].state)

    # -- the round -----------------------------------------------------------------
    def opened(self) -> dict[str, bytes]:
        """The round opened on its notice date; each member's call for questions."""
        self.run(at(1, 5), "round", "open", "R2-5")
        self.send(at(1, 5))
        return {who: self.mails(who, "質疑及び意見")[0] for who in MEMBERS}

    def to_decision(self) -> bytes:
        """Every member replies 特になし; ② and ③ pass; the digest reaches the chair."""
        calls = self.opened()
        for who in MEMBERS:
            self.reply(who, "特になし", at(1, 6), calls[who], "thunderbird")
        self.tick(at(1, 14, 9))
        self.tick(at(1, 21, 9))
        assert self.state() == "awaiting_decision"
        return self.mails("aoki")[-1]


def forged(
    sender: str | Sequence[str],
    subject: str,
    text: str,
    when: datetime,
    *,
    to: str = COMMITTEE,
    headers: Sequence[tuple[str, str]] = (),
    extra_from: str | None = None,
) -> bytes:
    """A mail as an attacker writes it: any From (one or several), no reply token.

    ``headers`` go on top, as a server on the way would prepend them.
    """
    msg = EmailMessage(policy=SMTP)
    for name, value in headers:
        msg[name] = value
    msg["From"] = sender if isinstance(sender, str) else ", ".join(sender)
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain="attacker.example")
    msg.set_content(text)
    raw = bytes(msg)
    if extra_from is not None:  # the email package refuses a second From; a sender need not
        raw = f"From: {extra_from}\r\n".encode() + raw
    return raw
