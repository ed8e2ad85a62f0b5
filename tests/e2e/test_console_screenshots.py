"""scripts/console_screenshots.py photographs every page (its own module: it starts its
own Chromium, which cannot run beside another module's)."""

from __future__ import annotations

from typing import Any


def test_the_screenshots_script_photographs_every_page(tmp_path: Any) -> None:
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("shots", root / "scripts/console_screenshots.py")
    assert spec is not None and spec.loader is not None
    shots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shots)
    shots.main(["--out", str(tmp_path)])
    for name in shots.PAGES:
        png = (tmp_path / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 20_000, name
    readme = (root / "README.md").read_text("utf-8")
    assert all(f"docs/console/{n}.png" in readme for n in ("round", "quarantine", "outbox"))
