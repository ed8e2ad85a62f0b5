"""The worker's send job: one outbox mail by id, sent once; one left `sending` goes again as is."""

from __future__ import annotations

from sqlalchemy import select

from mailflow.services import outbox as svc
from mailflow.services.context import Services
from mailflow.services.tasks import send_mail
from mailflow.store import db
from mailflow.store import outbox as repo
from mailflow.store.models import Event, Outbox
from tests.harness.smtp_server import SmtpServer
from tests.integration.outbox_helpers import START, mail, make_config, make_services, queued_bytes


def _services(any_db_url: str, port: int, **kw: object) -> Services:
    return make_services(make_config(any_db_url, port, **kw))  # type: ignore[arg-type]


def _states(services: Services) -> list[str]:
    with services.sessions() as s:
        return [r.state for r in s.scalars(select(Outbox).order_by(Outbox.id))]


async def test_a_send_job_sends_its_mail_once(any_db_url: str, smtp_server: SmtpServer) -> None:
    services = _services(any_db_url, smtp_server.port)
    first = svc.enqueue(services, mail(1), kind="receipt", action_key="k1")[0]
    svc.enqueue(services, mail(2), kind="receipt", action_key="k2")
    assert svc.due_mail(services) == [first.id, first.id + 1]
    sender = svc.mail_sender(services)
    try:
        report = await send_mail(services, first.id, sender)
        again = await send_mail(services, first.id, sender)  # a second job for the same mail
    finally:
        await sender.close()
    assert (report.sent, again.sent, again.handled) == (1, 0, 0)
    assert [m.message_id for m in smtp_server.received] == [first.message_id]
    assert _states(services) == ["sent", "approved"]  # the other mail is its own job's


async def test_a_mail_left_sending_by_a_dead_sender_goes_again_with_its_message_id(
    any_db_url: str, smtp_server: SmtpServer
) -> None:
    services = _services(any_db_url, smtp_server.port)
    entry = svc.enqueue(services, mail(3), kind="receipt", action_key="k3")[0]
    # A sender claimed it (committed `sending`) and died before settling; its lease runs.
    with db.transaction(services.sessions) as s:
        claimed = repo.claim_due(s, entry.committee_id, now=START, limit=10,
                                 lease=svc.SendPolicy().lease)  # fmt: skip
    assert [c.entry.id for c in claimed] == [entry.id]
    assert svc.due_mail(services) == []  # the batch sender would wait for the lease
    sender = svc.mail_sender(services)
    try:
        report = await send_mail(services, entry.id, sender)
    finally:
        await sender.close()
    assert (report.sent, report.resumed) == (1, 1)
    got = smtp_server.received
    assert [m.message_id for m in got] == [entry.message_id]
    with services.sessions() as s:
        row = s.scalars(select(Outbox)).one()
        assert row.state == "sent" and row.attempts == 2
        kinds = [e.kind for e in s.scalars(select(Event).order_by(Event.id))]
    assert kinds.count("outbound_resumed") == 1 and kinds.count("outbound_sent") == 1
    assert [got[0].raw] == queued_bytes(services)


async def test_a_send_job_leaves_a_draft_alone(any_db_url: str, smtp_server: SmtpServer) -> None:
    services = _services(any_db_url, smtp_server.port, approval="staff")
    entry = svc.enqueue(services, mail(4), kind="receipt", action_key="k4")[0]
    sender = svc.mail_sender(services)
    try:
        report = await send_mail(services, entry.id, sender)
    finally:
        await sender.close()
    assert report.handled == 0 and smtp_server.received == []
    assert _states(services) == ["draft"]
