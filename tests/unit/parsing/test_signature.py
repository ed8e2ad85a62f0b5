"""Signature rules: trailing blocks only, never content that merely looks like one."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.parsing.normalize import nfkc
from mailflow.parsing.signature import (
    _NAME_GAP,
    _NAME_PREFIX,
    SIGNATURE_RULES,
    _name_pattern,
    _names,
    department_name_forms,
    signature_start,
    strip_signature,
)


def test_rfc3676_delimiter_starts_the_signature() -> None:
    lines = ["質問はありません。", "", "-- ", "山田 太郎", "yamada@example.jp"]
    assert signature_start(lines) == 2


def test_delimiter_followed_by_a_long_text_is_content() -> None:
    lines = ["前置き", "--", *[f"諮問第13号について意見{i}。" for i in range(20)]]
    assert signature_start(lines) is None


@pytest.mark.parametrize(
    "footer",
    [
        "iPhoneから送信",
        "Android から送信",
        "ドコモメールから送信",
        "Sent from my iPhone",
        "Sent from my Verizon Wireless BlackBerry",
        "Outlook for iOS を入手",
        "Get Outlook for Android",
        "Von meinem iPhone gesendet",
    ],
)
def test_mobile_footers(footer: str) -> None:
    assert strip_signature(f"了解しました。\n\n{footer}\n") == "了解しました。"


def test_a_sentence_that_starts_like_a_footer_is_kept() -> None:
    text = "Here it is.\n\nSent from my desk, which is easier than my phone."
    assert strip_signature(text) == text


def test_framed_block_with_contact_details() -> None:
    text = (
        "意見はありません。\n\n━━━━━━━━━━\n総務課 鳴海\nTEL：042-393-5111（内線2317）\n━━━━━━━━━━"
    )
    assert strip_signature(text) == "意見はありません。"


def test_full_width_phone_numbers_count_as_contact() -> None:
    text = (
        "回答は以上です。\n\n＝＝＝＝＝＝\n保育幼稚園課\n"
        "電話 ０４２（３９３）５１１１\n＝＝＝＝＝＝"
    )
    assert strip_signature(text) == "回答は以上です。"


def test_separator_inside_the_content_is_kept() -> None:
    text = "諮問第13号について\n-----\n委託先の選定方法を伺いたい。\n-----\n以上です。"
    assert signature_start(text.split("\n")) is None


def test_bullets_at_the_end_are_kept() -> None:
    text = "意見\n- 仕様書に使用ソフト名を明記すること\n- 作業担当者名も明記すること"
    assert strip_signature(text) == text


def test_framed_prose_is_not_a_signature() -> None:
    prose = "前置き\n\n＊＊＊＊＊＊\n詳細は https://www.example.jp/ を参照してください。"
    # Only the closing frame line, which carries nothing, goes.
    assert strip_signature(prose + "\n＊＊＊＊＊＊") == prose


def test_disclaimer_paragraph() -> None:
    text = (
        "特になし\n\n本メールは機密情報を含む場合があります。\n"
        "誤って受信された場合は削除してください。"
    )
    assert strip_signature(text) == "特になし"


def test_a_sentence_about_this_mail_is_not_a_disclaimer() -> None:
    text = "特になし\n\nこのメールは1月13日までの意見です。"
    assert strip_signature(text) == text


def test_unframed_contact_paragraph_needs_text_above_it() -> None:
    only = ["子ども保健・給付課 鈴木", "内線3123"]
    assert signature_start(only) is None
    assert signature_start(["回答します。", "", *only]) == 2


def test_trailing_frame_lines_are_trimmed() -> None:
    assert signature_start(["本文です。", "", "━━━━━━", "＊＊＊"]) == 1


def test_rules_have_unique_names() -> None:
    names = [rule.name for rule in SIGNATURE_RULES]
    assert len(names) == len(set(names)) == 6


KODOMO = ("子ども保健・給付課",)
ANSWER = ["Q13-02：1, 100件を見込んでいる。", "専門職は、保健師、助産師を指している。"]


@pytest.mark.parametrize(
    "closing",
    [
        ["子ども保健・給付課"],
        ["子ども保健・給付課　山田"],
        ["子ども保健・給付課 担当：山田"],
        ["子ども保健･給付課", "山田"],
        ["子ども保健・給付課", "担当 山田", "内線 2317"],
        ["子ども保健・給付課給付係", "TEL 042-393-5111、内線3000"],
        ["健康福祉部　子ども保健・給付課"],
        ["【子ども保健・給付課】"],
    ],
    ids=[
        "name",
        "name-person",
        "name-tanto",
        "name-over-person",
        "tanto-extension",
        "unit-phone",
        "bureau-prefix",
        "brackets",
    ],
)
def test_the_senders_own_name_closing_the_text_is_a_signature(closing: list[str]) -> None:
    lines = [*ANSWER, *closing]
    assert signature_start(lines) != len(ANSWER)  # without the name, not all of it
    assert signature_start(lines, KODOMO) == len(ANSWER)
    assert strip_signature("\n".join([*ANSWER, "", *closing]), KODOMO) == "\n".join(ANSWER)


@pytest.mark.parametrize(
    "last",
    [
        "子ども保健・給付課で対応します。",
        "子ども保健・給付課が所管する",
        "子ども保健・給付課 回答なし",
        "なお、子ども保健・給付課",
        "子ども保健・給付課長が説明する",
    ],
)
def test_a_sentence_about_the_section_is_content(last: str) -> None:
    assert signature_start([*ANSWER, last], KODOMO) is None


def test_text_below_the_name_keeps_it_content() -> None:
    assert signature_start([*ANSWER, "子ども保健・給付課", "・追加の説明"], KODOMO) is None
    assert (
        signature_start([*ANSWER, "子ども保健・給付課", "よろしくお願いします。"], KODOMO) is None
    )


def test_only_a_short_closing_block_counts() -> None:
    # The name four lines up, with text of the answer below it, is not a signature.
    lines = ["子ども保健・給付課", "担当 山田", "内線 2317", "配布は4月からである。"]
    assert signature_start(["前文", *lines], KODOMO) is None


def test_a_members_name_with_a_title_signs_the_reply() -> None:
    lines = ["・配布数の根拠を示されたい。", "委員：石田直樹"]
    assert signature_start(lines) is None
    assert signature_start(lines, ("石田 直樹",)) == 1


def test_a_bare_name_over_a_word_is_no_signature_without_text_above() -> None:
    # 「石田 / 賛成」 is the whole reply: the second line is no person's name below a signature.
    assert signature_start(["石田", "賛成"], ("石田",)) is None


def test_the_name_signs_above_a_footer_the_rules_found() -> None:
    lines = [*ANSWER, "", "子ども保健・給付課 山田", "", "iPhoneから送信"]
    assert signature_start(lines) == 5
    assert signature_start(lines, KODOMO) == 3


def test_no_names_or_one_letter_names_change_nothing() -> None:
    lines = [*ANSWER, "子ども保健・給付課"]
    assert signature_start(lines, ()) is None
    assert signature_start(lines, ("課", " ")) is None


@pytest.mark.parametrize(
    ("registered", "forms"),
    [
        ("健康福祉部子ども保健・給付課", ("健康福祉部子ども保健・給付課", "子ども保健・給付課")),
        ("教育委員会教育部学務課", ("教育委員会教育部学務課", "学務課")),
        ("子ども保健・給付課", ("子ども保健・給付課",)),
        ("市民部", ("市民部",)),
        ("保健所", ("保健所",)),
        ("  ", ()),
    ],
)
def test_a_department_registered_with_its_bureau_also_signs_with_its_section(
    registered: str, forms: tuple[str, ...]
) -> None:
    assert department_name_forms(registered) == forms


def test_the_section_alone_is_recognised_under_the_last_answer() -> None:
    lines = ["[Q13-01]", "回答：有効期限を設定する。", "", "子ども保健・給付課　山田"]
    names = department_name_forms("健康福祉部子ども保健・給付課")
    assert signature_start(lines, signer_names=names) == 3
    assert signature_start(lines) is None


# The sender's name is matched by one pattern per name length, the name read from the
# subject by back-references: it must find exactly what a pattern compiled for the name
# itself (as the names were matched before) finds.
def _compiled_for(name: str) -> re.Pattern[str]:
    chars = [c for c in nfkc(name) if not c.isspace() and c != "・"]
    return re.compile(_NAME_PREFIX + _NAME_GAP.join(re.escape(c) for c in chars))


_PIECES = ["委員", "担当者", "担当", ":", "：", "【", "(", " ", "　", "・", "石", "田", "直樹",
           "者", "課", "長", "です", ".", "\\1", "*", "(?", "」", "a", "1"]  # fmt: skip


@given(
    name=st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4).map("".join),
    line=st.lists(st.sampled_from(_PIECES), max_size=10).map("".join),
)
@settings(max_examples=1000, deadline=None)
def test_the_name_matcher_finds_what_a_pattern_of_the_name_finds(name: str, line: str) -> None:
    (key,) = _names([name]) or (None,)
    flat = nfkc(line).strip()
    if key is None:
        assert len([c for c in nfkc(name) if not c.isspace() and c != "・"]) < 2
        return
    expected = _compiled_for(name).match(flat)
    assert key.match(flat) == (expected.end() if expected else None)


def test_a_committee_of_any_size_compiles_its_names_once_per_length() -> None:
    # More signers than any cache of per-name patterns would hold: each mail's names are
    # matched without compiling anything new once each length has been seen.
    surnames = ["石田", "青木", "山本", "佐々木", "長谷川", "小野寺"]
    members = [
        f"{s} {g}{n:03d}" for n in range(50) for s, g in zip(surnames, "一二三四五六", strict=True)
    ]
    assert len(members) == 300
    lines = [*ANSWER, "", "委員：{}"]
    _name_pattern.cache_clear()
    for member in members:
        names = (member, member.split()[0])
        text = [*lines[:-1], lines[-1].format(member)]
        assert signature_start(text, names) == len(ANSWER) + 1
    lengths = {len(k.key) for m in members for k in _names((m, m.split()[0]))}
    first = _name_pattern.cache_info()
    assert first.misses == len(lengths) < 10  # one compile per length, not per name
    for member in reversed(members):
        text = [*lines[:-1], lines[-1].format(member.split()[0])]
        assert signature_start(text, (member, member.split()[0])) == len(ANSWER) + 1
    assert _name_pattern.cache_info().misses == first.misses
