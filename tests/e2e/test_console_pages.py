"""The console's other pages in a real Chromium: the outbox preview's attachments, the
audit log's filters, a deadline moved after its notices are previewed, a round file's
problems named per key, an answer received by telephone, a cancellation unconfirmed."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from typing import Any

import pytest

from mailflow.domain import Phase
from mailflow.services.context import Services
from mailflow.services.outbox import entries, show
from mailflow.services.rounds import show_round
from tests.harness.console import chromium, log_in, seed_console

BAD_ROUND = b"""id = "R2-9"
title = ""
fiscal_year = 1900
notice_date = 2021-01-05
[deadlines]
questions = 2021-01-13
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, str]]:
    with seed_console(tmp_path_factory.mktemp("console-pages")) as served:
        yield served


@pytest.fixture(scope="module")
def page(world: tuple[Services, str]) -> Iterator[Any]:
    _, base = world
    with chromium() as browser:
        context = browser.new_context()
        p = context.new_page()
        log_in(p, base)
        yield p
        context.close()


def test_outbox_preview_names_each_attachment_with_its_size(
    world: tuple[Services, str], page: Any
) -> None:
    services, base = world
    call = next(e for e in entries(services) if e.kind == "call_for_questions")
    _, raw = show(services, call.id)
    parts = list(email.message_from_bytes(raw, policy=email.policy.default).iter_attachments())
    assert parts, "the call for questions carries the round's documents"
    page.goto(f"{base}/outbox/{call.id}")
    shown = page.locator("dl.headers dd").all_inner_texts()
    for part in parts:
        size = len(part.get_payload(decode=True))
        line = next((d for d in shown if part.get_filename() in d), None)
        assert line is not None, (part.get_filename(), shown)
        assert f"{size:,} bytes" in line, (line, size)
    assert any(call.recipients[0] in d for d in shown)


def test_audit_log_filters_by_kind_round_who_and_days(
    world: tuple[Services, str], page: Any
) -> None:
    _, base = world
    page.goto(f"{base}/audit")
    page.get_by_label("種類").select_option("deadline_changed")
    page.get_by_label("開催回").select_option("R2-5")
    page.get_by_label("操作者").select_option("staff:setup")
    page.get_by_label("開始日").fill("2021-01-08")
    page.get_by_label("終了日").fill("2021-01-08")
    page.get_by_role("button", name="絞り込む").click()
    page.wait_for_url("**/audit?*kind=deadline_changed*")
    rows = page.locator("table.audit tbody tr")
    assert rows.count() >= 1
    for row in rows.all():
        cells = row.locator("td").all_inner_texts()
        assert cells[1:4] == ["staff:setup", "deadline_changed", "R2-5"], cells
        assert "委員の要望により1日延長" in cells[4]
    page.get_by_label("開始日").fill("2021-01-09")
    page.get_by_role("button", name="絞り込む").click()
    page.wait_for_url("**/audit?*since=2021-01-09*")
    assert page.locator("table.audit tbody").inner_text().strip() == "該当する記録はありません。"


def test_deadline_notices_are_previewed_before_anything_is_queued(
    world: tuple[Services, str], page: Any
) -> None:
    services, base = world
    queued = len(entries(services))
    page.goto(f"{base}/rounds/R2-5/deadline")
    page.get_by_label("手順").select_option(str(Phase.QUESTIONS.value))
    page.get_by_label("新しい期限").fill("2021-01-15T09:00+09:00")
    page.get_by_label("理由").fill("委員から再度の延長の要望があったため")
    page.get_by_role("button", name="お知らせを確認する").click()
    notices = page.locator("article.mail")
    previewed = notices.count()
    assert previewed >= 1
    assert "1月15日" in notices.first.locator("pre.body").inner_text()
    assert len(entries(services)) == queued  # a preview queues nothing
    page.get_by_role("button", name="この内容で期限を変更する").click()
    page.wait_for_url(f"{base}/rounds/R2-5?done=deadline_set")
    assert len(entries(services)) == queued + previewed
    due = show_round(services, "R2-5").deadlines[Phase.QUESTIONS]
    assert due.astimezone(services.config.committee.tz).date().isoformat() == "2021-01-15"


def test_a_round_files_problems_are_named_per_key(world: tuple[Services, str], page: Any) -> None:
    _, base = world
    page.goto(f"{base}/rounds")
    page.get_by_label("開催回ファイル（.toml）").set_input_files(
        files=[{"name": "r2-9.toml", "mimeType": "application/toml", "buffer": BAD_ROUND}]
    )
    page.get_by_role("button", name="取り込む").click()
    problems = page.locator("main li").all_inner_texts()
    for key in ("r2-9.toml: title:", "r2-9.toml: fiscal_year:", "r2-9.toml: deadlines.answers:"):
        assert any(p.startswith(key) for p in problems), (key, problems)
    assert not any("mailflow-upload-" in p for p in problems)  # the temporary folder
    page.goto(f"{base}/rounds")
    assert page.get_by_role("link", name="R2-9").count() == 0


def test_an_answer_received_by_telephone_is_recorded(
    world: tuple[Services, str], page: Any
) -> None:
    _, base = world
    page.goto(f"{base}/rounds/R2-5")
    page.get_by_role("link", name="Q13-03").click()
    form = page.get_by_role("region", name="メール以外で受けた回答を記録")
    form.get_by_label("回答者").select_option(index=0)
    form.get_by_label("回答", exact=True).fill("窓口での本人確認書類の写しは保管しない。")
    form.get_by_label("理由").fill("電話で回答を受けた")
    form.get_by_role("button", name="記録する").click()
    page.wait_for_url("**/items/*?done=answered")
    assert "窓口での本人確認書類の写しは保管しない。" in page.locator("main").inner_text()
    page.goto(f"{base}/audit?kind=answer_added")
    assert "電話で回答を受けた" in page.locator("table.audit").inner_text()


def test_cancelling_needs_the_confirmation(world: tuple[Services, str], page: Any) -> None:
    services, base = world
    page.goto(f"{base}/rounds/R2-5/do/cancel")
    assert page.get_by_label("中止することを確認しました").get_attribute("required") is not None
    csrf = page.locator("main input[name=csrf_token]").get_attribute("value")
    r = page.request.post(f"{base}/rounds/R2-5/do/cancel", max_redirects=0,
                          form={"csrf_token": csrf, "why": "会場の都合"})  # fmt: skip
    assert r.status == 400 and "確認のチェックを入れてください。" in r.text()
    assert show_round(services, "R2-5").state != "cancelled"


# Every control a person fills in or chooses (hidden fields aside) has a label.
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label'))
  .map(e => e.outerHTML)"""


def test_every_control_of_every_page_has_a_label(world: tuple[Services, str], page: Any) -> None:
    services, base = world
    draft = next(e for e in entries(services) if e.state == "draft")
    paths = ["/rounds", "/rounds/R2-5", "/rounds/R2-5/items/1", "/rounds/R2-5/mail",
             "/rounds/R2-5/minutes", "/rounds/R2-5/deadline", "/rounds/R2-5/do/delegate",
             "/rounds/R2-5/do/close-early", "/quarantine", "/outbox", f"/outbox/{draft.id}",
             "/audit", "/health"]  # fmt: skip
    for path in paths:
        assert page.goto(f"{base}{path}").status == 200, path
        assert page.locator("main h1").count() == 1, path
        assert page.evaluate(UNLABELLED) == [], path
        # a button says what it does
        assert all(b.strip() for b in page.locator("main button").all_inner_texts()), path
