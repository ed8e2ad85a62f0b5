"""The simulated people: members, departments and the chair, answering the mail they get.

Each reads what the hub hands them and replies over SMTP through the hub, as their mail
client would write it (mailflow.demo.clients). Members follow the script's plan; the
departments answer every bundle a few demo hours after it arrives, the chair decides when
the digest comes and confirms the echo.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosmtplib

from mailflow.config import Config
from mailflow.demo import script
from mailflow.demo.clients import STYLES, gmail, outlook, xlsx_answer
from mailflow.demo.clock import DemoClock
from mailflow.parsing.mime import decode

Note = Callable[[str], None]
_ID = re.compile(r"^\[(Q\d+-\d+)\]\s*$", re.MULTILINE)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    address: str
    kind: str  # "member", "chair", "department" or "staff"


@dataclass(frozen=True)
class Received:
    person: str
    subject: str
    raw: bytes
    at: datetime


class Mailbag:
    """Every mail the hub handed to a person, in order; waiters wake on each new one."""

    def __init__(self) -> None:
        self.mail: list[Received] = []
        self._new = asyncio.Event()

    def put(self, mail: Received) -> None:
        self.mail.append(mail)
        self._new.set()

    async def wait_for(self, person: str, words: str, after: int = 0) -> tuple[int, Received]:
        """The first mail to `person` with `words` in its subject, from index `after` on."""
        while True:
            for n in range(after, len(self.mail)):
                m = self.mail[n]
                if m.person == person and words in m.subject:
                    return n, m
            self._new.clear()
            await self._new.wait()


class People:
    """The committee's people as the hub sees them, and what each does with their mail."""

    def __init__(self, config: Config, clock: DemoClock, smtp_port: int, note: Note) -> None:
        self.clock, self.port, self.note = clock, smtp_port, note
        self.bag = Mailbag()
        self.by_address: dict[str, Person] = {}
        for m in config.members:
            kind = "chair" if m.role.value == "chair" else "member"
            for a in m.addresses:
                self.by_address[a.lower()] = Person(m.id, m.name, m.addresses[0], kind)
        for d in config.departments:
            for a in d.addresses:
                self.by_address[a.lower()] = Person(d.id, d.name, d.addresses[0], "department")
        for a in config.committee.staff_alerts:
            self.by_address[a.lower()] = Person("staff", "事務局", a, "staff")
        self.sent = 0

    def person(self, pid: str) -> Person:
        return next(p for p in self.by_address.values() if p.id == pid)

    def deliver(self, address: str, raw: bytes) -> None:
        """The hub's hand-off: the mail lands in its person's mailbag."""
        who = self.by_address.get(address)
        if who is None:
            self.note(f"undeliverable mail for an unknown recipient ({len(raw)} bytes)")
            return
        subject = decode(raw).subject
        self.bag.put(Received(who.id, subject, raw, self.clock.now()))
        self.note(f"→ {who.name}: {subject}")

    async def send(self, who: Person, raw: bytes, to: str, what: str) -> None:
        await aiosmtplib.send(
            raw, sender=who.address, recipients=[to], hostname="127.0.0.1", port=self.port
        )
        self.sent += 1
        self.note(f"← {who.name}: {what}")

    async def reply(self, who: Person, style: str, original: bytes, text: str, what: str) -> None:
        raw = STYLES[style](original, who.name, who.address, text, self.clock.now())
        await self.send(who, raw, _reply_address(original), what)

    # -- members -------------------------------------------------------------------
    async def run_member_plans(self) -> None:
        for n, plan in enumerate(script.member_plans()):
            who = self.person(plan.who)
            _, call = await self.bag.wait_for(who.id, plan.reply_to)
            await self.clock.sleep_until(plan.at)
            what = "特になし" if plan.text == "特になし" else f"ご意見（{plan.style}）"
            if n == 0:
                # The first member sends one item cut short, then corrects it by
                # replying to the receipt (「訂正 [Q13-01]」 and the whole text).
                whole = script.first_item(plan.text)
                cut = whole[: len(whole) // 2]
                seen = len(self.bag.mail)
                await self.reply(who, plan.style, call.raw, plan.text.replace(whole, cut), what)
                _, receipt = await self.bag.wait_for(who.id, script.RECEIPT, seen)
                item = _id_of(decode(receipt.raw).body, cut)
                await self.clock.sleep_until(self.clock.now() + timedelta(hours=1))
                await self.reply(who, "gmail", receipt.raw, f"訂正 [{item}]\n{whole}",
                                 f"訂正 [{item}]")  # fmt: skip
                continue
            await self.reply(who, plan.style, call.raw, plan.text, what)

    # -- the chair -----------------------------------------------------------------
    async def run_chair(self, chair: str) -> None:
        who = self.person(chair)
        _, digest = await self.bag.wait_for(who.id, script.DIGEST)
        await self.clock.sleep_until(self.clock.now() + timedelta(hours=3))
        await self.reply(who, "gmail", digest.raw, script.DECISION, "答申（2件、条件付き可）")
        _, echo = await self.bag.wait_for(who.id, script.ECHO)
        await self.clock.sleep_until(self.clock.now() + timedelta(hours=1))
        await self.reply(who, "gmail", echo.raw, script.CONFIRM, "答申内容の確認")

    # -- departments ---------------------------------------------------------------
    async def run_department(self, dept: str, how: str) -> None:
        """Answer each bundle: `how` is "markers", "xlsx" or "ids"."""
        who = self.person(dept)
        known = script.answers_of(dept)
        seen = 0
        while True:
            n, bundle = await self.bag.wait_for(who.id, script.BUNDLE, seen)
            seen = n + 1
            answers = _answers_for(decode(bundle.raw).body, known)
            if not answers:
                continue
            await self.clock.sleep_until(self.clock.now() + timedelta(hours=4))
            if how == "xlsx":
                raw = xlsx_answer(bundle.raw, who.name, who.address, answers, self.clock.now())
                await self.send(who, raw, _reply_address(bundle.raw), f"回答票（{len(answers)}件）")
                continue
            if how == "ids":
                # 以上 closes the list: a name line there would be read as part of the last answer.
                text = "\n".join(f"{q}：{a}" for q, a in answers.items()) + "\n\n以上"
                raw = outlook(bundle.raw, who.name, who.address, text, self.clock.now())
            else:
                body = "\n\n".join(f"[{q}]\n回答：{a}" for q, a in answers.items())
                raw = gmail(bundle.raw, who.name, who.address, f"{body}\n\n以上", self.clock.now())
            await self.send(who, raw, _reply_address(bundle.raw), f"回答（{len(answers)}件）")


def _id_of(receipt: str, text: str) -> str:
    """The ID the receipt gave to the item that begins with `text`."""
    current = ""
    for line in receipt.splitlines():
        found = _ID.search(line)
        if found and line.strip().startswith("["):
            current = found.group(1)
        elif current and _squash(text)[:20] and _squash(line).startswith(_squash(text)[:20]):
            return current
    raise ValueError("the receipt does not list the item that was cut short")


def _reply_address(original: bytes) -> str:
    d = decode(original)
    value = d.header("Reply-To") or d.header("From") or ""
    found = re.search(r"<([^>]+)>", value)
    return found.group(1) if found else value.strip()


def _squash(text: str) -> str:
    return _SPACE.sub("", text)


def _answers_for(body: str, known: dict[str, list[str]]) -> dict[str, str]:
    """Item ID → this department's answer, for the bundle's items it has an answer to."""
    marks = list(_ID.finditer(body))
    out: dict[str, str] = {}
    for n, m in enumerate(marks):
        end = marks[n + 1].start() if n + 1 < len(marks) else len(body)
        segment = _squash(body[m.end() : end])
        for question, answers in known.items():
            if _squash(question)[:40] in segment:
                out[m.group(1)] = "\n".join(answers)
                break
    return out
