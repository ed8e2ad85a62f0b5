"""What a reply typed inline is about: the quoted heading or question right above it.

Thunderbird, Gmail and Outlook users often answer *inside* the mail they reply to:
under the quoted 「■諮問第31号 …」 of the call's form, or under a quoted 「[Q32-08]」 of
the distribution. Their text names no consultation because the quote above it does.
Reading up from the block through the quoted lines, the first line that *starts*
with an item ID or is a consultation heading gives the context; a line that ends the
form (「回答欄ここまで」) or a quote header in between means the block was written
below the whole quote (bottom-posting), and then the quote says nothing about it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from mailflow.domain import ConsultationRef, ItemId
from mailflow.parsing.normalize import DASHES, nfkc
from mailflow.parsing.sections import split_sections

_QUOTE_PREFIX = re.compile(r"^(?:[ \t]*[>＞|][ \t]?)+")
_LEADING_ID = re.compile(
    rf"^\s*+(?:[●・■◆*\-]\s*+)?+[\[【(<〔]?+\s*+[Qq]\s*+(\d++)\s*+[{DASHES}]\s*+(\d++)"
)
_STOP = re.compile(
    r"回答欄ここまで|答申欄ここまで|^-{3,}\s*(?:original|元の)|wrote:$|書きました[:：]$"
)
_MAX_LINES_UP = 30


@dataclass(frozen=True)
class QuoteContext:
    """Where a block of new text begins (offset in the new text) and what the quoted
    lines right above it were about."""

    start: int
    consultation: str | None
    follows: str | None


def read_context(
    quoted_above: Sequence[str], consultations: Sequence[ConsultationRef]
) -> tuple[str | None, str | None]:
    """The consultation key and the item ID the nearest quoted heading or ID names."""
    keys = {c.key for c in consultations}
    seen = 0
    for raw in reversed(quoted_above):
        line = _QUOTE_PREFIX.sub("", raw).rstrip()
        if not line.strip():
            continue
        seen += 1
        if seen > _MAX_LINES_UP or _STOP.search(nfkc(line).strip().lower()):
            return None, None
        m = _LEADING_ID.match(nfkc(line))
        if m:
            item = str(ItemId(m.group(1), int(m.group(2))))
            return (m.group(1) if m.group(1) in keys else None), item
        if line.lstrip().startswith(("・", "･", "●", "-", "－", "→")):
            # The call's list of consultations, a quoted question (●) or answer (-):
            # only a heading or an ID above them says what the block is about.
            continue
        for section in split_sections(line + "\n", consultations):
            if section.how != "none" and section.consultation is not None:
                return section.consultation, None
    return None, None
