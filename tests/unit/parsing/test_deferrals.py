"""A department's 「確認中のため後日回答」 is a promise, not an answer; 「追加で」 adds."""

from __future__ import annotations

import pytest

from mailflow.parsing.answers import parse_answers
from mailflow.parsing.deferrals import adds_to_earlier, deferred_in, is_deferral

THREE = ("Q7-01", "Q7-02", "Q7-03")


@pytest.mark.parametrize(
    "text",
    [
        "（委託先に照会中のため、後日回答します）",
        "現在確認中です。",
        "所管部署と調整中のため、追ってご回答いたします。",
        "回答は後日とさせてください。",
        "検討中",
        "Ｑ７－０２と同様、確認が取れ次第ご連絡します。",
        "ただいま委託先に問い合わせております。判明しましたらお知らせします。",
        "この点は次回の審議会までに報告いたします。",
        "ご回答まで、今しばらくお待ちください。",
        "恐れ入りますが、もう少しお時間をいただけますでしょうか。",
        "回答は次の機会へ持ち越させてください。",
    ],
)
def test_deferrals(text: str) -> None:
    assert is_deferral(text)


@pytest.mark.parametrize(
    "text",
    [
        # An answer that says part of it is still being looked at is an answer.
        "アンケート用紙は集計後に溶解処分します。保存期間については現在検討しています。",
        "集計は委託先が行い、結果は12月に公表する予定です。",
        "確認のうえ、契約書に反映します。",
        "",
    ],
)
def test_answers_that_mention_pending_work_are_answers(text: str) -> None:
    assert not is_deferral(text)


def test_a_deferral_under_the_question_leaves_the_item_unanswered() -> None:
    body = (
        "公園緑地課です。回答します。\n\n"
        "[Q7-01]\n質問：回答票の保存期間は。\n回答：集計後3か月で溶解処分します。\n\n"
        "[Q7-02]\n質問：集計の委託先は。\n回答：\n（入札前のため、確定しだい後日回答します）\n\n"
        "[Q7-03]\n質問：自由記述欄の扱いは。\n回答：個人が特定される記述は公表しません。\n"
    )
    parsed = parse_answers(body, (), THREE)
    assert [a.item for a in parsed.answers] == ["Q7-01", "Q7-03"]
    assert parsed.unanswered == ("Q7-02",)
    assert parsed.deferred == ("Q7-02",)


def test_a_deferral_in_the_covering_text_names_its_items() -> None:
    body = (
        "いつもお世話になっております。公園緑地課の森です。\n"
        "回答を下に記入しました。なお、Q7-02とQ7-03は所管と調整中のため、後日お送りします。\n\n"
        "> [Q7-01]\n> 質問：回答票の保存期間は。\n> 回答：\n集計後3か月で溶解処分します。\n"
        "> [Q7-02]\n> 質問：集計の委託先は。\n> 回答：\n"
        "> [Q7-03]\n> 質問：自由記述欄の扱いは。\n> 回答：\n"
    )
    parsed = parse_answers(body, (), THREE)
    assert [a.item for a in parsed.answers] == ["Q7-01"]
    assert parsed.deferred == ("Q7-02", "Q7-03")
    assert deferred_in("Q7-01については回答済みです。", ("7",)) == ()


def test_a_reference_to_another_answer_inside_an_answer_is_no_marker() -> None:
    body = (
        "[Q7-01]\n回答：集計後3か月で溶解処分します。\n\n"
        "[Q7-02]\n回答：委託先は入札で決めます\n（Q7-01の回答もご参照ください）。\n\n"
        "[Q7-03]\n回答：\nQ7-01の回答のとおり、集計後に処分します。\n"
    )
    parsed = parse_answers(body, (), THREE)
    texts = {a.item: a.text for a in parsed.answers}
    assert texts["Q7-01"] == "集計後3か月で溶解処分します。"
    assert "ご参照ください" in texts["Q7-02"]
    assert texts["Q7-03"].startswith("Q7-01の回答のとおり")


def test_an_answer_that_adds_says_so() -> None:
    assert adds_to_earlier("追加で回答します。委託先は市内業者に限ります。")
    assert adds_to_earlier("【補足】保存期間は3か月です。")
    assert not adds_to_earlier("保存期間は、先の回答を改め6か月とします。")
    parsed = parse_answers("[Q7-01]\n回答：補足です。溶解処分は業者が立ち会います。\n", (), THREE)
    assert parsed.answers[0].adds


def test_numbered_ids_and_an_id_followed_by_wa() -> None:
    body = (
        "公園緑地課から回答します。\n"
        "(1) Q7-01：回答票は集計後に溶解します。\n"
        "2. Q7-02は、現在委託候補と調整しております。分かり次第ご連絡します。\n"
        "③ Q7-03 自由記述は要約して公表します。\n"
    )
    parsed = parse_answers(body, (), THREE)
    assert [(a.item, a.text) for a in parsed.answers] == [
        ("Q7-01", "回答票は集計後に溶解します。"),
        ("Q7-03", "自由記述は要約して公表します。"),
    ]
    assert parsed.deferred == ("Q7-02",)
