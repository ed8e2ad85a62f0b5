"""The console refuses what it must, in a real Chromium: no session, no CSRF token, an
auditor's change, a sixth wrong password, an old cookie; mail text never becomes markup."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from mailflow.services.context import Services
from mailflow.services.intake_files import assign_as
from mailflow.services.outbox import entries
from mailflow.store import db
from mailflow.store.models import Event
from tests.harness.console import (
    AUDITOR,
    STAFF,
    chromium,
    chromium_path,
    console_services,
    log_in,
    quarantine_mail,
    serve_console,
    stray_mail,
)

HOSTILE = (
    "諮問第13号について\n"
    "・<script>window.__owned = 1</script>個人情報の保管場所はどこか。\n"
    '・<img src="x" onerror="window.__owned = 2">削除の証明はどう受けるのか。'
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, str]]:
    chromium_path()
    os.environ.setdefault("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    tmp = tmp_path_factory.mktemp("console-sec")
    services = console_services(tmp)
    # one hostile mail read into items, one left in quarantine
    placed = quarantine_mail(services, tmp, "a.eml", stray_mail("[R2-5] <script>", HOSTILE))
    assign_as(services, placed, "R2-5", "ishida", "test")
    html_only = stray_mail("<img src=x onerror=alert(1)>", HOSTILE, "other@elsewhere.example")
    quarantine_mail(services, tmp, "b.eml", html_only)
    with serve_console(services) as base:
        yield services, base
    services.engine.dispose()


@pytest.fixture(scope="module")
def browser(world: tuple[Services, str]) -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


def csrf_of(page: Any) -> str:
    return str(page.locator("form.who input[name=csrf_token]").get_attribute("value"))


def events(services: Services, kind: str) -> list[Event]:
    with db.transaction(services.sessions) as s:
        rows = list(s.scalars(select(Event).where(Event.kind == kind)))
        s.expunge_all()
        return rows


def test_no_session_is_sent_to_login(world: tuple[Services, str], page: Any) -> None:
    _, base = world
    for path in ("/rounds", "/rounds/R2-5", "/quarantine", "/outbox", "/audit", "/health"):
        page.goto(f"{base}{path}")
        assert page.url == f"{base}/login?next={path.replace('/', '%2F')}" or page.url.startswith(
            f"{base}/login"
        )
    r = httpx.post(f"{base}/outbox/approve-all", data={"csrf_token": "x"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert httpx.get(f"{base}/healthz").text == "ok"


def test_post_without_csrf_token_is_403(world: tuple[Services, str], page: Any) -> None:
    services, base = world
    log_in(page, base)
    drafts = [e.id for e in entries(services, "draft")]
    for form in ({}, {"csrf_token": "forged"}):
        r = page.request.post(f"{base}/outbox/{drafts[0]}/approve", form=form, max_redirects=0)
        assert r.status == 403
    assert [e.id for e in entries(services, "draft")] == drafts
    r = httpx.post(f"{base}/login", data={"login": STAFF[0], "password": STAFF[1]})
    assert r.status_code == 403  # the login form has its own token too


def test_auditor_sees_everything_and_changes_nothing(
    world: tuple[Services, str], page: Any
) -> None:
    services, base = world
    log_in(page, base, AUDITOR)
    page.goto(f"{base}/outbox")
    assert page.locator("tbody tr").count() > 1
    assert page.get_by_role("button", name="承認").count() == 0
    drafts = [e.id for e in entries(services, "draft")]
    r = page.request.post(f"{base}/outbox/{drafts[0]}/approve",
                          form={"csrf_token": csrf_of(page)}, max_redirects=0)  # fmt: skip
    assert r.status == 403
    r = page.request.post(f"{base}/rounds/R2-5/do/cancel",
                          form={"csrf_token": csrf_of(page), "why": "x", "confirm": "yes"},
                          max_redirects=0)  # fmt: skip
    assert r.status == 403
    assert [e.id for e in entries(services, "draft")] == drafts


def test_mail_and_items_are_shown_as_text(world: tuple[Services, str], page: Any) -> None:
    _, base = world
    log_in(page, base)
    for path in ("/rounds/R2-5", "/rounds/R2-5/mail", "/quarantine"):
        page.goto(f"{base}{path}")
        for d in page.locator("details").all():
            d.evaluate("e => e.open = true")
        assert page.evaluate("window.__owned") is None
        # the DOM: no element came out of the mail; the only script is our own file
        assert page.locator("img").count() == 0
        assert page.locator("[onerror]").count() == 0
        scripts = page.locator("script").evaluate_all("els => els.map(e => e.src)")
        assert scripts == [f"{base}/static/htmx.min.js"]
        text = page.inner_text("main")
        assert "<script>window.__owned = 1</script>" in text, path
        assert '<img src="x" onerror="window.__owned = 2">' in text, path


def test_cookie_from_before_logout_is_refused(
    world: tuple[Services, str], browser: Any, page: Any
) -> None:
    _, base = world
    log_in(page, base)
    old = page.context.cookies()
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_url(f"{base}/login")
    replay = browser.new_context()
    replay.add_cookies(old)
    again = replay.new_page()
    again.goto(f"{base}/rounds")
    assert again.url.startswith(f"{base}/login")
    replay.close()


def test_headers_of_a_page(world: tuple[Services, str], page: Any) -> None:
    _, base = world
    log_in(page, base)
    r = page.request.get(f"{base}/rounds")
    h = r.headers
    assert "script-src 'self'" in h["content-security-policy"]
    assert "unsafe-inline" not in h["content-security-policy"]
    assert h["x-frame-options"] == "DENY" and h["cache-control"] == "no-store"
    cookie = next(c for c in page.context.cookies() if c["name"] == "mailflow_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"


def test_every_label_exists_in_both_languages() -> None:
    import re

    from mailflow.web.i18n import LABELS, VALUES

    root = Path(__file__).resolve().parents[2]
    used = set()
    for path in [
        *(root / "templates" / "web").glob("*.html"),
        *(root / "mailflow/web").glob("*.py"),
    ]:
        used |= set(
            re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.-]+)["']\s*\)""", path.read_text())
        )
    missing = sorted(k for k in used if k not in LABELS and k not in VALUES)
    assert not missing
    assert all(ja and en for ja, en in [*LABELS.values(), *VALUES.values()])


# Last: it locks this client address (127.0.0.1) out of every login for a while.
def test_sixth_wrong_password_locks_and_is_audited(world: tuple[Services, str], page: Any) -> None:
    services, base = world
    page.goto(f"{base}/login")
    for _ in range(5):
        page.get_by_label("ログイン名").fill(AUDITOR[0])
        page.get_by_label("パスワード").fill("not the password")
        page.get_by_role("button", name="ログイン").click()
        assert "ログイン名またはパスワードが違います" in page.inner_text("main")
    page.get_by_label("ログイン名").fill(AUDITOR[0])
    page.get_by_label("パスワード").fill("not the password either")  # the sixth wrong one
    page.get_by_role("button", name="ログイン").click()
    assert "しばらくログインできません" in page.inner_text("main")
    page.get_by_label("ログイン名").fill(AUDITOR[0])
    page.get_by_label("パスワード").fill(AUDITOR[1])  # right, but too late
    page.get_by_role("button", name="ログイン").click()
    assert "しばらくログインできません" in page.inner_text("main")
    assert page.url.startswith(f"{base}/login")
    locked = events(services, "login_locked")
    assert len(locked) >= 2 and all(e.detail["login"] == AUDITOR[0] for e in locked)
    assert len([e for e in events(services, "login_failed") if e.actor == "staff:kudo"]) >= 5
