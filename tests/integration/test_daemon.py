"""`mailflow run` as a real process against Dovecot and aiosmtpd: IDLE, receipts, clean stop."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.store.db import make_engine
from mailflow.store.models import Item, Message
from tests.harness.clients import gmail
from tests.harness.dovecot import DovecotServer
from tests.harness.smtp_server import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
SECRET = "daemon-secret-0123456789abcdef-0123456789"


def _round_file(tmp: Path, now: datetime) -> Path:
    text = (ROOT / "examples/round-r2-5.toml").read_text("utf-8")
    for name, days in (("questions", 3), ("answers", 5), ("further", 8), ("decision", 12)):
        old = next(line for line in text.splitlines() if line.startswith(f"{name} = "))
        text = text.replace(old, f"{name} = {(now + timedelta(days=days)).isoformat()}")
    path = tmp / "round.toml"
    shutil.copytree(ROOT / "examples/documents", tmp / "documents", dirs_exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def _config(tmp: Path, imap: DovecotServer, smtp: SmtpServer) -> Path:
    text = (ROOT / "examples/committee-r2-5.toml").read_text("utf-8")
    text = text.replace('data_dir = "../data/example"', 'data_dir = "data"')
    text += f"""
[imap]
host = "127.0.0.1"
port = {imap.port}
tls = "none"
user = "{imap.user}"
password = {{ env = "MAILFLOW_TEST_IMAP_PASSWORD" }}
processed_folder = "processed"
quarantine_folder = "quarantine"
poll_interval_seconds = 30

[smtp]
host = "127.0.0.1"
port = {smtp.port}
tls = "none"
"""
    path = tmp / "committee.toml"
    path.write_text(text, "utf-8")
    return path


def _mailflow(conf: Path, *args: str, env: dict[str, str]) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "mailflow", "--config", str(conf), *args],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_run_answers_a_reply_within_seconds_and_stops_cleanly(
    tmp_path: Path, dovecot_server: DovecotServer, smtp_server: SmtpServer
) -> None:
    dovecot_server.create_folders("processed", "quarantine")
    env = {**os.environ, "MAILFLOW_TOKEN_SECRET": SECRET,
           "MAILFLOW_TEST_IMAP_PASSWORD": dovecot_server.password}  # fmt: skip
    conf = _config(tmp_path, dovecot_server, smtp_server)
    now = datetime.now(UTC)
    _mailflow(conf, "db", "upgrade", env=env)
    _mailflow(conf, "round", "import", str(_round_file(tmp_path, now)), env=env)
    _mailflow(conf, "round", "open", "R2-5", env=env)
    log_path = tmp_path / "daemon.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailflow", "--config", str(conf), "run", "--tick-every", "2"],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while len(smtp_server.received) < 7 and time.monotonic() < deadline:
            time.sleep(0.1)
        call = next(m.raw for m in smtp_server.received if "ishida@example.com" in m.rcpt_tos)
        body = "諮問第13号について\n● 発行管理台帳は紙のみか、それともデジタル化されているのか。"
        reply = gmail(call, "石田 直樹", "ishida@example.com", body, datetime.now(UTC))
        engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'mailflow.db'}")
        probe = dovecot_server.probe()
        try:
            probe.append(reply)
        finally:
            probe.close()
        appended = time.monotonic()
        latency = None
        while time.monotonic() < appended + 20:
            with engine.connect() as c:
                if c.execute(select(Item.public_id)).first() is not None:
                    latency = time.monotonic() - appended
                    break
            time.sleep(0.05)
        assert latency is not None, log_path.read_text()
        # IDLE, not the 30 s poll, brought it in; the bound is generous for a busy machine.
        assert latency < 10, latency
        print(f"reply processed {latency:.2f} s after arrival")

        def to_ishida() -> int:
            return sum("ishida@example.com" in m.rcpt_tos for m in smtp_server.received)

        while to_ishida() < 2 and time.monotonic() < appended + 20:
            time.sleep(0.1)
        assert to_ishida() == 2, "the call for questions, then the receipt"
        probe = dovecot_server.probe()
        try:
            assert probe.uids("INBOX") == []
            assert len(probe.uids("processed")) == 1
        finally:
            probe.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    log = log_path.read_text()
    assert code == 0, log
    assert "health: intake" in log and "mailflow stopped" in log
    assert "発行管理台帳" not in log  # no message bodies in the log at info level
    with engine.connect() as c:
        assert [r.state for r in c.execute(select(Message.state))] == ["done"]


def test_run_refuses_an_unmigrated_database(tmp_path: Path, smtp_server: SmtpServer,
                                             dovecot_server: DovecotServer) -> None:  # fmt: skip
    env = {**os.environ, "MAILFLOW_TOKEN_SECRET": SECRET,
           "MAILFLOW_TEST_IMAP_PASSWORD": dovecot_server.password}  # fmt: skip
    conf = _config(tmp_path, dovecot_server, smtp_server)
    r = subprocess.run([sys.executable, "-m", "mailflow", "--config", str(conf), "run"],
                       capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert r.returncode == 2
    assert "mailflow db upgrade" in r.stderr


pytestmark = pytest.mark.dovecot


def test_one_daemon_runs_two_committees_on_one_database(
    tmp_path: Path, dovecot_server: DovecotServer, smtp_server: SmtpServer
) -> None:
    second = dovecot_server.add_user("shingikai2", "second-password")
    dovecot_server.create_folders("processed", "quarantine")
    dovecot_server.create_folders("processed", "quarantine", user="shingikai2")
    env = {**os.environ, "MAILFLOW_TOKEN_SECRET": SECRET,
           "MAILFLOW_TEST_IMAP_PASSWORD": dovecot_server.password,
           "MAILFLOW_TEST_IMAP_PASSWORD_2": second.password}  # fmt: skip
    db_url = f"sqlite:///{tmp_path / 'shared.db'}"
    a = _config(tmp_path, dovecot_server, smtp_server)
    a.write_text(a.read_text("utf-8") + f'\n[database]\nurl = "{db_url}"\n', "utf-8")
    b = tmp_path / "second.toml"
    text = a.read_text("utf-8")
    text = text.replace('id = "kojin-joho"', 'id = "joho-kokai"')
    text = text.replace('name = "個人情報保護運営審議会"', 'name = "情報公開運営審議会"')
    text = text.replace("shingikai@city.example.jp", "shingikai2@city.example.jp")
    text = text.replace(f'user = "{dovecot_server.user}"', 'user = "shingikai2"')
    text = text.replace("MAILFLOW_TEST_IMAP_PASSWORD", "MAILFLOW_TEST_IMAP_PASSWORD_2")
    b.write_text(text, "utf-8")
    now = datetime.now(UTC)
    _mailflow(a, "db", "upgrade", env=env)
    round_file = _round_file(tmp_path, now)
    other = tmp_path / "round-other.toml"
    other.write_text(round_file.read_text("utf-8").replace('committee = "kojin-joho"', ""))
    for conf, rf in ((a, round_file), (b, other)):
        _mailflow(conf, "round", "import", str(rf), env=env)
        _mailflow(conf, "round", "open", "R2-5", env=env)
    cmd = [sys.executable, "-m", "mailflow", "--config", str(a), "run", "--tick-every", "2",
           "--also", str(b)]  # fmt: skip
    log_path = tmp_path / "daemon.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    engine = make_engine(db_url)
    try:
        deadline = time.monotonic() + 30
        while len(smtp_server.received) < 14 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(smtp_server.received) == 14, log_path.read_text()[-4000:]
        for account, frm in ((dovecot_server.endpoint, "shingikai@"), (second, "shingikai2@")):
            call = next(
                m.raw for m in smtp_server.received
                if "ishida@example.com" in m.rcpt_tos and frm.encode() in m.raw
            )  # fmt: skip
            text = "諮問第14号について\n● 予約の取消はどう記録されるのか。"
            reply = gmail(call, "石田 直樹", "ishida@example.com", text, now)
            probe = dovecot_server.probe(account)
            try:
                probe.append(reply)
            finally:
                probe.close()
        from mailflow.store.models import Committee, Round

        rows: list[tuple[str, str]] = []
        while time.monotonic() < deadline + 20 and len(rows) < 2:
            with engine.connect() as c:
                rows = [
                    (r[0], r[1]) for r in c.execute(
                        select(Committee.key, Item.public_id)
                        .join(Round, Round.committee_id == Committee.id)
                        .join(Item, Item.round_id == Round.id)
                    )
                ]  # fmt: skip
            time.sleep(0.1)
        assert sorted(rows) == [("joho-kokai", "Q14-01"), ("kojin-joho", "Q14-01")], (
            log_path.read_text()
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log_path.read_text()
