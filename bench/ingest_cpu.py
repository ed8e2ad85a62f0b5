"""CPU of one member reply end to end against decode + extract + split of the same reply.

    python bench/ingest_cpu.py [--stored 2000] [--new 40] [--profile FILE]

The scale benchmark's committee and history (`scale_bench._setup`, `_history`: every
stored mail in the one open round), then `--new` replies (after one warm-up) through
`services.intake_files.ingest_files`, one file per call as `mailflow ingest` takes them,
and the same replies through `parsing.pipeline.parse_mail`. Prints the median CPU
seconds (`time.process_time`) per reply of each and their ratio, and of the service's
own parse stages within the ingest (`read_stage` + `parse_stage`, in-process, with the
sender's signer names); `--profile` writes the cProfile stats of the ingest loop.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_bench as sb


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stored", type=int, default=2000)
    ap.add_argument("--new", type=int, default=40)
    ap.add_argument("--profile", type=Path)
    args = ap.parse_args()
    os.environ["MAILFLOW_TOKEN_SECRET"] = sb.SECRET

    from mailflow.domain import ConsultationRef
    from mailflow.parsing.pipeline import parse_mail
    from mailflow.services.intake_files import ingest_files
    from mailflow.services.parse_worker import Budget, ParseWorker
    from mailflow.services.workflow import tick
    from mailflow.store import rounds as rounds_repo
    from mailflow.store.directory import sync_committee

    with tempfile.TemporaryDirectory(prefix="ingest-cpu-") as tmp:
        folder = Path(tmp)
        services = sb._setup(folder, None)
        stages: list[float] = [0.0]  # the warm-up mail's, then one per reply

        class TimedWorker(ParseWorker):
            """The service's parser (in-process), adding the CPU of each stage call."""

            def read(self, *args: Any) -> Any:
                c0 = time.process_time()
                try:
                    return super().read(*args)
                finally:
                    stages[-1] += time.process_time() - c0

            def parse(self, *args: Any) -> Any:
                c0 = time.process_time()
                try:
                    return super().parse(*args)
                finally:
                    stages[-1] += time.process_time() - c0

        services.__dict__["parser"] = TimedWorker(Budget(isolate=False))
        calls = sb._calls(services)
        sb._history(services, args.stored, 0, 200)
        mails = sb._new_mails(calls, args.new + 1, args.stored)
        services.clock.set(sb.OPENED + timedelta(days=3))
        tick(services)
        paths = sb.written(folder, mails)
        ingest_files(services, paths[:1])
        prof = cProfile.Profile() if args.profile else None
        ingest = []
        stages.clear()
        for path in paths[1:]:
            stages.append(0.0)
            c0 = time.process_time()
            if prof is not None:
                prof.enable()
            (res,) = ingest_files(services, [path])
            if prof is not None:
                prof.disable()
            ingest.append(time.process_time() - c0)
            assert res.outcome is not None and res.outcome.state == "done", res.outcome
        with services.sessions() as s:
            rnd = rounds_repo.get(s, sync_committee(s, services.config).id, "R7-2")
            assert rnd is not None
            refs = [ConsultationRef(c.key, c.number, c.title) for c in rnd.consultations]
        decode = []
        for raw in mails[1:]:
            c0 = time.process_time()
            parse_mail(raw, refs)
            decode.append(time.process_time() - c0)
        if prof is not None:
            prof.dump_stats(str(args.profile))
        services.engine.dispose()
    i, d = statistics.median(ingest) * 1000, statistics.median(decode) * 1000
    st = statistics.median(stages) * 1000
    print(f"ingest {i:.2f} ms CPU per reply (min {min(ingest) * 1000:.2f}), "
          f"decode+extract+split {d:.2f} ms, ratio {d / i:.3f}; "
          f"read_stage+parse_stage {st:.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
