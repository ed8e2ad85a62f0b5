"""A database that could not be used for a while: staff are told once, in their language."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest

from mailflow.parsing.mime import decode
from mailflow.services.daemon import Scheduler
from mailflow.services.outbox import send_due
from mailflow.store import db
from tests.harness.smtp_server import SmtpServer
from tests.integration.outbox_helpers import SECRET, SECRET_ENV, START, make_config, make_services

STAFF = "soumu@city.example.jp"


async def test_staff_are_told_in_japanese_how_long_the_database_was_locked(
    smtp_server: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    path = tmp_path / "mailflow.db"
    services = make_services(make_config(f"sqlite:///{path}", smtp_server.port))
    scheduler = Scheduler(services, 60.0, None)
    # Another program (a backup, a staff command) holds SQLite's write lock.
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(db.UNAVAILABLE) as refused:
            await asyncio.to_thread(scheduler._cycle)
        scheduler.waits.failed("scheduler", refused.value)
    finally:
        other.execute("COMMIT")
        other.close()

    await asyncio.to_thread(scheduler._cycle)  # the database answers: the digest says so
    await send_due(services, START)

    [digest] = [m for m in smtp_server.received if STAFF in m.rcpt_tos]
    text = decode(digest.raw).body
    said = re.findall(r"^・システム：(.*)$", text, re.MULTILINE)
    assert len(said) == 1, text
    assert re.fullmatch(
        r"2021-01-13 10:00:00 から約 \d+ 秒間、データベースを使えませんでした（他のプログラムに"
        r"よるロック、またはデータベースサーバーの停止）。mailflow は待ってから処理を続けました。"
        r"失われたものはありません",
        said[0],
    ), said[0]
    # Told once: the next cycle has nothing to say.
    await asyncio.to_thread(scheduler._cycle)
    await send_due(services, START)
    assert len([m for m in smtp_server.received if STAFF in m.rcpt_tos]) == 1
