"""`mailflow demo` end to end: a subprocess, real servers on loopback, the seed's minutes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.harness.seed_round import EXPECTED_MINUTES_MD, normalise, proceedings_part

ROOT = Path(__file__).resolve().parents[2]


def _expected() -> list[str]:
    return normalise(EXPECTED_MINUTES_MD.read_text("utf-8")).splitlines()


def test_demo_replays_the_seed_round(tmp_path: Path) -> None:
    out = tmp_path / "out"
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "mailflow", "demo", "--out", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    seconds = time.monotonic() - started
    assert run.returncode == 0, run.stderr[-3000:] + run.stdout[-3000:]
    paths = [out / "minutes.html", out / "minutes.md", out / "export.json"]
    for path in paths:
        assert path.is_file() and str(path) in run.stdout
    print(f"demo wall time {seconds:.1f} s")

    got = normalise(proceedings_part((out / "minutes.md").read_text("utf-8"))).splitlines()
    assert got == _expected()
    html = (out / "minutes.html").read_text("utf-8")
    assert 'lang="ja"' in html and "病児保育予約システム使用委託" in html
    assert "@" not in (out / "minutes.md").read_text("utf-8")  # no member addresses

    data = json.loads((out / "export.json").read_text("utf-8"))
    kinds = {m["kind"] for m in data["outbox"]}
    expected = {"call_for_questions", "receipt", "reminder", "department_bundle", "distribution"}
    assert (
        expected | {"call_for_further", "chair_digest", "decision_echo", "result_notice"} <= kinds
    )
    assert {m["state"] for m in data["outbox"]} == {"sent"}
    assert "staff_alert" in kinds  # the late reply and the rest reach staff in a digest
    # one member corrected an item by replying to the receipt, and the minutes carry
    # the corrected text (they equal the seed above)
    assert [e["kind"] for e in data["events"]].count("item_corrected") == 1
