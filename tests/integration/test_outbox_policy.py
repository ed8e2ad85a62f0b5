"""Approval, the daily cap, idempotent queueing and concurrent claims, on real databases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

import mailflow.cli.outbox  # noqa: F401  (registers the commands)
from mailflow.cli.app import cli
from mailflow.services import outbox as svc
from mailflow.services.context import Services
from mailflow.store import outbox as repo
from mailflow.store.models import Event, Outbox
from tests.harness.smtp_server import Reply, SmtpServer, Stage
from tests.integration.outbox_helpers import (
    SECRET,
    SECRET_ENV,
    START,
    config_toml,
    mail,
    make_config,
    make_services,
    queued_bytes,
)


def event_kinds(services: Services) -> list[str]:
    with services.sessions() as s:
        return [e.kind for e in s.scalars(select(Event).order_by(Event.id))]


def states(services: Services) -> list[str]:
    with services.sessions() as s:
        return [r.state for r in s.scalars(select(Outbox).order_by(Outbox.id))]


async def test_staff_approval_holds_until_approved(
    smtp_server: SmtpServer, sqlite_url: str
) -> None:
    services = make_services(make_config(sqlite_url, smtp_server.port, approval="staff"))
    first, _ = svc.enqueue(services, mail(1), kind="call_for_questions")
    svc.enqueue(services, mail(2), kind="call_for_questions")
    assert states(services) == ["draft", "draft"]
    assert (await svc.send_due(services, START + timedelta(days=3), 10)).handled == 0
    assert smtp_server.received == []

    assert svc.approve(services, first.id) == [first.id]
    assert (await svc.send_due(services, START, 10)).sent == 1
    assert [m.message_id for m in smtp_server.received] == [mail(1).message_id]
    assert svc.approve(services, None) == [first.id + 1]
    assert (await svc.send_due(services, START, 10)).sent == 1
    with services.sessions() as s:
        approvers = [r.approved_by for r in s.scalars(select(Outbox).order_by(Outbox.id))]
        audit = s.scalars(select(Event).where(Event.kind == "outbound_approved")).all()
    assert approvers == ["staff:test", "staff:test"]
    assert [e.actor for e in audit] == ["staff:test", "staff:test"]


async def test_daily_cap_holds_auto_replies_to_one_address(
    smtp_server: SmtpServer, sqlite_url: str
) -> None:
    services = make_services(make_config(sqlite_url, smtp_server.port, cap=2))
    for n in (1, 2, 3):
        svc.enqueue(services, mail(n), kind="receipt")
    svc.enqueue(services, mail(4), kind="reminder")  # scheduled, not an answer: no cap
    svc.enqueue(services, mail(5, "aoki@example.jp", name="青木和子"), kind="receipt")

    report = await svc.send_due(services, START, 10)

    assert (report.sent, report.held) == (4, 1)
    assert states(services) == ["sent", "sent", "draft", "sent", "sent"]
    with services.sessions() as s:
        held = s.scalars(select(Outbox).where(Outbox.state == "draft")).one()
        ev = s.scalars(select(Event).where(Event.kind == "outbound_held")).one()
    assert held.attempts == 0 and "daily cap of 2" in (held.last_error or "")
    assert ev.detail["outbox_id"] == held.id
    # The next committee day still holds it: a held mail needs staff...
    assert (await svc.send_due(services, START + timedelta(days=1), 10)).handled == 0
    # ...and a staff approval overrides the cap.
    svc.approve(services, held.id)
    assert (await svc.send_due(services, START, 10)).sent == 1
    assert len(smtp_server.received) == 5


async def test_cap_counts_the_committee_day(smtp_server: SmtpServer, sqlite_url: str) -> None:
    services = make_services(make_config(sqlite_url, smtp_server.port, cap=1))
    svc.enqueue(services, mail(1), kind="receipt")
    # 23:30 JST on the 12th, then 00:30 JST on the 13th: two committee days, one UTC day.
    late = START.replace(day=12, hour=23, minute=30)
    assert (await svc.send_due(services, late, 10)).sent == 1
    svc.enqueue(services, mail(2), kind="receipt")
    assert (await svc.send_due(services, late + timedelta(hours=1), 10)).sent == 1


def test_enqueue_is_idempotent_on_the_action_key(any_db_url: str) -> None:
    services = make_services(make_config(any_db_url, 2525))
    first, created = svc.enqueue(services, mail(1), kind="receipt", action_key="R2-5:receipt:7")
    again, created_again = svc.enqueue(
        services, mail(2), kind="receipt", action_key="R2-5:receipt:7"
    )
    assert (created, created_again) == (True, False)
    assert again == first
    assert states(services) == ["approved"]


def test_two_senders_never_claim_the_same_mail(any_db_url: str) -> None:
    services = make_services(make_config(any_db_url, 2525))
    for n in range(6):
        svc.enqueue(services, mail(n), kind="reminder")
    cid = svc.committee_id(services)
    lease = timedelta(minutes=15)
    with services.sessions() as a, a.begin():
        got_a = repo.claim_due(a, cid, now=START, limit=4, lease=lease)
        if services.engine.dialect.name == "postgresql":
            # Concurrently, while the first still holds its row locks: SKIP LOCKED.
            with services.sessions() as b, b.begin():
                got_b = repo.claim_due(b, cid, now=START, limit=4, lease=lease)
            assert len(got_b) == 2  # without SKIP LOCKED this would block, not return
        else:
            got_b = []
    with services.sessions() as c, c.begin():
        got_c = repo.claim_due(c, cid, now=START, limit=10, lease=lease)
    ids = [m.entry.id for m in [*got_a, *got_b, *got_c]]
    assert len(ids) == len(set(ids)) == 6
    assert len(got_a) == 4
    assert all(m.entry.state == "sending" and m.entry.attempts == 1 for m in got_a)


def test_outbox_commands(smtp_server: SmtpServer, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mailflow.db'}"
    conf = tmp_path / "config.toml"
    conf.write_text(config_toml(url, smtp_server.port, approval="staff"), encoding="utf-8")
    services = make_services(make_config(url, smtp_server.port, approval="staff"))
    svc.enqueue(services, mail(1, subject="[R2-5] 諮問第13号 質疑のお願い"), kind="call")
    runner = CliRunner(env={SECRET_ENV: SECRET, "MAILFLOW_STAFF": "takaya"})

    def run(*args: str) -> tuple[int, str]:
        argv = ["--config", str(conf), "--now", "2021-01-13T10:00:00+09:00", *args]
        r = runner.invoke(cli, argv, catch_exceptions=False)
        return r.exit_code, r.stdout + r.stderr

    code, out = run("outbox", "list", "--state", "draft")
    assert code == 0 and "諮問第13号 質疑のお願い" in out and "draft" in out
    code, out = run("outbox", "show", "1")
    assert code == 0
    assert "Subject: [R2-5] 諮問第13号 質疑のお願い" in out
    assert "①のご意見を受け付けました。" in out
    assert run("outbox", "send")[1].startswith("sent 0,")
    assert run("outbox", "approve")[0] == 2  # neither an id nor --all
    assert run("outbox", "approve", "--all") == (0, "approved 1: 1\n")
    code, out = run("outbox", "send")
    assert (code, out) == (0, "sent 1, retry later 0, failed 0, held 0, resumed after a crash 0\n")
    assert len(smtp_server.received) == 1
    code, out = run("outbox", "show", "99")
    assert code == 2 and "does not exist" in out
    with services.sessions() as s:
        assert s.scalars(select(Outbox)).one().approved_by == "staff:takaya"


def test_outbox_retry_command(smtp_server: SmtpServer, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mailflow.db'}"
    conf = tmp_path / "config.toml"
    conf.write_text(config_toml(url, smtp_server.port, approval="staff"), encoding="utf-8")
    services = make_services(make_config(url, smtp_server.port, approval="staff"))
    for n in range(1, 6):
        svc.enqueue(services, mail(n), kind="department_bundle")
    for outbox_id in (1, 2, 3, 4):
        svc.approve(services, outbox_id)
    smtp_server.handler.fail_next(Stage.RCPT, Reply.MAILBOX_UNAVAILABLE, times=3)
    runner = CliRunner(env={SECRET_ENV: SECRET, "MAILFLOW_STAFF": "takaya"})

    def run(*args: str) -> tuple[int, str]:
        argv = ["--config", str(conf), "--now", "2021-01-13T12:00:00+09:00", *args]
        r = runner.invoke(cli, argv, catch_exceptions=False)
        return r.exit_code, r.stdout + r.stderr

    def snapshot() -> list[tuple[object, ...]]:
        with services.sessions() as s:
            return [
                (r.state, r.attempts, r.last_error, r.next_attempt_at, r.approved_by)
                for r in s.scalars(select(Outbox).order_by(Outbox.id))
            ]

    assert run("outbox", "send")[1].startswith("sent 1, retry later 0, failed 3,")
    assert states(services) == ["failed", "failed", "failed", "sent", "draft"]
    before = snapshot()
    assert run("outbox", "retry")[0] == 2  # neither an id nor --failed
    assert run("outbox", "retry", "1", "--failed")[0] == 2  # both
    code, out = run("outbox", "retry", "4")
    assert (code, out) == (2, "error: outbox mail 4 is sent, only a failed mail can be retried\n")
    code, out = run("outbox", "retry", "5")
    assert (code, out) == (2, "error: outbox mail 5 is draft, only a failed mail can be retried\n")
    code, out = run("outbox", "retry", "99")
    assert code == 2 and "outbox mail 99 does not exist" in out
    assert snapshot() == before  # refused: nothing changed, nothing recorded
    assert "outbound_retried" not in event_kinds(services)

    assert run("outbox", "retry", "2") == (0, "retried 1: 2\n")
    assert run("outbox", "retry", "2")[0] == 2  # approved now, not failed
    assert run("outbox", "retry", "--failed") == (0, "retried 2: 1, 3\n")
    assert run("outbox", "retry", "--failed") == (0, "retried 0\n")
    assert states(services) == ["approved", "approved", "approved", "sent", "draft"]
    code, out = run("outbox", "show", "1")
    assert code == 0 and "last error: every recipient refused" in out  # until the next attempt

    code, out = run("outbox", "send")
    assert (code, out) == (0, "sent 3, retry later 0, failed 0, held 0, resumed after a crash 0\n")
    assert states(services) == ["sent", "sent", "sent", "sent", "draft"]
    with services.sessions() as s:
        audit = s.scalars(select(Event).where(Event.kind == "outbound_retried")).all()
    raws = queued_bytes(services)
    got = [m.raw for m in smtp_server.received]
    assert got == [raws[3], raws[0], raws[1], raws[2]]  # each exactly once, bytes unchanged
    assert [(e.actor, e.detail["outbox_id"]) for e in audit] == [
        ("staff:takaya", 2),
        ("staff:takaya", 1),
        ("staff:takaya", 3),
    ]
