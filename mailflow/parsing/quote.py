"""Split a reply body into what the author newly wrote and the thread they quoted."""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from mailflow.parsing.quote_patterns import (
    ANY_FIELD,
    HEADER_PATTERNS,
    QUOTE_MARK,
    HeaderKind,
    HeaderPattern,
)
from mailflow.parsing.quote_patterns import (
    WROTE_WORDS as _WROTE_WORDS,
)
from mailflow.parsing.quote_prefilter import (
    END_CHARS,
    FIELD_ROWS,
    MAX_HEADER_LINES,
    any_row,
    may_end_with,
)
from mailflow.parsing.signature import signature_start

_MAX_WINDOW_CHARS = 400
_MAX_FIELD_BLOCK = 15
_SENTENCE_END = re.compile(r"(?:[。!！?？]|(?<=[A-Za-z]{2})\.)\s*$")
_HAS_DIGIT_OR_AT = re.compile(r"[0-9０-９@＠]")
_ADDRESS_START = re.compile(r"\s*[^\s@<>]+@")


@dataclass(frozen=True)
class Segment:
    """A run of consecutive lines of the body, in order.

    ``quoted`` marks the old thread (``>`` lines, or everything below an Outlook header);
    ``header`` marks the line(s) that start a quote (「-----Original Message-----」,
    「… wrote:」, 「差出人: …」); ``signature`` marks the author's trailing signature,
    which is neither quoted nor new text.
    """

    text: str
    quoted: bool
    first_line: int
    header: bool = False
    signature: bool = False
    client: str | None = None  # for headers and the thread below them: the row that matched


@dataclass(frozen=True)
class HeaderMatch:
    """A quote header found at ``start``; ``end`` is the first line after it (exclusive)."""

    row: HeaderPattern
    start: int
    end: int


class _Kind(enum.Enum):
    TEXT = "text"
    QUOTE = "quote"
    HEADER = "header"
    THREAD = "thread"  # unquoted old message below a header


def is_quoted_line(line: str) -> bool:
    """True for a line the client prefixed with ``>`` or 「＞」 (at any nesting depth)."""
    return QUOTE_MARK.match(line) is not None


def _window(lines: Sequence[str], start: int, end: int) -> str:
    return " ".join(s for s in (line.strip() for line in lines[start:end]) if s)


def _row_matches(row: HeaderPattern, text: str) -> bool:
    if not text or len(text) > _MAX_WINDOW_CHARS or not may_end_with(row, text[-1]):
        return False
    if row.needs_digit and not _HAS_DIGIT_OR_AT.search(text):
        return False
    return row.pattern.fullmatch(text) is not None


def _continues(previous: str, line: str) -> bool:
    """True when ``line`` is the wrapped rest of ``previous`` (Gmail folds before addresses)."""
    return (
        previous.rstrip().endswith(("<", "＜", "〈", ",", "、", "("))
        or line.lstrip().startswith(("<", ">", "＜", "＞", "〈", "mailto:"))
        or _ADDRESS_START.match(line) is not None
    )


def _consume_fields(lines: Sequence[str], i: int) -> int:
    """Skip an Outlook-style block of 「件名: …」 lines (with wrapped values) from ``i``."""
    n = len(lines)
    j = i
    while j < n and j - i < _MAX_FIELD_BLOCK:
        line = lines[j]
        if not line.strip() or is_quoted_line(line):
            break
        if ANY_FIELD.fullmatch(line) or any(
            ANY_FIELD.fullmatch(nxt) for nxt in lines[j + 1 : j + 3] if nxt.strip()
        ):
            # A wrapped value (a long 件名) counts only when a field line follows it.
            j += 1
            continue
        break
    return j


def _field_follows(lines: Sequence[str], i: int) -> bool:
    following = [line for line in lines[i + 1 : i + 4] if line.strip()][:2]
    return any(ANY_FIELD.fullmatch(line) for line in following)


def _may_start_header(lines: Sequence[str], i: int) -> bool:
    """False when no row of the table can match at line ``i`` (see ``any_row``).

    Tries the same windows as ``match_header``, built up one line at a time.
    """
    if any(row.pattern.fullmatch(lines[i]) and _field_follows(lines, i) for row in FIELD_ROWS):
        return True
    one_line = _SENTENCE_END.search(lines[i]) is not None
    last = i + 1 if one_line else min(len(lines), i + MAX_HEADER_LINES)
    parts: list[str] = []
    digit = False
    for end in range(i + 1, last + 1):
        part = lines[end - 1].strip()
        if not part:
            continue  # a window never ends on a blank line (and line i is not blank)
        parts.append(part)
        digit = digit or _HAS_DIGIT_OR_AT.search(part) is not None
        text = " ".join(parts)
        if len(text) > _MAX_WINDOW_CHARS:
            return False  # the windows only grow from here
        tail = text[-1] if text[-1] in END_CHARS else ""
        if any(p.fullmatch(text) for p in any_row(end - i, digit, tail)):
            return True
    return False


def match_header(lines: Sequence[str], i: int) -> HeaderMatch | None:
    """The quote header that starts at line ``i``, trying the client table row by row."""
    first = lines[i]
    if not first.strip() or is_quoted_line(first) or not _may_start_header(lines, i):
        return None
    one_line = _SENTENCE_END.search(first) is not None  # an ended sentence does not wrap
    windows: dict[tuple[int, int], str] = {}  # each joined once, however many rows ask

    def window(start: int, end: int) -> str:
        text = windows.get((start, end))
        if text is None:
            text = windows[start, end] = _window(lines, start, end)
        return text

    for row in HEADER_PATTERNS:
        if row.kind is HeaderKind.FIELDS:
            if row.pattern.fullmatch(first) and _field_follows(lines, i):
                return HeaderMatch(row, i, _consume_fields(lines, i + 1))
            continue
        for end in range(i + 1, min(len(lines), i + row.max_lines) + 1):
            if end > i + 1 and (one_line or not lines[end - 1].strip()):
                continue
            if not _row_matches(row, window(i, end)):
                continue
            # Prefer the latest start: a wrapped header must not swallow the text above it.
            if any(
                _row_matches(row, window(s, end)) and not _continues(lines[s - 1], lines[s])
                for s in range(i + 1, end)
            ):
                break
            stop = end
            if row.kind in (HeaderKind.SEPARATOR, HeaderKind.FORWARD):
                stop = _consume_fields(lines, end)
            return HeaderMatch(row, i, stop)
    return None


def _next_nonblank(lines: Sequence[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


# What only our own mails carry: below an attribution, they are the old thread even
# when nothing was written above it (an empty reply must not echo our call back).
_OUR_MAIL = re.compile(r"回答欄|答申欄|自動送信|^\s*\[Q\d+-\d+\]")


def _classify(lines: Sequence[str]) -> tuple[tuple[_Kind, ...], tuple[HeaderMatch, ...]]:
    """Each line's kind, and the headers found (in order)."""
    return _classified(tuple(lines))


# One mail's lines are classified by several readers in turn (its segments, the thread
# below the first header for the reply form, a forward's text); the result is shared.
# Only within a mail: a few are kept, as each holds a copy of a body's lines.
@functools.lru_cache(maxsize=4)
def _classified(lines: tuple[str, ...]) -> tuple[tuple[_Kind, ...], tuple[HeaderMatch, ...]]:
    n = len(lines)
    kinds = [_Kind.TEXT] * n
    headers: list[HeaderMatch] = []
    i = 0
    while i < n:
        if is_quoted_line(lines[i]):
            kinds[i] = _Kind.QUOTE
            i += 1
            continue
        found = match_header(lines, i)
        if found is None:
            i += 1
            continue
        headers.append(found)
        kinds[found.start : found.end] = [_Kind.HEADER] * (found.end - found.start)
        following = _next_nonblank(lines, found.end)
        if following < n and is_quoted_line(lines[following]):
            # Bottom- or inline-posting: only the quoted lines belong to the old message.
            i = found.end
            continue
        if (
            found.row.kind is HeaderKind.REPLY
            and not any(kinds[k] is _Kind.TEXT and lines[k].strip() for k in range(found.start))
            and not any(_OUR_MAIL.search(line) for line in lines[found.end :])
        ):
            # An attribution with nothing written above it and plain text below: nobody
            # top-posts above nothing, so the text below is the reply (a client that puts
            # the attribution first and leaves the reply unquoted under it).
            i = found.end
            continue
        # Top-posting (Outlook, carrier mail): the old message runs, unquoted, to the end.
        kinds[found.end :] = [_Kind.THREAD] * (n - found.end)
        break
    _attach_blank_lines(lines, kinds)
    return tuple(kinds), tuple(headers)


def _attach_blank_lines(lines: Sequence[str], kinds: list[_Kind]) -> None:
    """Blank lines inside a quote belong to it; those next to new text stay text."""
    old = (_Kind.QUOTE, _Kind.HEADER, _Kind.THREAD)
    n = len(lines)
    blank = [not line.strip() for line in lines]
    # The kind of the nearest non-blank line on each side, computed once (linear time).
    before: list[_Kind | None] = [None] * n
    after: list[_Kind | None] = [None] * n
    last: _Kind | None = None
    for i in range(n):
        before[i] = last
        if not blank[i]:
            last = kinds[i]
    last = None
    for i in range(n - 1, -1, -1):
        after[i] = last
        if not blank[i]:
            last = kinds[i]
    for i in range(n):
        if not blank[i] or kinds[i] is not _Kind.TEXT:
            continue
        if (after[i] in old and before[i] in (*old, None)) or (
            after[i] is None and before[i] in old
        ):
            kinds[i] = _Kind.QUOTE


def _runs(kinds: Sequence[_Kind]) -> list[tuple[_Kind, int, int]]:
    runs: list[tuple[_Kind, int, int]] = []
    start = 0
    for i in range(1, len(kinds) + 1):
        if i == len(kinds) or kinds[i] is not kinds[start]:
            runs.append((kinds[start], start, i))
            start = i
    return runs


# 「Sure thing. On Mon, 5 Jan 2021 at 9:00, Ann <ann@x> wrote:」: a client that puts the
# reply and the attribution on one line. Split after the sentence, so the reply stays.
_INLINE_ATTRIBUTION = re.compile(
    rf"(?<=[.!?。！？])[ \t]++(?=(?:on|am|le|el|em|il|op|den)\s[^\n]{{0,300}}?(?:{_WROTE_WORDS})"
    r"[^\n]{0,80}:\s*$)",
    re.IGNORECASE,
)


def _split_inline_attributions(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        m = _INLINE_ATTRIBUTION.search(line) if ":" in line and len(line) < 600 else None
        if m is None or is_quoted_line(line):
            out.append(line)
            continue
        out += [line[: m.start()], line[m.end() :]]
    return out


def segments(body: str, signer_names: Sequence[str] = ()) -> list[Segment]:
    """The body as ordered segments: new text, quotes, quote headers and the signature.

    ``signer_names`` are the sender's known names, a hint for finding the signature.
    """
    # One mail's body is segmented by several readers in turn (new text, answers, the
    # inline blocks); the segments are frozen, so the same result is shared.
    return list(_segments(body, tuple(signer_names)))


@functools.lru_cache(maxsize=8)
def _segments(body: str, signer_names: tuple[str, ...]) -> tuple[Segment, ...]:
    lines = _split_inline_attributions(body.split("\n"))
    kinds, headers = _classify(lines)
    runs = _runs(kinds)
    last_text = max(
        (k for k, (kind, s, e) in enumerate(runs) if kind is _Kind.TEXT and _window(lines, s, e)),
        default=None,
    )
    clients = {h.start: h.row.client for h in headers}
    out: list[Segment] = []
    client: str | None = None
    for k, (kind, start, end) in enumerate(runs):
        if kind is _Kind.HEADER:
            client = clients.get(start, client)
        chunk = lines[start:end]
        if kind is _Kind.TEXT:
            sig = signature_start(chunk, signer_names) if k == last_text else None
            if sig is not None and sig > 0:
                out.append(Segment("\n".join(chunk[:sig]), False, start))
            if sig is not None:
                out.append(Segment("\n".join(chunk[sig:]), False, start + sig, signature=True))
            else:
                out.append(Segment("\n".join(chunk), False, start))
            continue
        out.append(
            Segment(
                "\n".join(chunk),
                quoted=True,
                first_line=start,
                header=kind is _Kind.HEADER,
                client=client if kind in (_Kind.HEADER, _Kind.THREAD) else None,
            )
        )
    return tuple(out)


def _tidy(text: str) -> str:
    """Trailing spaces and surrounding blank lines go; nothing inside is rewritten."""
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


@dataclass(frozen=True)
class NewBlock:
    """One block of new text, where it starts in the new text, and the quoted lines
    right above it (for a reply typed inline under a quoted heading or question)."""

    start: int
    text: str
    quoted_above: tuple[str, ...]


_MAX_CONTEXT_LINES = 40


def new_text_blocks(
    body: str, signer_names: Sequence[str] = ()
) -> tuple[str, tuple[NewBlock, ...]]:
    """The new text (as :func:`extract_new_text`) and its blocks, each with its context."""
    blocks: list[NewBlock] = []
    above: list[str] = []
    pos = 0
    for seg in segments(body, signer_names):
        if seg.signature:
            continue
        if seg.quoted:
            above.extend(seg.text.split("\n"))
            above = above[-_MAX_CONTEXT_LINES:]
            continue
        text = _tidy(seg.text)
        if not text.strip():
            continue
        if blocks:
            pos += 2  # the blank line that joins two blocks
        blocks.append(NewBlock(pos, text, tuple(above)))
        pos += len(text)
        above = []
    if blocks:
        return "\n\n".join(b.text for b in blocks), tuple(blocks)
    forwarded = _forwarded_text(body, signer_names)
    return forwarded, ((NewBlock(0, forwarded, ()),) if forwarded else ())


def first_thread_message(body: str) -> str:
    """The unquoted old mail right below the first quote header (Outlook's top-posting),
    up to the next header; "" when the first header is followed by ``>`` quotes."""
    lines = body.split("\n")
    kinds, headers = _classify(lines)
    if not headers:
        return ""
    start = headers[0].end
    stop = headers[1].start if len(headers) > 1 else len(lines)
    if not any(k is _Kind.THREAD for k in kinds[start:stop]):
        return ""
    return "\n".join(lines[start:stop])


def extract_new_text(body: str, signer_names: Sequence[str] = ()) -> str:
    """Only what the author newly wrote: quotes, quote headers and the signature removed.

    Every non-quoted block is kept, in order, so answers written inline between quoted
    questions survive. The result is always a subsequence of ``body``: characters are
    only deleted, never rewritten.
    """
    return new_text_blocks(body, signer_names)[0]


def _forwarded_text(body: str, signer_names: Sequence[str]) -> str:
    """A forward with nothing written above it: the forwarded message is what was sent.

    Only forwards qualify: an empty reply above our own quoted mail must stay empty, or
    the quoted call for questions would come back as the member's questions.
    """
    lines = body.split("\n")
    _, headers = _classify(lines)
    if not headers or headers[0].row.kind is not HeaderKind.FORWARD:
        return ""
    rest = "\n".join(lines[headers[0].end :])
    if not rest.strip() or is_quoted_line(lines[_next_nonblank(lines, headers[0].end) :][0]):
        return ""
    return extract_new_text(rest, signer_names)
