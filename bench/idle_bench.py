"""One `mailflow worker` holding many committees' mailboxes in IMAP IDLE: idle CPU, memory
per mailbox, and how soon a reply has its receipt queued.

Real Dovecot (the tests' harness, process limits raised), real aiosmtpd and PostgreSQL
(MAILFLOW_TEST_POSTGRES_URL, a schema of its own dropped afterwards). N committees each
with round R2-5 open; one worker serves the first `--small` of them, is measured, stopped,
then one worker serves all N. For each: resident memory of the worker and its parsing
child once settled, CPU over `--idle` seconds with nothing arriving; then, with all N,
`--samples` replies APPENDed one at a time to mailboxes spread over all N, each timed
from the end of APPEND to its receipt's row in the outbox. Prints the figures and ends
with one summary line.

    .venv/bin/python bench/idle_bench.py [--mailboxes 100] [--small 10] [--idle 60]
        [--samples 40] [--poll 60]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, func, select  # noqa: E402

from mailflow.store import db  # noqa: E402
from mailflow.store.models import Outbox  # noqa: E402
from tests.harness.clients import gmail  # noqa: E402
from tests.harness.database import POSTGRES_ENV, fresh_schema  # noqa: E402
from tests.harness.dovecot import DovecotServer  # noqa: E402
from tests.harness.fleet import WRITERS, Fleet, question  # noqa: E402
from tests.harness.smtp_server import SmtpServer  # noqa: E402

LIMITS = "\ndefault_process_limit = 1000\ndefault_client_limit = 4000\n"
TICKS = 1 / os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """The process and its descendants (the worker's parsing child)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        todo.extend(int(k) for k in kids)
    return out


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) * TICKS
    return total


def rss_mb(pid: int) -> float:
    total = 0
    for p in tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def receipts(engine: Engine) -> int:
    with engine.connect() as c:
        return c.scalar(select(func.count()).select_from(Outbox)
                        .where(Outbox.kind == "receipt")) or 0  # fmt: skip


def idle(fleet: Fleet, pid: int, seconds: float) -> tuple[float, float]:
    """(CPU % of one core, RSS MB) over `seconds` with nothing arriving."""
    before, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    used, wall = cpu_seconds(pid) - before, time.monotonic() - t0
    return 100 * used / wall, rss_mb(pid)


def settle(fleet: Fleet, everyone: bool, timeout: float) -> None:
    """Until the worker has started (and, serving everyone, sent every call); then 10 s."""
    end = time.monotonic() + timeout
    time.sleep(15)
    while everyone and time.monotonic() < end and not fleet.settled(0):
        time.sleep(1)
    time.sleep(10)


INOTIFY = Path("/proc/sys/fs/inotify/max_user_instances")


def inotify_room(mailboxes: int) -> None:
    """Each of Dovecot's IMAP processes in IDLE watches its mailbox with an inotify
    instance of its own, all under one user here; past the kernel's limit per user
    (128 by default) IDLE falls back to looking every 30 s (`mailbox_idle_check_interval`),
    which would be measured as our latency. Raised when this may write it, else said."""
    need = mailboxes + 64
    have = int(INOTIFY.read_text())
    if have >= need:
        return
    try:
        INOTIFY.write_text(str(need))
        print(f"fs.inotify.max_user_instances raised from {have} to {need}")
    except OSError:
        print(f"fs.inotify.max_user_instances is {have}: mailboxes past it are told of new "
              "mail only every 30 s (run as root, or raise it, for the latency figures)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mailboxes", type=int, default=100)
    ap.add_argument("--small", type=int, default=10)
    ap.add_argument("--idle", type=float, default=60.0)
    ap.add_argument("--samples", type=int, default=40)
    ap.add_argument("--poll", type=int, default=60, help="poll_interval_seconds")
    ap.add_argument("--tick-every", default="60", help="the worker's --tick-every")
    ap.add_argument("--hold", default="300", help="the worker's --hold")
    args = ap.parse_args()
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        sys.exit(f"set {POSTGRES_ENV} (PostgreSQL, trust auth)")
    inotify_room(args.mailboxes)
    with fresh_schema(base, "b") as url:
        dovecot = DovecotServer(extra=LIMITS).start()
        smtp = SmtpServer().start()
        try:
            run(args, url, dovecot, smtp)
        finally:
            smtp.stop()
            dovecot.stop()

def run(args: argparse.Namespace, url: str, dovecot: DovecotServer, smtp: SmtpServer) -> None:
    n = args.mailboxes
    print(f"python {platform.python_version()}, {os.cpu_count()} cores; {n} mailboxes, "
          f"poll interval {args.poll} s (IDLE), ticks every {args.tick_every} s, "
          f"hold {args.hold} s")  # fmt: skip
    fleet = Fleet(Path(tempfile.mkdtemp(prefix="idle-bench-")), dovecot, smtp, url, args.poll)
    t0 = time.monotonic()
    fleet.add_committees(n)
    fleet.open_rounds()
    print(f"setup: {n} committees, rounds open, in {time.monotonic() - t0:.0f} s")
    measured: dict[int, tuple[float, float]] = {}
    for held in (args.small, n):
        proc = fleet.start_worker(
            "--tick-every", args.tick_every, "--hold", args.hold, committees=held
        )
        settle(fleet, held == n, 600)
        measured[held] = idle(fleet, proc.pid, args.idle)
        cpu, rss = measured[held]
        print(f"{held:4d} mailboxes held: idle CPU {cpu:.2f} % of one core, RSS {rss:.0f} MB")
        if held != n:
            fleet.stop_workers()
            fleet.workers.clear()
    per_box = (measured[n][1] - measured[args.small][1]) / (n - args.small)
    print(f"memory per mailbox: {per_box:.2f} MB ((RSS at {n} - RSS at {args.small}) / "
          f"{n - args.small})")  # fmt: skip
    fleet.wait_for_calls(120)
    latencies: list[float] = []
    engine = db.make_engine(url)
    for j in range(args.samples):
        i = (j * 37) % n
        name, addr = WRITERS[j % len(WRITERS)]
        raw = gmail(fleet.calls[(i, addr)], name, addr, question(10_000 + j), datetime.now(UTC))
        before = receipts(engine)
        probe = dovecot.probe(fleet.accounts[i])
        try:
            probe.append(raw)
        finally:
            probe.close()
        appended = time.monotonic()
        while receipts(engine) == before and time.monotonic() < appended + 30:
            time.sleep(0.01)
        latencies.append(time.monotonic() - appended)
        time.sleep(0.5)
    fleet.stop_workers()
    engine.dispose()
    lat = sorted(latencies)
    p95 = lat[max(0, round(0.95 * len(lat)) - 1)]
    median = statistics.median(lat)
    print(f"arrival → receipt queued over {len(lat)} replies: min {lat[0]:.2f} s, "
          f"median {median:.2f} s, p95 {p95:.2f} s, max {lat[-1]:.2f} s")  # fmt: skip
    print(f"mailboxes: {n}, idle cpu %: {measured[n][0]:.2f}, mb per mailbox: {per_box:.2f}, "
          f"p95 receipt s: {p95:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
