"""Pytest fixtures that start real mail servers on loopback for one test and stop them after."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator

import pytest

from mailflow.adapters.pymap_embed import ImapEndpoint
from mailflow.config import TlsMode
from tests.harness.certs import LoopbackCa
from tests.harness.dovecot import DovecotError, DovecotServer, ServerTls, dovecot_binary
from tests.harness.proxy import TcpProxy
from tests.harness.pymap_server import PymapServer
from tests.harness.samples import BECKY_ISO2022JP_QUESTION, sample_mail
from tests.harness.smtp_server import SmtpServer

TcpProxyFactory = Callable[[str, int], TcpProxy]


def _require_dovecot() -> None:
    # CI installs dovecot-imapd, so there a missing binary is a broken build, not a skip.
    if dovecot_binary() is not None:
        return
    reason = "dovecot is not installed (apt-get install dovecot-imapd)"
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"CI must run the Dovecot tests: {reason}", pytrace=False)
    pytest.skip(reason)


def _started_dovecot(tls: ServerTls | None = None) -> DovecotServer:
    _require_dovecot()
    try:
        return DovecotServer(tls=tls).start()
    except DovecotError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def pymap_server() -> Iterator[PymapServer]:
    """pymap (in-memory) serving the committee mailbox; `.probe()` gives a stdlib client."""
    with PymapServer() as server:
        yield server


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """aiosmtpd recording every mail in `.received`; faults via `.handler`."""
    with SmtpServer() as server:
        yield server


@pytest.fixture
def loopback_ca() -> LoopbackCa:
    """A certificate authority of this test's own, trusted by nothing else."""
    return LoopbackCa()


@pytest.fixture(params=[TlsMode.STARTTLS, TlsMode.IMPLICIT], ids=lambda mode: str(mode.value))
def smtp_tls_server(
    request: pytest.FixtureRequest, loopback_ca: LoopbackCa
) -> Iterator[SmtpServer]:
    """`smtp_server` behind TLS, once with required STARTTLS and once with implicit TLS.

    Its certificate (127.0.0.1, localhost) is issued by `loopback_ca`.
    """
    with SmtpServer(request.param, loopback_ca.server_context()) as server:
        yield server


@pytest.fixture
def dovecot_server() -> Iterator[DovecotServer]:
    """A Dovecot of this test's own: the committee mailbox, empty, in a fresh temp dir."""
    server = _started_dovecot()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def session_ca() -> LoopbackCa:
    """A certificate authority for the servers shared by the whole run."""
    return LoopbackCa()


@pytest.fixture(scope="session")
def dovecot_tls(session_ca: LoopbackCa) -> Iterator[DovecotServer]:
    """A Dovecot offering STARTTLS on `.port` and implicit TLS on `.tls_port`, with a
    certificate for 127.0.0.1 from `session_ca`."""
    server = _started_dovecot(ServerTls(*session_ca.server_pem()))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def dovecot_session() -> Iterator[DovecotServer]:
    """One Dovecot for the whole run; pair it with `dovecot_account` for isolation."""
    server = _started_dovecot()
    try:
        yield server
    finally:
        server.stop()


_account_numbers = itertools.count(1)


@pytest.fixture
def dovecot_account(dovecot_session: DovecotServer) -> ImapEndpoint:
    """A mailbox no other test has touched, on the shared session Dovecot."""
    number = next(_account_numbers)
    return dovecot_session.add_user(f"committee{number}", f"pass-{number}")


@pytest.fixture
def tcp_proxy() -> Iterator[TcpProxyFactory]:
    """Makes proxies in front of any (host, port); all are stopped after the test."""
    proxies: list[TcpProxy] = []

    def make(host: str, port: int) -> TcpProxy:
        proxy = TcpProxy(host, port).start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def imap_proxy(pymap_server: PymapServer, tcp_proxy: TcpProxyFactory) -> TcpProxy:
    """A proxy in front of `pymap_server` (connect to the proxy's host and port)."""
    return tcp_proxy(pymap_server.host, pymap_server.port)


@pytest.fixture
def becky_question_eml() -> bytes:
    """The raw bytes of a Becky! ISO-2022-JP question on 諮問第13号 with ①②."""
    return sample_mail(BECKY_ISO2022JP_QUESTION)
