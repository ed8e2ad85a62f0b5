"""The embedded pymap server stores and returns Japanese mail byte for byte."""

from __future__ import annotations

import asyncio
import imaplib
import re
from contextlib import AsyncExitStack

import aioimaplib
import pytest

from mailflow.adapters.pymap_embed import start_pymap
from tests.harness.aio_probe import aio_fetch
from tests.harness.pymap_server import PymapServer


def test_iso2022jp_mail_comes_back_byte_identical(
    pymap_server: PymapServer, becky_question_eml: bytes
) -> None:
    probe = pymap_server.probe()
    try:
        appended = probe.append(becky_question_eml)
        assert probe.uids() == [appended.uid]
        assert probe.uidvalidity() == appended.uidvalidity
        assert probe.fetch(appended.uid) == becky_question_eml
        # BODY.PEEK must not mark the mail read: the poller flags it only after storing it.
        assert "\\Seen" not in probe.flags(appended.uid)
    finally:
        probe.close()


async def test_aioimaplib_reads_the_same_bytes(
    pymap_server: PymapServer, becky_question_eml: bytes
) -> None:
    probe = pymap_server.probe()
    try:
        uid = probe.append(becky_question_eml).uid
    finally:
        probe.close()
    endpoint = pymap_server.endpoint
    fetched = await aio_fetch(endpoint.host, endpoint.port, endpoint.user, endpoint.password, uid)
    assert fetched == becky_question_eml


def test_serves_the_extensions_the_poller_relies_on(pymap_server: PymapServer) -> None:
    probe = pymap_server.probe()
    try:
        capabilities = probe.capabilities()
    finally:
        probe.close()
    assert {"IDLE", "MOVE", "UIDPLUS"} <= capabilities


def test_folders_for_processed_and_quarantined_mail(pymap_server: PymapServer) -> None:
    probe = pymap_server.probe()
    try:
        probe.create("processed")
        probe.create("quarantine")
        moved = probe.append(b"Subject: x\r\n\r\nbody\r\n", mailbox="quarantine")
        assert probe.mailboxes() == ["INBOX", "processed", "quarantine"]
        assert probe.uids("quarantine") == [moved.uid]
        assert probe.uids("INBOX") == []
    finally:
        probe.close()


def test_refuses_any_other_login(pymap_server: PymapServer) -> None:
    conn = imaplib.IMAP4(pymap_server.host, pymap_server.port, timeout=10)
    try:
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            conn.login("intruder", pymap_server.password)
    finally:
        conn.shutdown()


def test_mail_is_gone_after_a_restart(becky_question_eml: bytes) -> None:
    with PymapServer() as first:
        probe = first.probe()
        probe.append(becky_question_eml)
        probe.close()
    with PymapServer() as second:
        probe = second.probe()
        try:
            assert probe.uids() == []
        finally:
            probe.close()


async def test_start_pymap_on_the_callers_loop_and_shut_down_with_a_client_logged_in(
    becky_question_eml: bytes,
) -> None:
    # The demo's way: server and client on one event loop, closed by one exit stack.
    async with AsyncExitStack() as stack:
        endpoint = await start_pymap(stack, user="committee", password="secret")
        client = aioimaplib.IMAP4(host=endpoint.host, port=endpoint.port, timeout=5)
        await client.wait_hello_from_server()
        assert (await client.login(endpoint.user, endpoint.password)).result == "OK"
        appended = await client.append(becky_question_eml, mailbox="INBOX")
        assert appended.result == "OK"
        found = re.search(rb"\[APPENDUID \d+ (\d+)\]", b" ".join(appended.lines))
        assert found is not None, appended.lines
        uid = int(found.group(1))
        fetched = await aio_fetch(
            endpoint.host, endpoint.port, endpoint.user, endpoint.password, uid
        )
        assert fetched == becky_question_eml
    # The stack closed with `client` still logged in: the port must now refuse.
    with pytest.raises(OSError):
        await asyncio.open_connection(endpoint.host, endpoint.port)
