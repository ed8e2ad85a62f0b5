"""The daemon's intake loop on real IMAP servers and a real SQLite db with the example round."""

from __future__ import annotations

import asyncio
import shutil
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailflow.adapters.imap import connector
from mailflow.clock import FixedClock
from mailflow.config import load_config
from mailflow.domain.roundspec import load_round_spec
from mailflow.outbound.alerts import Intake, StaffNotice
from mailflow.parsing.mime import decode
from mailflow.routing import PartyKind, PartyRef
from mailflow.routing.token import make_token, plus_address
from mailflow.services.context import Services
from mailflow.services.fetch import FetchOptions, MailFetcher
from mailflow.services.intake_loop import CycleCounts, IntakeLoop
from mailflow.services.rounds import import_round
from mailflow.services.workflow import tick
from mailflow.store import db
from mailflow.store.models import Item, Member, Message, Outbox
from mailflow.store.outbox_parts import mail_bytes
from mailflow.wiring import PORTS
from tests.harness.dovecot import DovecotServer
from tests.harness.imap_extra import (
    MailServer,
    append_all,
    crlf,
    folder_digests,
    mail_server,
    sha256,
)

__all__ = ["mail_server"]  # the fixture, imported for this module

ROOT = Path(__file__).resolve().parents[2]
INTAKE = ROOT / "tests/fixtures/mail/intake"
MEMBER_REPLY = INTAKE / "gmail-utf8-subject-tag-two-questions.eml"
UNKNOWN_SENDER = INTAKE / "becky-iso2022jp-unknown-sender.eml"
SECRET = "test-secret-0123456789abcdef-0123456789"
PROCESSED, QUARANTINE = "processed", "quarantine"
NOW = datetime(2021, 1, 7, 10, 15, tzinfo=ZoneInfo("Asia/Tokyo"))
FAST = FetchOptions(holder="intake-test", backoff_initial=0.05, backoff_max=0.5)


@pytest.fixture
def services(mail_server: MailServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Services:
    """The example committee with round R2-5 imported, reading `mail_server`'s mailbox."""
    endpoint = mail_server.endpoint
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("MAILFLOW_IMAP_PASSWORD", endpoint.password)
    text = (ROOT / "examples/committee-r2-5.toml").read_text(encoding="utf-8")
    text = text.replace('data_dir = "../data/example"', 'data_dir = "data"')
    text += f"""
[imap]
host = "{endpoint.host}"
port = {endpoint.port}
tls = "none"
user = "{endpoint.user}"
password = {{ env = "MAILFLOW_IMAP_PASSWORD" }}
processed_folder = "{PROCESSED}"
quarantine_folder = "{QUARANTINE}"
fetch_batch = 1
"""
    path = tmp_path / "committee.toml"
    path.write_text(text, encoding="utf-8")
    shutil.copy(ROOT / "examples/round-r2-5.toml", tmp_path / "round.toml")
    shutil.copytree(ROOT / "examples/documents", tmp_path / "documents", dirs_exist_ok=True)
    found = Services(load_config(path), FixedClock(NOW), ports=PORTS)
    db.upgrade(found.engine)
    import_round(found, load_round_spec(tmp_path / "round.toml"), tmp_path / "round.toml")
    return found


def _reply_for_a_deleted_round(services: Services) -> bytes:
    """A registered member's reply carrying a genuine token for a round no longer there:
    routing holds it for staff (round_closed) rather than file it anywhere else."""
    with services.sessions() as s:
        ishida = s.scalars(select(Member.id).where(Member.key == "ishida")).one()
    token = make_token(SECRET.encode(), "9999", PartyRef(PartyKind.MEMBER, str(ishida)))
    to = plus_address(services.config.committee.address, token)
    return crlf(
        (
            "From: ishida@example.com\n"
            f"To: {to}\n"
            "Subject: Re: 質疑\n"
            "Message-ID: <deleted-round@example.com>\n"
            "Content-Type: text/plain; charset=utf-8\n\n"
            "●委託先の管理について伺う。\n"
        ).encode()
    )


def _states(services: Services) -> list[str]:
    with services.sessions() as s:
        return list(s.scalars(select(Message.state).order_by(Message.id)))


async def test_replies_become_items_what_cannot_be_placed_goes_to_quarantine(
    mail_server: MailServer, services: Services
) -> None:
    deleted = _reply_for_a_deleted_round(services)
    reply, stranger = MEMBER_REPLY.read_bytes(), UNKNOWN_SENDER.read_bytes()
    # The held mail comes first: the batches after it must still be fetched.
    await asyncio.to_thread(append_all, mail_server, [deleted, reply, stranger])
    loop = IntakeLoop.build(services, FAST)

    counts = await loop.run_once()

    assert counts.describe() == (
        "fetched 3, stored 3, duplicates 0, done 1, quarantined 2, failed 0"
    )
    held = [a for a in counts.alerts if a.kind is Intake.HELD]
    assert len(held) == 2
    assert all(
        a.text.startswith(f"受信メール {a.message}：確認待ちとして保留しました：") for a in held
    )
    assert _states(services) == ["quarantined", "done", "quarantined"]
    with services.sessions() as s:
        items = s.scalars(select(Item.public_id).order_by(Item.id)).all()
        reasons = s.scalars(select(Message.quarantine_reason).order_by(Message.id)).all()
    assert items == ["Q13-01", "Q13-02"]
    assert reasons == ["round_closed", None, "unknown_sender"]
    assert await asyncio.to_thread(folder_digests, mail_server, "INBOX") == []
    assert await asyncio.to_thread(folder_digests, mail_server, QUARANTINE) == sorted(
        [sha256(deleted), sha256(crlf(stranger))]
    )
    assert await asyncio.to_thread(folder_digests, mail_server, PROCESSED) == [sha256(crlf(reply))]
    again = await IntakeLoop.build(services, FAST).run_once()
    assert again == CycleCounts()


class _Crash(BaseException):
    """Stands for the process dying after the commit, before processing."""


async def test_mail_stored_before_a_crash_is_processed_at_start_and_then_set_aside(
    mail_server: MailServer, services: Services
) -> None:
    stranger = UNKNOWN_SENDER.read_bytes()
    await asyncio.to_thread(append_all, mail_server, [stranger])
    settings = services.config.imap
    assert settings is not None

    def crash(_ids: tuple[int, ...]) -> None:
        raise _Crash

    with services.sessions() as s:
        committee_id = s.scalars(select(Member.committee_id)).first()
    assert committee_id is not None
    dying = MailFetcher(
        settings,
        committee_id=committee_id,
        sessions=services.sessions,
        clock=services.clock,
        connect=connector(settings, mail_server.endpoint.password),
        on_stored=crash,
        options=FAST,
    )
    with pytest.raises(_Crash):
        await dying.run_once()
    assert _states(services) == ["stored"]
    assert len(await asyncio.to_thread(folder_digests, mail_server, "INBOX")) == 1

    counts = await IntakeLoop.build(services, FAST).run_once()

    assert (counts.fetched, counts.quarantined) == (0, 1)
    assert _states(services) == ["quarantined"]
    # The move still pending from the crash follows the state processing gave it.
    assert await asyncio.to_thread(folder_digests, mail_server, "INBOX") == []
    assert await asyncio.to_thread(folder_digests, mail_server, QUARANTINE) == [
        sha256(crlf(stranger))
    ]


async def test_run_forever_reports_each_cycle_and_keeps_serving(
    mail_server: MailServer, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    cycles: list[CycleCounts] = []
    stop = asyncio.Event()
    loop = IntakeLoop.build(services, FAST)
    running = asyncio.create_task(loop.run_forever(stop, cycles.append))
    await asyncio.sleep(1.0)  # the first cycle finds nothing, then it waits in IDLE
    await asyncio.to_thread(append_all, mail_server, [MEMBER_REPLY.read_bytes()])
    deadline = time.monotonic() + 30
    while sum(c.done for c in cycles) < 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    # The token secret gone while the daemon runs: the next mail fails, the loop goes on.
    monkeypatch.delenv("MAILFLOW_TOKEN_SECRET")
    await asyncio.to_thread(append_all, mail_server, [_reply_for_a_deleted_round(services)])
    while sum(c.failed for c in cycles) < 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", SECRET)
    await asyncio.to_thread(append_all, mail_server, [UNKNOWN_SENDER.read_bytes()])
    while sum(c.quarantined for c in cycles) < 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(running, 20)

    total = sum(cycles, CycleCounts())
    assert (total.fetched, total.stored, total.done, total.failed, total.quarantined) == (
        3,
        3,
        1,
        1,
        1,
    )
    assert cycles[0].fetched == 0  # a cycle is reported even when nothing came
    assert loop.reconnects == 0
    assert await asyncio.to_thread(folder_digests, mail_server, "INBOX") == []


async def test_a_mail_the_server_cannot_send_is_told_to_staff_in_their_language(
    mail_server: MailServer, services: Services, request: pytest.FixtureRequest
) -> None:
    if mail_server.kind != "dovecot":
        pytest.skip("only a real Dovecot is made to fail one mail's FETCH here")
    dovecot: DovecotServer = request.getfixturevalue("dovecot_server")
    reply, stranger = MEMBER_REPLY.read_bytes(), crlf(UNKNOWN_SENDER.read_bytes())
    # A mail after the unreadable one: the server is shown to work, so UID 2 is passed over.
    after = _reply_for_a_deleted_round(services)
    await asyncio.to_thread(append_all, mail_server, [reply, stranger, after])
    dovecot.make_unreadable([stranger])
    cycles: list[CycleCounts] = []
    stop = asyncio.Event()
    running = asyncio.create_task(IntakeLoop.build(services, FAST).run_forever(stop, cycles.append))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
        a.kind is StaffNotice.UNREADABLE for c in cycles for a in c.alerts
    ):
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(running, 20)

    tick(services, [a for c in cycles for a in c.alerts])
    with services.sessions() as s:
        [row] = s.execute(
            select(Outbox.raw, Outbox.part_id).where(Outbox.kind == "staff_alert")
        ).all()
        [raw] = mail_bytes(s, [(row.raw, row.part_id)])
    text = decode(raw).body
    assert (
        "・受信：メールサーバーがフォルダ「INBOX」の UID 2 のメールを渡しませんでした。"
        "メールはサーバーに残り、mailflow は読んでいません。メールソフトで開いて .eml ファイルに"
        "保存し、mailflow ingest FILE.eml を実行してください\n"
    ) in text
    assert "still there" not in text and "UID 2 in" not in text
