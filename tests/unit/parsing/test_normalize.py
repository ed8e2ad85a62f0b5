"""Tests for the normalised matching copies and their map back to the original text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mailflow.parsing.normalize import (
    circled_value,
    fold,
    kanji_gou_to_digits,
    kanji_to_int,
    nfkc,
    to_int,
)


def test_full_width_digits_and_brackets_fold_to_ascii() -> None:
    assert nfkc("諮問第１３号（子育て）：Ｐ．３") == "諮問第13号(子育て):P.3"


def test_circled_numbers_fold_to_digits_unless_kept() -> None:
    assert nfkc("①⑳") == "120"
    assert nfkc("(1)②", keep_circled=True) == "(1)②"
    assert circled_value("③") == 3
    assert circled_value("3") is None


def test_ideographic_space_folds_to_space() -> None:
    assert fold("第13号\u3000について").text == "第13号 について"


def test_kanji_numerals() -> None:
    assert kanji_to_int("十三") == 13
    assert kanji_to_int("十") == 10
    assert kanji_to_int("二十") == 20
    assert kanji_to_int("百二") == 102
    assert kanji_to_int("一三") == 13
    assert kanji_to_int("二〇") == 20
    assert kanji_to_int("十三号") is None
    assert kanji_to_int("") is None


def test_to_int_reads_every_way_a_member_writes_a_number() -> None:
    assert [to_int(s) for s in ("13", "１３", "⑬", "十三", "x", "")] == [13, 13, 13, 13, None, None]


def test_kanji_consultation_numbers_become_digits() -> None:
    assert kanji_gou_to_digits("第十三号及び第十四号") == "第13号及び第14号"


def test_span_maps_a_folded_match_back_to_the_original_characters() -> None:
    folded = fold("諮問第１３号：Ｐ．３")
    at = folded.text.index("13")
    assert folded.slice(at, at + 2) == "１３"
    assert folded.slice(folded.text.index("P"), len(folded.text)) == "Ｐ．３"


def test_a_character_that_folds_into_two_maps_back_whole() -> None:
    folded = fold("⑳項目")
    assert folded.text == "20項目"
    assert folded.slice(0, 2) == "⑳"
    assert folded.slice(0, 1) == "⑳"
    assert folded.slice(2, 4) == "項目"


_JA = st.text(
    alphabet=st.sampled_from(list("あア亜１２３ＡａＰ．（）①⑳㈱ｶﾞ 　・-\n")) | st.characters(),
    max_size=40,
)


@given(_JA)
def test_folding_keeps_an_exact_map(text: str) -> None:
    folded = fold(text)
    assert len(folded.origin) == len(folded.text) + 1
    assert folded.slice(0, len(folded.text)) == text
    assert list(folded.origin) == sorted(folded.origin)


@given(_JA, st.data())
def test_any_folded_slice_maps_to_an_original_slice_whose_fold_contains_it(
    text: str, data: st.DataObject
) -> None:
    folded = fold(text)
    start = data.draw(st.integers(0, len(folded.text)))
    end = data.draw(st.integers(start, len(folded.text)))
    piece = folded.slice(start, end)
    assert piece in text
    assert folded.text[start:end] in fold(piece).text
