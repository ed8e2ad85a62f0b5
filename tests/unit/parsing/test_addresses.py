"""Addresses as members type them and clients write them, reduced to one comparable form."""

from __future__ import annotations

import pytest

from mailflow.parsing.addresses import format_address, normalize_address, parse_address_list


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yamada@Example.JP", "yamada@example.jp"),
        ("  山田 太郎 <Yamada@Example.JP> ", "yamada@example.jp"),
        ("<yamada@example.jp>", "yamada@example.jp"),
        ("ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｊｐ", "yamada@example.jp"),
        ("山田 ＜yamada＠example.jp＞", "yamada@example.jp"),
        ("mailto:Yamada@example.jp", "yamada@example.jp"),
        ('"yamada@example.jp"', "yamada@example.jp"),
        ("shingikai+R25-k7f3@City.Example.LG.JP", "shingikai+r25-k7f3@city.example.lg.jp"),
        ("", ""),
    ],
)
def test_normalize_address(text: str, expected: str) -> None:
    assert normalize_address(text) == expected


def test_parse_list_decodes_names_and_keeps_quoted_commas() -> None:
    value = (
        "=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <Yamada@Example.JP>,\r\n"
        ' "Sato, Hanako" <sato@example.jp>, suzuki@example.jp'
    )
    assert parse_address_list(value) == [
        ("山田", "yamada@example.jp"),
        ("Sato, Hanako", "sato@example.jp"),
        ("", "suzuki@example.jp"),
    ]


def test_parse_list_accepts_japanese_delimiters_and_full_width() -> None:
    value = "山田＜yamada＠example.jp＞、佐藤 <sato@example.jp>"
    assert parse_address_list(value) == [
        ("山田", "yamada@example.jp"),
        ("佐藤", "sato@example.jp"),
    ]


def test_parse_list_raw_shift_jis_name() -> None:
    raw = "総務課".encode("cp932").decode("ascii", "surrogateescape") + " <somu@example.jp>"
    assert parse_address_list(raw) == [("総務課", "somu@example.jp")]


def test_parse_list_groups_comments_and_empties() -> None:
    assert parse_address_list("undisclosed-recipients:;") == []
    assert parse_address_list("") == []
    assert parse_address_list("Members: a@example.jp, b@example.jp;") == [
        ("", "a@example.jp"),
        ("", "b@example.jp"),
    ]
    assert parse_address_list("a@example.jp (Taro)") == [("Taro", "a@example.jp")]


def test_format_address_round_trips_through_parse() -> None:
    for name in ("山田 太郎", "Sato, Hanako", 'He said "hi"', ""):
        text = format_address(name, "x@example.jp")
        assert parse_address_list(text) == [(name, "x@example.jp")]
