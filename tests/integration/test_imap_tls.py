"""IMAP over TLS against a real Dovecot: implicit TLS and STARTTLS with a verifying context,
and every way verification can fail refuses the login instead of sending the password."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from mailflow.adapters.imap import ImapClient, ImapError, connector
from mailflow.clock import FixedClock
from mailflow.config import Imap, Secret, TlsMode
from mailflow.services.fetch import FetchOptions, MailFetcher
from tests.harness.certs import LoopbackCa
from tests.harness.dovecot import DovecotServer, ServerTls
from tests.harness.imap_extra import prepare_store, sha256


def _settings(server: DovecotServer, tls: TlsMode, port: int, host: str = "127.0.0.1") -> Imap:
    return Imap(
        host=host,
        port=port,
        tls=tls,
        user=server.user,
        password=Secret(env="MAILFLOW_TEST_UNUSED"),
        after_processing="flag",
    )


def _tls_version(client: ImapClient) -> str | None:
    ssl_object = client._client.protocol.transport.get_extra_info("ssl_object")
    return None if ssl_object is None else str(ssl_object.version())


@pytest.mark.parametrize("mode", [TlsMode.IMPLICIT, TlsMode.STARTTLS])
async def test_a_mail_is_fetched_byte_for_byte_over_tls(
    mode: TlsMode,
    dovecot_tls: DovecotServer,
    session_ca: LoopbackCa,
    becky_question_eml: bytes,
    tmp_path: Path,
) -> None:
    account = dovecot_tls.add_user(f"tls-{mode.value}", "tls-pass")
    probe = dovecot_tls.probe(account)
    probe.append(becky_question_eml)
    probe.close()
    port = dovecot_tls.tls_port if mode is TlsMode.IMPLICIT else dovecot_tls.port
    settings = _settings(dovecot_tls, mode, port).model_copy(update={"user": account.user})

    client = await ImapClient.connect(
        settings, account.password, ssl_context=session_ca.client_context()
    )
    try:
        assert _tls_version(client) in ("TLSv1.2", "TLSv1.3")
        # RFC 3501 §6.2.1: what the server said before TLS is forgotten, not reused.
        assert "STARTTLS" not in client.capabilities
        assert "IDLE" in client.capabilities
    finally:
        await client.logout()

    store = prepare_store(f"sqlite:///{tmp_path / 'tls.db'}")
    fetcher = MailFetcher(
        settings,
        committee_id=store.committee_id,
        sessions=store.sessions,
        clock=FixedClock(datetime(2021, 1, 13, tzinfo=UTC)),
        connect=connector(settings, account.password, session_ca.client_context()),
        options=FetchOptions(holder="test"),
    )
    counts = await fetcher.run_once()
    assert counts.inserted == 1
    assert store.digests() == [sha256(becky_question_eml)]


@pytest.mark.parametrize("mode", [TlsMode.IMPLICIT, TlsMode.STARTTLS])
async def test_a_certificate_from_an_unknown_authority_is_refused(
    mode: TlsMode, dovecot_tls: DovecotServer
) -> None:
    port = dovecot_tls.tls_port if mode is TlsMode.IMPLICIT else dovecot_tls.port
    # No context given: the system's authorities, which never signed the test CA.
    with pytest.raises(ImapError, match="CERTIFICATE_VERIFY_FAILED"):
        await ImapClient.connect(_settings(dovecot_tls, mode, port), dovecot_tls.password)


async def test_a_certificate_for_another_host_is_refused(session_ca: LoopbackCa) -> None:
    from tests.harness.fixtures import _started_dovecot

    server = _started_dovecot(ServerTls(*session_ca.server_pem("imap.example.jp")))
    try:
        settings = _settings(server, TlsMode.IMPLICIT, server.tls_port)
        with pytest.raises(ImapError, match=r"IP address mismatch"):
            await ImapClient.connect(
                settings, server.password, ssl_context=session_ca.client_context()
            )
    finally:
        server.stop()


async def test_starttls_asked_of_a_server_without_it_fails_before_the_login(
    dovecot_server: DovecotServer, session_ca: LoopbackCa
) -> None:
    settings = _settings(dovecot_server, TlsMode.STARTTLS, dovecot_server.port)
    with pytest.raises(ImapError, match="does not offer STARTTLS"):
        await ImapClient.connect(
            settings, dovecot_server.password, ssl_context=session_ca.client_context()
        )
    # The refusal came before LOGIN: Dovecot logged no login for the committee user.
    assert f"user=<{dovecot_server.user}>" not in dovecot_server.log()


async def test_plain_text_to_a_remote_host_is_refused_by_config_and_by_the_client() -> None:
    fields = {
        "host": "imap.example.jp",
        "port": 143,
        "tls": TlsMode.NONE,
        "user": "shingikai",
        "password": Secret(env="MAILFLOW_TEST_UNUSED"),
    }
    with pytest.raises(ValidationError, match="allowed only for a loopback host"):
        Imap(**fields)  # type: ignore[arg-type]
    # Settings that bypassed validation still never reach the network in clear.
    with pytest.raises(ImapError, match="refusing a plain-text IMAP login"):
        await ImapClient.connect(Imap.model_construct(**fields), "secret")  # type: ignore[arg-type]


async def test_a_ca_file_in_the_config_is_trusted_instead_of_the_system(
    dovecot_tls: DovecotServer, session_ca: LoopbackCa, tmp_path: Path
) -> None:
    ca_file = tmp_path / "city-ca.pem"
    ca_file.write_bytes(session_ca.ca_pem())
    for mode, port in (
        (TlsMode.IMPLICIT, dovecot_tls.tls_port),
        (TlsMode.STARTTLS, dovecot_tls.port),
    ):
        settings = _settings(dovecot_tls, mode, port).model_copy(update={"ca_file": ca_file})
        client = await ImapClient.connect(settings, dovecot_tls.password)  # no context given
        try:
            assert _tls_version(client) in ("TLSv1.2", "TLSv1.3")
        finally:
            await client.logout()
