"""Fuzz intake: mail bytes through decode → classify → route → parse (every role).

    python bench/fuzz.py --seconds 600 --out fuzz-out
    python bench/fuzz.py --runs 100000 --engine random

Engines: ``atheris`` (coverage-guided libFuzzer, `pip install atheris`; the pure modules
are instrumented) or ``random`` (mutations of the seed mails by a seeded RNG, no extra
package). Seeds are the test fixtures' mails. Reports inputs per second, crashes (an
exception escaping a stage) and hangs (an input whose common stages plus its slowest
role take over ``--hang`` seconds of CPU time, 1 s by default: a mail is parsed as one
role only), and saves each offending input under ``--out`` to replay with ``--replay``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Stats:
    """Counts, and the offending inputs saved as they are found."""

    def __init__(self, out: Path, hang: float, runs: int | None, seconds: float | None) -> None:
        self.out, self.hang, self.runs, self.seconds = out, hang, runs, seconds
        self.count = self.crashes = self.hangs = 0
        self.slowest = 0.0
        self.started = time.perf_counter()
        out.mkdir(parents=True, exist_ok=True)

    def done(self) -> bool:
        if self.runs is not None and self.count >= self.runs:
            return True
        return self.seconds is not None and time.perf_counter() - self.started >= self.seconds

    def save(self, kind: str, data: bytes, note: str) -> None:
        name = f"{kind}-{hashlib.sha256(data).hexdigest()[:16]}"
        (self.out / f"{name}.eml").write_bytes(data)
        (self.out / f"{name}.txt").write_text(note, "utf-8")

    def one(self, run: object, data: bytes) -> None:
        start = time.perf_counter()
        took = 0.0
        try:
            took = float(run(data))  # type: ignore[operator]
        except Exception:
            self.crashes += 1
            self.save("crash", data, traceback.format_exc())
            took = time.perf_counter() - start
        self.slowest = max(self.slowest, took)
        if took > self.hang:
            self.hangs += 1
            self.save("hang", data, f"{took:.3f} s\n")
        self.count += 1
        if self.count % 10_000 == 0:
            print(self.line(), flush=True)

    def line(self) -> str:
        elapsed = time.perf_counter() - self.started
        return (
            f"inputs {self.count:,} in {elapsed:.0f} s ({self.count / elapsed:.0f}/s); "
            f"crashes {self.crashes}; hangs over {self.hang:g} s {self.hangs}; "
            f"slowest {self.slowest:.3f} s"
        )

    def report(self) -> dict[str, float]:
        elapsed = time.perf_counter() - self.started
        return {
            "inputs": self.count,
            "seconds": round(elapsed, 1),
            "inputs_per_second": round(self.count / elapsed, 1),
            "crashes": self.crashes,
            "hangs": self.hangs,
            "slowest_seconds": round(self.slowest, 3),
        }


def seeds() -> list[bytes]:
    return [p.read_bytes() for p in sorted((ROOT / "tests/fixtures/mail").rglob("*.eml"))]


# Pieces that steer mutations toward the parsers' own vocabulary.
_PIECES = [
    b" " * 64, b"\t", "\u3000".encode(), b"\r\n", b"\n\n", b"--", b">", b"[Q13-01]", b"Q14-2",
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"=?utf-8?b?", b"?=", b"=?iso-2022-jp?q?", b"\x1b$B", b"\x1b(B", b"charset=cp932",
    "諮問第13号".encode(), "訂正".encode(), "可とする".encode(), "条件：".encode(), b"From: ",
    b"Authentication-Results: mx.city.example.jp; dmarc=pass", b"E-mail: a@b", b"a" * 200,
    "回答".encode(), "●".encode(), "（１）".encode(), b"P.3", b"<", b"@", b"\x00", b"\xff\xfe",
]


def mutate(rnd: random.Random, base: bytes, pool: list[bytes]) -> bytes:
    data = bytearray(base)
    for _ in range(rnd.randint(1, 8)):
        op = rnd.randrange(6)
        at = rnd.randint(0, len(data))
        if op == 0 and data:
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        elif op == 1:
            data[at:at] = rnd.choice(_PIECES) * rnd.choice((1, 1, 2, 8, 32))
        elif op == 2 and data:
            end = min(len(data), at + rnd.randint(1, 200))
            del data[at:end]
        elif op == 3 and data:
            a = rnd.randrange(len(data))
            piece = data[a : a + rnd.randint(1, 400)]
            data[at:at] = piece * rnd.choice((1, 2, 4, 10))
        elif op == 4:
            other = rnd.choice(pool)
            cut = rnd.randint(0, len(other))
            data[at:] = other[cut:]
        else:
            data = data[: rnd.randint(0, len(data))]
    # Size grows by mutation; long lines and huge mails have their own tests.
    return bytes(data[:150_000])


def run_random(stats: Stats, run: object, seed: int) -> None:
    rnd = random.Random(seed)
    pool = seeds()
    for s in pool:
        stats.one(run, s)
    while not stats.done():
        stats.one(run, mutate(rnd, rnd.choice(pool), pool))


def run_atheris(stats: Stats, argv: list[str]) -> None:
    import atheris  # type: ignore[import-not-found]

    with atheris.instrument_imports(include=["mailflow"]):
        from tests.harness.fuzz_target import run_one

    def target(data: bytes) -> None:
        stats.one(run_one, data)
        if stats.done():
            finish(stats)
            os._exit(0)  # libFuzzer refuses a target that raises SystemExit

    corpus = Path(tempfile.mkdtemp(prefix="mailflow-fuzz-"))
    for n, s in enumerate(seeds()):
        (corpus / f"seed-{n}.eml").write_bytes(s)
    # libFuzzer's own timeout is only the last net: our hang count is per input.
    atheris.Setup([sys.argv[0], "-timeout=60", "-rss_limit_mb=4096", *argv, str(corpus)], target)
    atheris.Fuzz()


def finish(stats: Stats) -> None:
    print(stats.line())
    report = stats.report()
    (stats.out / "report.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(json.dumps(report))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--engine", choices=("atheris", "random"), default="atheris")
    ap.add_argument("--hang", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("fuzz-out"))
    ap.add_argument("--replay", type=Path, nargs="*", help="run saved inputs and exit")
    args, rest = ap.parse_known_args()
    if args.runs is None and args.seconds is None and not args.replay:
        args.seconds = 60.0
    stats = Stats(args.out, args.hang, args.runs, args.seconds)
    if args.replay:
        from tests.harness.fuzz_target import run_one

        for path in args.replay:
            stats.one(run_one, path.read_bytes())
        finish(stats)
        return
    if args.engine == "atheris":
        try:
            import atheris  # type: ignore[import-not-found]  # noqa: F401
        except ImportError:
            print("atheris is not installed; using --engine random", file=sys.stderr)
            args.engine = "random"
    if args.engine == "atheris":
        run_atheris(stats, rest)
    else:
        from tests.harness.fuzz_target import run_one

        run_random(stats, run_one, args.seed)
    finish(stats)


if __name__ == "__main__":
    main()
