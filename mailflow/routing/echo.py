"""Replies to our own receipts that say nothing new: the mark of an auto-responder loop.

An auto-responder that writes no RFC 3834 headers answers every receipt, and every
answer used to become items and draw another receipt. A reply to a receipt is an
echo when its new text is empty, is only lines of the receipt itself (pasted back
unquoted), or is (nearly) the same text as one the same sender sent shortly before — a
canned answer. Echoes are filed and reported, never answered.
"""

from __future__ import annotations

import difflib
import enum
import re
import unicodedata
from collections.abc import Iterator, Sequence

# Enough of a text to tell a canned answer from a new one, and few enough characters
# that difflib's quadratic worst case stays in milliseconds whatever the mail holds.
_COMPARED = 300
_SAME = 0.9
_QUOTE_MARK = re.compile(r"^[\s>|＞]*")
_SPACE = re.compile(r"\s+")


class EchoReason(enum.StrEnum):
    """Why a reply to our receipt carries nothing new (worded for staff in
    `outbound.alerts`)."""

    NO_TEXT = "no_text"  # no text of its own
    RECEIPT_LINES = "receipt_lines"  # only lines of the receipt, pasted back unquoted
    SAME_AS_EARLIER = "same_as_earlier"  # (nearly) the text of a recent mail of the sender


def _lines(text: str) -> Iterator[str]:
    for line in text.splitlines():
        bare = _SPACE.sub(" ", _QUOTE_MARK.sub("", unicodedata.normalize("NFKC", line))).strip()
        if bare:
            yield bare


def _flat(text: str) -> str:
    # Only the first characters are compared: a prefix of the text is enough to make them.
    return " ".join(_lines(text[: _COMPARED * 4]))[:_COMPARED]


def echo_reason(new_text: str, receipt_text: str, earlier: Sequence[str]) -> EchoReason | None:
    """Why a reply to our receipt carries nothing new, or None when it does.

    `receipt_text` is the text of the receipt it answers; `earlier` the new texts of the
    sender's latest mails before it.
    """
    lines = _lines(new_text)
    first = next(lines, None)
    if first is None:
        return EchoReason.NO_TEXT
    ours = set(_lines(receipt_text))
    # Lazily: the first line of its own ends the look at a long text.
    if first in ours and all(line in ours for line in lines):
        return EchoReason.RECEIPT_LINES
    flat = _flat(new_text)
    for before in earlier:
        other = _flat(before)
        if not other:
            continue
        matcher = difflib.SequenceMatcher(None, flat, other, autojunk=False)
        if matcher.quick_ratio() >= _SAME and matcher.ratio() >= _SAME:
            return EchoReason.SAME_AS_EARLIER
    return None
