"""Screenshots of each console page into docs/console/, for the README.

Builds the tests' console world (round R2-5 open, the seed's records, a quarantined mail,
held notices), serves it on loopback and photographs each page in Debian's Chromium.

    .venv/bin/python scripts/console_screenshots.py [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.harness.console import (  # noqa: E402
    chromium,
    console_services,
    log_in,
    quarantine_mail,
    serve_console,
    stray_mail,
)

PAGES = {
    "rounds": "/rounds",
    "round": "/rounds/R2-5",
    "item": "/rounds/R2-5/items/2",
    "mail": "/rounds/R2-5/mail",
    "quarantine": "/quarantine",
    "outbox": "/outbox",
    "minutes": "/rounds/R2-5/minutes",
    "audit": "/audit",
    "health": "/health",
}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "console")
    out = ap.parse_args(argv).out
    os.environ.setdefault("MAILFLOW_TOKEN_SECRET", "screenshots-0123456789abcdef-0123456789")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        services = console_services(Path(tmp))
        body = "諮問第14号について\n・予約の取消はいつまでできるのか。"
        quarantine_mail(services, Path(tmp), "q.eml", stray_mail("[R2-5] 質問", body))
        with serve_console(services) as base, chromium() as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            log_in(page, base)
            for name, path in PAGES.items():
                page.goto(f"{base}{path}")
                for d in page.locator("details").all():
                    d.evaluate("e => e.open = true")
                page.screenshot(path=str(out / f"{name}.png"))
                print(out / f"{name}.png")


if __name__ == "__main__":
    main()
