"""Normalised copies of members' text for matching; the original stays verbatim.

Members write full-width digits (１３号), circled numbers (①), full-width brackets and
colons, and now and then kanji numerals (第十三号). Matching runs on a folded copy;
:class:`Folded` remembers where every folded character came from, so a match can be
cut out of the *original* text for the minutes (docs/design.md "Japanese details").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# NFKC turns ① into "1", which loses the bullet; callers that must tell ① from 1
# (items, references) keep them and read them with circled_value().
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

# Dashes members type between the parts of an ID (Ｑ１３－３, Q13ー3, Q13‐3).
DASHES = "-－ー‐―−–—"

_KANJI_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
KANJI_NUMERAL = "[〇零一二三四五六七八九十百千]+"


def _fold_char(ch: str, keep_circled: bool) -> str:
    if keep_circled and ch in CIRCLED:
        return ch
    if ch == "\u3000":
        return " "
    return unicodedata.normalize("NFKC", ch)


_TABLE_LIMIT = 1 << 16


class _FoldTable(dict[int, str]):
    """Code point → its per-character fold, for ``str.translate``; filled on first use."""

    def __init__(self, keep_circled: bool) -> None:
        super().__init__()
        self.keep_circled = keep_circled

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code), self.keep_circled)
        if len(self) < _TABLE_LIMIT:  # a mail of every code point must not grow it forever
            self[code] = folded
        return folded


# Folding one character at a time in Python was the parser's hottest loop; translate
# runs it in C, and each distinct character is normalised once per process.
_TABLES = {False: _FoldTable(False), True: _FoldTable(True)}


def nfkc(text: str, *, keep_circled: bool = False) -> str:
    """NFKC of ``text`` (full-width digits, letters and brackets to ASCII), for matching only."""
    if not keep_circled:
        # Longer texts are rarely asked twice and would only make the cache big.
        return _nfkc(text) if len(text) <= CACHED_CHARS else unicodedata.normalize("NFKC", text)
    return fold_text(text, keep_circled=True)


CACHED_CHARS = 2000


# One line or item is asked about by several rules, each folding it again; the cache is
# sized for the lines of one mail, so earlier mails do not linger in it.
@functools.lru_cache(maxsize=256)
def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


@dataclass(frozen=True)
class Folded:
    """A normalised copy of ``original`` with, per folded character, its original index."""

    original: str
    text: str
    origin: tuple[int, ...]  # len(text) + 1 entries; the last is len(original)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span that the folded ``text[start:end]`` came from."""
        if start >= end:
            at = self.origin[start]
            return at, at
        last = self.origin[end - 1]
        # A character that folded into several (⑳ → "20") ends where the next one starts.
        stop = self.origin[end] if self.origin[end] > last else last + 1
        return self.origin[start], stop

    def slice(self, start: int, end: int) -> str:
        """The original text behind the folded ``text[start:end]``."""
        a, b = self.span(start, end)
        return self.original[a:b]


def fold_text(text: str, *, keep_circled: bool = False) -> str:
    """``fold(text).text`` without the index map, for callers that match before they cut."""
    if unicodedata.is_normalized("NFKC", text):
        # Every character NFKC changes (U+3000 and ① among them) is NFKC_QC=No, so it
        # cannot occur in normalised text: nothing here folds. The check runs in C.
        return text
    return text.translate(_TABLES[keep_circled])


def fold(text: str, *, keep_circled: bool = False) -> Folded:
    """Fold ``text`` character by character (NFKC, ideographic space to space).

    Folding per character keeps the index map exact; the price is that a half-width
    kana and its separate voicing mark stay two characters, which no rule here needs.
    """
    table = _TABLES[keep_circled]
    folded = fold_text(text, keep_circled=keep_circled)
    if len(folded) == len(text):
        # No character folds to nothing, so equal lengths mean one for one.
        return Folded(text, folded, tuple(range(len(text) + 1)))
    origin: list[int] = []
    for i, ch in enumerate(text):
        origin.extend([i] * len(table[ord(ch)]))
    origin.append(len(text))
    return Folded(text, folded, tuple(origin))


def circled_value(ch: str) -> int | None:
    """1–20 for ①–⑳, else None."""
    pos = CIRCLED.find(ch)
    return pos + 1 if pos >= 0 and len(ch) == 1 else None


def kanji_to_int(text: str) -> int | None:
    """The value of a kanji numeral below 10,000 (十三 → 13, 二十 → 20, 一〇 → 10), else None."""
    if not text or any(c not in _KANJI_DIGITS and c not in _KANJI_UNITS for c in text):
        return None
    if all(c in _KANJI_DIGITS for c in text):
        # Positional form, as in 一三 or 二〇.
        return int("".join(str(_KANJI_DIGITS[c]) for c in text))
    total = 0
    digit: int | None = None
    for c in text:
        if c in _KANJI_DIGITS:
            if digit is not None:
                return None
            digit = _KANJI_DIGITS[c]
        else:
            total += (1 if digit is None else digit) * _KANJI_UNITS[c]
            digit = None
    return total + (digit or 0)


def to_int(text: str) -> int | None:
    """The value of a number written as digits (any width), one circled number, or kanji."""
    text = text.strip()
    if not text:
        return None
    circled = circled_value(text)
    if circled is not None:
        return circled
    folded = nfkc(text)
    if folded.isascii() and folded.isdigit():
        return int(folded)
    return kanji_to_int(text)


_KANJI_GOU = re.compile(rf"第({KANJI_NUMERAL})号")


def kanji_gou_to_digits(text: str) -> str:
    """Rewrite 第十三号 as 第13号 (for matching; lengths change, so no offsets)."""

    def repl(m: re.Match[str]) -> str:
        value = kanji_to_int(m.group(1))
        return m.group(0) if value is None else f"第{value}号"

    return _KANJI_GOU.sub(repl, text)
