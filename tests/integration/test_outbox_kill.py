"""SIGKILL the sender while it sends, 20 times: nothing lost, duplicates bounded.

The sender is `mailflow outbox send`, and then the daemon, `mailflow run`, whose sender
task runs the same code inside the asyncio process.

What is asserted, per trial of 30 queued mails, after a second run to completion:
every mail reached the server at least once; at most one mail was received twice
(the documented window: SMTP accepted it, the kill came before `sent` was committed);
a duplicate always carries the same Message-ID and the same bytes, and its row went
through crash recovery (an `outbound_resumed` event). Every row ends `sent`.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.services import outbox as svc
from mailflow.store.models import Event, Outbox
from tests.harness.smtp_server import SmtpServer
from tests.integration.outbox_helpers import (
    SECRET,
    SECRET_ENV,
    config_toml,
    mail,
    make_config,
    make_services,
    queued_bytes,
)

ROOT = Path(__file__).resolve().parents[2]
TRIALS = 20
PER_TRIAL = 30


def _command(conf: Path, *extra: str, sender: tuple[str, ...] = ("outbox", "send")) -> list[str]:
    return [sys.executable, "-m", "mailflow", "--config", str(conf), *extra, *sender]


SENDERS = {"outbox-send": ("outbox", "send"), "daemon": ("run", "--tick-every", "60")}


def _env() -> dict[str, str]:
    return {**os.environ, SECRET_ENV: SECRET}


@pytest.mark.slow
@pytest.mark.parametrize("sender", sorted(SENDERS))
def test_sigkill_while_sending_loses_nothing(
    smtp_server: SmtpServer, tmp_path: Path, sender: str
) -> None:
    url = f"sqlite:///{tmp_path / 'mailflow.db'}"
    conf = tmp_path / "config.toml"
    conf.write_text(config_toml(url, smtp_server.port), encoding="utf-8")
    services = make_services(make_config(url, smtp_server.port))
    rng = random.Random(20210115)
    log = (tmp_path / "send.log").open("ab")
    duplicated_trials = interrupted = 0

    for trial in range(TRIALS):
        numbers = range(trial * PER_TRIAL, (trial + 1) * PER_TRIAL)
        queued = [svc.enqueue(services, mail(n), kind="distribution")[0] for n in numbers]
        before = len(smtp_server.received)
        kill_after = rng.randrange(PER_TRIAL)
        process = subprocess.Popen(
            _command(conf, sender=SENDERS[sender]), cwd=ROOT, env=_env(), stdout=log, stderr=log
        )
        # Kill once the server has taken `kill_after` more mails, plus a random few
        # milliseconds: the kill lands anywhere in a mail's cycle (claim, commit, SMTP
        # dialogue, the commit of `sent`), so both the common case and the window occur.
        deadline = time.monotonic() + 30
        while len(smtp_server.received) - before < kill_after and time.monotonic() < deadline:
            if process.poll() is not None:
                break
            time.sleep(0.0005)
        time.sleep(rng.uniform(0.0, 0.02))
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        if len(smtp_server.received) - before < PER_TRIAL:
            interrupted += 1

        # The restart comes after the lease of the killed run's `sending` row.
        later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        done = subprocess.run(
            _command(conf, "--now", later), cwd=ROOT, env=_env(), capture_output=True, timeout=60
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]

        got = Counter(m.message_id for m in smtp_server.received[before:])
        expected = {e.message_id for e in queued}
        assert set(got) == expected, f"trial {trial}: lost {expected - set(got)}"
        twice = [mid for mid, n in got.items() if n > 1]
        assert len(twice) <= 1 and max(got.values()) <= 2, f"trial {trial}: {got}"
        with services.sessions() as s:
            rows = {r.message_id: r for r in s.scalars(select(Outbox).order_by(Outbox.id))}
            resumed = {
                e.detail["msgid"]
                for e in s.scalars(select(Event).where(Event.kind == "outbound_resumed"))
            }
        sent_bytes = dict(zip(rows, queued_bytes(services), strict=True))
        assert all(rows[mid].state == "sent" for mid in expected)
        for mid in twice:
            duplicated_trials += 1
            copies = [m.raw for m in smtp_server.received[before:] if m.message_id == mid]
            assert copies[0] == copies[1] == sent_bytes[mid]
            assert mid in resumed

    log.close()
    assert interrupted >= TRIALS // 2  # the kills did land mid-work
    print(f"\n{interrupted} of {TRIALS} kills mid-work, {duplicated_trials} duplicated one mail")
