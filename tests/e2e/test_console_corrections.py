"""Staff corrections from the console in a real Chromium: an item moved, merged, withdrawn
and placed, an answer replaced and removed, each with its reason in the audit log and
through the same services as `mailflow item …` / `answer …`; an auditor gets 403."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from mailflow.services.context import Services
from mailflow.store import db
from mailflow.store.models import Event, Item
from tests.harness.console import AUDITOR, chromium, log_in, seed_console


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, str]]:
    with seed_console(tmp_path_factory.mktemp("console-fix")) as served:
        yield served


@pytest.fixture(scope="module")
def browser(world: tuple[Services, str]) -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def page(world: tuple[Services, str], browser: Any) -> Iterator[Any]:
    _, base = world
    context = browser.new_context()
    p = context.new_page()
    log_in(p, base)
    yield p
    context.close()


def audited(services: Services, kind: str) -> list[Event]:
    with db.transaction(services.sessions) as s:
        rows = list(s.scalars(select(Event).where(Event.kind == kind)))
        s.expunge_all()
        return rows


def item(services: Services, public_id: str) -> Item:
    with db.transaction(services.sessions) as s:
        found = s.scalars(select(Item).where(Item.public_id == public_id)).all()
        (row,) = [i for i in found if i.state not in ("moved", "merged")] or found
        s.expunge(row)
        return row


def open_item(page: Any, base: str, public_id: str) -> Any:
    page.goto(f"{base}/rounds/R2-5")
    page.get_by_role("link", name=public_id, exact=True).click()
    page.wait_for_url("**/items/*")
    return page.get_by_role("region", name="読み取りの訂正")


def test_move_an_item_to_the_other_consultation(world: tuple[Services, str], page: Any) -> None:
    services, base = world
    fix = open_item(page, base, "Q13-02")
    move = fix.locator("form[action$='/move']")
    move.get_by_label("案件", exact=True).select_option("14")
    move.get_by_label("理由").fill("諮問第14号への質問と確認した")
    move.get_by_role("button", name="別の案件に移す").click()
    page.wait_for_url("**/items/Q14-*?done=moved")
    new_id = page.get_by_role("heading", level=1).inner_text()
    assert new_id.startswith("Q14-")
    assert item(services, "Q13-02").state == "moved"
    (event,) = audited(services, "item_moved")
    assert event.actor == "staff:sato" and event.reason == "諮問第14号への質問と確認した"
    page.goto(f"{base}/rounds/R2-5/items/{item(services, 'Q13-02').id}")
    assert new_id in page.locator("dl.facts").inner_text()


def test_replace_then_remove_an_answer(world: tuple[Services, str], page: Any) -> None:
    services, base = world
    answered = next(
        pid for pid in ("Q13-01", "Q13-03", "Q14-01", "Q14-02")
        if open_item(page, base, pid).get_by_role("button", name="回答を差し替える").count()
    )  # fmt: skip
    fix = page.get_by_role("region", name="読み取りの訂正")
    replace = fix.locator("form[action$='/answer/replace']")
    replace.get_by_label("新しい回答").fill("引換券の再発行は、窓口で本人確認のうえ行う。")
    replace.get_by_label("理由").fill("所管課から訂正の連絡があった")
    replace.get_by_role("button", name="回答を差し替える").click()
    page.wait_for_url("**?done=answer_replaced")
    assert "引換券の再発行は、窓口で本人確認のうえ行う。" in page.inner_text("main")
    assert audited(services, "answer_replaced")[0].reason == "所管課から訂正の連絡があった"
    remove = page.locator("form[action$='/answer/remove']")
    remove.get_by_label("理由").fill("回答は撤回された")
    remove.get_by_role("button", name="回答を取り下げる").click()
    page.wait_for_url("**?done=answer_removed")
    assert "引換券の再発行は、窓口で本人確認のうえ行う。" not in page.inner_text("main")
    assert audited(services, "answer_removed"), answered


def test_merge_two_items_then_withdraw_one(world: tuple[Services, str], page: Any) -> None:
    services, base = world
    with db.transaction(services.sessions) as s:  # two ① items of one member in 14
        rows = s.execute(
            select(Item.public_id, Item.member_id, Item.phase).where(
                Item.state == "active", Item.public_id.like("Q14-%"))
            .order_by(Item.seq)
        ).all()  # fmt: skip
    first, second = next(
        (a[0], b[0]) for n, a in enumerate(rows) for b in rows[n + 1 :] if a[1:] == b[1:]
    )
    open_item(page, base, first)
    merge = page.locator("form[action$='/merge']")
    merge.get_by_label("この項目にまとめる項目").select_option(second)
    merge.get_by_label("理由").fill("一つの質問が二つに読まれた")
    merge.get_by_role("button", name="一つにまとめる").click()
    page.wait_for_url("**?done=merged")
    assert item(services, second).state == "merged"
    withdraw = page.locator("form[action$='/withdraw']")
    withdraw.get_by_label("理由").fill("挨拶文が質問として読まれた")
    withdraw.get_by_role("button", name="取り消す").click()
    page.wait_for_url("**?done=withdrawn")
    assert item(services, first).state == "withdrawn"
    assert audited(services, "item_withdrawn")[0].reason == "挨拶文が質問として読まれた"


def test_place_an_unplaced_item_from_the_round_page(
    world: tuple[Services, str], page: Any
) -> None:
    services, base = world
    with db.transaction(services.sessions) as s:  # as read from a reply naming no consultation
        pk = s.scalars(select(Item.id).where(Item.public_id == "Q13-03")).one()
        s.execute(update(Item).where(Item.id == pk)
                  .values(consultation_id=None, public_id=None, seq=None))  # fmt: skip
    page.goto(f"{base}/rounds/R2-5")
    row = page.locator("#unplaced-h + ul li").first
    row.get_by_label("案件").select_option("14")
    row.get_by_label("理由").fill("本文から諮問第14号への意見と判断した")
    row.get_by_role("button", name="案件に振り分ける").click()
    page.wait_for_url("**/items/Q14-*?done=placed")
    assert audited(services, "item_placed")[0].reason == "本文から諮問第14号への意見と判断した"


def test_an_auditor_and_a_missing_token_get_403(
    world: tuple[Services, str], browser: Any
) -> None:
    services, base = world
    context = browser.new_context()
    page = context.new_page()
    log_in(page, base, AUDITOR)
    target = item(services, "Q13-01")
    page.goto(f"{base}/rounds/R2-5/items/{target.id}")
    assert page.get_by_role("region", name="読み取りの訂正").count() == 0
    csrf = page.locator("form.who input[name=csrf_token]").get_attribute("value")
    form = {"why": "x", "consultation": "14"}
    for path in ("withdraw", "move", "answer/remove"):
        url = f"{base}/rounds/R2-5/items/{target.id}/{path}"
        r = page.request.post(url, max_redirects=0, form={**form, "csrf_token": csrf})
        assert r.status == 403, path  # an auditor changes nothing
        r = page.request.post(url, max_redirects=0, form=form)
        assert r.status == 403, path  # no CSRF token
    assert item(services, "Q13-01").state == target.state
    context.close()
