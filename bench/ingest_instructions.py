"""Instructions executed per reply: ingest (many files to a call) against decode + extract
+ split of the same replies, counted by Valgrind's callgrind.

    python bench/ingest_instructions.py [--stored 300] [--new 32]

Wall and CPU time on a shared machine drift by a factor of two within minutes; the
count of instructions a piece of code executes does not (two runs agree within 0.2 %).
It is what this measures, to compare two versions of the code: run each checkout's
copy (it imports the `mailflow` of the checkout it is in). It is not a rate:
the ORM's and the parser's instructions do not take the same time each, so the ratio of
counts is not the ratio of rates that `scale_bench.py` prints.

The scale benchmark's committee and history (`scale_bench._setup`, `_history`), 40
replies ingested and decoded to warm the caches, then `--new` replies in one
`ingest_files` call and the same replies through `parsing.pipeline.parse_mail`, each
counted alone (callgrind's instrumentation switched on around it with
`callgrind_control`). Needs `valgrind` (Debian package of that name). Parsing runs
in-process, as in `scale_bench.py`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_bench as sb

WARM = 40


def measured(stored: int, new: int) -> None:
    """Runs under callgrind: the scenario, with the instrumentation on around each part."""
    from mailflow.domain import ConsultationRef
    from mailflow.parsing.pipeline import parse_mail
    from mailflow.services.intake_files import ingest_files
    from mailflow.services.workflow import tick
    from mailflow.store import rounds as rounds_repo
    from mailflow.store.directory import sync_committee

    def control(*args: str) -> None:
        subprocess.run(["callgrind_control", *args, str(os.getpid())], check=True,
                       capture_output=True)  # fmt: skip

    os.environ["MAILFLOW_TOKEN_SECRET"] = sb.SECRET
    with tempfile.TemporaryDirectory(prefix="ingest-instructions-") as tmp:
        folder = Path(tmp)
        services = sb._setup(folder, None)
        calls = sb._calls(services)
        sb._history(services, stored, 0, 200)
        mails = sb._new_mails(calls, WARM + new, stored)
        services.clock.set(sb.OPENED + timedelta(days=3))
        tick(services)
        paths = sb.written(folder, mails)
        with services.sessions() as s:
            rnd = rounds_repo.get(s, sync_committee(s, services.config).id, "R7-2")
            assert rnd is not None
            refs = [ConsultationRef(c.key, c.number, c.title) for c in rnd.consultations]
        ingest_files(services, paths[:WARM])
        for raw in mails[:WARM]:
            parse_mail(raw, refs)
        control("--instr=on")
        results = ingest_files(services, paths[WARM:])
        control("--dump=ingest")
        for raw in mails[WARM:]:
            parse_mail(raw, refs)
        control("--dump=decode")
        control("--instr=off")
        assert all(r.outcome is not None and r.outcome.state == "done" for r in results)
        services.engine.dispose()


def _summary(out: Path, part: str) -> int:
    for dump in out.glob("callgrind.out.*"):
        text = dump.read_text(errors="replace")
        if f"Trigger: dump {part}" in text:
            found = re.search(r"^summary: (\d+)", text, re.MULTILINE)
            if found:
                return int(found.group(1))
    raise SystemExit(f"callgrind wrote no dump named {part!r} in {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stored", type=int, default=300)
    ap.add_argument("--new", type=int, default=32)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        measured(args.stored, args.new)
        return
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="callgrind-") as tmp:
        out = Path(tmp)
        cmd = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={out}/callgrind.out.%p",
            sys.executable, __file__, "--child", "--stored", str(args.stored),
            "--new", str(args.new),
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"the measured run failed:\n{proc.stderr[-4000:]}")
        ingest, decode = _summary(out, "ingest"), _summary(out, "decode")
    print(
        f"ingest {ingest / args.new / 1e6:.3f} M instructions a reply, "
        f"decode+extract+split {decode / args.new / 1e6:.3f} M "
        f"({args.new} replies, {args.stored} stored)"
    )


if __name__ == "__main__":
    main()
