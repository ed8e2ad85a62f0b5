"""The aiosmtpd harness receives mail byte for byte and fails exactly when told to."""

from __future__ import annotations

import asyncio

import aiosmtplib
import pytest

from mailflow.config import TlsMode
from tests.harness.certs import LoopbackCa
from tests.harness.smtp_server import Reply, SmtpServer, Stage

SENDER = "shingikai@city.example.lg.jp"
MEMBER = "yamada.taro@example.jp"


async def _send(server: SmtpServer, raw: bytes, recipients: list[str] | None = None) -> None:
    await aiosmtplib.send(
        raw,
        sender=SENDER,
        recipients=recipients or [MEMBER],
        hostname=server.host,
        port=server.port,
        timeout=10,
    )


async def test_iso2022jp_mail_arrives_byte_identical(
    smtp_server: SmtpServer, becky_question_eml: bytes
) -> None:
    await _send(smtp_server, becky_question_eml, [MEMBER, "chair@example.jp"])

    [mail] = smtp_server.received
    # The handler adds nothing (no Received:, no X-Peer): what the client sent is what we get.
    assert mail.raw == becky_question_eml
    assert mail.mail_from == SENDER
    assert mail.rcpt_tos == (MEMBER, "chair@example.jp")
    assert mail.message_id == "<20210106101542.8D2C.YAMADA@example.jp>"
    assert mail.tls_version is None


async def test_tls_server_receives_byte_identical_over_tls(
    smtp_tls_server: SmtpServer, loopback_ca: LoopbackCa, becky_question_eml: bytes
) -> None:
    await aiosmtplib.send(
        becky_question_eml,
        sender=SENDER,
        recipients=[MEMBER],
        hostname=smtp_tls_server.host,
        port=smtp_tls_server.port,
        use_tls=smtp_tls_server.tls is TlsMode.IMPLICIT,
        start_tls=smtp_tls_server.tls is TlsMode.STARTTLS,
        tls_context=loopback_ca.client_context(),
        timeout=10,
    )

    [mail] = smtp_tls_server.received
    assert mail.raw == becky_question_eml
    assert mail.tls_version in ("TLSv1.2", "TLSv1.3")


async def test_required_starttls_refuses_a_plain_client(
    loopback_ca: LoopbackCa, becky_question_eml: bytes
) -> None:
    with SmtpServer(TlsMode.STARTTLS, loopback_ca.server_context()) as server:
        client = aiosmtplib.SMTP(
            hostname=server.host, port=server.port, start_tls=False, timeout=10
        )
        await client.connect()
        # It offers the upgrade...
        await client.ehlo()
        assert client.supports_extension("starttls")
        # ...and refuses the transaction without it (RFC 3207 §4).
        with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
            await client.sendmail(SENDER, [MEMBER], becky_question_eml)
        client.close()
    assert refused.value.code == 530
    assert "STARTTLS" in refused.value.message
    assert server.received == []


@pytest.mark.parametrize(("tls", "with_context"), [(TlsMode.NONE, True), (TlsMode.STARTTLS, False)])
def test_a_tls_server_needs_a_context_and_a_plain_one_takes_none(
    loopback_ca: LoopbackCa, tls: TlsMode, with_context: bool
) -> None:
    with pytest.raises(ValueError, match="context"):
        SmtpServer(tls, loopback_ca.server_context() if with_context else None)


async def test_dot_stuffing_is_undone(smtp_server: SmtpServer) -> None:
    raw = b"Subject: dots\r\n\r\n.\r\n..two\r\n.leading\r\nend\r\n"
    await _send(smtp_server, raw)
    assert smtp_server.received[0].raw == raw
    assert smtp_server.received[0].message_id is None


@pytest.mark.parametrize("reply", [Reply.SERVICE_UNAVAILABLE, Reply.LOCAL_ERROR])
async def test_temporary_rcpt_failure_then_success(
    smtp_server: SmtpServer, becky_question_eml: bytes, reply: Reply
) -> None:
    smtp_server.handler.fail_next(Stage.RCPT, reply)

    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await _send(smtp_server, becky_question_eml)
    assert [error.code for error in refused.value.recipients] == [reply.code]
    assert reply.temporary
    assert smtp_server.received == []

    await _send(smtp_server, becky_question_eml)
    assert len(smtp_server.received) == 1
    assert [r.reply for r in smtp_server.handler.rejections] == [reply]


@pytest.mark.parametrize("reply", [Reply.MAILBOX_UNAVAILABLE, Reply.TRANSACTION_FAILED])
async def test_permanent_data_failure_is_reported_and_nothing_kept(
    smtp_server: SmtpServer, becky_question_eml: bytes, reply: Reply
) -> None:
    smtp_server.handler.fail_next(Stage.DATA, reply)

    with pytest.raises(aiosmtplib.SMTPDataError) as failed:
        await _send(smtp_server, becky_question_eml)
    assert failed.value.code == reply.code
    assert not reply.temporary
    assert smtp_server.received == []


async def test_faults_are_consumed_in_order(smtp_server: SmtpServer) -> None:
    smtp_server.handler.fail_next(Stage.RCPT, Reply.MAILBOX_UNAVAILABLE, times=2)
    raw = b"Subject: x\r\n\r\nbody\r\n"

    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await _send(smtp_server, raw, ["a@example.jp", "b@example.jp"])
    await _send(smtp_server, raw, ["c@example.jp"])

    assert [r.address for r in smtp_server.handler.rejections] == ["a@example.jp", "b@example.jp"]
    assert smtp_server.received[0].rcpt_tos == ("c@example.jp",)


@pytest.mark.parametrize("deliver", [False, True])
async def test_connection_dropped_after_data_leaves_the_client_unsure(
    smtp_server: SmtpServer, becky_question_eml: bytes, deliver: bool
) -> None:
    smtp_server.handler.drop_next_data(deliver=deliver)

    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        await _send(smtp_server, becky_question_eml)
    assert [m.raw for m in smtp_server.received] == ([becky_question_eml] if deliver else [])

    await _send(smtp_server, becky_question_eml)
    assert len(smtp_server.received) == (2 if deliver else 1)


async def test_concurrent_senders_are_all_recorded(smtp_server: SmtpServer) -> None:
    mails = [f"Message-ID: <m{n}@example.jp>\r\n\r\nbody {n}\r\n".encode() for n in range(20)]

    await asyncio.gather(*(_send(smtp_server, raw) for raw in mails))

    received = smtp_server.received
    assert sorted(m.raw for m in received) == sorted(mails)
    assert {m.message_id for m in received} == {f"<m{n}@example.jp>" for n in range(20)}


async def test_421_closes_the_channel(smtp_server: SmtpServer) -> None:
    smtp_server.handler.fail_next(Stage.DATA, Reply.SERVICE_UNAVAILABLE)
    client = aiosmtplib.SMTP(hostname=smtp_server.host, port=smtp_server.port, timeout=5)
    await client.connect()

    with pytest.raises(aiosmtplib.SMTPDataError) as failed:
        await client.sendmail(SENDER, [MEMBER], b"Subject: x\r\n\r\nbody\r\n")
    assert failed.value.code == 421
    # The session is gone: the client must reconnect, not reuse it.
    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        await client.noop()
