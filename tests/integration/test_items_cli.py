"""`mailflow item show|edit|accept|reject` on the seed round in a real database, audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from mailflow.cli import _register
from mailflow.cli.app import cli
from mailflow.services.context import Services
from mailflow.services.minutes import render_minutes
from mailflow.store import db
from mailflow.store.models import Event, Item
from tests.harness.seed_round import COMMITTEE_FILE, build_seed_round, seed_services

_register()


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    monkeypatch.setenv("MAILFLOW_STAFF", "narumi")


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = seed_services(tmp_path / "data")
    build_seed_round(svc)
    path = tmp_path / "committee.toml"
    text = COMMITTEE_FILE.read_text(encoding="utf-8")
    path.write_text(text.replace('data_dir = "../data/example"', 'data_dir = "data"'), "utf-8")
    yield svc
    svc.engine.dispose()


def run(tmp_path: Path, *args: str) -> Result:
    conf = tmp_path / "committee.toml"
    return CliRunner().invoke(
        cli, ["--config", str(conf), "--now", "2021-01-28T10:00:00+09:00", *args]
    )


def item(services: Services, public_id: str) -> Item:
    with db.transaction(services.sessions) as s:
        row = s.scalars(select(Item).where(Item.public_id == public_id)).one()
        s.expunge(row)
        return row


def events(services: Services, kind: str) -> list[Event]:
    with db.transaction(services.sessions) as s:
        rows = list(s.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))
        for r in rows:
            s.expunge(r)
        return rows


def hold(services: Services, *public_ids: str) -> None:
    with db.transaction(services.sessions) as s:
        for row in s.scalars(select(Item).where(Item.public_id.in_(public_ids))):
            row.state, row.late = "held", True


def test_show_prints_both_wordings_and_answers(services: Services, tmp_path: Path) -> None:
    r = run(tmp_path, "item", "show", "Q13-18")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("Q13-18  R2-5  令和2年度諮問第13号")
    assert "active  question  phase 3" in r.stdout
    assert "諮問書P. 2「4(2)責任者の配置」は「市との連絡調整を行う責任者を設置する」" in r.stdout
    assert "answer (子ども保健・給付課):" in r.stdout and "answer (情報公開係長):" in r.stdout
    assert "@" not in r.stdout
    r = run(tmp_path, "item", "show", "Ｑ１３－２６")  # full-width, as members type it
    assert r.exit_code == 0 and "follows: Q13-25" in r.stdout


def test_edit_sets_the_published_wording_and_audits_old_and_new(
    services: Services, tmp_path: Path
) -> None:
    original = item(services, "Q13-02").text
    r = run(
        tmp_path,
        "item",
        "edit",
        "Q13-02",
        "--text",
        "令和3年度の配布予測数と専門職の仕事を伺う。",
        "--why",
        "誤字の修正",
    )
    assert r.exit_code == 0, r.output
    assert "Q13-02: published wording set (original kept)" in r.stdout
    row = item(services, "Q13-02")
    assert row.text == original  # the original is never overwritten
    assert row.published_text == "令和3年度の配布予測数と専門職の仕事を伺う。"
    assert row.staff_edited
    md = render_minutes(services, "R2-5", "md")
    assert "● 令和3年度の配布予測数と専門職の仕事を伺う。" in md and original not in md
    # a second edit from a file: the audit log holds each step, old and new
    wording = tmp_path / "wording.txt"
    wording.write_text("配布予測数について伺う。\n", encoding="utf-8")
    r = run(tmp_path, "item", "edit", "Q13-02", "--file", str(wording), "--why", "簡潔に")
    assert r.exit_code == 0, r.output
    edits = events(services, "item_edited")
    assert [(e.detail["old"], e.detail["new"], e.reason) for e in edits] == [
        (original, "令和3年度の配布予測数と専門職の仕事を伺う。", "誤字の修正"),
        ("令和3年度の配布予測数と専門職の仕事を伺う。", "配布予測数について伺う。", "簡潔に"),
    ]
    assert all(e.detail["original"] == original and e.actor == "staff:narumi" for e in edits)
    assert edits[0].at.isoformat() == "2021-01-28T01:00:00+00:00"


def test_edit_refuses_bad_input(services: Services, tmp_path: Path) -> None:
    r = run(tmp_path, "item", "edit", "Q13-02", "--why", "x")
    assert r.exit_code == 2 and "exactly one of --text or --file" in r.stderr
    r = run(tmp_path, "item", "edit", "Q13-02", "--text", "  ", "--why", "x")
    assert r.exit_code == 2 and "empty" in r.stderr
    r = run(tmp_path, "item", "edit", "Q13-02", "--text", "新しい文")
    assert r.exit_code == 2 and "--why" in r.output
    r = run(tmp_path, "item", "edit", "Q13-99", "--text", "x", "--why", "x")
    assert r.exit_code == 2 and "no item Q13-99" in r.stderr
    r = run(tmp_path, "item", "show", "question two")
    assert r.exit_code == 2 and "neither an item ID" in r.stderr
    assert not item(services, "Q13-02").staff_edited and events(services, "item_edited") == []


def test_accept_and_reject_held_late_items(services: Services, tmp_path: Path) -> None:
    hold(services, "Q14-14", "Q14-15")
    md = render_minutes(services, "R2-5", "md")
    assert "第三者認証にはどのようなものを予定" not in md  # held items are not published
    r = run(tmp_path, "item", "accept", "Q14-14", "--why", "締切当日の夜に到着")
    assert r.exit_code == 0, r.output
    assert "Q14-14: accepted (held → active)" in r.stdout
    r = run(tmp_path, "item", "reject", "Q14-15", "--why", "期限後の重複投稿")
    assert r.exit_code == 0, r.output
    assert item(services, "Q14-14").state == "active"
    assert item(services, "Q14-15").state == "rejected"
    md = render_minutes(services, "R2-5", "md")
    assert "「情報セキュリティ事象の記録(ログ等)」は、定期的に報告" in md
    assert "第三者認証にはどのようなものを予定" not in md
    accepted, rejected = events(services, "item_accepted"), events(services, "item_rejected")
    assert [(e.detail["item"], e.detail["old"], e.detail["new"]) for e in accepted] == [
        ("Q14-14", "held", "active")
    ]
    assert rejected[0].reason == "期限後の重複投稿" and rejected[0].detail["late"] is True
    # only held items can be decided, and a rejection needs its reason
    r = run(tmp_path, "item", "accept", "Q14-14")
    assert r.exit_code == 2 and "Q14-14 is active, not held" in r.stderr
    r = run(tmp_path, "item", "reject", "Q14-15", "--why", "again")
    assert r.exit_code == 2 and "is rejected, not held" in r.stderr
    hold(services, "Q14-13")
    r = run(tmp_path, "item", "reject", "Q14-13")
    assert r.exit_code == 2 and item(services, "Q14-13").state == "held"


def test_staff_record_an_answer_from_the_secretariat(services: Services, tmp_path: Path) -> None:
    text = "（確認中の点は、次回の審議会で報告する。）"
    r = run(tmp_path, "item", "answer", "Q13-01", "--text", text, "--by", "secretariat",
            "--label", "情報公開係長", "--why", "電話で回答を受けた")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "answer recorded" in r.stdout
    md = render_minutes(services, "R2-5", "md")
    assert f"(情報公開係長){text}" in md.replace(" ", "") or f"(情報公開係長) {text}" in md
    [ev] = events(services, "answer_added")
    assert ev.actor == "staff:narumi" and ev.detail["by"] == "secretariat"
    r = run(tmp_path, "item", "answer", "Q13-01", "--text", "x", "--by", "somuka")
    assert r.exit_code == 2 and "'somuka' is no department id" in r.stderr
