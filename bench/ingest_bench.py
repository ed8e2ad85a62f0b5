"""Ingestion benchmark: bare IMAP fetch ceilings against store-first ingestion, on real Dovecot.

    python bench/ingest_bench.py [--sizes 1000 10000] [--batches 20 50 100 500] [--repeat 3]

For each N it fills a fresh Dovecot mailbox with N mixed mails (the client corpus of
tests/fixtures/mail/corpus with fresh Message-IDs, and generated ISO-2022-JP, CP932,
UTF-8 QP/base64, HTML-only and attachment mails), then runs each contender in its own
subprocess so that its peak RSS is its own: stdlib imaplib `UID FETCH 1:* BODY.PEEK[]`;
aioimaplib `UID FETCH` in batches of each size; mailflow's own IMAP reader fetching
without storing; and mailflow's MailFetcher.run_once into a fresh SQLite file (commit
per batch for each ingestion batch size, and per message).
Rates are mails per second, from the median time of `--repeat` interleaved rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import imaplib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# The items ingestion asks for (mailflow.adapters.imap.fetch_items with the default
# max_message_bytes): the bare fetch reads the same response, so the two compare fairly.
AIO_ITEMS = "(UID RFC822.SIZE INTERNALDATE BODY.PEEK[]<0.26214400>)"
DEFAULT_BATCH = 200  # mailflow.config.Imap.fetch_batch


@dataclass(frozen=True)
class Result:
    label: str
    count: int
    seconds: float
    rss_mb: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


def _peak_rss_mb() -> float:
    # VmHWM belongs to this program's own address space. ru_maxrss would not do: Linux
    # carries it across exec, so a child would report the parent's size at fork.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- children: each measures one contender and prints one JSON line -----------------


def child_stdlib(args: argparse.Namespace) -> dict[str, Any]:
    start = time.perf_counter()
    conn = imaplib.IMAP4(args.host, args.port)
    conn.login(args.user, args.password)
    conn.select("INBOX", readonly=True)
    _typ, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[])")
    count = sum(1 for part in data if isinstance(part, tuple))
    conn.logout()
    return {"count": count, "seconds": time.perf_counter() - start}


async def _aio(args: argparse.Namespace) -> dict[str, Any]:
    import aioimaplib

    start = time.perf_counter()
    client = aioimaplib.IMAP4(host=args.host, port=args.port, timeout=600)
    await client.wait_hello_from_server()
    await client.login(args.user, args.password)
    await client.select("INBOX")
    found = await client.uid_search("ALL", charset=None)
    uids = [int(w) for line in found.lines[:-1] for w in line.split() if w.isdigit()]
    count = 0
    for i in range(0, len(uids), args.batch):
        chunk = uids[i : i + args.batch]
        response = await client.uid("fetch", f"{chunk[0]}:{chunk[-1]}", args.items)
        count += sum(1 for line in response.lines if isinstance(line, bytearray))
    await client.logout()
    return {"count": count, "seconds": time.perf_counter() - start}


def child_aio(args: argparse.Namespace) -> dict[str, Any]:
    return asyncio.run(_aio(args))


async def _reader(args: argparse.Namespace) -> dict[str, Any]:
    from mailflow.adapters.imap import ImapClient
    from mailflow.config import Imap, Secret, TlsMode

    settings = Imap(
        host=args.host,
        port=args.port,
        tls=TlsMode.NONE,
        user=args.user,
        password=Secret(env="MAILFLOW_IMAP_PASSWORD"),
    )
    start = time.perf_counter()
    client = await ImapClient.connect(settings, args.password)
    await client.select("INBOX")
    uids = await client.uids_after(0)
    count = 0
    for i in range(0, len(uids), args.batch):
        count += len(await client.fetch(uids[i : i + args.batch], settings.max_message_bytes))
    await client.logout()
    return {"count": count, "seconds": time.perf_counter() - start}


def child_reader(args: argparse.Namespace) -> dict[str, Any]:
    return asyncio.run(_reader(args))


def child_ingest(args: argparse.Namespace) -> dict[str, Any]:
    from mailflow.adapters.imap import connector
    from mailflow.clock import SystemClock
    from mailflow.config import Imap, Secret, TlsMode
    from mailflow.services.fetch import FetchOptions, MailFetcher
    from tests.harness.imap_extra import prepare_store

    store = prepare_store(f"sqlite:///{args.db}")
    settings = Imap(
        host=args.host,
        port=args.port,
        tls=TlsMode.NONE,
        user=args.user,
        password=Secret(env="MAILFLOW_IMAP_PASSWORD"),
        fetch_batch=args.batch,
        # Flag rather than move, so that every contender reads the same mailbox.
        after_processing="flag",
    )
    fetcher = MailFetcher(
        settings,
        committee_id=store.committee_id,
        sessions=store.sessions,
        clock=SystemClock(),
        connect=connector(settings, args.password),
        options=FetchOptions(commit_per=args.commit, holder="bench"),
    )
    start = time.perf_counter()
    if os.environ.get("INGEST_PROFILE"):
        import cProfile

        profile = cProfile.Profile()
        counts = profile.runcall(asyncio.run, fetcher.run_once())
        profile.dump_stats(os.environ["INGEST_PROFILE"])
    else:
        counts = asyncio.run(fetcher.run_once())
    seconds = time.perf_counter() - start
    assert len(store.digests()) == counts.inserted
    return {"count": counts.inserted, "seconds": seconds}


CHILDREN = {
    "stdlib": child_stdlib,
    "aio": child_aio,
    "reader": child_reader,
    "ingest": child_ingest,
}


# --- parent: fill the mailbox, run the children, report ------------------------------


def fill_maildir(server: Any, mails: list[bytes]) -> None:
    """Deliver straight into the Maildir (as an MDA does): APPEND would take minutes."""
    probe = server.probe()
    probe.select("INBOX")
    probe.close()
    maildir = server.root / "mail" / server.user / "Maildir"
    owner = maildir.stat()
    for number, raw in enumerate(mails):
        name = f"{int(time.time())}.M{number}P{os.getpid()}.{uuid.uuid4().hex[:8]}"
        path = maildir / "new" / name
        path.write_bytes(raw)
        os.chown(path, owner.st_uid, owner.st_gid)


def run_child(mode: str, server: Any, extra: list[str]) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        mode,
        "--host",
        server.host,
        "--port",
        str(server.port),
        "--user",
        server.user,
        "--password",
        server.password,
        *extra,
    ]
    env = {**os.environ, "MAILFLOW_IMAP_PASSWORD": server.password}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{mode} {' '.join(extra)} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(n: int, batches: list[int], ingest_batches: list[int], repeat: int) -> list[Result]:
    from tests.harness.dovecot import DovecotServer
    from tests.harness.imap_extra import mixed_mails

    mails = mixed_mails(n, seed=n)
    total = sum(len(m) for m in mails)
    print(f"\nN = {n}: {total / n / 1024:.1f} KiB average, {total / 2**20:.0f} MiB in all")
    results: list[Result] = []
    with DovecotServer() as server, tempfile.TemporaryDirectory() as tmp:
        fill_maildir(server, mails)
        del mails
        plan: list[tuple[str, str, list[str]]] = [("stdlib 1:*", "stdlib", [])]
        plan += [(f"aioimaplib batch {b}", "aio", ["--batch", str(b)]) for b in batches]
        # mailflow's own reader, fetching as ingestion does but storing nothing: what is
        # left between it and ingestion is the cost of the store.
        plan += [(f"mailflow reader batch {b}", "reader", ["--batch", str(b)])
                 for b in ingest_batches]  # fmt: skip
        runs = [(b, "batch") for b in ingest_batches] + [(ingest_batches[0], "message")]
        for batch, commit in runs:
            db = str(Path(tmp) / f"ingest-{batch}-{commit}.db")
            label = f"ingest batch {batch}, commit per {commit}"
            plan.append((label, "ingest", ["--batch", str(batch), "--commit", commit, "--db", db]))
        # Rounds of every contender in turn, so that the load of a busy machine falls on
        # all of them alike; each reports its median time and its highest peak RSS.
        runs_of: dict[str, list[dict[str, Any]]] = {label: [] for label, _m, _e in plan}
        for round_no in range(repeat):
            for label, mode, extra in plan:
                if mode == "ingest":  # a fresh database file each time
                    extra = [*extra[:-1], f"{extra[-1]}.{round_no}"]
                got = run_child(mode, server, extra)
                assert got["count"] == n, f"{label}: {got['count']} of {n}"
                runs_of[label].append(got)
        for label, got_all in runs_of.items():
            seconds = statistics.median(g["seconds"] for g in got_all)
            result = Result(label, n, seconds, max(g["rss_mb"] for g in got_all))
            results.append(result)
            spread = ", ".join(f"{n / g['seconds']:.0f}" for g in got_all)
            print(
                f"  {label:40s} {result.rate:9.0f} msg/s  {result.seconds:7.2f} s  "
                f"peak RSS {result.rss_mb:6.0f} MiB  ({spread})"
            )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--batches", type=int, nargs="+", default=[20, 50, 100, 500])
    parser.add_argument("--ingest-batches", type=int, nargs="+", default=[200, 400])
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians reported")
    parser.add_argument("--child", choices=sorted(CHILDREN))
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--commit", default="batch")
    parser.add_argument("--db")
    parser.add_argument("--items", default=AIO_ITEMS)
    args = parser.parse_args()
    if args.child:
        out = CHILDREN[args.child](args)
        out["rss_mb"] = _peak_rss_mb()
        print(json.dumps(out))
        return 0

    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    for n in args.sizes:
        results = measure(n, args.batches, args.ingest_batches, args.repeat)
        stdlib = results[0]
        aio = [r for r in results if r.label.startswith("aioimaplib")]
        aio_best = max(aio, key=lambda r: r.rate)
        # The ratio is that of the configuration a daemon runs with (fetch_batch's default).
        default = f"ingest batch {DEFAULT_BATCH}, commit per batch"
        ingest = next((r for r in results if r.label == default), None) or max(
            (r for r in results if r.label.startswith("ingest")), key=lambda r: r.rate
        )
        reader = max((r for r in results if r.label.startswith("mailflow reader")),
                     key=lambda r: r.rate)  # fmt: skip
        print(
            f"N = {n}: ratio ingest/aioimaplib-best: {ingest.rate / aio_best.rate:.2f}, "
            f"ingest/stdlib: {ingest.rate / stdlib.rate:.2f} "
            f"(ingest/mailflow-reader: {ingest.rate / reader.rate:.2f}; {ingest.label})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
