"""Tests for reading departments' answers: under IDs, as an ID list, in order, or as .xlsx."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from mailflow.parsing.answer_sheet import write_answer_sheet
from mailflow.parsing.answers import parse_answers
from mailflow.parsing.attachment_bounds import Refusal
from mailflow.parsing.model import Attachment

FIXTURES = Path(__file__).parents[2] / "fixtures" / "mail" / "items"
FOUR = ("Q13-01", "Q13-02", "Q13-03", "Q13-04")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_answers_written_under_quoted_ids() -> None:
    parsed = parse_answers(fixture("dept-thunderbird-inline-under-quoted-ids.txt"), (), FOUR)
    assert parsed.method == "markers"
    assert [a.item for a in parsed.answers] == list(FOUR)
    assert parsed.unanswered == ()
    first = parsed.answers[0].text
    assert first.startswith("事業者が任意で選択することを想定している。")
    assert first.endswith("仕様書に明記する。")
    assert ">" not in first and "伺う" not in first  # the quoted question stays out
    assert (
        parsed.answers[1].text == "1, 100件を見込んでいる。専門職は、保健師、助産師を指している。"
    )
    # Neither the quoted 「以上」 nor the department's signature is part of the last answer.
    assert parsed.answers[3].text.endswith("都度提供する。")
    assert parsed.confidence == 1.0


def test_an_id_list_on_top_of_an_outlook_thread() -> None:
    parsed = parse_answers(fixture("dept-outlook-id-list-on-top.txt"), (), FOUR)
    assert parsed.method == "id-list"
    assert [a.item for a in parsed.answers] == ["Q13-01", "Q13-02", "Q13-03"]
    assert (
        parsed.answers[1].text == "1, 100件を見込んでいる。専門職は、保健師、助産師を指している。"
    )
    assert "よろしく" not in parsed.answers[2].text
    assert "Original Message" not in parsed.answers[2].text
    assert parsed.unanswered == ("Q13-04",)
    assert parsed.unknown == ("Q14-09",)


def test_labelled_answers_inside_an_unprefixed_outlook_thread() -> None:
    parsed = parse_answers(fixture("dept-outlook-labelled-in-thread.txt"), (), FOUR)
    assert [a.item for a in parsed.answers] == ["Q13-01", "Q13-02", "Q13-04"]
    assert parsed.answers[0].text.startswith("事業者が任意で選択する")
    assert "諮問書" not in parsed.answers[0].text
    assert parsed.unanswered == ("Q13-03",)


def test_answers_in_the_order_of_the_questions_when_no_id_is_written() -> None:
    parsed = parse_answers(fixture("dept-gmail-in-order.txt"), (), FOUR)
    assert parsed.method == "order"
    assert parsed.confidence < 1.0
    assert [a.item for a in parsed.answers] == list(FOUR)
    assert parsed.answers[3].text.startswith("お見込みのとおり")


def test_order_after_a_greeting_and_a_preamble() -> None:
    body = (
        "情報公開係 ご担当者様\n\nお世話になっております。子ども保健・給付課です。\n"
        "ご質問に回答いたします。\n\n（1）一つ目の回答。\n\n（2）二つ目の回答。\n\n"
        "以上、よろしくお願いいたします。\n"
    )
    parsed = parse_answers(body, (), ("Q13-01", "Q13-02"))
    assert parsed.method == "order"
    assert [a.text for a in parsed.answers] == ["一つ目の回答。", "二つ目の回答。"]


def test_order_is_not_guessed_when_the_count_differs() -> None:
    body = "1. 一つ目の回答です。\n2. 二つ目の回答です。\n"
    parsed = parse_answers(body, (), FOUR)
    assert parsed.method == "none"
    assert parsed.answers == ()
    assert parsed.unanswered == FOUR


def test_seed_style_arrow_answers_under_the_quoted_questions() -> None:
    body = (
        "> [Q14-07] インターネット環境を活用できない人や、活用できるが利用を望まない者にも\n"
        "> サービス格差が生じないように十分配慮されたい。\n"
        "\n"
        "→ 市役所窓口で、タブレット端末を利用した利用登録支援や書面による利用登録の受付を"
        "行えるようにする。\n"
        "\n"
        "＞ ［Ｑ１４－０８］諮問書P. 2「4個人情報を取り扱う作業の留意点(2)」について、\n"
        "＞ 市に配置した責任者の名簿等の提出を求めているかがか。\n"
        "\n"
        "→ 取得個人情報取扱責任者の届出を書面で提出させる。\n"
    )
    parsed = parse_answers(body, (), ("Q14-07", "Q14-08"))
    assert [(a.item, a.text[:8]) for a in parsed.answers] == [
        ("Q14-07", "市役所窓口で、タ"),
        ("Q14-08", "取得個人情報取扱"),
    ]


def test_an_id_mentioned_inside_an_answer_is_not_a_marker() -> None:
    body = "[Q13-01] 回答：Q13-02の回答と同じく、仕様書に明記する。\n[Q13-02] 回答：明記する。\n"
    parsed = parse_answers(body, (), ("Q13-01", "Q13-02"))
    assert parsed.answers[0].text == "Q13-02の回答と同じく、仕様書に明記する。"


def test_the_answer_sheet_wins_and_unknown_rows_are_reported() -> None:
    sheet = write_answer_sheet(
        [
            ("Q13-01", "質問", "仕様書に明記する。"),
            ("Q13-02", "質問", ""),
            ("Q99-01", "質問", "別の課の回答"),
        ]
    )
    attachment = Attachment("回答票.xlsx", XLSX, len(sheet), sheet)
    parsed = parse_answers("回答票を添付します。\n", (attachment,), ("Q13-01", "Q13-02"))
    assert parsed.method == "xlsx"
    assert [(a.item, a.text) for a in parsed.answers] == [("Q13-01", "仕様書に明記する。")]
    assert parsed.unanswered == ("Q13-02",)
    assert parsed.unknown == ("Q99-01",)


def test_an_unreadable_sheet_falls_back_to_the_body_and_says_why() -> None:
    attachment = Attachment("回答票.xlsx", XLSX, 4, b"junk")
    parsed = parse_answers("Q13-1：明記する。\n", (attachment,), ("Q13-01",))
    assert parsed.method == "id-list"
    assert parsed.answers[0].text == "明記する。"
    assert [(r.filename, r.reason) for r in parsed.refused] == [
        ("回答票.xlsx", Refusal.NOT_READABLE)
    ]


def test_a_sheet_staff_rearranged_is_still_read() -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["令和2年度第5回 回答票（子ども保健・給付課）"])
    ws.append([])
    ws.append(["回答", "備考", "番号"])
    ws.append(["仕様書に明記する。", "", "Ｑ１３－１"])
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    parsed = parse_answers("", (Attachment("answers.xlsx", XLSX, len(data), data),), ("Q13-01",))
    assert [(a.item, a.text) for a in parsed.answers] == [("Q13-01", "仕様書に明記する。")]


OUTLOOK_THREAD = (
    "-----Original Message-----\n"
    "From: 総務課 情報公開係 <shingikai@example.jp>\n"
    "Sent: Thursday, January 14, 2021 9:00 AM\n"
    "Subject: [R2-5] 質問の回答のお願い\n\n"
    "[Q13-01]\n質問：削除に使うソフトは市が指定するのか。\n回答：\n\n"
    "[Q13-02]\n質問：配布予測数はいくつか。\n回答：\n\n以上\n"
)


def test_an_id_list_closed_by_ijou_leaves_the_name_below_out() -> None:
    body = (
        "お世話になっております。\n\nQ13-01：事業者が任意で選択する。\n"
        "Q13-02：1, 100件を見込んでいる。\n\n以上\n\n子ども保健・給付課 山田\n\n" + OUTLOOK_THREAD
    )
    parsed = parse_answers(body, (), ("Q13-01", "Q13-02"))
    assert parsed.method == "id-list"
    assert [a.text for a in parsed.answers] == [
        "事業者が任意で選択する。",
        "1, 100件を見込んでいる。",
    ]


def test_ijou_inside_a_sentence_does_not_end_the_answer() -> None:
    body = (
        "[Q13-01]\n回答：\n①報告書に使用ソフト名を記載させる。\n②作業担当者名も記載させる。\n"
        "以上2点を仕様書に明記する。\n\n以上\n子ども保健・給付課\n"
    )
    parsed = parse_answers(body, (), ("Q13-01",))
    assert parsed.answers[0].text == (
        "①報告書に使用ソフト名を記載させる。\n②作業担当者名も記載させる。\n"
        "以上2点を仕様書に明記する。"
    )


def test_a_list_closed_by_ijou_inside_one_answer_keeps_the_next_item() -> None:
    body = (
        "[Q13-01]\n回答：下記のとおり。\n・使用ソフト名\n・作業担当者名\n以上\n\n"
        "[Q13-02]\n回答：1, 100件を見込んでいる。\n"
    )
    parsed = parse_answers(body, (), ("Q13-01", "Q13-02"))
    assert [a.text for a in parsed.answers] == [
        "下記のとおり。\n・使用ソフト名\n・作業担当者名",
        "1, 100件を見込んでいる。",
    ]


def test_a_quoted_ijou_is_not_a_closing_for_a_bottom_poster() -> None:
    # Inline under the quoted IDs; the last 「回答：」 sits right above the quoted 以上, so
    # the answer to it is typed at the very bottom.
    body = (
        "2021年1月14日(木) 9:00 総務課 情報公開係 <shingikai@example.jp>:\n"
        "> [Q13-01]\n> 質問：削除に使うソフトは市が指定するのか。\n> 回答：\n\n"
        "事業者が任意で選択する。\n\n"
        "> [Q13-02]\n> 質問：配布予測数はいくつか。\n> 回答：\n>\n> 以上\n\n"
        "1, 100件を見込んでいる。\n"
    )
    parsed = parse_answers(body, (), ("Q13-01", "Q13-02"))
    assert [a.text for a in parsed.answers] == [
        "事業者が任意で選択する。",
        "1, 100件を見込んでいる。",
    ]


def test_the_thread_below_an_outlook_reply_stays_out_of_the_answers() -> None:
    # The original's 以上 and what follows it are the thread, answered or not.
    body = "Q13-01：事業者が任意で選択する。\n\n" + OUTLOOK_THREAD
    parsed = parse_answers(body, (), ("Q13-01", "Q13-02"))
    assert [(a.item, a.text) for a in parsed.answers] == [("Q13-01", "事業者が任意で選択する。")]
    assert parsed.unanswered == ("Q13-02",)


KODOMO = ("子ども保健・給付課",)
INLINE_NO_CLOSING = (
    "お世話になっております。\n\n"
    "> [Q13-01]\n> 質問：削除に使うソフトは市が指定するのか。\n> 回答：\n\n"
    "事業者が任意で選択する。\n\n"
    "> [Q13-02]\n> 質問：配布予測数はいくつか。\n> 回答：\n\n"
    "1, 100件を見込んでいる。\n{closing}\n"
)


@pytest.mark.parametrize(
    "closing",
    [
        "子ども保健・給付課",
        "\n子ども保健・給付課　山田",
        "子ども保健・給付課 担当：山田",
        "\n子ども保健・給付課\n担当 山田\n内線 2317",
    ],
    ids=["name", "name-person", "name-tanto", "name-tanto-extension"],
)
def test_the_departments_name_below_the_last_answer_is_its_signature(closing: str) -> None:
    body = INLINE_NO_CLOSING.format(closing=closing)
    parsed = parse_answers(body, (), ("Q13-01", "Q13-02"), signer_names=KODOMO)
    assert [a.text for a in parsed.answers] == [
        "事業者が任意で選択する。",
        "1, 100件を見込んでいる。",
    ]


def test_without_the_senders_name_a_lone_name_line_stays_in_the_answer() -> None:
    body = INLINE_NO_CLOSING.format(closing="子ども保健・給付課 担当：山田")
    parsed = parse_answers(body, (), ("Q13-01", "Q13-02"))
    assert parsed.answers[1].text == "1, 100件を見込んでいる。\n子ども保健・給付課 担当：山田"


def test_a_sentence_naming_the_department_stays_in_the_answer() -> None:
    body = INLINE_NO_CLOSING.format(closing="詳細は、\n子ども保健・給付課で対応します。")
    parsed = parse_answers(body, (), ("Q13-01", "Q13-02"), signer_names=KODOMO)
    assert parsed.answers[1].text == (
        "1, 100件を見込んでいる。\n詳細は、\n子ども保健・給付課で対応します。"
    )


def test_answers_in_order_leave_the_departments_name_out() -> None:
    body = "（1）一つ目の回答。\n\n（2）二つ目の回答。\n\n子ども保健・給付課　山田\n"
    parsed = parse_answers(body, (), ("Q13-01", "Q13-02"), signer_names=KODOMO)
    assert parsed.method == "order"
    assert [a.text for a in parsed.answers] == ["一つ目の回答。", "二つ目の回答。"]
