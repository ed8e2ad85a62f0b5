"""Charset names, the CP50220 reading of ISO-2022-JP, and repair of mis-declared bytes."""

from __future__ import annotations

import pytest

from mailflow.parsing.charsets import (
    codec_for,
    decode_bytes,
    decode_iso2022jp,
    normalize_newlines,
    plausible,
)

NEC_AND_IBM = "①②⑳ⅠⅩ㈱㈲№℡ 髙﨑"


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("Shift_JIS", "cp932"),
        ("x-sjis", "cp932"),
        ("Windows-31J", "cp932"),
        ("sjis", "cp932"),
        ('"shift-jis"', "cp932"),
        ("ISO-2022-JP", "iso-2022-jp"),
        ("CP50220", "iso-2022-jp"),
        ("iso-2022-jp-ms", "iso-2022-jp"),
        ("EUC-JP", "euc-jp"),
        ("x-euc-jp", "euc-jp"),
        ("UTF8", "utf-8"),
        ("utf-8*ja", "utf-8"),
        ("us-ascii", "utf-8"),
        ("latin1", "iso8859-1"),
        ("x-unknown", None),
        ("", None),
        (None, None),
    ],
)
def test_codec_for(name: str | None, codec: str | None) -> None:
    assert codec_for(name) == codec


def test_shift_jis_declaration_is_read_as_cp932() -> None:
    data = NEC_AND_IBM.encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        data.decode("shift_jis")  # why the alias exists
    decoded = decode_bytes(data, "Shift_JIS")
    assert (decoded.text, decoded.charset, decoded.defects) == (NEC_AND_IBM, "cp932", ())


def test_iso2022jp_nec_row13_and_ibm_rows() -> None:
    # ① ② are JIS 0x2D21 0x2D22 (NEC row 13); 髙 is 0x7C62 (NEC-selected IBM, row 92).
    assert decode_iso2022jp(b'\x1b$B-!-"\x1b(B') == "①②"
    assert decode_iso2022jp(b"\x1b$B-j-k\x1b(B") == "㈱㈲"
    assert decode_iso2022jp(b"\x1b$B|b\x1b(B") == "髙"
    assert decode_iso2022jp(b"\x1b$B$3$s$K$A$O\x1b(B abc") == "こんにちは abc"


def test_iso2022jp_halfwidth_kana_by_escape_and_by_shift() -> None:
    assert decode_iso2022jp(b"\x1b(I1\x1b(B") == "ｱ"
    assert decode_iso2022jp(b"\x0e123\x0f!") == "ｱｲｳ!"


def test_iso2022jp_jisx0212_and_jis_roman() -> None:
    assert decode_iso2022jp("丂".encode("iso2022_jp_2")) == "丂"
    assert decode_iso2022jp(b"\x1b(Jabc\x1b(B") == "abc"


@pytest.mark.parametrize(
    "data", [b"\x82\xa0", b"\x1b$Z", b"\x1b$B$", b"\x1b$B\x7f!", b"\x1b(I\x7e"]
)
def test_iso2022jp_rejects_what_it_is_not(data: bytes) -> None:
    with pytest.raises(UnicodeDecodeError):
        decode_iso2022jp(data)


def test_iso2022jp_line_end_resets_to_ascii() -> None:
    assert decode_iso2022jp(b'\x1b$B$"\r\nabc') == "あ\r\nabc"


@pytest.mark.parametrize(
    ("data", "declared", "used", "note"),
    [
        ("回答①です".encode("cp932"), "iso-2022-jp", "cp932", "declared 'iso-2022-jp'"),
        ("回答①です".encode("cp932"), "utf-8", "cp932", "declared 'utf-8'"),
        ("回答です".encode("euc-jp"), None, "euc-jp", "no charset declared for 8-bit"),
        ("回答です".encode(), "x-unknown", "utf-8", "unknown charset 'x-unknown'"),
        ("回答です".encode("iso2022_jp"), None, "iso-2022-jp", "no charset declared,"),
        ("回答です".encode(), "iso-2022-jp", "utf-8", "declared 'iso-2022-jp'"),
        ("回答です".encode("euc-jp"), "shift_jis", "euc-jp", "declared 'shift_jis'"),
    ],
)
def test_repair(data: bytes, declared: str | None, used: str, note: str) -> None:
    decoded = decode_bytes(data, declared)
    assert decoded.charset == used
    assert decoded.text.startswith("回答")
    assert any(note in d for d in decoded.defects), decoded.defects


def test_plain_ascii_without_charset_is_not_a_defect() -> None:
    assert decode_bytes(b"Q13-01 OK", None).defects == ()


def test_nothing_fits_replaces_and_says_so() -> None:
    decoded = decode_bytes(b"ok \xff\xfe\xfd", "utf-8")
    assert decoded.text.startswith("ok ")
    assert "\ufffd" in decoded.text
    assert decoded.defects == ("undecodable bytes in utf-8 text, replaced",)


def test_plausible() -> None:
    assert plausible("委員の意見です。\n")
    assert not plausible('\x1b$B$"')  # undecoded escape sequence
    assert not plausible("ｱｲｳｴｵｶｷｸ")  # EUC-JP read as CP932 looks like this
    assert not plausible("\x85text")


def test_normalize_newlines() -> None:
    assert normalize_newlines("\ufeffa\r\nb\rc\n") == "a\nb\nc\n"
