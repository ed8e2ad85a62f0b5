"""Header values as mailers really write them: RFC 2047 words, raw 8-bit, MIME parameters."""

from __future__ import annotations

import base64

import pytest

from mailflow.parsing.headers import decode_header, header_param, message_id, message_ids


def b_word(data: bytes, charset: str = "UTF-8") -> str:
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


def test_words_split_mid_character_are_joined_as_bytes() -> None:
    data = "諮問第13号".encode()
    value = b_word(data[:4]) + "\r\n " + b_word(data[4:])  # 諮 is three bytes: cut inside 問
    assert decode_header(value).text == "諮問第13号"
    assert decode_header(value).defects == ()


def test_whitespace_between_words_is_dropped_but_text_keeps_its_spaces() -> None:
    value = "Re: " + b_word("山田".encode()) + " " + b_word(" 太郎".encode()) + " <a@b.jp>"
    assert decode_header(value).text == "Re: 山田 太郎 <a@b.jp>"


def test_iso2022jp_word_with_nec_characters() -> None:
    value = b_word(b'\x1b$B-!-"<ALd\x1b(B', "ISO-2022-JP")
    assert decode_header(value).text == "①②質問"


def test_q_encoding_with_underscores() -> None:
    assert decode_header("=?utf-8?q?Re:_=E8=B3=AA=E5=95=8F?=").text == "Re: 質問"


def test_words_of_different_charsets_in_one_value() -> None:
    value = b_word("回答".encode("cp932"), "Shift_JIS") + " " + b_word("です".encode(), "UTF-8")
    assert decode_header(value).text == "回答です"


@pytest.mark.parametrize("cut", ["=", "=="])
def test_missing_padding(cut: str) -> None:
    word = b_word("回答R".encode())
    assert word.endswith(cut + "?=")
    decoded = decode_header(word.replace("=?=", "?=").replace("=?=", "?="))
    assert decoded.text == "回答R"
    assert decoded.defects == ("encoded word: bad base64 padding",)


def test_missing_charset_is_guessed() -> None:
    decoded = decode_header("=??B?" + base64.b64encode("質問".encode("cp932")).decode() + "?=")
    assert decoded.text == "質問"
    assert "encoded word without charset" in decoded.defects


def test_language_suffix_is_ignored() -> None:
    assert decode_header(
        "=?UTF-8*ja?B?" + base64.b64encode("意見".encode()).decode() + "?="
    ).text == ("意見")


@pytest.mark.parametrize(
    ("data", "codec"),
    [("【回答】諮問第13号".encode("cp932"), "cp932"), ("【回答】諮問第13号".encode(), "utf-8")],
)
def test_raw_8bit_header_text(data: bytes, codec: str) -> None:
    decoded = decode_header(data)
    assert decoded.text == "【回答】諮問第13号"
    assert decoded.defects == (f"unencoded non-ASCII header text, read as {codec}",)


def test_raw_iso2022jp_in_header() -> None:
    decoded = decode_header(b"Re: \x1b$B<ALd\x1b(B")
    assert decoded.text == "Re: 質問"


def test_folding_is_undone() -> None:
    assert decode_header("a long\r\n subject").text == "a long subject"


def test_garbage_word_does_not_raise() -> None:
    assert decode_header("=?utf-8?B?!!!?=").text == ""
    assert decode_header("=?utf-8?B?").text == "=?utf-8?B?"


def test_message_ids() -> None:
    refs = "<a@b.jp>\r\n <c.d@e.jp> <f@g>"
    assert message_ids(refs) == ("a@b.jp", "c.d@e.jp", "f@g")
    assert message_ids("bare@id.jp other") == ("bare@id.jp",)
    assert message_ids(None) == ()
    assert message_id("<x@y> (Yamada's message of Wed)") == "x@y"
    assert message_id("  x@y  ") == "x@y"
    assert message_id("") is None
    assert message_id(None) is None


def test_param_rfc2231_continuations_with_charset() -> None:
    value = (
        "attachment;\r\n filename*0*=ISO-2022-JP'ja'%1B%24B%32%73%45%7A;\r\n"
        " filename*1*=%49%3C%1B%28B.xlsx"
    )
    found = header_param(value, "filename")
    assert found is not None and found.text == "回答票.xlsx"


def test_param_rfc2231_single() -> None:
    found = header_param("attachment; filename*=UTF-8''%E8%B3%87%E6%96%99.pdf", "filename")
    assert found is not None and found.text == "資料.pdf"


def test_param_rfc2047_in_quotes() -> None:
    value = 'application/octet-stream; name="' + b_word("回答.xlsx".encode(), "UTF-8") + '"'
    found = header_param(value, "name")
    assert found is not None and found.text == "回答.xlsx"


def test_param_raw_shift_jis_with_backslash_trail_byte() -> None:
    # ソ is 0x83 0x5C: the backslash before the closing quote belongs to the character.
    raw = "ソ.txt".encode("cp932").decode("ascii", "surrogateescape")
    found = header_param('attachment; filename="ソ";x=1'.replace("ソ", raw[:2]), "filename")
    assert found is not None and found.text == "ソ"


def test_param_quoting_and_absence() -> None:
    value = 'text/plain; charset="utf-8"; name="a;b \\"c\\".txt"'
    found = header_param(value, "name")
    assert found is not None and found.text == 'a;b "c".txt'
    assert header_param(value, "filename") is None
    assert header_param("text/plain", "name") is None
