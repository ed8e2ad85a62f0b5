"""How soon `mailflow run` has a reply stored, parsed and recorded after it reaches the mailbox.

A real Dovecot (the tests' harness) and a real `mailflow run` process with IDLE on:
N member replies are APPENDed one by one, 1 s apart; for each, the time from the end of
APPEND to its item row being committed is measured by polling the database every 10 ms.
Prints min / median / p95 / max in seconds.

    .venv/bin/python bench/daemon_latency.py [--n 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from mailflow.store.db import make_engine  # noqa: E402
from mailflow.store.models import Item  # noqa: E402
from tests.harness.clients import gmail  # noqa: E402
from tests.harness.dovecot import DovecotServer  # noqa: E402
from tests.harness.smtp_server import SmtpServer  # noqa: E402
from tests.integration.test_daemon import SECRET, _config, _round_file  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp_name, SmtpServer() as smtp:
        tmp = Path(tmp_name)
        imap = DovecotServer().start()
        try:
            imap.create_folders("processed", "quarantine")
            env = {**os.environ, "MAILFLOW_TOKEN_SECRET": SECRET,
                   "MAILFLOW_TEST_IMAP_PASSWORD": imap.password}  # fmt: skip
            conf = _config(tmp, imap, smtp)
            cmd = [sys.executable, "-m", "mailflow", "--config", str(conf)]
            subprocess.run([*cmd, "db", "upgrade"], env=env, check=True, capture_output=True)
            subprocess.run([*cmd, "round", "import", str(_round_file(tmp, datetime.now(UTC)))],
                           env=env, check=True, capture_output=True)  # fmt: skip
            subprocess.run([*cmd, "round", "open", "R2-5"], env=env, check=True,
                           capture_output=True)  # fmt: skip
            with (tmp / "daemon.log").open("w") as log:
                daemon = subprocess.Popen(
                    [*cmd, "run", "--tick-every", "5"], env=env, stdout=log,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
                try:
                    latencies = _measure(n, tmp, imap, smtp)
                finally:
                    daemon.send_signal(signal.SIGTERM)
                    daemon.wait(timeout=60)
        finally:
            imap.stop()
    q = statistics.quantiles(latencies, n=20)
    print(f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")  # fmt: skip
    print(f"replies: {n}, IDLE on, Dovecot on loopback, SQLite")
    print(f"latency s: min {min(latencies):.3f}  median {statistics.median(latencies):.3f}  "
          f"p95 {q[18]:.3f}  max {max(latencies):.3f}")  # fmt: skip


def _measure(n: int, tmp: Path, imap: DovecotServer, smtp: SmtpServer) -> list[float]:
    deadline = time.monotonic() + 30
    while not any("ishida@example.com" in m.rcpt_tos for m in smtp.received):
        if time.monotonic() > deadline:
            raise SystemExit("the call for questions never went out")
        time.sleep(0.1)
    call = next(m.raw for m in smtp.received if "ishida@example.com" in m.rcpt_tos)
    engine = make_engine(f"sqlite:///{tmp / 'data' / 'mailflow.db'}")
    out = []
    for i in range(n):
        text = f"諮問第13号について\n● 質問その{i + 1}：発行管理台帳はデジタル化されているのか。"
        raw = gmail(call, "石田 直樹", "ishida@example.com", text,
                    datetime.now(UTC) + timedelta(seconds=i))  # fmt: skip
        probe = imap.probe()
        try:
            probe.append(raw)
        finally:
            probe.close()
        t0 = time.monotonic()
        while True:
            with engine.connect() as c:
                if (c.scalar(select(func.count()).select_from(Item)) or 0) > i:
                    break
            if time.monotonic() - t0 > 30:
                raise SystemExit(f"reply {i + 1} not processed within 30 s:\n"
                             + (tmp / "daemon.log").read_text()[-3000:])
            time.sleep(0.01)
        out.append(time.monotonic() - t0)
        time.sleep(1.0)
    return out


if __name__ == "__main__":
    main()
