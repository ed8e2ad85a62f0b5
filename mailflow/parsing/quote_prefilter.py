"""Quick necessary tests on the quote-header table, so most lines skip the row-by-row search."""

from __future__ import annotations

import functools
import importlib
import re
from typing import Any

from mailflow.parsing.quote_patterns import HEADER_PATTERNS, HeaderKind, HeaderPattern

MAX_HEADER_LINES = max(row.max_lines for row in HEADER_PATTERNS)
FIELD_ROWS = tuple(row for row in HEADER_PATTERNS if row.kind is HeaderKind.FIELDS)
_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})


def last_chars(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The characters every full match of ``pattern`` ends with, or None if not plain.

    Read from CPython's own regex parser: the last top-level element must be a literal,
    a class of literals, or such an element repeated at least once. The parser is
    private, so anything unexpected answers None, which only costs speed.
    """
    try:
        parser: Any = importlib.import_module("re._parser")
        op, arg = list(parser.parse(pattern.pattern, pattern.flags))[-1]
        if op.name in _REPEATS:
            low, _high, body = arg
            if low < 1 or len(body) != 1:
                return None
            op, arg = body[0]
        if op.name == "LITERAL":
            codes = [arg]
        elif op.name == "IN" and all(o.name == "LITERAL" for o, _ in arg):
            codes = [value for _, value in arg]
        else:
            return None
        chars = frozenset(chr(int(code)) for code in codes)
    except Exception:  # another parser than the one this was written against
        return None
    # Under IGNORECASE a letter also matches its other case: only caseless ones are sure.
    return chars if all(c.lower() == c == c.upper() for c in chars) else None


_ENDINGS = tuple(last_chars(row.pattern) for row in HEADER_PATTERNS)
END_CHARS = frozenset(c for ends in _ENDINGS if ends for c in ends)
_ENDS_BY_ROW = {id(row): ends for row, ends in zip(HEADER_PATTERNS, _ENDINGS, strict=True)}


def may_end_with(row: HeaderPattern, char: str) -> bool:
    """False when no text ending in ``char`` can fullmatch the row's pattern."""
    ends = _ENDS_BY_ROW.get(id(row))  # rows are the table's own, alive as long as it is
    return ends is None or char in ends


def _alternatives(rows: tuple[HeaderPattern, ...]) -> tuple[re.Pattern[str], ...]:
    """The rows' patterns as few as possible: one alternation per set of flags."""
    by_flags: dict[int, list[str]] = {}
    for row in rows:
        by_flags.setdefault(row.pattern.flags, []).append(f"(?:{row.pattern.pattern})")
    out: list[re.Pattern[str]] = []
    for flags, sources in by_flags.items():
        try:
            out.append(re.compile("|".join(sources), flags))
        except re.error:  # e.g. a row reusing a group name: keep its rows apart
            out.extend(row.pattern for row in rows if row.pattern.flags == flags)
    return tuple(out)


@functools.cache
def any_row(lines: int, digit: bool, last: str) -> tuple[re.Pattern[str], ...]:
    """Patterns that fullmatch a window only if some row of the table (but FIELDS) could.

    The window spans ``lines`` lines, holds a digit or @ or not, and ends with ``last``
    when that is one of END_CHARS ("" otherwise): rows whose matches end otherwise are
    left out. Compiled once per combination, on first use.
    """
    return _alternatives(
        tuple(
            row
            for row, ends in zip(HEADER_PATTERNS, _ENDINGS, strict=True)
            if row.kind is not HeaderKind.FIELDS
            and row.max_lines >= lines
            and (digit or not row.needs_digit)
            and (ends is None or last in ends)
        )
    )
