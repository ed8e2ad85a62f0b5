"""The fault proxy passes IMAP through untouched, and cuts or stalls it on cue."""

from __future__ import annotations

import imaplib
import socket

import aioimaplib
import pytest

from tests.harness.dovecot import DovecotServer
from tests.harness.fixtures import TcpProxyFactory
from tests.harness.imap_probe import ImapProbe
from tests.harness.proxy import Direction, TcpProxy
from tests.harness.pymap_server import PymapServer


def _through(
    proxy: TcpProxy, server: PymapServer | DovecotServer, timeout: float = 10
) -> ImapProbe:
    return ImapProbe(proxy.host, proxy.port, server.user, server.password, timeout=timeout)


def _stored(server: PymapServer | DovecotServer, raw: bytes) -> int:
    probe = server.probe()
    try:
        return probe.append(raw).uid
    finally:
        probe.close()


def test_passes_a_fetch_through_unchanged(
    pymap_server: PymapServer, imap_proxy: TcpProxy, becky_question_eml: bytes
) -> None:
    uid = _stored(pymap_server, becky_question_eml)
    probe = _through(imap_proxy, pymap_server)
    try:
        assert probe.fetch(uid) == becky_question_eml
    finally:
        probe.close()
    assert imap_proxy.dropped == 0


def test_server_dropping_the_connection_mid_fetch(
    pymap_server: PymapServer, imap_proxy: TcpProxy, becky_question_eml: bytes
) -> None:
    uid = _stored(pymap_server, becky_question_eml)
    probe = _through(imap_proxy, pymap_server)
    probe.select()
    # Let the FETCH line and part of the literal through, then cut.
    imap_proxy.drop_after(len(becky_question_eml) // 2)
    try:
        with pytest.raises((imaplib.IMAP4.abort, OSError)):
            probe.fetch(uid)
    finally:
        probe.close()
    assert imap_proxy.dropped == 1

    # The mail is still on the server, untouched, for the next poll.
    imap_proxy.heal()
    again = _through(imap_proxy, pymap_server)
    try:
        assert again.fetch(uid) == becky_question_eml
        assert "\\Seen" not in again.flags(uid)
    finally:
        again.close()


async def test_aioimaplib_learns_of_the_cut_only_through_its_callback(
    pymap_server: PymapServer, imap_proxy: TcpProxy, becky_question_eml: bytes
) -> None:
    uid = _stored(pymap_server, becky_question_eml)
    lost: list[Exception | None] = []
    client = aioimaplib.IMAP4(
        host=imap_proxy.host, port=imap_proxy.port, timeout=1.0, conn_lost_cb=lost.append
    )
    await client.wait_hello_from_server()
    await client.login(pymap_server.user, pymap_server.password)
    await client.select("INBOX")
    imap_proxy.drop_after(len(becky_question_eml) // 2)

    # aioimaplib 2.0 leaves the pending command waiting on a dead socket: only its
    # command timeout ends it, so the poller must set one and watch conn_lost_cb.
    with pytest.raises(aioimaplib.CommandTimeout):
        await client.uid("fetch", str(uid), "(BODY.PEEK[])")
    assert len(lost) == 1
    assert imap_proxy.dropped == 1


def test_client_dropping_mid_append_stores_nothing(
    pymap_server: PymapServer, imap_proxy: TcpProxy, becky_question_eml: bytes
) -> None:
    probe = _through(imap_proxy, pymap_server)
    imap_proxy.drop_after(len(becky_question_eml) // 2, Direction.TO_SERVER)
    try:
        with pytest.raises((imaplib.IMAP4.abort, OSError)):
            probe.append(becky_question_eml)
    finally:
        probe.close()

    direct = pymap_server.probe()
    try:
        assert direct.uids() == []
    finally:
        direct.close()


def test_a_stalled_server_times_the_client_out(
    pymap_server: PymapServer, imap_proxy: TcpProxy, becky_question_eml: bytes
) -> None:
    uid = _stored(pymap_server, becky_question_eml)
    probe = _through(imap_proxy, pymap_server, timeout=0.5)
    probe.select()
    imap_proxy.stall()
    try:
        with pytest.raises((imaplib.IMAP4.abort, socket.timeout)):
            probe.fetch(uid)
    finally:
        imap_proxy.resume()
        probe.close()


@pytest.mark.dovecot
def test_dovecot_dropping_mid_fetch(
    dovecot_server: DovecotServer, tcp_proxy: TcpProxyFactory, becky_question_eml: bytes
) -> None:
    uid = _stored(dovecot_server, becky_question_eml)
    proxy = tcp_proxy(dovecot_server.host, dovecot_server.port)
    probe = _through(proxy, dovecot_server)
    probe.select()
    proxy.drop_after(len(becky_question_eml) // 2)
    try:
        with pytest.raises((imaplib.IMAP4.abort, OSError)):
            probe.fetch(uid)
    finally:
        probe.close()
    assert proxy.dropped == 1
