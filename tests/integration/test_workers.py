"""`mailflow worker` processes sharing committees through procrastinate, one killed mid-run.

Three workers serve three committees (Dovecot mailboxes, aiosmtpd, one PostgreSQL
database); thirty replies go into each mailbox, half before and half after one worker is
SIGKILLed. Every mail must be recorded once and processed, every outgoing mail sent once
(or, the one a worker died sending, again with its Message-ID), and the killed worker's
mailboxes taken over within one poll interval. The large run is bench/workers_bench.py.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.harness.database import postgres_url
from tests.harness.dovecot import DovecotServer
from tests.harness.fleet import CALLS_PER_COMMITTEE, Fleet
from tests.harness.smtp_server import SmtpServer

pytestmark = [pytest.mark.dovecot, pytest.mark.postgres]
POLL = 10  # seconds; workers take a worker silent for 3 s as dead (fleet.start_worker)


def test_three_workers_share_three_committees_and_survive_a_kill(
    tmp_path: Path,
    dovecot_session: DovecotServer,
    smtp_server: SmtpServer,
    postgres_schema_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    postgres_url()
    fleet = Fleet(tmp_path, dovecot_session, smtp_server, postgres_schema_url, POLL)
    fleet.add_committees(3)
    for name, value in fleet.env.items():
        monkeypatch.setenv(name, value)
    fleet.open_rounds()
    for _ in range(3):
        fleet.start_worker()
    try:
        assert fleet.wait_for_calls(60), fleet.logs()
        fleet.append_round(15)
        time.sleep(2)  # mid-run: some mail processed, some not
        victim = fleet.workers[0]
        victim.kill()
        victim.wait()
        killed_at = time.monotonic()
        # One mail in each mailbox at once: whichever worker held it, it is read soon.
        first = fleet.append_round(1)
        while fleet.stored(first) < 3 and time.monotonic() < killed_at + 3 * POLL:
            time.sleep(0.1)
        takeover = time.monotonic() - killed_at
        fleet.append_round(14)
        expected = 3 * 30
        end = time.monotonic() + 90
        while not fleet.settled(expected) and time.monotonic() < end:
            time.sleep(0.5)
        took = time.monotonic() - killed_at
        assert fleet.settled(expected), fleet.logs()
    finally:
        codes = fleet.stop_workers()
    report = fleet.verify(expected)
    print(report, f"taken over in {takeover:.1f} s, settled {took:.1f} s after the kill")
    assert report.recorded == expected
    assert report.recorded_twice == 0
    assert report.states == {"done": expected}
    # The calls, one receipt per reply; nothing left unsent, nothing lost, no stranger.
    assert report.outbox_sent >= 3 * CALLS_PER_COMMITTEE + expected
    assert report.outbox_other == {}
    assert report.never_sent == 0 and report.foreign == 0
    assert report.sent_twice_unexplained == 0
    assert codes[1:] == [0, 0], fleet.logs()
    # Taken over within one poll interval: the dead worker's jobs are ended after
    # --stalled-after (3 s), the polls waiting behind them start at once.
    assert takeover < POLL, (takeover, fleet.logs())
