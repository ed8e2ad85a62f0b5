"""Items that belong under an earlier item of the same mail: 「次の(1)から(3)までのことについて」.

A member who announces numbered points and then writes them, as the seed's demands
(1)–(3) are written, means them as parts of the announcing item; the minutes nest them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mailflow.parsing.model import ParsedItem
from mailflow.parsing.normalize import nfkc

# 「(1)から(3)まで」「(1)～(3)」「①から③」: the announced range.
_RANGE = re.compile(
    r"(?:[(（]|(?<![0-9０-９]))([0-9０-９]++|[①-⑳])[)）]?\s*+(?:から|～|~|〜|－|-)\s*+[(（]?"
    r"([0-9０-９]++|[①-⑳])[)）]?"
)
# An item that opens with its number: 「(2)…」「（２）…」「②…」「2.」.
_OPENS = re.compile(r"^\s*(?:[(（]([0-9０-９]+)[)）]|([①-⑳])|([0-9０-９]+)[.．、])")


def _num(token: str) -> int:
    if "①" <= token <= "⑳":
        return ord(token) - ord("①") + 1
    return int(nfkc(token))


def parents(items: Sequence[ParsedItem]) -> tuple[int | None, ...]:
    """For each item, the index of the item it belongs under in this mail, or None."""
    out: list[int | None] = [None] * len(items)
    for i, item in enumerate(items):
        found = _RANGE.search(item.text.replace("（", "(").replace("）", ")"))
        if not found or ("次の" not in item.text and "以下の" not in item.text):
            continue
        low, high = _num(found.group(1)), _num(found.group(2))
        want = low
        for j in range(i + 1, len(items)):
            m = _OPENS.match(items[j].text)
            if not m:
                break
            n = _num(next(g for g in m.groups() if g))
            if n != want or n > high:
                break
            out[j] = i
            want += 1
    return tuple(out)
