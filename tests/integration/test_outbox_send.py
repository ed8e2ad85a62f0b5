"""Sending the outbox through a real aiosmtpd: bytes intact, retries, permanent failures."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from mailflow.clock import FixedClock
from mailflow.services import outbox as svc
from mailflow.services.context import Services
from mailflow.store.models import Event, Outbox
from tests.harness.smtp_server import Reply, SmtpServer, Stage
from tests.integration.outbox_helpers import (
    COMMITTEE,
    START,
    mail,
    make_config,
    make_services,
    queued_bytes,
)


def services_for(tmp_path: Path, port: int, **kw: object) -> Services:
    url = f"sqlite:///{tmp_path / 'mailflow.db'}"
    return make_services(make_config(url, port, **kw))  # type: ignore[arg-type]


def rows(services: Services) -> list[Outbox]:
    with services.sessions() as s:
        return list(s.scalars(select(Outbox).order_by(Outbox.id)))


def event_kinds(services: Services) -> list[str]:
    with services.sessions() as s:
        return [e.kind for e in s.scalars(select(Event).order_by(Event.id))]


async def test_mails_arrive_byte_for_byte(smtp_server: SmtpServer, tmp_path: Path) -> None:
    services = services_for(tmp_path, smtp_server.port)
    queued = [svc.enqueue(services, mail(n), kind="receipt", action_key=f"k{n}")[0] for n in (1, 2)]
    cc = mail(3).__class__(**{**mail(3).__dict__, "cc": (("青木和子", "aoki@example.jp"),)})
    svc.enqueue(services, cc, kind="distribution", action_key="k3")

    report = await svc.send_due(services, START, 100)

    assert (report.sent, report.retry_later, report.failed, report.held) == (3, 0, 0, 0)
    got = smtp_server.received
    assert [m.raw for m in got] == queued_bytes(services)  # exactly what was queued
    assert [m.message_id for m in got] == [e.message_id for e in queued] + [cc.message_id]
    assert all(m.mail_from == COMMITTEE for m in got)
    assert got[2].rcpt_tos == ("ishida@example.jp", "aoki@example.jp")
    assert all(r.state == "sent" and r.sent_at == START and r.attempts == 1 for r in rows(services))
    assert event_kinds(services).count("outbound_sent") == 3
    # Nothing is due any more: a second pass sends nothing.
    assert (await svc.send_due(services, START + timedelta(hours=1), 100)).handled == 0
    assert len(smtp_server.received) == 3


async def test_temporary_failure_then_success(smtp_server: SmtpServer, tmp_path: Path) -> None:
    services = services_for(tmp_path, smtp_server.port)
    svc.enqueue(services, mail(1), kind="reminder")
    smtp_server.handler.fail_next(Stage.DATA, Reply.LOCAL_ERROR)

    first = await svc.send_due(services, START, 10)
    assert (first.sent, first.retry_later) == (0, 1)
    (row,) = rows(services)
    assert row.state == "approved" and row.attempts == 1
    assert row.next_attempt_at == START + timedelta(minutes=1)
    assert row.last_error is not None and row.last_error.startswith("451")

    assert (await svc.send_due(services, START + timedelta(seconds=59), 10)).handled == 0
    second = await svc.send_due(services, START + timedelta(minutes=1), 10)
    assert second.sent == 1
    (row,) = rows(services)
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, None)
    assert [m.message_id for m in smtp_server.received] == [mail(1).message_id]


async def test_backoff_doubles_and_gives_up(smtp_server: SmtpServer, tmp_path: Path) -> None:
    services = services_for(tmp_path, smtp_server.port)
    svc.enqueue(services, mail(1), kind="reminder")
    policy = svc.SendPolicy(max_attempts=3)
    smtp_server.handler.fail_next(Stage.RCPT, Reply.MAILBOX_BUSY, times=3)
    now = START
    for expected_delay in (1, 2):
        assert (await svc.send_due(services, now, 10, policy=policy)).retry_later == 1
        (row,) = rows(services)
        assert row.next_attempt_at == now + timedelta(minutes=expected_delay)
        now = row.next_attempt_at
    last = await svc.send_due(services, now, 10, policy=policy)
    assert last.failed == 1
    (row,) = rows(services)
    assert row.state == "failed" and row.last_error is not None
    assert row.last_error.startswith("gave up: every recipient refused")
    assert "outbound_failed" in event_kinds(services)
    assert smtp_server.received == []


async def test_permanent_failure_is_recorded_for_staff(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    services = services_for(tmp_path, smtp_server.port)
    svc.enqueue(services, mail(1, "gone@example.jp"), kind="department_bundle", round_id=None)
    svc.enqueue(services, mail(2), kind="department_bundle")
    smtp_server.handler.fail_next(Stage.RCPT, Reply.MAILBOX_UNAVAILABLE)

    report = await svc.send_due(services, START, 10)

    assert (report.sent, report.failed, report.retry_later) == (1, 1, 0)
    failed, sent = rows(services)
    assert failed.state == "failed" and "550" in (failed.last_error or "")
    assert sent.state == "sent"
    with services.sessions() as s:
        ev = s.scalars(select(Event).where(Event.kind == "outbound_failed")).one()
    assert ev.detail["outbox_id"] == failed.id
    assert ev.detail["code"] == 550
    assert ev.detail["recipients"] == ["gone@example.jp"]
    # A failed mail is never picked up again by itself: only staff retry it.
    assert (await svc.send_due(services, START + timedelta(days=1), 10)).handled == 0


async def test_a_failed_mail_retried_after_the_fix_goes_once(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    services = services_for(tmp_path, smtp_server.port)
    svc.enqueue(services, mail(1, "moved@example.jp"), kind="department_bundle")
    svc.enqueue(services, mail(2), kind="department_bundle")
    smtp_server.handler.fail_next(Stage.RCPT, Reply.MAILBOX_UNAVAILABLE)
    assert (await svc.send_due(services, START, 10)).failed == 1
    failed, sent = rows(services)
    assert (failed.state, sent.state) == ("failed", "sent")

    # The next day the server takes the address again (its one fault is used up) and
    # staff retry the mail.
    later = START + timedelta(days=1)
    services.clock = FixedClock(later)
    assert svc.retry(services, failed.id) == [failed.id]
    retried, _ = rows(services)
    assert (retried.state, retried.attempts, retried.next_attempt_at) == ("approved", 0, later)
    assert retried.last_error == failed.last_error  # why it failed, until the next attempt
    assert (retried.approved_by, retried.approved_at) == (failed.approved_by, failed.approved_at)

    report = await svc.send_due(services, later, 10)
    assert (report.sent, report.failed, report.sent_ids) == (1, 0, (failed.id,))
    assert (await svc.send_due(services, later + timedelta(days=1), 10)).handled == 0
    got = smtp_server.received
    assert [m.raw for m in got] == queued_bytes(services)[::-1]  # the queued bytes, once each
    assert got[1].message_id == mail(1).message_id and got[1].rcpt_tos == ("moved@example.jp",)
    row, _ = rows(services)
    assert (row.state, row.attempts, row.last_error, row.sent_at) == ("sent", 1, None, later)
    with services.sessions() as s:
        ev = s.scalars(select(Event).where(Event.kind == "outbound_retried")).one()
    assert (ev.actor, ev.at, ev.detail["outbox_id"]) == ("staff:test", later, failed.id)
    assert ev.detail["last_error"] == failed.last_error
    assert event_kinds(services)[-2:] == ["outbound_retried", "outbound_sent"]


async def test_a_mail_given_up_on_is_retried_with_a_fresh_schedule(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    services = services_for(tmp_path, smtp_server.port)
    svc.enqueue(services, mail(1), kind="reminder")
    policy = svc.SendPolicy(max_attempts=2)
    smtp_server.handler.fail_next(Stage.DATA, Reply.LOCAL_ERROR, times=3)
    assert (await svc.send_due(services, START, 10, policy=policy)).retry_later == 1
    gave_up = await svc.send_due(services, START + timedelta(minutes=1), 10, policy=policy)
    assert gave_up.failed == 1
    (row,) = rows(services)
    assert (row.state, row.attempts) == ("failed", 2)

    later = START + timedelta(hours=6)
    services.clock = FixedClock(later)
    assert svc.retry(services, None) == [row.id]
    # Attempts count from zero again: one more temporary failure is retried, not final.
    again = await svc.send_due(services, later, 10, policy=policy)
    assert (again.retry_later, again.failed) == (1, 0)
    (row,) = rows(services)
    assert (row.state, row.attempts) == ("approved", 1)
    assert (row.last_error or "").startswith("451")  # the new attempt's error replaced it
    last = await svc.send_due(services, later + timedelta(minutes=1), 10, policy=policy)
    assert last.sent == 1
    assert [m.message_id for m in smtp_server.received] == [mail(1).message_id]


async def test_reply_lost_after_data_resends_with_the_same_message_id(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    services = services_for(tmp_path, smtp_server.port)
    svc.enqueue(services, mail(1), kind="distribution")
    # The server keeps the mail but the connection dies before its reply.
    smtp_server.handler.drop_next_data(deliver=True)

    assert (await svc.send_due(services, START, 10)).retry_later == 1
    assert (await svc.send_due(services, START + timedelta(minutes=1), 10)).sent == 1

    ids = [m.message_id for m in smtp_server.received]
    assert ids == [mail(1).message_id] * 2  # the documented duplicate: same Message-ID
    assert smtp_server.received[0].raw == smtp_server.received[1].raw


async def test_no_server_listening_is_temporary(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    services = services_for(tmp_path, port)
    svc.enqueue(services, mail(1), kind="reminder")
    report = await svc.send_due(services, START, 10)
    assert report.retry_later == 1
    (row,) = rows(services)
    assert row.state == "approved" and (row.last_error or "").startswith("connection:")


async def test_a_crashed_sending_row_waits_for_its_lease_then_goes_once(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    services = services_for(tmp_path, smtp_server.port)
    svc.enqueue(services, mail(1), kind="receipt")
    with services.sessions.begin() as s:  # a sender that claimed it and died
        s.scalars(select(Outbox)).one().state = "sending"
        s.scalars(select(Outbox)).one().next_attempt_at = START + timedelta(minutes=15)

    assert (await svc.send_due(services, START, 10)).handled == 0
    report = await svc.send_due(services, START + timedelta(minutes=15), 10)
    assert (report.sent, report.resumed) == (1, 1)
    assert "outbound_resumed" in event_kinds(services)
    assert len(smtp_server.received) == 1
