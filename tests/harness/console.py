"""The staff console served on loopback by uvicorn in a thread, and Chromium to drive it.

Chromium is Debian's (`chromium`), driven through Playwright with `executable_path`:
no browser is ever downloaded. Without it (or without Playwright) the browser tests
are skipped with that reason, except under CI=true, where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from mailflow.services import staff
from mailflow.services.context import Services

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
STAFF = ("sato", "sato-no-password-1")
AUDITOR = ("kudo", "kudo-no-password-1")


def chromium_path() -> str:
    """Debian's Chromium, or skip (fail under CI) naming what is missing."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    reason = None
    if path is None:
        reason = "chromium not installed (Debian package: chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "playwright (Python package) not installed"
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: the console's browser tests must run under CI")
        pytest.skip(reason)
    assert path is not None
    return path


def add_staff(services: Services) -> None:
    staff.add_account(services, STAFF[0], "staff", STAFF[1])
    staff.add_account(services, AUDITOR[0], "auditor", AUDITOR[1])


@contextmanager
def serve_console(services: Services) -> Iterator[str]:
    """The console for ``services`` on a free loopback port; yields its base URL."""
    from mailflow.web.serve import server

    srv = server(services, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.run, name="console", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the console did not start")
        time.sleep(0.02)
    port = srv.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright's Browser)."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Any, base: str, who: tuple[str, str] = STAFF) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("ログイン名").fill(who[0])
    page.get_by_label("パスワード").fill(who[1])
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{base}/rounds")
