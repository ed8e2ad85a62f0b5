"""Cost of parsing in the budgeted worker process against parsing in the daemon itself.

    python bench/parse_budget.py --rounds 3

Runs every mail of the parse corpus through the two pure stages intake runs (decode and
classify; new text, commands and a member's parse) in process, and through ParseWorker
(two round trips to the child per mail), interleaved, and prints mails/s and the overhead
per mail from the best round of each.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailflow.services.parse_worker import Budget, ParseWorker, parse_stage, read_stage  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    mails = [p.read_bytes() for p in sorted((ROOT / "tests/fixtures/mail/corpus").glob("*.eml"))]
    worker = ParseWorker(Budget())
    worker.read(mails[0], ("c@example.jp",))  # start the child outside the timing
    best = {"in process": float("inf"), "worker": float("inf")}
    for _ in range(args.rounds):
        start = time.perf_counter()
        for raw in mails:
            decoded, _ = read_stage(raw, ("c@example.jp",))
            parse_stage(decoded, (), "member", (), ())
        best["in process"] = min(best["in process"], time.perf_counter() - start)
        start = time.perf_counter()
        for raw in mails:
            decoded, _ = worker.read(raw, ("c@example.jp",))
            worker.parse(decoded, (), "member", (), ())
        best["worker"] = min(best["worker"], time.perf_counter() - start)
    worker.close()
    for name, took in best.items():
        print(f"{name}: {len(mails) / took:,.0f} mails/s ({took / len(mails) * 1000:.2f} ms/mail)")
    overhead = (best["worker"] - best["in process"]) / len(mails) * 1000
    print(f"overhead: {overhead:.2f} ms per mail")


if __name__ == "__main__":
    main()
