"""A real Dovecot, started by the tests, stores and returns Japanese mail byte for byte."""

from __future__ import annotations

import imaplib
import os
import pwd
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mailflow.adapters.pymap_embed import ImapEndpoint
from tests.harness.aio_probe import aio_fetch
from tests.harness.dovecot import BINARY_ENV, DovecotServer

pytestmark = pytest.mark.dovecot


def test_iso2022jp_mail_comes_back_byte_identical(
    dovecot_server: DovecotServer, becky_question_eml: bytes
) -> None:
    probe = dovecot_server.probe()
    try:
        appended = probe.append(becky_question_eml)
        assert probe.uids() == [appended.uid]
        assert probe.fetch(appended.uid) == becky_question_eml
        assert "\\Seen" not in probe.flags(appended.uid)
    finally:
        probe.close()


async def test_aioimaplib_reads_the_same_bytes(
    dovecot_server: DovecotServer, becky_question_eml: bytes
) -> None:
    probe = dovecot_server.probe()
    try:
        uid = probe.append(becky_question_eml).uid
    finally:
        probe.close()
    server = dovecot_server.endpoint
    fetched = await aio_fetch(server.host, server.port, server.user, server.password, uid)
    assert fetched == becky_question_eml


def test_serves_the_extensions_the_poller_relies_on(dovecot_server: DovecotServer) -> None:
    probe = dovecot_server.probe()
    try:
        assert {"IDLE", "MOVE", "UIDPLUS"} <= probe.capabilities()
    finally:
        probe.close()


def test_mail_is_stored_as_the_mail_user_not_root(
    dovecot_server: DovecotServer, becky_question_eml: bytes
) -> None:
    probe = dovecot_server.probe()
    try:
        probe.append(becky_question_eml)
    finally:
        probe.close()
    stored = list((dovecot_server.root / "mail" / dovecot_server.user).rglob("new/*")) + list(
        (dovecot_server.root / "mail" / dovecot_server.user).rglob("cur/*")
    )
    assert len(stored) == 1
    expected = pwd.getpwnam("mail").pw_uid if os.geteuid() == 0 else os.geteuid()
    assert stored[0].stat().st_uid == expected


def test_folders_for_processed_and_quarantined_mail(dovecot_server: DovecotServer) -> None:
    dovecot_server.create_folders("processed", "quarantine")
    probe = dovecot_server.probe()
    try:
        assert probe.mailboxes() == ["INBOX", "processed", "quarantine"]
        kept = probe.append(b"Subject: x\r\n\r\nbody\r\n", mailbox="quarantine")
        assert probe.uids("quarantine") == [kept.uid]
    finally:
        probe.close()


def test_uidvalidity_can_be_changed_under_the_client(
    dovecot_server: DovecotServer, becky_question_eml: bytes
) -> None:
    probe = dovecot_server.probe()
    try:
        before = probe.append(becky_question_eml).uidvalidity
    finally:
        probe.close()

    dovecot_server.set_uidvalidity(before + 1000)

    probe = dovecot_server.probe()
    try:
        assert probe.select() == before + 1000
        assert probe.uidvalidity() == before + 1000
    finally:
        probe.close()


def test_accounts_on_the_shared_server_are_isolated(
    dovecot_session: DovecotServer, dovecot_account: ImapEndpoint, becky_question_eml: bytes
) -> None:
    neighbour = dovecot_session.add_user("neighbour-of-" + dovecot_account.user, "other-pass")
    mine = dovecot_session.probe(dovecot_account)
    theirs = dovecot_session.probe(neighbour)
    try:
        uid = mine.append(becky_question_eml).uid
        assert mine.fetch(uid) == becky_question_eml
        assert theirs.uids() == []
    finally:
        mine.close()
        theirs.close()


def test_wrong_password_is_refused(dovecot_account: ImapEndpoint) -> None:
    conn = imaplib.IMAP4(dovecot_account.host, dovecot_account.port, timeout=10)
    try:
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            conn.login(dovecot_account.user, "not-" + dovecot_account.password)
    finally:
        conn.shutdown()


def test_stop_ends_every_process_and_removes_the_temp_dir(dovecot_server: DovecotServer) -> None:
    root, port = dovecot_server.root, dovecot_server.port
    dovecot_server.stop()
    assert not root.exists()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


_NEEDS_DOVECOT = "def test_needs_dovecot(dovecot_server):\n    assert dovecot_server.port\n"


@pytest.mark.parametrize(
    ("ci", "outcome", "exit_code"), [(None, "1 skipped", 0), ("true", "1 error", 1)]
)
def test_missing_dovecot_skips_locally_but_fails_in_ci(
    tmp_path: Path, ci: str | None, outcome: str, exit_code: int
) -> None:
    (tmp_path / "test_needs_dovecot.py").write_text(_NEEDS_DOVECOT)
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env[BINARY_ENV] = str(tmp_path / "no-such-dovecot")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    if ci is not None:
        env["CI"] = ci
    plugins = ["-p", "no:cacheprovider", "-p", "tests.harness.fixtures"]
    plugins += ["-o", "asyncio_default_fixture_loop_scope=function"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rsf", *plugins, "test_needs_dovecot.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert outcome in done.stdout, done.stdout + done.stderr
    assert done.returncode == exit_code
    assert "dovecot is not installed" in done.stdout
