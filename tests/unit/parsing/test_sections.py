"""Tests for finding the consultation sections of a member's reply."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.domain import ConsultationRef
from mailflow.parsing.reply_form import (
    PLACEHOLDER,
    form_heading,
    is_form_line,
    render_reply_form,
)
from mailflow.parsing.sections import (
    _CLOSE,
    _SUFFIX,
    _tail,
    guess_consultation,
    mentioned,
    split_sections,
    title_prefixes,
)

GIFT = ConsultationRef("13", "令和2年度諮問第13号", "子育て応援ギフトセット配布業務委託")
SICK = ConsultationRef("14", "令和2年度諮問第14号", "病児保育予約システム使用委託")
BOTH = (GIFT, SICK)
QUESTION = "本件を委託できる事業者は、何社くらいあるのか"


@pytest.mark.parametrize(
    "heading",
    [
        "諮問第14号",
        "令和2年度諮問第14号",
        "令和２年度 諮問第１４号について",
        "第14号",
        "第１４号",
        "第十四号について",
        "14号",
        "14号：",
        "【14】",
        "【１４】",
        "■14号",
        "■諮問第14号 病児保育予約システム使用委託",
        "諮問第14号（病児保育予約システム使用委託）について",
        "「病児保育予約システム使用委託」について",
        "病児保育予約システム使用委託",
        "病児保育について",
        "病児保育関係",
        "＜諮問第14号に関する質問＞",
    ],
)
def test_every_heading_members_write_opens_a_section(heading: str) -> None:
    text = f"{heading}\n{QUESTION}\n"
    sections = split_sections(text, BOTH)
    assert [(s.consultation, text[s.start : s.end].strip()) for s in sections] == [
        ("14", QUESTION)
    ], heading


@pytest.mark.parametrize(
    "line",
    [
        "諮問第14号と統一してはどうかか。",
        "病児保育の受け入れ枠に対し、事業の利用率を伺う。",
        "14号と同様に扱うべきではないか。",
        "子育て応援ギフトセットの配布予測数はいくつか。",
    ],
)
def test_a_marker_running_into_a_sentence_is_a_mention_not_a_heading(line: str) -> None:
    text = f"第13号について\n・{QUESTION}\n{line}\n"
    sections = split_sections(text, BOTH)
    assert [s.consultation for s in sections] == ["13"]
    assert line in text[sections[0].start : sections[0].end]


def test_inline_content_after_a_heading_belongs_to_the_section() -> None:
    text = "13号について、P.3の削除ソフトは誰が選ぶのか。\n【14】利用登録は必要か。\n"
    sections = split_sections(text, BOTH)
    assert [(s.consultation, text[s.start : s.end].strip()) for s in sections] == [
        ("13", "P.3の削除ソフトは誰が選ぶのか。"),
        ("14", "利用登録は必要か。"),
    ]
    assert sections[0].heading == "13号について、"


def test_text_before_the_first_heading_is_a_section_of_its_own() -> None:
    text = "お世話になっております。\n\n13号\n質問です。\n"
    sections = split_sections(text, BOTH)
    assert [(s.consultation, s.how) for s in sections] == [(None, "none"), ("13", "marker")]


def test_unknown_numbers_open_a_section_without_consultation() -> None:
    sections = split_sections("第15号について\n何か。\n", BOTH)
    assert sections[0].consultation is None
    assert sections[0].reason == "unknown consultation 15"


def test_the_reply_form_round_trips_through_the_section_reader() -> None:
    form = render_reply_form(BOTH)
    sections = split_sections(form, BOTH)
    assert [(s.consultation, s.how) for s in sections if s.consultation] == [
        ("13", "form"),
        ("14", "form"),
    ]
    assert form_heading(GIFT) == "■諮問第13号 子育て応援ギフトセット配布業務委託"
    assert all(
        is_form_line(line) or not line.strip() for line in form.splitlines()[1:] if "■" not in line
    )
    assert is_form_line(PLACEHOLDER)
    assert is_form_line("ここにご質問・ご意見をお書きください")
    assert not is_form_line(QUESTION)


def test_distinctive_title_prefixes() -> None:
    assert "病児保育" in title_prefixes(SICK, BOTH)
    assert "子育て応援ギフト" in title_prefixes(GIFT, BOTH)
    assert "病児保" not in title_prefixes(SICK, BOTH)


def test_title_words_guess_a_consultation_only_when_one_wins() -> None:
    assert guess_consultation("ギフト引換券には有効期限があるのか。", BOTH) == "13"
    assert guess_consultation("予約システムの障害時はどうするのか。", BOTH) == "14"
    assert guess_consultation(QUESTION, BOTH) is None
    # One common two-character word is no evidence: the item is left for staff.
    assert guess_consultation("妊婦に引換券が配布されるのはいつか。", BOTH) is None
    assert guess_consultation("ギフトの予約はできるのか。", BOTH) == "13"


def test_mentions_anywhere_in_a_line() -> None:
    assert mentioned("13号、14号ともに可とする。", BOTH) == ("13", "14")
    assert mentioned("「病児保育予約システム使用委託」について、可とする。", BOTH) == ("14",)
    assert mentioned("【１３】可", BOTH) == ("13",)
    assert mentioned("第6条第2項により", BOTH) == ()


# What closes a heading is read around the round's titles without compiling a pattern
# per round: it must end where the one pattern with the titles written in (as before) does.
def _old_tail(line: str, pos: int, titles: tuple[str, ...]) -> tuple[int, bool]:
    alt = "|".join(re.escape(t) for t in titles) or "(?!)"
    m = re.compile(
        rf"\s*(?P<c1>{_CLOSE})?\s*(?:[(「『]?\s*(?P<title>{alt})\s*[)」』]?)?\s*"
        rf"(?P<suffix>{_SUFFIX})?\s*(?P<c2>{_CLOSE})?\s*(?P<colon>[:：])?(?:は(?!\w*[号条]))?[、,。]?\s*"
    ).match(line, pos)
    assert m is not None
    decisive = any(m.group(g) for g in ("c1", "title", "suffix", "c2", "colon"))
    return m.end(), decisive or m.end() == len(line.rstrip())


_TAIL_PIECES = ["」", "』", ")", "(", "「", "『", "】", " ", "　", "病児", "保育",
                "予約", "について", "の件", "質問", "は", "号", "：", ":", "、", "。",
                "x", "*", "\\"]  # fmt: skip


@given(
    line=st.lists(st.sampled_from(_TAIL_PIECES), max_size=10).map("".join),
    titles=st.lists(
        st.lists(st.sampled_from(_TAIL_PIECES[4:]), min_size=1, max_size=3).map("".join),
        max_size=4,
    ).map(lambda ts: tuple(t for t in ts if t.strip() == t)),
)
@settings(max_examples=1000, deadline=None)
def test_a_headings_tail_ends_where_the_pattern_with_the_titles_ends(
    line: str, titles: tuple[str, ...]
) -> None:
    assert _tail(line, 0, titles) == _old_tail(line, 0, titles)
