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
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mailflow.clock import FixedClock
from mailflow.services import staff
from mailflow.services.context import Services
from mailflow.wiring import PORTS

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
def serve_console(services: Services, others: tuple[Services, ...] = ()) -> Iterator[str]:
    """The console for ``services`` (and ``others``) on a free loopback port; yields its
    base URL."""
    from mailflow.web.serve import server

    srv = server(services, "127.0.0.1", 0, others)
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
def seed_console(tmp: Any) -> Iterator[tuple[Services, str]]:
    """The seed round's console (`console_services`) served on loopback, for a module's
    browser tests: (services, base URL); skipped without Chromium."""
    chromium_path()
    os.environ.setdefault("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    services = console_services(tmp)
    with serve_console(services) as base:
        yield services, base
    services.engine.dispose()


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


def stray_mail(subject: str, body: str, sender: str = "someone@elsewhere.example") -> bytes:
    """A plain UTF-8 mail from an address the committee does not know: it is quarantined."""
    from email.message import EmailMessage
    from email.utils import make_msgid

    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "shingikai@city.example.jp"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 11 Jan 2021 09:30:00 +0900"
    msg["Message-ID"] = make_msgid(domain="elsewhere.example")
    msg.set_content(body)
    return msg.as_bytes()


def console_services(tmp: Any, smtp_port: int | None = None) -> Services:
    """The example committee with round R2-5 open, the seed's records in it, staff
    approval of every outgoing mail (so the calls for questions wait in the outbox),
    and the two console logins."""
    from mailflow.config import Approval, Smtp, TlsMode
    from mailflow.domain import Phase
    from mailflow.services.workflow import extend_deadline, open_round
    from tests.harness.seed_round import build_seed_round, seed_services

    base = seed_services(tmp / "data")
    conf = base.config
    update: dict[str, Any] = {
        "policy": conf.policy.model_copy(update={"approval": Approval.STAFF}),
    }
    if smtp_port is not None:
        update["smtp"] = Smtp(host="127.0.0.1", port=smtp_port, tls=TlsMode.NONE)
    # During ①: the round can be opened, and mail arriving now counts for ①.
    during = FixedClock(datetime(2021, 1, 8, 10, 0, tzinfo=timezone(timedelta(hours=9))))
    services = Services(config=conf.model_copy(update=update), clock=during,
                        actor="staff:setup", _engine=base.engine, ports=PORTS)  # fmt: skip
    from mailflow.domain.roundspec import load_round_spec
    from mailflow.services.rounds import import_round
    from tests.harness.seed_round import ROUND_FILE

    import_round(services, load_round_spec(ROUND_FILE), ROUND_FILE)
    open_round(services, "R2-5")
    # Moving a deadline tells those concerned; under staff approval those notices wait.
    new = datetime(2021, 1, 14, 23, 59, tzinfo=timezone(timedelta(hours=9)))
    extend_deadline(services, "R2-5", Phase.QUESTIONS, new, "委員の要望により1日延長")
    build_seed_round(services)
    add_staff(services)
    return services


def quarantine_mail(services: Services, tmp: Any, name: str, raw: bytes) -> int:
    """Store and process a mail file; returns its message id (quarantined)."""
    from mailflow.services.intake_files import ingest_files

    path = tmp / name
    path.write_bytes(raw)
    (done,) = ingest_files(services, [path])
    assert done.outcome is not None and done.outcome.state == "quarantined", done
    return done.outcome.message_pk
