"""Many committees on one Dovecot, one aiosmtpd and one PostgreSQL, served by `mailflow worker`
processes: built for the worker tests and `bench/workers_bench.py`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from mailflow.adapters.pymap_embed import ImapEndpoint
from mailflow.clock import SystemClock
from mailflow.config import load_config
from mailflow.domain.roundspec import load_round_spec
from mailflow.services.context import Services
from mailflow.services.rounds import import_round
from mailflow.services.worker import apply_schema
from mailflow.services.workflow import open_round
from mailflow.store import db
from mailflow.store.messages import message_id_of
from mailflow.store.models import Committee, Event, Message, Outbox
from mailflow.wiring import PORTS
from tests.harness.clients import gmail
from tests.harness.dovecot import DovecotServer
from tests.harness.smtp_server import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
SECRET = "fleet-secret-0123456789abcdef-0123456789"
# The members who write (the chair's mail is read as decisions, not questions).
WRITERS = (
    ("石田 直樹", "ishida@example.com"),
    ("上野 節夫", "ueno.setsuo@example.net"),
    ("江藤 春江", "eto.harue@example.jp"),
    ("岡田 修", "okada@example.org"),
    ("加藤 克己", "kato.katsumi@example.com"),
    ("木村 ゆかり", "kimura@ezweb.example.ne.jp"),
)
TOPICS = ("窓口の受付時間", "申請書の様式", "記録の保存年限", "委託先の監査", "職員の研修",
          "郵送の手続", "問合せの件数", "端末の更新時期")  # fmt: skip
ASKS = ("はどう決めたのか", "は見直す予定があるのか", "を他市と比べるとどうか",
        "について利用者の声は集めているのか")  # fmt: skip
CALLS_PER_COMMITTEE = 7  # one call for questions per member at the round's opening


def question(n: int) -> str:
    """The n-th question, in words of its own (no two mails of a run say the same)."""
    topic, ask = TOPICS[n % len(TOPICS)], ASKS[(n // len(TOPICS)) % len(ASKS)]
    return f"諮問第13号について\n● 第{n}項、{topic}{ask}。"


@dataclass
class Fleet:
    """N committees (config, mailbox) sharing one database, and the workers serving them."""

    root: Path
    dovecot: DovecotServer
    smtp: SmtpServer
    db_url: str
    poll_interval: int
    accounts: list[ImapEndpoint] = field(default_factory=list)
    configs: list[Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    calls: dict[tuple[int, str], bytes] = field(default_factory=dict)  # its call, by whom
    appended: int = 0

    # Building --------------------------------------------------------------------

    def add_committees(self, n: int) -> None:
        tag = uuid.uuid4().hex[:6]
        text = (ROOT / "examples/committee-r2-5.toml").read_text("utf-8")
        for i in range(n):
            user, password = f"iinkai-{tag}-{i}", f"pw-{tag}-{i}"
            account = self.dovecot.add_user(user, password)
            self.dovecot.create_folders("processed", "quarantine", user=user)
            env_name = f"MAILFLOW_FLEET_IMAP_{i}"
            self.env[env_name] = password
            conf = self._config(text, i, user, env_name)
            self.accounts.append(account)
            self.configs.append(conf)
        self.env["MAILFLOW_TOKEN_SECRET"] = SECRET
        os.environ.update(self.env)

    def _config(self, text: str, i: int, user: str, env_name: str) -> Path:
        body = text.replace('id = "kojin-joho"', f'id = "c{i:03d}"')
        body = body.replace("shingikai@city.example.jp", f"shingikai{i}@city.example.jp")
        body = body.replace('data_dir = "../data/example"', f'data_dir = "data{i}"')
        body = body.replace('approval = "auto"', 'approval = "auto"\n'
                            "mails_per_sender_per_hour = 1000000\n"
                            "auto_replies_per_address_per_day = 1000000")  # fmt: skip
        body += f"""
[database]
url = "{self.db_url}"

[imap]
host = "127.0.0.1"
port = {self.dovecot.port}
tls = "none"
user = "{user}"
password = {{ env = "{env_name}" }}
processed_folder = "processed"
quarantine_folder = "quarantine"
poll_interval_seconds = {self.poll_interval}

[smtp]
host = "127.0.0.1"
port = {self.smtp.port}
tls = "none"
"""
        path = self.root / f"committee-{i}.toml"
        path.write_text(body, "utf-8")
        return path

    def open_rounds(self) -> None:
        """Schema, queue tables, and round R2-5 open (calls queued) in every committee."""
        first = Services(config=load_config(self.configs[0]), clock=SystemClock(), ports=PORTS)
        db.upgrade(first.engine)
        apply_schema(first)
        round_file = self._round_file()
        spec = load_round_spec(round_file)
        for conf in self.configs:
            services = first.for_config(load_config(conf))
            import_round(services, spec, round_file)
            open_round(services, "R2-5")
        first.engine.dispose()

    def _round_file(self) -> Path:
        now = datetime.now(UTC)
        text = (ROOT / "examples/round-r2-5.toml").read_text("utf-8")
        for name, days in (("questions", 3), ("answers", 5), ("further", 8), ("decision", 12)):
            old = next(line for line in text.splitlines() if line.startswith(f"{name} = "))
            text = text.replace(old, f"{name} = {(now + timedelta(days=days)).isoformat()}")
        text = text.replace('committee = "kojin-joho"', "")
        shutil.copytree(ROOT / "examples/documents", self.root / "documents", dirs_exist_ok=True)
        path = self.root / "round.toml"
        path.write_text(text, "utf-8")
        return path

    # Workers ----------------------------------------------------------------------

    def start_worker(self, *extra: str, committees: int | None = None) -> subprocess.Popen[bytes]:
        """A `mailflow worker` serving every committee (or the first `committees`)."""
        n = len(self.workers)
        configs = self.configs[:committees]
        also = [a for conf in configs[1:] for a in ("--also", str(conf))]
        cmd = [sys.executable, "-m", "mailflow", "--config", str(configs[0]), "worker",
               *also, "--stalled-after", "3", *(extra or ("--tick-every", "10"))]  # fmt: skip
        log = (self.root / f"worker-{n}.log").open("wb")
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, **self.env})  # fmt: skip
        self.workers.append(proc)
        return proc

    def stop_workers(self) -> list[int | None]:
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for proc in self.workers:
            try:
                codes.append(proc.wait(timeout=60))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(None)
        return codes

    def logs(self, tail: int = 3000) -> str:
        texts = [
            (self.root / f"worker-{n}.log").read_text("utf-8", "replace")[-tail:]
            for n in range(len(self.workers))
        ]
        return "\n".join(f"--- worker {n}\n{text}" for n, text in enumerate(texts))

    # Mail -------------------------------------------------------------------------

    def wait_for_calls(self, timeout: float) -> bool:
        """Until every committee's calls for questions reached the SMTP server."""
        want = CALLS_PER_COMMITTEE * len(self.configs)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            received = self.smtp.received
            if len(received) >= want:
                for m in received:
                    head = m.raw.split(b"\r\n\r\n", 1)[0]
                    for i in range(len(self.configs)):
                        if f"shingikai{i}@city".encode() in head:
                            for rcpt in m.rcpt_tos:
                                self.calls[(i, rcpt)] = m.raw
                writers = {addr for _, addr in WRITERS}
                if len([k for k in self.calls if k[1] in writers]) == len(self.configs) * 6:
                    return True
            time.sleep(0.2)
        return False

    def append_round(self, per_committee: int) -> list[str]:
        """`per_committee` replies appended to every mailbox, one committee after another;
        their Message-IDs."""
        ids: list[str] = []
        for i, account in enumerate(self.accounts):
            probe = self.dovecot.probe(account)
            try:
                for _ in range(per_committee):
                    n = self.appended
                    name, addr = WRITERS[n % len(WRITERS)]
                    call = self.calls[(i, addr)]
                    when = datetime.now(UTC)
                    raw = gmail(call, name, addr, question(n), when)
                    probe.append(raw)
                    ids.append(str(message_id_of(raw)))
                    self.appended += 1
            finally:
                probe.close()
        return ids

    def stored(self, message_ids: list[str]) -> int:
        """How many of these mails are in the database."""
        engine = db.make_engine(self.db_url)
        try:
            with engine.connect() as c:
                found = c.scalar(
                    select(func.count())
                    .select_from(Message)
                    .where(Message.message_id.in_(message_ids))
                )
        finally:
            engine.dispose()
        return found or 0

    # Checking ---------------------------------------------------------------------

    def settled(self, expected: int) -> bool:
        """Every appended mail stored and processed, and no mail left to send."""
        engine = db.make_engine(self.db_url)
        try:
            with engine.connect() as c:
                stored = c.scalar(select(func.count()).select_from(Message)) or 0
                unprocessed = c.scalar(
                    select(func.count()).select_from(Message).where(Message.state == "stored")
                )
                unsent = c.scalar(
                    select(func.count())
                    .select_from(Outbox)
                    .where(Outbox.state.in_(("approved", "sending")))
                )
        finally:
            engine.dispose()
        return stored >= expected and unprocessed == 0 and unsent == 0

    def verify(self, expected: int) -> Report:
        """The run's invariants, as counts (a test asserts them, the bench prints them)."""
        engine = db.make_engine(self.db_url)
        try:
            with engine.connect() as c:
                rows = c.execute(
                    select(Committee.key, Message.message_id, Message.state).join(
                        Committee, Committee.id == Message.committee_id
                    )
                ).all()
                outbox = c.execute(select(Outbox.id, Outbox.message_id, Outbox.state)).all()
                resumed = {
                    int(d["outbox_id"])
                    for (d,) in c.execute(
                        select(Event.detail).where(Event.kind == "outbound_resumed")
                    )
                }
        finally:
            engine.dispose()
        ids = Counter(r.message_id for r in rows)
        sent = Counter(m.message_id for m in self.smtp.received)
        by_id = {o.message_id: o for o in outbox}
        twice = [mid for mid, n in sent.items() if n > 1]
        return Report(
            appended=expected,
            recorded=len(rows),
            recorded_twice=sum(1 for n in ids.values() if n > 1),
            states=dict(Counter(r.state for r in rows)),
            outbox_sent=sum(1 for o in outbox if o.state == "sent"),
            outbox_other=dict(Counter(o.state for o in outbox if o.state != "sent")),
            smtp_received=sum(sent.values()),
            never_sent=sum(1 for o in outbox if o.state == "sent" and o.message_id not in sent),
            sent_twice=len(twice),
            sent_twice_unexplained=sum(
                1 for mid in twice if mid not in by_id or by_id[mid].id not in resumed
            ),
            foreign=sum(1 for mid in sent if mid not in by_id),
        )


@dataclass(frozen=True)
class Report:
    appended: int
    recorded: int
    recorded_twice: int
    states: dict[str, int]
    outbox_sent: int
    outbox_other: dict[str, int]
    smtp_received: int
    never_sent: int
    sent_twice: int
    sent_twice_unexplained: int
    foreign: int
