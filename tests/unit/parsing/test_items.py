"""Tests for splitting members' replies into items, on the seed's real questions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailflow.domain import ConsultationRef, ItemKind
from mailflow.parsing.items import split_items, split_reply
from mailflow.parsing.kinds import is_closing_line
from mailflow.parsing.reply_form import render_reply_form

FIXTURES = Path(__file__).parents[2] / "fixtures" / "mail" / "items"
SEED = json.loads((FIXTURES / "seed-questions.json").read_text(encoding="utf-8"))
GIFT = ConsultationRef("13", "令和2年度諮問第13号", "子育て応援ギフトセット配布業務委託")
SICK = ConsultationRef("14", "令和2年度諮問第14号", "病児保育予約システム使用委託")
BOTH = (GIFT, SICK)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "key"),
    [("outlook-13-seed-questions.txt", "13"), ("gmail-14-seed-questions.txt", "14")],
)
def test_every_seed_question_is_one_item_with_its_consultation_kind_and_reference(
    name: str, key: str
) -> None:
    reply = split_reply(fixture(name), BOTH)
    expected = SEED[key]
    assert not reply.empty_reply
    assert len(reply.items) == len(expected)
    for item, (text, kind, reference) in zip(reply.items, expected, strict=True):
        # The Outlook fixture is hard-wrapped at 70 columns: the item keeps the newlines.
        assert item.text.replace("\n", "") == text
        assert item.consultation == key
        assert item.kind is ItemKind(kind), text
        assert item.reference == reference, text
        assert item.confidence >= 0.9


def test_wrapped_items_keep_their_original_characters() -> None:
    text = fixture("outlook-13-seed-questions.txt")
    reply = split_reply(text, BOTH)
    assert all(item.text in text for item in reply.items)
    assert "（4）" in reply.items[0].text  # full width kept for the minutes
    assert "\n" in reply.items[0].text


def test_further_opinions_keep_numbered_demands_and_their_run_on_paragraph() -> None:
    reply = split_reply(fixture("thunderbird-13-further-opinions.txt"), BOTH)
    texts = [item.text for item in reply.items]
    assert len(texts) == 7
    assert texts[0].startswith("これまで複数の委員より")
    assert texts[0].endswith("仕様書への追記等を求める。")
    assert texts[1] == "(1)「簡易書留郵便等の複写禁止」を仕様書に記載すること。"
    assert texts[2].startswith("(2)「情報バックアップ体制の注意")
    assert texts[3].startswith("(3)印刷ミスや")
    assert texts[3].endswith("\n\n記録と報告は責任者に行わせること。")
    assert [item.follows for item in reply.items] == [
        None,
        None,
        None,
        None,
        "Q13-01",
        "Q13-03",
        "previous",
    ]
    assert {item.kind for item in reply.items} == {ItemKind.REQUEST}
    assert {item.consultation for item in reply.items} == {"13"}
    assert all("岡田" not in t for t in texts)


def test_reply_form_placeholders_and_rules_are_not_items() -> None:
    reply = split_reply(fixture("form-13-filled-14-untouched.txt"), BOTH)
    assert [(i.consultation, i.text) for i in reply.items] == [
        ("13", SEED["13"][6][0]),
        ("13", SEED["13"][11][0]),
    ]
    assert not reply.empty_reply


def test_an_untouched_form_is_not_an_empty_reply_nor_items() -> None:
    reply = split_reply(render_reply_form(BOTH), BOTH)
    assert reply.items == ()
    assert not reply.empty_reply


def test_nothing_to_ask_with_greetings_and_name_is_an_empty_reply() -> None:
    reply = split_reply(fixture("iphone-nothing.txt"), BOTH)
    assert reply.empty_reply
    assert reply.items == ()


@pytest.mark.parametrize(
    "text",
    [
        "特になし",
        "特にありません。",
        "質問はありません。\n\n山田",
        "お世話になっております。\n意見なし\nよろしくお願いします。",
        "質問・意見ともにありません。",
        "ございません。",
        "異議ありません。",
        "13号、14号ともに特にありません。",
        "特段の質問、意見はございません。",
        "両案件とも、特に意見はありません。",
        "事務局 御中\n\nいつもお世話になっております。委員の山田です。\n"
        "今回は、特に質問・意見はございません。\n以上、よろしくお願いいたします。\n山田太郎",
    ],
)
def test_nothing_replies(text: str) -> None:
    reply = split_reply(text, BOTH)
    assert reply.empty_reply, text
    assert reply.items == ()


def test_a_greeting_with_the_name_on_one_line_is_not_an_item() -> None:
    text = "お世話になっております。山田です。\n\n●不定期とは、退任時を含むと考えて良いか。\n"
    reply = split_reply(text, (GIFT,))
    assert [i.text for i in reply.items] == ["不定期とは、退任時を含むと考えて良いか。"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("利用率を教えてください。", ItemKind.QUESTION),
        (
            "定期的に報告してもらう予定があるか。格別の事象がないなら「ない」という報告も含めて。",
            ItemKind.QUESTION,
        ),
        ("仕様書に記載してください。", ItemKind.REQUEST),
        ("鍵の管理者名を届け出してもらうよう提案する。", ItemKind.REQUEST),
        ("ミス紙の取り扱いの明文化も必要だと思う。", ItemKind.OPINION),
        ("十分慎重に扱ってほしい。", ItemKind.REQUEST),
    ],
)
def test_kinds(text: str, kind: ItemKind) -> None:
    assert split_reply(text, (GIFT,)).items[0].kind is kind


@pytest.mark.parametrize(
    ("line", "closing"),
    [
        ("以上", True),
        ("以 上", True),
        ("以上です。", True),
        ("以上、よろしくお願いいたします。", True),
        ("よろしくお願いします。以上", True),
        ("以上3点を仕様書に明記する。", False),
        ("以上の理由から、委託は適当である。", False),
        ("よろしくお願いいたします。", False),
        ("> 以上", False),
    ],
)
def test_closing_lines(line: str, closing: bool) -> None:
    assert is_closing_line(line) is closing


def test_one_section_with_nothing_and_one_with_a_question() -> None:
    text = (
        "13号：特になし\n14号：受託者に要求する第三者認証にはどのようなものを予定しているのか。\n"
    )
    reply = split_reply(text, BOTH)
    assert not reply.empty_reply
    assert [(i.consultation, i.kind) for i in reply.items] == [("14", ItemKind.QUESTION)]


def test_paragraphs_without_marker_over_two_consultations() -> None:
    reply = split_reply(fixture("docomo-no-marker-paragraphs.txt"), BOTH)
    placed = [(i.consultation, i.reason) for i in reply.items]
    assert placed[0] == ("13", "consultation guessed from title words")
    assert placed[1][0] == "14"
    assert placed[2] == (None, "no consultation named")
    # Split by paragraph and guessed: both lower the confidence.
    assert reply.items[0].confidence < 0.6
    assert reply.items[2].confidence < reply.items[1].confidence < 0.9


def test_one_consultation_round_owns_every_unmarked_item() -> None:
    text = "・本件を委託できる事業者は、何社くらいあるのか\n・利用登録はあらかじめ必要か。\n"
    reply = split_reply(text, (SICK,))
    assert [(i.consultation, i.confidence) for i in reply.items] == [("14", 0.9), ("14", 0.9)]


def test_an_id_names_the_consultation_when_no_section_does() -> None:
    text = "・Q14-2について、3社の比較結果も教えてください。\n・ほかに意見があります。\n"
    reply = split_reply(text, BOTH)
    assert reply.items[0].consultation == "14"
    assert reply.items[0].follows == "Q14-02"
    assert reply.items[0].kind is ItemKind.QUESTION
    assert reply.items[1].consultation is None


def test_unknown_consultation_heading_is_kept_with_a_reason() -> None:
    reply = split_reply("第15号について\n・これは何か。\n", BOTH)
    assert reply.items[0].consultation is None
    assert reply.items[0].reason == "unknown consultation 15"


def test_a_wrapped_middle_dot_continues_the_item() -> None:
    text = (
        "●諮問書P. 3「5 コンピュータ・記録媒体の利用、外部接続の有無（4）」のコンピュータ\n"
        "・記録媒体の利用について伺う。\n"
        "・次の質問です。ログの保存期間は何年か。\n"
    )
    spans = split_items(text)
    assert len(spans) == 2
    assert spans[0].text.endswith("利用について伺う。")


def test_numbers_of_every_width_start_items() -> None:
    text = (
        "１．一つ目の質問か。\n2) 二つ目か。\n（３）三つ目か。\n"
        "④四つ目か。\n問5 五つ目か。\nQ6. 六つ目か。\n"
    )
    spans = split_items(text)
    assert [s.text for s in spans] == [
        "一つ目の質問か。",
        "二つ目か。",
        "（３）三つ目か。",
        "④四つ目か。",
        "五つ目か。",
        "六つ目か。",
    ]


# --- the verbatim contract -------------------------------------------------------------

# Items start with a letter and hold no brackets and no 「1、」, so that no wrapped line of
# them can itself look like a marker such as 「1.」, 「(1)」 or 「1、」.
_WORD = st.text(alphabet=st.sampled_from(list("あいうえお漢字カナＡＢ１２３、「」")), max_size=12)
_ITEM = (
    st.lists(_WORD, min_size=1, max_size=4)
    .map(lambda w: "あ" + "。".join(w) + "か。")
    .filter(lambda item: re.search("[１２３]、", item) is None)
)
_BULLETS = st.sampled_from(["●", "・", "◆", "- ", "＊", "1. ", "１．", "問1 ", "Q2 ", "  ・ "])


@given(st.lists(st.tuples(_BULLETS, _ITEM, st.integers(0, 3)), min_size=1, max_size=6))
def test_items_are_ordered_slices_and_only_markers_lie_between(
    rows: list[tuple[str, str, int]],
) -> None:
    """Gap 0 + item 0 + gap 1 + item 1 + … + last gap == the text, gaps being markers/space."""
    lines = []
    for bullet, item, wrap_at in rows:
        cut = min(wrap_at * 5, len(item) - 1) if wrap_at else 0
        lines.append(bullet + (item[:cut] + "\n" + item[cut:] if cut else item))
    text = "\n".join(lines) + "\n"
    spans = split_items(text)
    assert [s.text.replace("\n", "") for s in spans] == [item for _, item, _ in rows]
    rebuilt, pos = [], 0
    for span in spans:
        gap = text[pos : span.start]
        assert gap.strip(" \n●・◆-＊*1.．１問QＱ2") == "", gap
        rebuilt += [gap, span.text]
        pos = span.end
    assert text[pos:].strip() == ""
    assert "".join(rebuilt) + text[pos:] == text


@given(st.lists(_ITEM, min_size=1, max_size=5))
def test_paragraphs_are_items_when_no_bullet_is_used(paragraphs: list[str]) -> None:
    text = "\n\n".join(paragraphs)
    spans = split_items(text)
    assert [s.text for s in spans] == paragraphs
    assert {s.by for s in spans} == {"paragraph"}


_MAIL_TEXT = st.text(
    alphabet=st.sampled_from(
        list("●・①(1)１．問Q13-号第諮【】■特になし以上お世話ですか。、？\n 　あ漢")
    )
    | st.characters(),
    max_size=300,
)


@given(_MAIL_TEXT)
def test_any_text_splits_into_verbatim_items_without_failing(text: str) -> None:
    reply = split_reply(text, BOTH)
    assert all(item.text and item.text in text for item in reply.items)
    assert all(0.0 <= item.confidence <= 1.0 for item in reply.items)
    assert not (reply.empty_reply and reply.items)


@pytest.mark.parametrize(
    "closing", ["委員：石田直樹", "石田 直樹", "委員 石田直樹", "石田委員 (Tel 090-1234-5678)"]
)
def test_the_members_own_name_below_the_last_item_is_no_part_of_it(closing: str) -> None:
    text = f"・配布数の根拠を示されたい。\n・個人情報の扱いについて伺いたい。\n{closing}\n"
    # As intake passes them: the registered name and the surname.
    reply = split_reply(text, (GIFT,), signer_names=("石田 直樹", "石田"))
    assert [i.text for i in reply.items] == [
        "配布数の根拠を示されたい。",
        "個人情報の扱いについて伺いたい。",
    ]


def test_without_the_members_name_a_titled_name_line_stays_in_the_last_item() -> None:
    text = "・配布数の根拠を示されたい。\n委員：石田直樹\n"
    assert split_reply(text, (GIFT,)).items[0].text == "配布数の根拠を示されたい。\n委員：石田直樹"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A last line without 。 directly under the text is content, not a signature.
        ("諮問第13号について\n・委託先の監督を徹底されたい。\n反対\n",
         ["委託先の監督を徹底されたい。\n反対"]),
        ("諮問第13号について\n委託先の監督を徹底されたい。\n\n諮問第14号について\n賛成です\n",
         ["委託先の監督を徹底されたい。", "賛成です"]),
        ("諮問第14号について\n石田直樹としては反対\n\n石田\n", ["石田直樹としては反対"]),
        ("13号\n引換券の有効期限はありますか\n", ["引換券の有効期限はありますか"]),
        # A name standing apart from the text, or under a finished sentence, is not.
        ("諮問第13号について\n委託先の監督を徹底されたい。\n石田\n",
         ["委託先の監督を徹底されたい。"]),
        ("諮問第13号について\n委託先の監督を徹底されたい。\n\n委員 石田直樹\n",
         ["委託先の監督を徹底されたい。"]),
        ("諮問第13号について\n委託先の監督を徹底されたい\nよろしくお願いします\n石田\n",
         ["委託先の監督を徹底されたい"]),
    ],
)  # fmt: skip
def test_a_short_last_line_is_kept_unless_it_can_only_be_a_name(
    text: str, expected: list[str]
) -> None:
    assert [item.text for item in split_reply(text, BOTH).items] == expected


def test_hand_typed_list_numbering_starts_items() -> None:
    text = (
        "一、最初の点か。\n二、次の点か。\n3、三つ目か。\nア．四つ目か。\n"
        "(イ) 五つ目か。\n→ 六つ目か。\nb) 七つ目か。\n"
    )
    assert [s.text for s in split_items(text)] == [
        "最初の点か。",
        "次の点か。",
        "三つ目か。",
        "四つ目か。",
        "五つ目か。",
        "六つ目か。",
        "七つ目か。",
    ]


def test_a_number_with_a_comma_inside_a_figure_is_no_marker() -> None:
    spans = split_items("定員は\n1、200人を超えるのか。\n")
    assert len(spans) == 1
