"""A clerk runs round R2-5 from the console in a real Chromium: no terminal needed.

Log in with the keyboard; see the round with both consultations and the reply matrix;
assign a quarantined mail; approve a held mail and see it leave through aiosmtpd; edit
an item's wording and see it in the minutes preview; download the minutes.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mailflow.services.context import Services
from mailflow.services.outbox import entries, send_due
from tests.harness.console import (
    STAFF,
    chromium,
    chromium_path,
    console_services,
    quarantine_mail,
    serve_console,
    stray_mail,
)
from tests.harness.smtp_server import SmtpServer

QUESTION = "諮問第13号について\n・引換券を紛失した場合の再発行の手続はどうなっているのか。"


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Services, str, SmtpServer]]:
    chromium_path()
    os.environ.setdefault("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    tmp = tmp_path_factory.mktemp("console")
    with SmtpServer() as smtp:
        services = console_services(tmp, smtp.port)
        raw = stray_mail("[R2-5] 質問です", QUESTION, "ishida.home@example.org")
        quarantine_mail(services, tmp, "stray.eml", raw)
        with serve_console(services) as base:
            yield services, base, smtp
        services.engine.dispose()


@pytest.fixture(scope="module")
def page(world: tuple[Services, str, SmtpServer]) -> Iterator[Any]:
    with chromium() as browser:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        yield context.new_page()
        context.close()


def test_1_log_in_with_the_keyboard(world: tuple[Services, str, SmtpServer], page: Any) -> None:
    _, base, _ = world
    page.goto(f"{base}/rounds")
    assert page.url.startswith(f"{base}/login")
    # The login field has the focus (autofocus): Chromium gives it at its next rendering
    # update, after the load event, so a busy machine could type into nothing before.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'login'")
    page.keyboard.type(STAFF[0])
    page.keyboard.press("Tab")
    page.keyboard.type(STAFF[1])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/rounds")
    assert page.get_by_role("link", name="R2-5").is_visible()


def test_2_round_page_shows_both_consultations_and_the_matrix(
    world: tuple[Services, str, SmtpServer], page: Any
) -> None:
    _, base, _ = world
    page.get_by_role("link", name="R2-5").click()
    page.wait_for_url(f"{base}/rounds/R2-5")
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert any("諮問第13号" in h for h in headings) and any("諮問第14号" in h for h in headings)
    matrix = page.locator("table.matrix")
    assert matrix.get_by_role("rowheader", name="青木 和子").is_visible()
    assert matrix.locator("td.mark-waiting").count() > 0
    assert page.get_by_role("link", name="Q13-01").is_visible()


def test_3_assign_a_quarantined_mail(world: tuple[Services, str, SmtpServer], page: Any) -> None:
    _, base, _ = world
    page.get_by_role("link", name="未振り分けメール").click()
    section = page.locator("section.stored").first
    assert "[R2-5] 質問です" in section.inner_text()
    section.locator("summary").click()
    assert "再発行の手続" in section.locator("pre.body").inner_text()
    section.get_by_label("開催回").select_option("R2-5")
    section.get_by_label("差出人").select_option(label="石田 直樹")
    section.get_by_label("理由").first.fill("自宅のアドレスから届いたため")
    section.get_by_role("button", name="振り分ける").click()
    page.wait_for_url(f"{base}/quarantine?done=assigned")
    assert page.get_by_role("status").inner_text() == "メールを振り分けました。"
    assert "未振り分けのメールはありません" in page.inner_text("main")
    page.goto(f"{base}/rounds/R2-5")
    assert "再発行の手続" in page.inner_text("main")


def test_4_approve_a_held_mail_and_see_it_leave(
    world: tuple[Services, str, SmtpServer], page: Any
) -> None:
    services, base, smtp = world
    page.goto(f"{base}/outbox?state=draft")
    first = page.locator("tbody tr").first
    outbox_id = int(first.get_attribute("id").removeprefix("o-"))
    # the preview comes in beside the list (htmx), exactly as it will be sent
    first.locator("td a").click()
    panel = page.locator("#preview")
    panel.get_by_text("From").wait_for()
    assert "shingikai@city.example.jp" in panel.inner_text()
    first.get_by_role("button", name=f"承認 {outbox_id}").click()
    page.wait_for_url(f"{base}/outbox?done=approved")
    # The daemon's sender takes it from here (in a thread: Playwright holds this one's loop).
    due = send_due(services, services.clock.now(), limit=100)
    with ThreadPoolExecutor(1) as pool:
        report = pool.submit(asyncio.run, due).result()
    assert report.sent >= 1 and outbox_id in report.sent_ids
    sent = next(e for e in entries(services) if e.id == outbox_id)
    assert sent.state == "sent" and sent.approved_by == f"staff:{STAFF[0]}"
    assert sent.message_id.strip("<>") in {(m.message_id or "").strip("<>") for m in smtp.received}
    # the other held notices are still held: one approval let one mail go
    assert any(e.state == "draft" for e in entries(services))
    page.goto(f"{base}/outbox?state=sent")
    assert page.locator(f"#o-{outbox_id}").get_by_text("送信済み").is_visible()


def test_5_edit_wording_and_see_it_in_the_minutes(
    world: tuple[Services, str, SmtpServer], page: Any, tmp_path: Path
) -> None:
    _, base, _ = world
    page.goto(f"{base}/rounds/R2-5")
    page.get_by_role("link", name="Q13-02").click()
    edit = page.get_by_role("region", name="公表用の文言を編集")
    edit.get_by_label("公表用の文言", exact=True).fill("令和3年度の配布予定数は何件か。")
    edit.get_by_label("理由").fill("公表用に表現を整えた")
    edit.get_by_role("button", name="保存する").click()
    page.wait_for_url("**/items/*?done=edited")
    assert page.locator("#published").inner_text() == "令和3年度の配布予定数は何件か。"
    assert page.locator(".diff ins").count() > 0 and page.locator(".diff del").count() > 0
    page.goto(f"{base}/rounds/R2-5/minutes")
    assert "令和3年度の配布予定数は何件か。" in page.locator("#minutes-preview").inner_text()
    with page.expect_download() as md:
        page.get_by_role("link", name="Markdown をダウンロード").click()
    saved = tmp_path / "minutes.md"
    md.value.save_as(saved)
    assert "令和3年度の配布予定数は何件か。" in saved.read_text("utf-8")
    with page.expect_download() as pdf:
        page.get_by_role("link", name="PDF をダウンロード").click()
    out = tmp_path / "minutes.pdf"
    pdf.value.save_as(out)
    assert out.read_bytes().startswith(b"%PDF")
