"""The department's receipt: answers read, answers still owed, IDs that are not items."""

from zoneinfo import ZoneInfo

import pytest

from mailflow.outbound.render import render_mail
from mailflow.outbound.views import AnswerReceipt, Recipient
from tests.unit.outbound.seed_views import COMMITTEE, ROUND

TZ = ZoneInfo("Asia/Tokyo")


def view(**kw: tuple[str, ...]) -> AnswerReceipt:
    base = dict(answered=("Q13-01", "Q13-02"), unanswered=("Q13-03",), unknown=("Q13-30",))
    base.update(kw)
    return AnswerReceipt(Recipient("子ども保健・給付課", department=True), COMMITTEE, ROUND, **base)


def test_japanese() -> None:
    mail = render_mail(view(), "ja", TZ)
    assert mail.subject == "[R2-5] ご回答を受け付けました（2件）"
    text = mail.text
    assert text.startswith("子ども保健・給付課 ご担当者様")
    assert "・[Q13-01]\n・[Q13-02]" in text
    assert "まだ届いておりません。\n1月15日（金）までにお送りください。\n・[Q13-03]" in text
    assert "今回の質疑にありません" in text and "・[Q13-30]" in text
    assert "@" not in text


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_nothing_read_says_so_and_nothing_owed_says_nothing(lang: str) -> None:
    text = render_mail(view(answered=(), unanswered=(), unknown=()), lang, TZ).text
    assert "・[Q13" not in text and "- [Q13" not in text
    assert ("読み取ることができませんでした" if lang == "ja" else "could not read") in text


def test_english() -> None:
    mail = render_mail(view(), "en", TZ)
    assert mail.subject == "[R2-5] Your answers were received (2)"
    assert "- [Q13-03]" in mail.text and "- [Q13-30]" in mail.text


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("ja", "・回答票.xlsx：展開後の大きさが上限を超えています"),
        ("en", "- 回答票.xlsx: it unpacks to more than allowed"),
    ],
)
def test_a_refused_sheet_is_named_with_why(lang: str, words: str) -> None:
    refused = (("回答票.xlsx", "unpacks_too_large"),)
    text = render_mail(
        AnswerReceipt(
            Recipient("子ども保健・給付課", department=True), COMMITTEE, ROUND,
            (), ("Q13-01",), (), refused,
        ),
        lang,
        TZ,
    ).text  # fmt: skip
    assert words in text
