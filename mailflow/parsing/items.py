"""Split a member's reply into items (質疑・意見), one per bullet, number or paragraph.

An item starts at a line opening with a bullet (●・◆■◇□○◎•-＊*) or a number (①–⑳,
(1)（１）, 1. １．1) １）, 問1, Q1, 質問1, 意見1); lines without one continue the item
above, even across a blank line (the seed's demand (3) runs on for a paragraph).
When a section has no bullet at all, each blank-line-separated paragraph is an item.
Lines that are courtesy, 「特になし」, or a line of the reply form separate items and
never belong to one. A ・ line right after a long line that does not end a sentence is a
hard wrap (コンピュータ・記録媒体 wrapped at 70 columns), not a new item.

**Verbatim contract.** Each :class:`ItemSpan` is a contiguous slice ``text[start:end]``
of the text given, the spans are in order and do not overlap, and every character
between two spans (and before the first, after the last) belongs to a bullet or number
marker, whitespace, or an ignored line. So concatenating, in order, gap 0, item 0,
gap 1, item 1, …, last gap gives back the section text exactly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mailflow.domain import ConsultationRef
from mailflow.parsing.inline import QuoteContext
from mailflow.parsing.kinds import (
    classify,
    is_courtesy_line,
    is_lead_in_line,
    is_name_line,
    is_nothing_line,
    is_opening_line,
    is_separator_line,
)
from mailflow.parsing.meta import is_meta_line, meta_prefix, meta_suffix
from mailflow.parsing.model import ParsedItem, ParsedReply
from mailflow.parsing.normalize import CIRCLED, fold, fold_text, nfkc
from mailflow.parsing.references import find_follows, find_reference, opens_with_reference
from mailflow.parsing.reply_form import is_form_line
from mailflow.parsing.sections import (
    Section,
    guess_consultation,
    leading_mention,
    mentioned,
    split_sections,
)
from mailflow.parsing.signature import (
    is_mobile_footer,
    signer_signature_start,
    valediction_start,
)

_BULLET_CHARS = "●・◆■◇□○◎•▪-*→⇒➡▶▷►➤"
# Also 「一、」「2、」「ア.」「(イ)」「b)」: the numbering of lists typed by hand.
MARKER = re.compile(
    rf"^[ \t]*(?:(?:[{re.escape(_BULLET_CHARS)}]|\(\d{{1,2}}\)|\d{{1,2}}[.)](?!\d)|[{CIRCLED}]"
    r"|\d{1,2}、(?!\d)|[一二三四五六七八九十]{1,3}[、.)](?![一二三四五六七八九十\d])"
    r"|\(?[アイウエオカキクケコ][.)]|\([a-h]\)|[a-h]\)"
    r"|(?:問|Q|q|質問|意見|ご質問|ご意見)\s*\d{1,2}(?![\d\-ー－‐])[.:)、]?)[ \t]*)+"
)
_KEPT_NUMBER = re.compile(rf"\(\d{{1,2}}\)|[{CIRCLED}]")
_WRAP_WIDTH = 56  # display columns; clients wrap at ~70, so a wrapped line is at least this long
_SENTENCE_END = "。．.!！?？」』)）"


@dataclass(frozen=True)
class ItemSpan:
    """One item's place in the text: ``text[start:end]`` is the item, verbatim."""

    start: int
    end: int
    text: str
    by: str  # "bullet" | "paragraph"


def _width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


# 「１　諮問書Ｐ．４に…」: a number and an ideographic space number a point, as 1. does.
_IDEOGRAPHIC_NUMBER = re.compile(r"^[ \t]*([0-9０-９]{1,2})\u3000+(?=\S)")


def _marker(line: str) -> int | None:
    """Where an item's text starts on a line opening with a bullet or number, else None."""
    numbered = _IDEOGRAPHIC_NUMBER.match(line)
    if numbered:
        return numbered.end()
    text = fold_text(line, keep_circled=True)
    m = MARKER.match(text)
    if not m or m.end() >= len(text.rstrip()):
        return None
    folded = fold(line, keep_circled=True)  # the index map, only for a line that has a marker
    # (1) and ① stay in the item: the text around them names them (「次の(1)から(3)まで」).
    kept = _KEPT_NUMBER.search(folded.text, 0, m.end())
    end = kept.start() if kept else m.end()
    return folded.span(0, end)[1] if end else 0


def ignorable(line: str) -> bool:
    """Lines that are never (part of) an item: courtesy, 「特になし」, form and rule lines."""
    return (
        is_courtesy_line(line)
        or is_lead_in_line(line)
        or is_nothing_line(line)
        or is_form_line(line)
        or is_separator_line(line)
        or is_meta_line(line)
    )


def split_items(
    text: str,
    start: int = 0,
    end: int | None = None,
    ignore: Callable[[str], bool] = ignorable,
    opens: Callable[[str], bool] | None = None,
) -> tuple[ItemSpan, ...]:
    """Items of ``text[start:end]`` under the verbatim contract of the module docstring.

    ``opens`` tells an unmarked line that begins a new point of its own (it opens with a
    reference: 「[Q31-06]について」「同じく13ページの…」); after a finished sentence such
    a line starts a new item even inside a paragraph.
    """
    end = len(text) if end is None else end
    # (offset, line without newline, where an item's text starts if the line opens one)
    lines: list[tuple[int, str, int | None]] = []
    pos = start
    for raw in text[start:end].splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        lines.append((pos, line, _marker(line)))
        pos += len(raw)
    bulleted = any(
        mark is not None and not ignore(line[mark:]) for _, line, mark in lines if line.strip()
    )
    spans: list[tuple[int, int]] = []
    open_item = False
    previous = ""
    for offset, line, marked in lines:
        mark = marked or 0
        content = line[mark:]
        if not line.strip():
            # A blank line ends a paragraph; bullet items run on past it (seed demand (3)).
            open_item = open_item and bulleted
        elif ignore(content) or (mark > 0 and ignore(line)):  # unmarked: content is line
            open_item = False
        else:
            wrapped = (
                marked is not None
                and line.lstrip()[:1] in "・-*"
                and _width(previous) >= _WRAP_WIDTH
                and not previous.rstrip().endswith(tuple(_SENTENCE_END))
            )
            stripped = len(content) - len(content.lstrip())
            item_start = offset + mark + stripped
            item_end = offset + len(line.rstrip())
            new_point = (
                marked is None
                and opens is not None
                and previous.rstrip().endswith(("。", "．", ".", "!", "！", "?", "？"))
                and opens(line)
            )
            if open_item and (marked is None or wrapped) and not new_point:
                spans[-1] = (spans[-1][0], item_end)
            else:
                spans.append((item_start, item_end))
                open_item = True
        previous = line if line.strip() else previous
    by = "bullet" if bulleted else "paragraph"
    return tuple(ItemSpan(a, b, text[a:b], by) for a, b in spans)


def _body_region(text: str, signer_names: Sequence[str] = ()) -> tuple[int, int]:
    """Offsets of the text without the salutation on top and the signature below."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for raw in lines:
        offsets.append(offsets[-1] + len(raw))
    first = 0
    while first < len(lines) and (
        not lines[first].strip()
        or is_opening_line(lines[first])
        or is_courtesy_line(lines[first])
        or is_meta_line(lines[first])
        or _is_name_intro(lines[first])
    ):
        first += 1
    last = len(lines)
    bare = [line.rstrip("\r\n") for line in lines]
    named = signer_signature_start(bare, signer_names)
    if named is not None and named >= first:
        last = named  # the member's own name (and contact lines) closing the reply
    valediction = valediction_start(bare[:last])
    if valediction is not None and valediction >= first:
        last = valediction  # "Best regards," and the name under it
    while last > first:
        line = lines[last - 1].strip()
        name = _bare_name(line) and last - 1 > first and _ends_before_name(lines[last - 2])
        if not (_closing_filler(line) or name):
            break
        last -= 1
    rest = [line.strip() for line in lines[first:last] if line.strip()]
    if first > 0 and rest and all(_bare_name(line) for line in rest):
        return offsets[last], offsets[last]  # greetings, then only the sender's name
    return offsets[first], offsets[last]


def _is_name_intro(line: str) -> bool:
    """「野口です。」「委員の石田です」: a short self-introduction (a name has no kana
    particles, so 「今回は特になしです。」 is not one)."""
    flat = line.strip().rstrip("。.")
    if len(flat) > 14 or not flat.endswith("です"):
        return False
    name = flat.removesuffix("です").removeprefix("委員の").removeprefix("会長の")
    return _HIRAGANA.search(name) is None


def _closing_filler(line: str) -> bool:
    """Blank, courtesy, separator, address or phone-footer lines below the text."""
    return (
        not line
        or is_courtesy_line(line)
        or is_separator_line(line)
        or "@" in line
        or is_mobile_footer(line)
        or is_meta_line(line)
    )


# Hiragana: a name in a signature is kanji or katakana; a line with particles or verb
# endings (「としては反対」「ありますか」) is a sentence someone left without a 。.
_HIRAGANA = re.compile(r"[ぁ-ゖ]")
_VERDICT = re.compile(r"^(?:賛成|反対|同意|不同意|了承|異議なし|異議あり|可|否|条件付き可)$")


def _bare_name(line: str) -> bool:
    """A short line that can only be a name (「石田」「石田 直樹」「委員 石田直樹」)."""
    flat = nfkc(line).strip().removesuffix("です")
    compact = flat.replace(" ", "")
    return (
        is_name_line(flat)
        and _marker(flat) is None
        and not is_nothing_line(flat)
        and not _VERDICT.match(compact)
        and _HIRAGANA.search(flat) is None
        and len(compact) <= 12
    )


def _ends_before_name(line: str) -> bool:
    """The line above a closing name ends the text: a name under it is a signature.

    Members often end a line without 。, so a short last line directly under text that
    runs on is kept as content: dropping an opinion is worse than keeping a name.
    """
    text = nfkc(line).strip()
    return _closing_filler(text) or _bare_name(text) or text.endswith(("。", ".", "!", "?", ")"))


@dataclass
class _Placer:
    """Gives each item its consultation, strongest evidence first, and remembers what a
    point named so that the points after it (「②…」 under 「①諮問第32号の…」) carry on."""

    consultations: Sequence[ConsultationRef]
    subject: str | None = None  # the consultation the mail's subject names, if one
    carry: str | None = None
    carry_how: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.consultations)

    def _of_id(self, item_id: str | None) -> str | None:
        key = item_id[1:].split("-")[0] if item_id and item_id != "previous" else None
        return key if key in self.keys else None

    def place(
        self, item: ItemSpan, section: Section, context: QuoteContext | None
    ) -> tuple[str | None, float, str | None]:
        """The item's consultation key, the confidence and the reason for a low one."""
        if section.consultation is not None:
            self.carry = None
            return section.consultation, 0.95 if section.how != "title" else 0.85, None
        if section.reason is not None:
            return None, 0.3, section.reason
        if len(self.consultations) == 1:
            return self.consultations[0].key, 0.9, None
        leading = leading_mention(item.text, self.consultations)
        if leading is not None:
            self.carry, self.carry_how = leading, "carried on from the point above"
            return leading, 0.9, None
        if opens_with_reference(item.text, self.keys):
            # A follow-up of one item says nothing about the points after it.
            opened = self._of_id(find_follows(item.text, self.keys))
            if opened is not None:
                return opened, 0.9, None
        if context is not None and context.consultation is not None:
            return context.consultation, 0.85, "consultation of the quoted text above"
        if self.carry is not None:
            return self.carry, 0.8, self.carry_how
        named = mentioned(item.text, self.consultations)
        if len(named) == 1:
            return named[0], 0.75, "consultation named inside the item"
        followed = self._of_id(find_follows(item.text, self.keys))
        if followed is not None:
            return followed, 0.75, "consultation taken from the item it follows"
        if self.subject is not None:
            return self.subject, 0.7, "consultation named in the subject"
        guessed = guess_consultation(item.text, self.consultations)
        if guessed is not None:
            return guessed, 0.6, "consultation guessed from title words"
        return None, 0.3, "no consultation named"


def _context_at(contexts: Sequence[QuoteContext], offset: int) -> QuoteContext | None:
    found = None
    for context in contexts:
        if context.start <= offset:
            found = context
    return found


def _trim(span: ItemSpan) -> ItemSpan:
    """The span without courtesy or announcing sentences at its start and end."""
    text = span.text
    head = meta_prefix(text)
    tail = meta_suffix(text)
    if head >= tail:
        return ItemSpan(span.start, span.start, "", span.by)
    while head < tail and text[head].isspace():
        head += 1
    while tail > head and text[tail - 1].isspace():
        tail -= 1
    return ItemSpan(span.start + head, span.start + tail, text[head:tail], span.by)


def split_reply(
    new_text: str,
    consultations: Sequence[ConsultationRef],
    *,
    signer_names: Sequence[str] = (),
    contexts: Sequence[QuoteContext] = (),
    subject: str = "",
) -> ParsedReply:
    """A member's new text as items per consultation; 「特になし」 alone is an empty reply.

    ``signer_names`` are the member's own names: a closing line that opens with one
    (「委員：石田直樹」) is a signature, not part of the last item. ``contexts`` say what
    the quoted text above each block of an inline reply was about; ``subject`` is the
    mail's subject, which may name the one consultation the mail is about.
    """
    first, last = _body_region(new_text, signer_names)
    items: list[ParsedItem] = []
    nothing = False
    named = mentioned(subject, consultations) if subject else ()
    placer = _Placer(consultations, named[0] if len(named) == 1 else None)
    keys = placer.keys

    def opens(line: str) -> bool:
        return opens_with_reference(line, keys)

    current: QuoteContext | None = None
    for section in split_sections(new_text, consultations):
        a, b = max(section.start, first), min(section.end, last)
        if a >= b:
            continue
        nothing = nothing or any(is_nothing_line(line) for line in new_text[a:b].splitlines())
        for found in split_items(new_text, a, b, opens=opens):
            span = _trim(found)
            if not span.text.strip():
                continue  # a bare marker (「Q¼」 reads as one) carries no text
            context = _context_at(contexts, span.start)
            if context is not current:
                current, placer.carry = context, None  # a new inline block: its own quote
            key, confidence, reason = placer.place(span, section, context)
            follows = find_follows(span.text, keys)
            if context is not None and context.follows and follows in (None, "previous"):
                follows = context.follows
            if span.by == "paragraph":
                confidence -= 0.15
                reason = reason or "split by paragraph"
            items.append(
                ParsedItem(
                    text=span.text,
                    consultation=key,
                    kind=classify(span.text),
                    reference=find_reference(span.text),
                    follows=follows,
                    confidence=round(confidence, 2),
                    reason=reason,
                )
            )
    return ParsedReply(items=tuple(items), empty_reply=not items and nothing)
