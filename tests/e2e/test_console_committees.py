"""Two committees in one console (`mailflow run --web --also …`), in a real Chromium.

The rounds list shows each committee's rounds; the second committee's pages live under
/c/{its id}, their links stay there, and an action taken there changes that committee's
round, not the first one's of the same id.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from mailflow.domain.roundspec import load_round_spec
from mailflow.services.context import Services
from mailflow.services.rounds import import_round, show_round
from mailflow.store import db
from mailflow.store.models import Committee, Event
from mailflow.wiring import PORTS
from tests.harness.console import chromium, chromium_path, console_services, log_in, serve_console
from tests.harness.seed_round import ROUND_FILE

SECOND = ("joho-kokai", "情報公開運営審議会")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, Services, str]]:
    chromium_path()
    os.environ.setdefault("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    first = console_services(tmp_path_factory.mktemp("committees"))
    conf = first.config
    committee = conf.committee.model_copy(
        update={"id": SECOND[0], "name": SECOND[1], "address": "shingikai2@city.example.jp"}
    )
    second = Services(config=conf.model_copy(update={"committee": committee}),
                      clock=first.clock, actor="staff:setup", _engine=first.engine,
                      ports=PORTS)  # fmt: skip
    spec = load_round_spec(ROUND_FILE).model_copy(update={"committee": None})
    import_round(second, spec, ROUND_FILE)  # the same round id, in draft
    with serve_console(first, (second,)) as base:
        yield first, second, base
    first.engine.dispose()


@pytest.fixture(scope="module")
def page(world: tuple[Services, Services, str]) -> Iterator[Any]:
    with chromium() as browser:
        context = browser.new_context()
        yield context.new_page()
        context.close()


def test_the_rounds_list_shows_every_committee(
    world: tuple[Services, Services, str], page: Any
) -> None:
    _, _, base = world
    log_in(page, base)
    captions = page.locator("table caption").all_inner_texts()
    assert any("個人情報保護運営審議会" in c for c in captions)
    assert any(SECOND[1] in c for c in captions)
    switch = page.get_by_role("navigation", name="審議会")
    assert switch.get_by_role("link", name=SECOND[1]).get_attribute("href") == (
        f"/c/{SECOND[0]}/rounds"
    )
    # both rounds are named R2-5: each link goes to its own committee's page
    hrefs = page.get_by_role("link", name="R2-5", exact=True).evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    assert sorted(hrefs) == sorted(["/rounds/R2-5", f"/c/{SECOND[0]}/rounds/R2-5"])


def test_an_action_under_the_second_committee_changes_its_round_only(
    world: tuple[Services, Services, str], page: Any
) -> None:
    first, second, base = world
    page.goto(f"{base}/c/{SECOND[0]}/rounds")
    assert SECOND[1] in page.locator("header .committee").inner_text()
    assert page.locator("table caption").count() == 1
    page.get_by_role("button", name="開始する").click()
    page.wait_for_url(f"{base}/c/{SECOND[0]}/rounds/R2-5?done=opened")
    # the round page's links stay under the second committee
    for href in page.locator("main a").evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        assert href.startswith(f"/c/{SECOND[0]}/"), href
    assert show_round(second, "R2-5").state == "collecting_questions"
    assert show_round(first, "R2-5").state == "collecting_questions"  # opened at setup
    with db.transaction(first.sessions) as s:
        where = s.scalars(
            select(Committee.key)
            .join(Event, Event.committee_id == Committee.id)
            .where(Event.kind == "round_transition", Event.actor == "staff:sato")
        ).all()
    assert where and set(where) == {SECOND[0]}


def test_an_unknown_committee_is_not_found(
    world: tuple[Services, Services, str], page: Any
) -> None:
    _, _, base = world
    r = page.request.get(f"{base}/c/no-such-committee/rounds", max_redirects=0)
    assert r.status == 404
    assert httpx.get(f"{base}/c/{SECOND[0]}/rounds").status_code == 303  # no session
