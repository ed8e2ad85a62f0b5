"""The outbox over real TLS on loopback: STARTTLS and implicit TLS, and every way it must fail.

The server is aiosmtpd with a certificate from a throwaway CA; the client's settings
come from the config (`[smtp] tls = ...`), with a context that trusts that CA where
the test wants a working connection, and the system's default context where it wants
an untrusted one.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.adapters.smtp import SmtpSender, SmtpSettings
from mailflow.config import TlsMode
from mailflow.services import outbox as svc
from mailflow.services.context import Services
from mailflow.services.ports import SendFailure
from mailflow.store.models import Outbox
from tests.harness.certs import LoopbackCa
from tests.harness.smtp_server import SmtpServer
from tests.integration.outbox_helpers import (
    COMMITTEE,
    START,
    mail,
    make_config,
    make_services,
    queued_bytes,
)

TLS_VERSIONS = ("TLSv1.2", "TLSv1.3")


def services_for(tmp_path: Path, port: int, tls: TlsMode) -> Services:
    url = f"sqlite:///{tmp_path / 'mailflow.db'}"
    return make_services(make_config(url, port, tls=tls.value))


def configured(services: Services) -> SmtpSettings:
    conf = services.config
    assert conf.smtp is not None
    return SmtpSettings.from_config(conf.smtp, conf.committee.address)


def trusting(services: Services, ca: LoopbackCa) -> SmtpSender:
    """The configured sender, its context trusting `ca` (what a site CA bundle would do)."""
    settings = dataclasses.replace(configured(services), tls_context=ca.client_context())
    return SmtpSender(settings)


def rows(services: Services) -> list[Outbox]:
    with services.sessions() as s:
        return list(s.scalars(select(Outbox).order_by(Outbox.id)))


async def test_outbox_mails_arrive_byte_identical_over_tls(
    smtp_tls_server: SmtpServer, loopback_ca: LoopbackCa, tmp_path: Path
) -> None:
    services = services_for(tmp_path, smtp_tls_server.port, smtp_tls_server.tls)
    for n in (1, 2):
        svc.enqueue(services, mail(n), kind="receipt", action_key=f"k{n}")
    sender = trusting(services, loopback_ca)
    assert sender.settings.tls is smtp_tls_server.tls  # the mode came from the config

    report = await svc.send_due(services, START, 10, sender=sender)
    await sender.close()

    assert (report.sent, report.retry_later, report.failed) == (2, 0, 0)
    got = smtp_tls_server.received
    # UTF-8 Japanese, base64 and RFC 2047 as composed: the bytes queued are the bytes received.
    assert [m.raw for m in got] == queued_bytes(services)
    assert [m.message_id for m in got] == [mail(1).message_id, mail(2).message_id]
    assert all(m.mail_from == COMMITTEE for m in got)
    assert all(m.tls_version in TLS_VERSIONS for m in got)


async def test_iso2022jp_mail_arrives_byte_identical_over_tls(
    smtp_tls_server: SmtpServer, loopback_ca: LoopbackCa, becky_question_eml: bytes
) -> None:
    settings = SmtpSettings(
        host=smtp_tls_server.host,
        port=smtp_tls_server.port,
        tls=smtp_tls_server.tls,
        envelope_sender=COMMITTEE,
        timeout=10,
        tls_context=loopback_ca.client_context(),
    )
    async with SmtpSender(settings) as sender:
        accepted = await sender.send(["yamada.taro@example.jp"], becky_question_eml)

    assert accepted.refused == ()
    [got] = smtp_tls_server.received
    assert got.raw == becky_question_eml
    assert got.tls_version in TLS_VERSIONS


async def test_untrusted_certificate_keeps_the_mail_queued_and_unsent(
    smtp_tls_server: SmtpServer, loopback_ca: LoopbackCa, tmp_path: Path
) -> None:
    services = services_for(tmp_path, smtp_tls_server.port, smtp_tls_server.tls)
    svc.enqueue(services, mail(1), kind="reminder")

    # The sender send_due builds from the config: the system's CAs, not the test CA.
    first = await svc.send_due(services, START, 10)

    # Temporary, not permanent: the certificate is the site's to fix and the mail is
    # fine; a permanent failure would mark it (and every mail queued behind it) failed
    # at once, for staff to retry by hand. Retrying with backoff keeps it until the fix.
    assert (first.sent, first.retry_later, first.failed) == (0, 1, 0)
    (row,) = rows(services)
    assert row.state == "approved" and row.attempts == 1
    assert "CERTIFICATE_VERIFY_FAILED" in (row.last_error or "")
    assert smtp_tls_server.received == []  # nothing went out, in clear or otherwise

    # Staff install the CA; the next attempt delivers the very bytes queued.
    sender = trusting(services, loopback_ca)
    second = await svc.send_due(services, START + timedelta(minutes=1), 10, sender=sender)
    await sender.close()
    assert second.sent == 1
    (row,) = rows(services)
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, None)
    [got] = smtp_tls_server.received
    assert [got.raw] == queued_bytes(services) and got.tls_version in TLS_VERSIONS


async def test_mail_given_up_on_for_an_untrusted_certificate_goes_after_the_fix(
    smtp_tls_server: SmtpServer, loopback_ca: LoopbackCa, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'mailflow.db'}"
    tls = smtp_tls_server.tls.value
    services = make_services(make_config(url, smtp_tls_server.port, tls=tls))
    for n in (1, 2):
        svc.enqueue(services, mail(n), kind="reminder")

    # Nobody fixed it while the sender retried (one attempt here, hours by default).
    report = await svc.send_due(services, START, 10, policy=svc.SendPolicy(max_attempts=1))
    assert (report.sent, report.failed) == (0, 2)
    assert [r.state for r in rows(services)] == ["failed", "failed"]
    assert all("CERTIFICATE_VERIFY_FAILED" in (r.last_error or "") for r in rows(services))

    # Staff set ca_file to the city's CA bundle, then retry every mail given up on.
    ca_file = tmp_path / "city-ca.pem"
    ca_file.write_bytes(loopback_ca.ca_pem())
    later = START + timedelta(hours=6)
    config = make_config(url, smtp_tls_server.port, tls=tls, ca_file=ca_file)
    fixed = make_services(config, later)
    assert svc.retry(fixed, None) == [r.id for r in rows(fixed)]
    report = await svc.send_due(fixed, later, 10)  # the sender the config builds

    assert (report.sent, report.failed) == (2, 0)
    assert [r.state for r in rows(fixed)] == ["sent", "sent"]
    got = smtp_tls_server.received
    assert [m.raw for m in got] == queued_bytes(fixed)
    assert all(m.tls_version in TLS_VERSIONS for m in got)


async def test_untrusted_certificate_is_a_temporary_smtp_failure(
    smtp_tls_server: SmtpServer, becky_question_eml: bytes
) -> None:
    settings = SmtpSettings(
        host=smtp_tls_server.host,
        port=smtp_tls_server.port,
        tls=smtp_tls_server.tls,
        envelope_sender=COMMITTEE,
        timeout=10,
    )
    async with SmtpSender(settings) as sender:
        with pytest.raises(SendFailure) as failure:
            await sender.send(["yamada.taro@example.jp"], becky_question_eml)

    assert "certificate verify failed" in failure.value.text
    assert failure.value.temporary and failure.value.code is None
    assert smtp_tls_server.received == []


@pytest.mark.parametrize("tls", [TlsMode.STARTTLS, TlsMode.IMPLICIT], ids=str)
async def test_certificate_for_another_name_is_refused(
    loopback_ca: LoopbackCa, becky_question_eml: bytes, tls: TlsMode
) -> None:
    # Issued by the trusted CA, but not for 127.0.0.1: the name check must still fail it.
    with SmtpServer(tls, loopback_ca.server_context("mail.city.example.jp")) as server:
        settings = SmtpSettings(
            host=server.host,
            port=server.port,
            tls=tls,
            envelope_sender=COMMITTEE,
            timeout=10,
            tls_context=loopback_ca.client_context(),
        )
        async with SmtpSender(settings) as sender:
            with pytest.raises(SendFailure) as failure:
                await sender.send(["yamada.taro@example.jp"], becky_question_eml)
        received = server.received

    assert "certificate is not valid for '127.0.0.1'" in failure.value.text
    assert failure.value.temporary
    assert received == []


@pytest.mark.parametrize("tls", [TlsMode.STARTTLS, TlsMode.IMPLICIT], ids=str)
async def test_tls_against_a_plain_server_fails_without_sending_in_clear(
    smtp_server: SmtpServer, loopback_ca: LoopbackCa, tmp_path: Path, tls: TlsMode
) -> None:
    # A server without STARTTLS (or someone stripping it from EHLO) must not get the
    # mail in clear; implicit TLS finds a plaintext greeting instead of a handshake.
    services = services_for(tmp_path, smtp_server.port, tls)
    svc.enqueue(services, mail(1), kind="reminder")
    sender = trusting(services, loopback_ca)

    report = await svc.send_due(services, START, 10, sender=sender)
    await sender.close()

    assert (report.sent, report.retry_later, report.failed) == (0, 1, 0)
    (row,) = rows(services)
    assert row.state == "approved"
    expected = "STARTTLS extension not supported" if tls is TlsMode.STARTTLS else "[SSL:"
    assert expected in (row.last_error or "")
    assert smtp_server.received == []


async def test_plain_client_refused_by_required_starttls_keeps_the_mail(
    loopback_ca: LoopbackCa, tmp_path: Path
) -> None:
    with SmtpServer(TlsMode.STARTTLS, loopback_ca.server_context()) as server:
        # tls = "none" passes the config because the host is loopback...
        services = services_for(tmp_path, server.port, TlsMode.NONE)
        assert configured(services).tls is TlsMode.NONE
        svc.enqueue(services, mail(1), kind="reminder")

        report = await svc.send_due(services, START, 10)

        # ...and the server refuses MAIL with 530 (RFC 3207 §4). The refusal is of the
        # session, not of this mail: it stays queued for the corrected configuration.
        assert (report.sent, report.retry_later, report.failed) == (0, 1, 0)
        (row,) = rows(services)
        assert row.state == "approved"
        assert (row.last_error or "").startswith("530 Must issue a STARTTLS command first")
        assert server.received == []

        fixed = services_for(tmp_path, server.port, TlsMode.STARTTLS)
        sender = trusting(fixed, loopback_ca)
        later = await svc.send_due(fixed, START + timedelta(minutes=1), 10, sender=sender)
        await sender.close()
        received = server.received

    assert later.sent == 1
    (row,) = rows(fixed)
    assert [m.raw for m in received] == queued_bytes(fixed)
    assert received[0].tls_version in TLS_VERSIONS


async def test_a_ca_file_in_the_config_is_trusted_instead_of_the_system(
    smtp_tls_server: SmtpServer, loopback_ca: LoopbackCa, tmp_path: Path
) -> None:
    ca_file = tmp_path / "city-ca.pem"
    ca_file.write_bytes(loopback_ca.ca_pem())
    url = f"sqlite:///{tmp_path / 'mailflow.db'}"
    config = make_config(url, smtp_tls_server.port, tls=smtp_tls_server.tls.value, ca_file=ca_file)
    services = make_services(config)
    svc.enqueue(services, mail(1), kind="receipt", action_key="k1")
    sender = SmtpSender(configured(services))  # no context given: the config's CA

    report = await svc.send_due(services, START, 10, sender=sender)
    await sender.close()

    assert (report.sent, report.failed) == (1, 0)
    assert [m.raw for m in smtp_tls_server.received] == queued_bytes(services)
    assert smtp_tls_server.received[0].tls_version in TLS_VERSIONS
