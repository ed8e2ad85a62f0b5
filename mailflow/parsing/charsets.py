"""Decoding Japanese mail text: charset names mapped to codecs, mis-declared bytes repaired."""

from __future__ import annotations

import codecs
import functools
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

# Tried in order when the declared codec fails (docs/design.md "Parsing": all charsets
# members send). UTF-8 first: its strictness makes a false positive almost impossible.
CANDIDATES: tuple[str, ...] = ("utf-8", "iso-2022-jp", "cp932", "euc-jp")


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
    if not data.isascii():
        at = next(i for i, b in enumerate(data) if b >= 0x80)
        raise UnicodeDecodeError("iso-2022-jp", data, at, at + 1, "8-bit byte")
    out: list[str] = []
    mode = "ascii"
    # split() cuts in C at every shift and line end: runs at even, shifts at odd indexes.
    parts = _SHIFT.split(data)
    for k in range(1, len(parts), 2):
        run = parts[k - 1]
        if run:
            out.append(_decode_run(run, mode))
        shift = parts[k]
        if shift[0] in _LINE_ENDS:
            # RFC 1468 wants a return to ASCII before each line end; a missing one must
            # not swallow the rest of the mail.
            mode = "ascii"
            out.append(shift.decode("ascii"))
        elif shift != b"\x1b&@":  # ESC & @ only announces the next escape's revision
            mode = _MODE_AFTER.get(shift, "jisx0208")
    if parts[-1]:
        out.append(_decode_run(parts[-1], mode))
    return "".join(out)


_SHIFT = re.compile(rb"(\x1b(?:\$[@B]|\$\(D|\([BJI]|&@)|[\x0e\x0f]|[\r\n]+)")
_LINE_ENDS = b"\r\n"
_KANA_RUN = re.compile(rb"[\x21-\x5f]*")
_PAIR_BYTES = re.compile(rb"[\x21-\x7e]*")  # and an even length: faster than (..)* in sre
_MODE_AFTER = {
    b"\x1b(B": "ascii",
    b"\x1b(J": "ascii",
    b"\x1b(I": "kana",
    b"\x1b$(D": "jisx0212",
    b"\x0e": "kana",  # SO: half-width katakana (CP50221)
    b"\x0f": "ascii",  # SI
}
_TO_HIGH_KANA = bytes(b + 0x80 if 0x21 <= b <= 0x5F else b for b in range(256))
_UNMAPPED = "\x00"  # what no JIS pair decodes to, so it can mark the pairs cp932 lacks


def _decode_run(run: bytes, mode: str) -> str:
    """One run without shifts or line ends, in the shift state ``mode``."""
    if mode == "ascii":
        if b"\x1b" in run:  # an escape sequence that is none of ours
            at = run.index(b"\x1b")
            raise UnicodeDecodeError("iso-2022-jp", run, at, at + 1, "unknown escape")
        return run.decode("ascii")
    if mode == "kana":
        if _KANA_RUN.fullmatch(run) is None:
            raise UnicodeDecodeError("iso-2022-jp", run, 0, len(run), "not kana")
        return run.translate(_TO_HIGH_KANA).decode("cp932")
    if _PAIR_BYTES.fullmatch(run) is None or len(run) % 2:
        raise UnicodeDecodeError("iso-2022-jp", run, 0, len(run), "broken pair")
    if mode == "jisx0212":
        return "".join(_jis_pair(run[i], run[i + 1], mode, run, i) for i in range(0, len(run), 2))
    # Each pair read as one UTF-16 code unit (0x2121-0x7E7E, never a surrogate) is the
    # key of a table built once, so the run is decoded in C instead of pair by pair.
    text = codecs.utf_16_be_decode(run)[0].translate(_jis0208_table())
    if _UNMAPPED in text:
        at = 2 * text.index(_UNMAPPED)
        raise UnicodeDecodeError("iso-2022-jp", run, at, at + 2, "unmapped pair")
    return text


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


@functools.cache  # built on first use: CLI start-up need not pay for it
def _jis0208_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for j1 in range(0x21, 0x7F):
        for j2 in range(0x21, 0x7F):
            try:
                table[j1 << 8 | j2] = _jis_pair(j1, j2, "jisx0208", b"", 0)
            except UnicodeDecodeError:
                table[j1 << 8 | j2] = _UNMAPPED
    return table


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
    kana = sum(map(len, _HALF_KANA.findall(text)))
    return kana * 5 < len(text)


# C0 controls other than tab, LF, FF and CR; C1 controls; cp932 maps the lone bytes
# 0x80, 0xA0 and 0xFD-0xFF to U+0080 and U+F8F0-U+F8F2.
_UNCLEAN = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x80-\x9f\uf8f0-\uf8ff]")
_HALF_KANA = re.compile(r"[\uff61-\uff9f]+")


def clean(text: str) -> bool:
    """No C0 controls (undecoded escapes), C1 controls or cp932's stray byte mappings."""
    return _UNCLEAN.search(text) is None


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
