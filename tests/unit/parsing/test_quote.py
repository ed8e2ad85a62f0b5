"""Segments of a reply and the new text: headers, inline answers, and the subsequence property."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.parsing.pipeline import parse_mail
from mailflow.parsing.quote import (
    _classified,
    extract_new_text,
    first_thread_message,
    is_quoted_line,
    match_header,
    segments,
)
from mailflow.parsing.quote_patterns import HEADER_PATTERNS, HeaderKind

INLINE_ANSWERS = """子ども保健・給付課です。

> [Q13-01] 専用ソフトは市が指定するのか。
事業者が任意で選択します。
> [Q13-02] 配布予測数はいくつか。
1,100件です。

-----Original Message-----
From: 総務課 <shingikai@city.example.jp>
Subject: 【R2-5】質問の送付

[Q13-01] 専用ソフトは市が指定するのか。
"""


def _is_subsequence(small: str, big: str) -> bool:
    chars = iter(big)
    return all(ch in chars for ch in small)


def test_segments_keep_the_quoted_item_markers_in_order() -> None:
    segs = segments(INLINE_ANSWERS)
    assert [s.quoted for s in segs if s.text.strip()] == [
        False,
        True,
        False,
        True,
        False,
        True,
        True,
    ]
    quoted = [s.text for s in segs if s.quoted and not s.header]
    assert quoted[0] == "> [Q13-01] 専用ソフトは市が指定するのか。"
    assert quoted[1] == "> [Q13-02] 配布予測数はいくつか。"
    assert "".join(s.text + "\n" for s in segs) == INLINE_ANSWERS + "\n"


def test_header_segment_names_the_client_and_starts_the_thread() -> None:
    segs = segments(INLINE_ANSWERS)
    header = next(s for s in segs if s.header)
    assert header.quoted
    assert header.client == "outlook"
    assert header.text.splitlines() == [
        "-----Original Message-----",
        "From: 総務課 <shingikai@city.example.jp>",
        "Subject: 【R2-5】質問の送付",
    ]
    assert segs[-1].quoted and segs[-1].client == "outlook"
    assert segs[-1].first_line == header.first_line + 3


def test_inline_answers_are_all_kept() -> None:
    assert extract_new_text(INLINE_ANSWERS) == (
        "子ども保健・給付課です。\n\n事業者が任意で選択します。\n\n1,100件です。"
    )


def test_signature_is_its_own_segment() -> None:
    segs = segments("了解です。\n\niPhoneから送信\n")
    assert [(s.signature, s.quoted) for s in segs] == [(False, False), (True, False)]
    assert segs[1].text.startswith("iPhoneから送信")


def test_wrapped_gmail_header_spans_two_lines() -> None:
    lines = ["特になし", "", "2021年1月13日(水) 10:00 山田太郎 <", "yamada@example.jp>:", "> 本文"]
    found = match_header(lines, 2)
    assert found is not None
    assert (found.row.client, found.start, found.end) == ("gmail-ja", 2, 4)
    assert match_header(lines, 0) is None


def test_header_does_not_swallow_the_line_above() -> None:
    body = (
        "Okay.\nBob\nBob Smith <bob@example.com> schrieb am Di., 16. Aug. 2016\num 12:52 Uhr:\n> x"
    )
    assert extract_new_text(body) == "Okay.\nBob"


def test_quote_marks() -> None:
    assert is_quoted_line("> 引用")
    assert is_quoted_line("  > > 二重")
    assert is_quoted_line("＞全角")
    assert not is_quoted_line("安全性＞費用")


def test_reply_with_nothing_written_is_empty() -> None:
    body = "\n2021年1月13日(水) 10:00 事務局 <shingikai@city.example.jp>:\n> 委員各位\n"
    assert extract_new_text(body) == ""
    assert extract_new_text("> 引用だけ\n> です\n") == ""


def test_forward_without_comment_gives_the_forwarded_text() -> None:
    body = (
        "---------- 転送メッセージ ----------\n"
        "差出人: 石田 <k@example.jp>\n件名: 意見\n\n意見なし\n"
    )
    assert extract_new_text(body) == "意見なし"


def test_table_has_every_kind_and_distinct_rows() -> None:
    assert {row.kind for row in HEADER_PATTERNS} == set(HeaderKind)
    keys = [(row.client, row.kind) for row in HEADER_PATTERNS]
    assert len(keys) == len(set(keys))


_LINES = st.sampled_from(
    [
        "",
        "諮問第13号について質問します。",
        "● 配布予測数はいくつか。",
        "- 箇条書き",
        "-----",
        "-- ",
        "> 引用",
        "> > 二重引用",
        "＞全角引用",
        "-----Original Message-----",
        "差出人: 総務課 <shingikai@city.example.jp>",
        "件名： 【R2-5】書面審議",
        "2021年1月13日(水) 10:00 山田太郎 <yamada@example.jp>:",
        "On Wed, Jan 13, 2021 at 10:00 AM Taro <taro@example.jp> wrote:",
        "2021/01/13 10:00、山田太郎 <yamada@example.jp>のメール:",
        "---------- Forwarded message ---------",
        "━━━━━━━━",
        "TEL 042-393-5111（内線2317）",
        "iPhoneから送信",
        "本メールは機密情報を含みます。誤って受信した場合は削除してください。",
        "________________________________",
        "  ",
    ]
)
_BODIES = st.lists(st.one_of(_LINES, st.text(max_size=30)), max_size=25).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(_BODIES)
def test_new_text_is_a_subsequence_of_the_body(body: str) -> None:
    new = extract_new_text(body)
    assert _is_subsequence(new, body)
    assert not any(is_quoted_line(line) for line in new.split("\n"))


@settings(max_examples=200, deadline=None)
@given(_BODIES)
def test_segments_cover_the_body_exactly(body: str) -> None:
    segs = segments(body)
    assert "\n".join(s.text for s in segs) == body
    assert [s.first_line for s in segs] == sorted({s.first_line for s in segs})


def test_dated_sentences_naming_an_address_are_content() -> None:
    body = (
        "2021/01/13 連絡先は yamada@example.jp です\n"
        "2021/01/13 10:00 までに yamada@example.jp へ送ります\n"
        "2021年1月13日(水) 10:00 に提出します。\n"
    )
    assert extract_new_text(body) == body.rstrip("\n")


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        # Attributions in other languages (written here in new words).
        (
            "Merci bien\n\nLe mar. 9 févr. 2021 à 14:05, Anne Martin <anne@ex.fr> a écrit :"
            "\n> vieux",
            "Merci bien",
        ),
        (
            "Ok, grazie\n\nIl giorno mar 9 feb 2021 alle ore 14:05 Luca Bianchi <luca@ex.it>"
            " ha scritto:\n> vecchio",
            "Ok, grazie",
        ),
        ("Prima\n\nOp di 9 feb. 2021 om 14:05 schreef Piet de Vries <piet@ex.nl>:\n> oud", "Prima"),
        ("Fint\n\nDen tir. 9. feb. 2021 kl. 14.05 skrev Ole Berg <ole@ex.dk>:\n> gammel", "Fint"),
        ("Хорошо\n\nвт, 9 февр. 2021 г. в 14:05, Пётр Петров <petr@ex.ru>:\n> старое", "Хорошо"),
        (
            "Đồng ý\n\nVào Th 3, 9 thg 2, 2021 vào lúc 14:05 Tran Thi B <b@ex.vn> đã viết:\n> cũ",
            "Đồng ý",
        ),
        # "Sent from" footers in other languages are no content.
        ("D'accord\n\nEnvoyé de mon iPhone", "D'accord"),
        ("Goed\n\nVerzonden vanaf mijn iPhone", "Goed"),
        ("Да\n\nОтправлено с iPhone", "Да"),
        # A reply sharing its line with the attribution keeps the reply.
        ("Agreed. On Tue, Feb 9, 2021 at 2:05 PM Ann Lee <ann@ex.com> wrote:\n> old", "Agreed."),
    ],
)
def test_other_languages_and_shared_lines(body: str, kept: str) -> None:
    assert extract_new_text(body) == kept


def test_an_attribution_with_nothing_above_and_the_reply_below_it() -> None:
    body = (
        'On 3 Mar 2021 10:12, "Ann Lee" <ann@ex.com> wrote:\n\n'
        "I agree with the plan.\nLet us keep the second option.\n"
    )
    assert extract_new_text(body) == "I agree with the plan.\nLet us keep the second option."


def test_an_empty_reply_over_our_unquoted_call_stays_empty() -> None:
    body = (
        "2021年1月5日(火) 9:00 事務局 <shingikai@city.example>:\n\n"
        "下記の諮問案件について、ご質疑・ご意見をお寄せください。\n"
        "――――― 回答欄（この下にご記入のうえ、そのままご返信ください） ―――――\n"
        "■諮問第13号 子育て応援ギフトセット配布業務委託\n"
    )
    assert extract_new_text(body) == ""


def test_a_mails_lines_are_classified_once_for_all_its_readers() -> None:
    # The new text, the thread below the first header (where a reply form may be typed)
    # and the inline contexts all read the same classification of the body's lines.
    body = "了解しました。\n\n-----Original Message-----\nFrom: 総務課 <a@city.example.jp>\n"
    body += "Subject: 質問\n\n[Q13-01] 専用ソフトは市が指定するのか。\n"
    raw = (
        f"From: a@example.jp\nSubject: Re: 質問\nContent-Type: text/plain; charset=utf-8\n\n{body}"
    )
    _classified.cache_clear()
    parsed = parse_mail(raw.encode(), [], signer_names=("石田 直樹",))
    assert parsed.new_text == "了解しました。"
    assert _classified.cache_info().misses == 1
    assert first_thread_message(parsed.decoded.body).strip().startswith("[Q13-01]")
    assert _classified.cache_info().misses == 1
