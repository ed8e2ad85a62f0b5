"""parse_mail composes decode → new text → the role's parser; report() gives the JSON shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailflow.domain import ConsultationRef, Verdict
from mailflow.parsing.pipeline import parse_mail, parse_text
from mailflow.parsing.report import report, to_json

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "mail" / "corpus"
REFS = (
    ConsultationRef("13", "令和2年度諮問第13号", "子育て応援ギフトセット配布業務委託"),
    ConsultationRef("14", "令和2年度諮問第14号", "病児保育予約システム使用委託"),
)
COMMON = {"role", "charset", "subject", "from", "attachments", "new_text"}


def raw(name: str) -> bytes:
    return (CORPUS / f"{name}.eml").read_bytes()


def test_member_reply_in_iso_2022_jp_through_the_reply_form() -> None:
    # SoftBank mail: 7-bit ISO-2022-JP, the call mail quoted with "> " and no header line.
    result = parse_mail(raw("softbank-iso2022jp-115-form-filled-2"), REFS)
    assert result.role == "member"
    assert result.answers is None and result.decisions is None
    assert result.reply is not None and not result.reply.empty_reply
    assert {i.consultation for i in result.reply.items} == {"13", "14"}
    assert "返信用フォーム" not in result.new_text
    assert result.decoded.charset.lower().replace("_", "-").startswith("iso-2022-jp")


def test_empty_reply_counts_as_responded() -> None:
    result = parse_mail(raw("thunderbird-utf8-122-empty-01"), REFS)
    assert result.reply is not None
    assert result.reply.empty_reply and result.reply.items == ()


def test_department_gets_answers_from_the_whole_body() -> None:
    # Inline answers sit between quoted question lines: only the full body has the markers.
    ids = ("Q13-13", "Q13-14", "Q13-15", "Q13-16", "Q13-17", "Q13-18")
    result = parse_mail(
        raw("outlook-utf8-173-dept-inline-q13-13to18"),
        REFS[:1],
        role="department",
        expected_ids=ids,
    )
    assert result.reply is None and result.answers is not None
    assert [a.item for a in result.answers.answers] == list(ids)
    assert result.answers.unanswered == ()


def test_chair_decisions_are_strict() -> None:
    result = parse_mail(raw("iphone-utf8-197-chair-bare-agree"), REFS, role="chair")
    assert result.decisions is not None
    assert [d.verdict for d in result.decisions] == [Verdict.UNCLEAR, Verdict.UNCLEAR]


def test_unknown_role_is_refused() -> None:
    decoded = parse_mail(raw("thunderbird-utf8-122-empty-01"), REFS).decoded
    with pytest.raises(ValueError, match="unknown role"):
        parse_text("特になし", decoded, REFS, role="secretary")  # type: ignore[arg-type]


def test_report_shape_per_role() -> None:
    member = report(parse_mail(raw("gmail-utf8-104-both-14first-0"), REFS))
    assert set(member) == COMMON | {"empty_reply", "items", "documents"}
    assert set(member["items"][0]) == {
        "consultation",
        "kind",
        "text",
        "reference",
        "follows",
        "confidence",
        "reason",
    }
    dept = report(
        parse_mail(
            raw("owa-utf8-167-dept-xlsx-q13-01to06"),
            REFS,
            role="department",
            expected_ids=("Q13-01",),
        )
    )
    assert set(dept) == COMMON | {"answers", "unanswered", "answer_method"}
    assert dept["attachments"][0]["filename"] == "回答_諮問第13号.xlsx"
    chair = report(
        parse_mail(raw("outlook-iso2022jp-193-chair-seed-both-conditions"), REFS, role="chair")
    )
    assert set(chair) == COMMON | {"decisions"}
    assert set(chair["decisions"][0]) == {"consultation", "verdict", "conditions"}


def test_to_json_keeps_japanese_readable_and_round_trips() -> None:
    parsed = parse_mail(raw("gmail-utf8-104-both-14first-0"), REFS)
    text = to_json(parsed)
    assert "病児保育" in text and "\\u" not in text
    assert json.loads(text) == report(parsed)


def _outlook_reply(top: str, thread: str) -> bytes:
    from email.message import EmailMessage
    from email.policy import SMTP

    msg = EmailMessage(policy=SMTP)
    msg["From"] = "会長 <chair@example.jp>"
    msg["To"] = "shingikai@city.example"
    msg["Subject"] = "RE: [R2-5] 答申のお願い"
    msg.set_content(f"{top}\n\n________________________________\n{thread}", charset="utf-8")
    return msg.as_bytes()


def test_chair_types_the_verdicts_into_the_quoted_form() -> None:
    thread = (
        "差出人: 事務局 <shingikai@city.example>\n"
        "送信日時: 2021年1月21日 10:00\n"
        "件名: [R2-5] 答申のお願い\n\n"
        "各諮問案件について、「：」の後に次のいずれかをお書きください。\n"
        "記入例）諮問第○号：条件付き可（条件：仕様書への追記）\n\n"
        "――― 答申欄（この下にご記入のうえ、そのままご返信ください） ―――\n"
        "諮問第13号：否\n"
        "諮問第14号：条件付き可（条件：予約データの保存期間を定めること）\n"
        "――― 答申欄ここまで ―――\n"
    )
    result = parse_mail(
        _outlook_reply("事務局 御中\n\n下の答申欄に書き込みました。", thread), REFS, role="chair"
    )
    assert result.decisions is not None
    assert [(d.verdict, d.conditions) for d in result.decisions] == [
        (Verdict.REJECT, None),
        (Verdict.APPROVE_WITH_CONDITIONS, "予約データの保存期間を定めること"),
    ]


def test_an_untouched_quoted_form_decides_nothing() -> None:
    thread = (
        "差出人: 事務局 <shingikai@city.example>\n"
        "件名: [R2-5] 答申のお願い\n\n"
        "――― 答申欄（この下にご記入のうえ、そのままご返信ください） ―――\n"
        "諮問第13号：\n諮問第14号：\n"
        "――― 答申欄ここまで ―――\n"
    )
    result = parse_mail(_outlook_reply("どちらも可とします。", thread), REFS, role="chair")
    assert result.decisions is not None
    assert [d.verdict for d in result.decisions] == [Verdict.APPROVE, Verdict.APPROVE]
    alone = parse_mail(_outlook_reply("内容を確認しました。", thread), REFS, role="chair")
    assert alone.decisions is not None
    assert [d.verdict for d in alone.decisions] == [Verdict.UNCLEAR, Verdict.UNCLEAR]
