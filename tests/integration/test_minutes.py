"""The minutes (会議録) of the seed round from a real database: text, shape, privacy, edits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select

from mailflow.services.context import Services
from mailflow.services.minutes import minutes_view, render_minutes
from mailflow.store import db
from mailflow.store.models import (
    Answer,
    Decision,
    Department,
    Item,
    Member,
    Round,
    RoundAbsence,
)
from tests.harness.seed_round import (
    EXPECTED_MINUTES_MD,
    SEED,
    SeedItem,
    build_seed_round,
    normalise,
    proceedings_part,
    seed_services,
)


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = seed_services(tmp_path / "data")
    build_seed_round(svc)
    yield svc
    svc.engine.dispose()


def all_texts(items: tuple[SeedItem, ...]) -> Iterator[str]:
    for item in items:
        yield item.text
        for a in item.answers:
            yield a.text
        yield from all_texts(item.follow_ups)


def addresses(services: Services) -> list[str]:
    conf = services.config
    found = [a for m in conf.members for a in m.addresses]
    found += [a for d in conf.departments for a in d.addresses]
    return [*found, conf.committee.address, *conf.committee.staff_alerts]


def test_markdown_proceedings_are_the_seeds_word_for_word(services: Services) -> None:
    md = render_minutes(services, "R2-5", "md")
    expected = EXPECTED_MINUTES_MD.read_text(encoding="utf-8")
    assert normalise(proceedings_part(md)) == normalise(expected)
    # every question, opinion and answer of the seed, once, in the seed's order
    flat = normalise(md)
    at = 0
    for text in [*all_texts(SEED["13"]), *all_texts(SEED["14"])]:
        first_line = normalise(text).splitlines()[0]
        found = flat.find(first_line, at)
        assert found >= 0, f"missing or out of order: {first_line[:40]}"
        at = found + len(first_line)


def test_markdown_header_reads_like_the_seed(services: Services) -> None:
    md = render_minutes(services, "R2-5", "md")
    assert md.startswith("# 令和2年度第5回個人情報保護運営審議会 会議録\n")
    for line in (
        "**会議の名称**　令和2年度第5回個人情報保護運営審議会",
        "**開催日時**　※「開催方法の変更について」のとおり",
        "**開催場所**　※「開催方法の変更について」のとおり",
        "**参加委員**　(委員) 青木 和子会長・石田 直樹委員・上野 節夫委員・江藤 春江会長職務代理"
        "・岡田 丈二委員・加藤 勝己委員・木村 久雄委員 (欠席委員) なし",
        "- 令和2年度諮問第13号 子育て応援ギフトセット配布業務委託（子ども保健・給付課）",
        "- 令和2年度諮問第14号 病児保育予約システム使用委託（保育幼稚園課・情報政策課）",
        "① 委員各位は、質疑及び意見を市宛に1月13日（水）までにメールでお送りいただく。",
        "② 市は、1月15日（金）までに回答を返信する。"
        "返信は委員各位からの質疑及び意見を全て一括して全員に送る。",
        "③ 委員各位は、②を受け、さらに意見があれば、1月20日（水）までに"
        "市宛にメールでお送りいただく。",
        "**問い合わせ先**　総務部 総務課 情報公開係 電話番号 042-000-0000（内線0000）"
        " ファックス番号 042-000-0001",
        "**審議期間**　令和3年1月5日（火）から令和3年1月26日（火）まで",
        "- ② 回答：子ども保健・給付課、保育幼稚園課、情報政策課",
        "- ③ 意見への回答：子ども保健・給付課、保育幼稚園課、情報政策課、総務部 総務課 情報公開係",
        "- ④ 答申：青木 和子会長",
    ):
        assert line in md, line
    assert "令和3年1月5日付個人情報保護運営審議会会長通知" in md
    assert "会長は1月27日（水）までに答申内容を市へ返信する。" in md
    # the structure of 会議経過: decision lines, who answered, the conditions, 以上, the note
    assert md.count("諮問どおり行うことを「可」とする。") == 2
    assert "※委員意見及び保育幼稚園課及び情報政策課の回答" in md
    assert md.count("仕様書への追記等指摘事項の実施をお願いし、本件を可とする。") == 2
    assert md.index("\n以上\n") < md.index("※この会議の資料(諮問書など)は")
    assert md.rstrip().endswith("不正侵入されるといったおそれがあるため。")
    # the (1)–(3) demands are nested under the item they follow, each with its answer
    assert "\n- ● (1)「簡易書留郵便等の複写禁止」を仕様書に記載すること。\n  - 簡易書留郵便等" in md


def test_text_and_html_carry_every_item_and_answer(services: Services) -> None:
    txt = render_minutes(services, "R2-5", "txt")
    html = render_minutes(services, "R2-5", "html")
    for text in [*all_texts(SEED["13"]), *all_texts(SEED["14"])]:
        for line in text.splitlines():
            assert line in txt, line[:40]
            assert str(escape(line)) in html, line[:40]
    assert "(情報公開係長)「責任者」の解釈については" in txt
    assert txt.count("●") == html.count(">●<") == 45


def test_html_is_standalone_printable_and_accessible(services: Services) -> None:
    html = render_minutes(services, "R2-5", "html")
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="ja">' in html and '<meta charset="utf-8">' in html
    assert re.search(r"@page\s*\{\s*size:\s*A4", html)
    assert len(re.findall(r"<h1[ >]", html)) == 1
    assert re.findall(r"<h2[^>]*>([^<]+)</h2>", html) == ["会議の概要", "会議経過"]
    assert re.findall(r"<h3[^>]*>([^<]+)</h3>", html) == [
        "令和2年度諮問第13号 子育て応援ギフトセット配布業務委託",
        "令和2年度諮問第14号 病児保育予約システム使用委託",
    ]
    assert html.count('<th scope="row">') == 9
    assert html.count("<ul") == html.count("</ul>") and html.count("<li") == html.count("</li>")
    assert '<ul class="items follow-ups">' in html
    # nothing is fetched from anywhere: no links, scripts, images or remote fonts
    assert not re.search(r"<(link|script|img|iframe)\b|src=|https?://|@import|url\(", html)


def test_no_address_appears_in_any_format(services: Services) -> None:
    for fmt in ("md", "txt", "html"):
        for named in (True, False):
            out = render_minutes(services, "R2-5", fmt, anonymous=not named)
            for address in addresses(services):
                assert address not in out.lower(), (fmt, address)
            assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.-]+", out), fmt


def test_authors_are_anonymous_unless_configured(services: Services, tmp_path: Path) -> None:
    names = [m.name for m in services.config.members]
    anon = proceedings_part(render_minutes(services, "R2-5", "md"))
    assert not any(n in anon for n in names)
    assert "(情報公開係長)「責任者」の解釈" in anon  # the secretariat keeps its label
    # the same database, with a config that publishes the authors' names
    named_services = seed_services(tmp_path / "data", anonymous=False)
    named = proceedings_part(render_minutes(named_services, "R2-5", "md"))
    assert "● (青木 和子会長)諮問書P. 3「5 コンピュータ" in named
    assert "● (石田 直樹委員)諮問書P. 1「1委託理由」" in named
    assert "(情報公開係長)「責任者」の解釈" in named
    named_services.engine.dispose()


def test_published_text_wins_and_only_active_items_appear(services: Services) -> None:
    with db.transaction(services.sessions) as s:
        items = {i.public_id: i for i in s.scalars(select(Item))}
        items["Q13-02"].published_text = "配布予測数と専門職の仕事について伺う。"
        items["Q13-03"].state = "withdrawn"
        items["Q13-04"].state = "held"
        answer = s.scalars(select(Answer).where(Answer.item_id == items["Q13-05"].id)).one()
        answer.published_text = "受領証の追跡番号で確認する。"
    md = render_minutes(services, "R2-5", "md")
    assert "● 配布予測数と専門職の仕事について伺う。" in md
    assert "令和3年度子育て応援ギフトセットの配布予測数はいくつか" not in md
    assert "1, 100件を見込んでいる。" in md  # its answer stays
    assert "市側にも、受託者側との連絡調整責任者を定め" not in md
    assert "受託者への引換券の文書番号及び発行管理番号の連絡は" not in md
    assert "- 受領証の追跡番号で確認する。" in md
    assert "基本的には受領証に記載される追跡番号で確認する" not in md


def test_decision_wording_absence_and_missing_decision(services: Services) -> None:
    with db.transaction(services.sessions) as s:
        rnd = s.scalars(select(Round)).one()
        okada = s.scalars(select(Member).where(Member.key == "okada")).one()
        s.add(RoundAbsence(round_id=rnd.id, member_id=okada.id))
        d13, d14 = s.scalars(select(Decision).order_by(Decision.id)).all()
        d13.verdict, d13.conditions = "reject", None
        d14.state = "superseded"
    view = minutes_view(services, "R2-5")
    assert view.absentees_text == "岡田 丈二委員"
    assert "岡田 丈二" not in view.attendees_text
    p13, p14 = view.proceedings
    assert (
        p13.decision_line
        == "○「子育て応援ギフトセット配布業務委託」について、諮問どおり行うことを「否」とする。"
    )
    assert p13.closing is None
    assert p14.decision_line == "○「病児保育予約システム使用委託」について、答申は確認中である。"
    assert p14.closing is None
    md = render_minutes(services, "R2-5", "md")
    assert "(欠席委員) 岡田 丈二委員" in md


def test_departments_are_named_but_never_addressed(services: Services) -> None:
    with db.transaction(services.sessions) as s:
        names = [d.name for d in s.scalars(select(Department))]
    view = minutes_view(services, "R2-5")
    answered = {n for g in view.responders for n in g.names}
    assert set(names) <= answered


def test_same_minutes_on_postgresql(tmp_path: Path, postgres_schema_url: str) -> None:
    svc = seed_services(tmp_path / "pg", postgres_schema_url)
    try:
        build_seed_round(svc)
        md = render_minutes(svc, "R2-5", "md")
    finally:
        svc.engine.dispose()
    expected = EXPECTED_MINUTES_MD.read_text(encoding="utf-8")
    assert normalise(proceedings_part(md)) == normalise(expected)
