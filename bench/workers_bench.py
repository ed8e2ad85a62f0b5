"""`mailflow worker` processes sharing many committees, one SIGKILLed mid-run: throughput,
take-over time, and the exactly-once checks of tests/integration/test_workers.py at size.

Real Dovecot (process limits raised), aiosmtpd and PostgreSQL (MAILFLOW_TEST_POSTGRES_URL,
a schema of its own, dropped afterwards). `--committees` committees with round R2-5 open,
`--workers` workers each serving all of them. Half the mails go into the mailboxes, one
worker is killed once a quarter of them is recorded, one more mail goes into each mailbox
(timed until all are stored: the take-over), then the rest. Prints mails/s, the take-over
time, the time to settle, and the checks; ends with one summary line.

    .venv/bin/python bench/workers_bench.py [--workers 3] [--committees 20] [--mails 2000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from mailflow.store import db  # noqa: E402
from mailflow.store.models import Message  # noqa: E402
from tests.harness.database import POSTGRES_ENV, fresh_schema  # noqa: E402
from tests.harness.dovecot import DovecotServer  # noqa: E402
from tests.harness.fleet import Fleet  # noqa: E402
from tests.harness.smtp_server import SmtpServer  # noqa: E402

LIMITS = "\ndefault_process_limit = 1000\ndefault_client_limit = 4000\n"


def done(url: str) -> int:
    engine = db.make_engine(url)
    try:
        with engine.connect() as c:
            return c.scalar(select(func.count()).select_from(Message)
                            .where(Message.state != "stored")) or 0  # fmt: skip
    finally:
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--committees", type=int, default=20)
    ap.add_argument("--mails", type=int, default=2000, help="per committee")
    ap.add_argument("--poll", type=int, default=10, help="poll_interval_seconds")
    args = ap.parse_args()
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        sys.exit(f"set {POSTGRES_ENV} (PostgreSQL, trust auth)")
    with fresh_schema(base, "b") as url:
        dovecot = DovecotServer(extra=LIMITS).start()
        smtp = SmtpServer().start()
        try:
            run(args, url, dovecot, smtp)
        finally:
            smtp.stop()
            dovecot.stop()

def run(args: argparse.Namespace, url: str, dovecot: DovecotServer, smtp: SmtpServer) -> None:
    n, per = args.committees, args.mails
    print(f"python {platform.python_version()}, {os.cpu_count()} cores; {args.workers} workers "
          f"x {n} committees x {per} mails, poll interval {args.poll} s")  # fmt: skip
    fleet = Fleet(Path(tempfile.mkdtemp(prefix="workers-bench-")), dovecot, smtp, url, args.poll)
    fleet.add_committees(n)
    fleet.open_rounds()
    for _ in range(args.workers):
        fleet.start_worker()
    try:
        if not fleet.wait_for_calls(600):
            sys.exit("the calls for questions were not all sent:\n" + fleet.logs())
        total = n * per
        half = per // 2
        t0 = time.monotonic()
        fleet.append_round(half)
        while done(url) < total // 4 and time.monotonic() < t0 + 36000:
            time.sleep(0.5)
        victim = fleet.workers[0]
        victim.kill()
        victim.wait()
        killed = time.monotonic()
        first = fleet.append_round(1)
        while fleet.stored(first) < n and time.monotonic() < killed + 600:
            time.sleep(0.1)
        takeover = time.monotonic() - killed
        fleet.append_round(per - half - 1)
        while not fleet.settled(total) and time.monotonic() < t0 + 36000:
            time.sleep(2)
        elapsed = time.monotonic() - t0
    finally:
        fleet.stop_workers()
    report = fleet.verify(total)
    print(f"{total} mails recorded and processed in {elapsed:.0f} s: {total / elapsed:.1f} mails/s")
    print(f"take-over after SIGKILL: every mailbox read again within {takeover:.1f} s")
    print(f"checks: {report}")
    ok = (report.recorded == total and report.recorded_twice == 0
          and report.sent_twice_unexplained == 0 and report.never_sent == 0)  # fmt: skip
    print(f"workers: {args.workers}, committees: {n}, mails: {total}, mails/s: "
          f"{total / elapsed:.1f}, takeover s: {takeover:.1f}, "
          f"exactly once: {'yes' if ok else 'NO'}")  # fmt: skip


if __name__ == "__main__":
    main()
