"""Decoding Japanese mail text: charset names mapped to codecs, mis-declared bytes repaired."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

# Names real mailers write that Python does not know, or knows under a codec that
# decodes them wrongly: Python's shift_jis turns NEC ①② and IBM kanji into errors,
# while every Japanese Windows and phone client actually sends CP932 under that name.
_ALIASES: dict[str, str] = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "s-jis": "cp932",
    "ms_kanji": "cp932",
    "csshiftjis": "cp932",
    "windows-31j": "cp932",
    "ms932": "cp932",
    "cp932": "cp932",
    "x-ms-cp932": "cp932",
    "iso-2022-jp": "iso-2022-jp",
    "iso2022jp": "iso-2022-jp",
    "csiso2022jp": "iso-2022-jp",
    "iso-2022-jp-ms": "iso-2022-jp",
    "cp50220": "iso-2022-jp",
    "cp50221": "iso-2022-jp",
    "cp50222": "iso-2022-jp",
    "iso-2022-jp-1": "iso-2022-jp",
    "iso-2022-jp-2": "iso-2022-jp",
    "iso-2022-jp-3": "iso-2022-jp",
    "euc-jp": "euc-jp",
    "x-euc-jp": "euc-jp",
    "eucjp": "euc-jp",
    "cseucpkdfmtjapanese": "euc-jp",
    "eucjp-ms": "euc-jp",
    "euc-jis-2004": "euc-jp",
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "us-ascii": "utf-8",  # ASCII is a subset; mislabelled 8-bit bodies then still decode
    "ascii": "utf-8",
    "ansi_x3.4-1968": "utf-8",
}

# Tried in order when the declared codec fails (DESIGN.md "Parsing": all charsets
# members send). UTF-8 first: its strictness makes a false positive almost impossible.
CANDIDATES: tuple[str, ...] = ("utf-8", "iso-2022-jp", "cp932", "euc-jp")

_ESC = 0x1B
_JIS_ESCAPES = re.compile(rb"\x1b(?:\$[@B]|\$\(D|\([BJI]|&@)")


@dataclass(frozen=True)
class DecodedText:
    """Text decoded from bytes, the codec that was used and what had to be repaired."""

    text: str
    charset: str
    defects: tuple[str, ...] = ()


def codec_for(name: str | None) -> str | None:
    """The codec to use for a charset name as written in a mail, or None if unknown."""
    if not name:
        return None
    key = name.strip().strip("\"'").lower()
    key = key.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*ja
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        found = codecs.lookup(key).name
    except (LookupError, ValueError):
        return None
    return _ALIASES.get(found, found)


def decode_iso2022jp(data: bytes) -> str:
    """Decode ISO-2022-JP as Windows does (CP50220/CP50221), strictly.

    Microsoft clients put NEC row 13 (①, Ⅰ, ㈱) and the NEC-selected IBM kanji into
    JIS X 0208 escapes; Python's iso2022_jp rejects them. Each JIS pair is mapped to
    its Shift_JIS position and decoded with cp932, which knows those rows.
    Raises UnicodeDecodeError on bytes that are not ISO-2022-JP.
    """
    out: list[str] = []
    mode = "ascii"
    i = 0
    n = len(data)
    while i < n:
        b = data[i]
        if b == _ESC:
            m = _JIS_ESCAPES.match(data, i)
            if m is None:
                raise UnicodeDecodeError("iso-2022-jp", data, i, i + 1, "unknown escape")
            seq = m.group()
            mode = {
                b"\x1b(B": "ascii",
                b"\x1b(J": "ascii",
                b"\x1b(I": "kana",
                b"\x1b$(D": "jisx0212",
                b"\x1b&@": mode,
            }.get(seq, "jisx0208")
            i = m.end()
            continue
        if b >= 0x80:
            raise UnicodeDecodeError("iso-2022-jp", data, i, i + 1, "8-bit byte")
        if b == 0x0E:  # SO: half-width katakana (CP50221)
            mode = "kana"
            i += 1
            continue
        if b == 0x0F:  # SI
            mode = "ascii"
            i += 1
            continue
        if b in (0x0A, 0x0D):
            # RFC 1468 wants a return to ASCII before each line end; a missing one must
            # not swallow the rest of the mail.
            mode = "ascii"
            out.append(chr(b))
            i += 1
            continue
        if mode == "ascii":
            out.append(chr(b))
            i += 1
        elif mode == "kana":
            if not 0x21 <= b <= 0x5F:
                raise UnicodeDecodeError("iso-2022-jp", data, i, i + 1, "not kana")
            out.append(bytes([b + 0x80]).decode("cp932"))
            i += 1
        else:
            if i + 1 >= n or not (0x21 <= b <= 0x7E and 0x21 <= data[i + 1] <= 0x7E):
                raise UnicodeDecodeError("iso-2022-jp", data, i, i + 1, "broken pair")
            out.append(_jis_pair(b, data[i + 1], mode, data, i))
            i += 2
    return "".join(out)


def _jis_pair(j1: int, j2: int, mode: str, data: bytes, pos: int) -> str:
    if mode == "jisx0212":
        raw = bytes([0x8F, j1 | 0x80, j2 | 0x80])
        codec = "euc-jp"
    else:
        s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
        s2 = j2 + (0x1F if j1 & 1 else 0x7E)
        if j1 & 1 and s2 >= 0x7F:
            s2 += 1
        raw = bytes([s1, s2])
        codec = "cp932"
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        raise UnicodeDecodeError("iso-2022-jp", data, pos, pos + 2, "unmapped pair") from None


def strict_decode(data: bytes, codec: str) -> str:
    """Decode with no error tolerance; ISO-2022-JP goes through the CP50220 decoder."""
    if codec == "iso-2022-jp":
        try:
            return decode_iso2022jp(data)
        except UnicodeDecodeError:
            # ISO-2022-JP-2 mail (Korean, Chinese escapes) is rare but legal.
            return data.decode("iso2022_jp_2")
    return data.decode(codec)


def plausible(text: str) -> bool:
    """Whether decoded text looks like something a person wrote.

    A wrong codec that happens to decode leaves control characters (see ``clean``)
    or runs of half-width katakana (EUC-JP read as CP932).
    """
    if not clean(text):
        return False
    kana = sum(1 for ch in text if "\uff61" <= ch <= "\uff9f")
    return kana * 5 < len(text)


def clean(text: str) -> bool:
    """No C0 controls (undecoded escapes), C1 controls or cp932's stray byte mappings."""
    for ch in text:
        code = ord(ch)
        if code < 0x20 and ch not in "\t\n\r\f":
            return False
        if 0x80 <= code < 0xA0 or 0xF8F0 <= code <= 0xF8FF:
            # cp932 maps the lone bytes 0x80, 0xA0 and 0xFD-0xFF there.
            return False
    return True


def decode_bytes(data: bytes, declared: str | None) -> DecodedText:
    """Decode body or header bytes, repairing a wrong or missing charset.

    The declared codec is tried strictly, then each of CANDIDATES; the first that
    decodes and looks plausible wins, and a defect names declared vs used. If none
    does, the declared (or UTF-8) codec decodes with replacement characters.
    """
    codec = codec_for(declared)
    defects: list[str] = []
    if declared and codec is None:
        defects.append(f"unknown charset {declared!r}")
    if codec is not None:
        try:
            text = strict_decode(data, codec)
        except (UnicodeDecodeError, LookupError):
            pass
        else:
            if plausible(text) or not _has_plausible_candidate(data, codec):
                return DecodedText(text, codec, tuple(defects))
    first: tuple[str, str] | None = None
    for candidate in CANDIDATES:
        if candidate == codec:
            continue
        try:
            text = strict_decode(data, candidate)
        except (UnicodeDecodeError, LookupError):
            continue
        if not plausible(text):
            if clean(text):
                first = first or (text, candidate)
            continue
        if declared or not data.isascii() or candidate != "utf-8":
            defects.append(_repair_note(declared, candidate, data))
        return DecodedText(text, candidate, tuple(defects))
    if first is not None:
        defects.append(_repair_note(declared, first[1], data))
        return DecodedText(first[0], first[1], tuple(defects))
    fallback = codec or "utf-8"
    text = data.decode(fallback if fallback != "iso-2022-jp" else "iso2022_jp_ext", "replace")
    defects.append(f"undecodable bytes in {declared or 'undeclared'} text, replaced")
    return DecodedText(text, fallback, tuple(defects))


def _repair_note(declared: str | None, used: str, data: bytes) -> str:
    if declared:
        return f"charset declared {declared!r} but decoded as {used}"
    if data.isascii():
        return f"no charset declared, decoded as {used}"
    return f"no charset declared for 8-bit text, decoded as {used}"


def _has_plausible_candidate(data: bytes, codec: str) -> bool:
    for candidate in CANDIDATES:
        if candidate == codec:
            continue
        try:
            if plausible(strict_decode(data, candidate)):
                return True
        except (UnicodeDecodeError, LookupError):
            continue
    return False


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR become LF; a leading byte-order mark is dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.removeprefix("\ufeff")
