"""Files and secrets: who can read the database, where secrets come from, what reaches the log.

The database holds every member's mail: it and its folder are mailflow's own. Secrets
resolve beside the config, are long enough to sign with, never sit in the file, and a
secret file others can read is warned about. A database error is logged without the
mail text it was writing; a locked database is waited out, not a reason to exit.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

import mailflow.cli.config_cmd
import mailflow.cli.db  # noqa: F401  (these register the commands used below)
from mailflow.cli.app import cli
from mailflow.clock import SystemClock
from mailflow.config import load_config
from mailflow.services.context import Services
from mailflow.store.db import make_engine
from mailflow.store.models import Message
from mailflow.wiring import PORTS
from tests.harness.committee_mailbox import SECRET, member_mail, open_committee
from tests.harness.imap_extra import on_pymap
from tests.harness.pymap_server import PymapServer
from tests.harness.smtp_server import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "examples/committee-r2-5.toml").read_text(encoding="utf-8")


def _write_config(folder: Path, *, security: str | None = None, extra: str = "") -> Path:
    body = EXAMPLE.replace('data_dir = "../data/example"', 'data_dir = "state/db"')
    if security is not None:
        body = body.replace('token_secret = { env = "MAILFLOW_TOKEN_SECRET" }', security)
    path = folder / "committee.toml"
    path.write_text(body + extra, encoding="utf-8")
    return path


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_its_wal_and_data_dir_are_readable_by_mailflow_only(
    tmp_path: Path,
) -> None:
    conf = _write_config(tmp_path)
    env = {**os.environ, "MAILFLOW_TOKEN_SECRET": SECRET}
    # A permissive umask, as a shell or a unit without UMask= gives.
    run = subprocess.run(
        ["sh", "-c", f'umask 022 && exec "{sys.executable}" -m mailflow --config "{conf}" '
         "db upgrade"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    data = tmp_path / "state" / "db"
    database = data / "mailflow.db"
    assert _mode(tmp_path / "state") == 0o700 and _mode(data) == 0o700
    assert _mode(database) == 0o600
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as conn:  # an open connection keeps the -wal and -shm files
        conn.execute(text("SELECT count(*) FROM message")).scalar()
        for suffix in ("-wal", "-shm"):
            assert _mode(Path(f"{database}{suffix}")) == 0o600, suffix
    engine.dispose()


def test_the_systemd_unit_makes_files_private() -> None:
    unit = (ROOT / "examples/mailflow.service").read_text(encoding="utf-8")
    assert "\nUMask=0077\n" in unit


def test_a_relative_secret_file_is_read_beside_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "secrets").mkdir()
    secret = tmp_path / "secrets" / "token"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    secret.chmod(0o600)
    conf = _write_config(tmp_path, security='token_secret = { file = "secrets/token" }')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # a daemon started from another folder

    assert load_config(conf).security.token_secret.reveal() == SECRET
    code, out = _run("--config", str(conf), "check-config")
    assert code == 0, out
    assert "warning" not in out


def test_check_config_fails_on_a_secret_that_does_not_resolve(tmp_path: Path) -> None:
    conf = _write_config(tmp_path, security='token_secret = { file = "missing-token" }')

    code, out = _run("--config", str(conf), "check-config")

    assert code == 2
    assert f"security.token_secret: secret file {tmp_path / 'missing-token'}: " in out


def test_a_secret_file_others_can_read_is_warned_about(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text(SECRET, encoding="utf-8")
    secret.chmod(0o644)
    conf = _write_config(tmp_path, security='token_secret = { file = "token" }')

    code, out = _run("--config", str(conf), "check-config")

    assert code == 0, out
    assert (
        f"warning: security.token_secret: secret file {secret} is open to group or others "
        "(mode 0644): chmod 600 it"
    ) in out
    assert SECRET not in out
    secret.chmod(0o600)
    assert "warning" not in _run("--config", str(conf), "check-config")[1]


@pytest.mark.parametrize("value", ["tiny-secret-x", "thirty-bytes-is-not-enough-yet"])
def test_a_token_secret_under_32_bytes_is_refused(tmp_path: Path, value: str) -> None:
    conf = _write_config(tmp_path)

    code, out = _run("--config", str(conf), "check-config", env={"MAILFLOW_TOKEN_SECRET": value})

    assert code == 2
    size = len(value)
    assert (
        f"security.token_secret: the value in environment variable MAILFLOW_TOKEN_SECRET is "
        f"{size} bytes; it needs at least 32 random bytes"
    ) in out
    assert value not in out


def test_the_daemon_does_not_start_with_a_short_token_secret(tmp_path: Path) -> None:
    conf = _write_config(tmp_path)
    env = {**os.environ, "MAILFLOW_TOKEN_SECRET": SECRET}
    assert _run("--config", str(conf), "db", "upgrade", env=env)[0] == 0
    run = subprocess.run(
        [sys.executable, "-m", "mailflow", "--config", str(conf), "run"],
        env={**env, "MAILFLOW_TOKEN_SECRET": "tiny"}, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert "security.token_secret: the value in environment variable" in run.stderr


def test_a_password_in_the_database_url_is_refused(tmp_path: Path) -> None:
    conf = _write_config(
        tmp_path,
        extra='\n[database]\nurl = "postgresql+psycopg://mf:pw-in-file@db.example.jp/mf"\n',
    )

    code, out = _run("--config", str(conf), "check-config")

    assert code == 2
    assert "database: url: carries a password in the file" in out
    assert "password = { env = … }" in out
    assert "pw-in-file" not in out


def test_the_database_password_comes_from_a_secret_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("MAILFLOW_DB_PASSWORD", "from-the-environment")
    conf = _write_config(
        tmp_path,
        extra=(
            '\n[database]\nurl = "postgresql+psycopg://mf@db.example.jp/mf"\n'
            'password = { env = "MAILFLOW_DB_PASSWORD" }\n'
        ),
    )
    services = Services(load_config(conf), clock=SystemClock(), ports=PORTS)

    assert services.engine.url.password == "from-the-environment"
    code, out = _run("--config", str(conf), "check-config")
    assert code == 0, out
    assert "from-the-environment" not in out and "mf@db.example.jp/mf" in out


async def test_a_database_error_logs_no_mail_text(
    pymap_server: PymapServer, smtp_server: SmtpServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("MAILFLOW_IMAP_PASSWORD", pymap_server.endpoint.password)
    box = await open_committee(on_pymap(pymap_server), smtp_server, tmp_path)
    # The database refuses every new item: a real SQLite error while writing mail text.
    with box.services.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER refuse_items BEFORE INSERT ON item "
                "BEGIN SELECT RAISE(ABORT, 'no more items'); END"
            )
        )
    words = "ひみつの合言葉は青い鳥"
    box.deliver(member_mail("ishida@example.com", f"諮問第13号について\n● {words}について伺う。\n"))
    caplog.set_level(logging.INFO)

    counts = await box.intake()

    assert counts.failed == 1
    with box.services.sessions() as s:
        error = s.scalars(select(Message.error)).one()
    assert error is not None and "no more items" in error
    assert words not in error  # SQL parameters are hidden, in the record as in the log
    assert words not in caplog.text
    assert "message 1 failed: IntegrityError" in caplog.text


def test_a_locked_database_is_waited_out_and_staff_are_told(
    pymap_server: PymapServer, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    endpoint = pymap_server.endpoint
    conf = _write_config(
        tmp_path,
        extra=f"""
[imap]
host = "{endpoint.host}"
port = {endpoint.port}
tls = "none"
user = "{endpoint.user}"
password = {{ env = "MAILFLOW_IMAP_PASSWORD" }}
processed_folder = "processed"
quarantine_folder = "quarantine"

[smtp]
host = "{smtp_server.host}"
port = {smtp_server.port}
tls = "none"
""",
    )
    env = {**os.environ, "MAILFLOW_TOKEN_SECRET": SECRET,
           "MAILFLOW_IMAP_PASSWORD": endpoint.password}  # fmt: skip
    assert _run("--config", str(conf), "db", "upgrade", env=env)[0] == 0
    log_path = tmp_path / "daemon.log"
    with log_path.open("w") as log:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "mailflow", "--config", str(conf), "run", "--tick-every", "1"],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while "health:" not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        locker = sqlite3.connect(tmp_path / "state" / "db" / "mailflow.db", isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # a backup or a staff command holding the lock
        held_until = time.monotonic() + 40  # the daemon used to exit after about 26-31 s
        while time.monotonic() < held_until and daemon.poll() is None:
            time.sleep(0.5)
        assert daemon.poll() is None, log_path.read_text()[-3000:]
        locker.execute("ROLLBACK")
        locker.close()
        deadline = time.monotonic() + 90
        while not smtp_server.received and time.monotonic() < deadline:
            time.sleep(0.2)
        assert daemon.poll() is None
    finally:
        daemon.terminate()
        code = daemon.wait(timeout=60)
    log = log_path.read_text()
    assert code == 0, log[-3000:]
    [alert] = smtp_server.received
    assert alert.rcpt_tos == ("joho-kokai@city.example.jp",)
    from mailflow.parsing.mime import decode

    body = decode(alert.raw).body
    # In the committee's language, under システム; the log keeps the operator's English.
    assert re.search(r"・システム：[-0-9 :]+ から約 \d+ 秒間、データベースを使えませんでした", body)
    assert "database" not in body
    assert "database: could not be used from" in log
    assert "the database cannot be used (OperationalError" in log
