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
    assert set(member) == COMMON | {"empty_reply", "items"}
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
