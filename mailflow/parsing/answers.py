"""Read a department's answers (回答) to a bundle of questions, from the whole reply body.

Departments answer in four ways; the first that yields answers wins:

1. **xlsx** — the answer sheet we attached, filled in (:mod:`.answer_sheet`).
2. **markers** — answers written under each question's ID, the ID line quoted or not::

       > [Q13-03] 諮問書P. 2「4…」について、…明確化すべきではないか。
       受託者側に連絡責任者を設定する目的は、…

   Everything unquoted between one ID line and the next is the answer, up to a closing
   「以上」 of the writer's own: below it comes the sign-off, where only a labelled line is
   still an answer. In an Outlook thread (quoted without ``>``) only a labelled line
   (「回答：」「→」「A.」) starts one.
3. **id-list** — a list that names the IDs: 「Q13-3：…」「Ｑ13－03 回答：…」.
4. **order** — as many answers (bullets or paragraphs) as questions and no ID anywhere:
   matched in order, with a lower confidence.

IDs that were not asked of this department are reported in ``unknown``; expected IDs
without an answer in ``unanswered``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from mailflow.domain import ItemId
from mailflow.parsing.answer_sheet import read_answer_sheet
from mailflow.parsing.attachment_bounds import AttachmentRefused, TextBounds
from mailflow.parsing.deferrals import adds_to_earlier, deferred_in, is_deferral
from mailflow.parsing.items import split_items
from mailflow.parsing.kinds import (
    is_closing_line,
    is_courtesy_line,
    is_name_line,
    is_opening_line,
    is_separator_line,
)
from mailflow.parsing.model import Attachment, ParsedAnswer, ParsedAnswers, RefusedAttachment
from mailflow.parsing.normalize import CIRCLED, DASHES, fold
from mailflow.parsing.quote import extract_new_text, is_quoted_line, segments

_XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows an answer sheet may hold beyond one per item asked: title rows, notes, blank lines.
_SHEET_ROW_MARGIN = 100
_ORDER_CONFIDENCE = 0.5
# Runs of spaces taken whole (possessive): nothing after one starts with a space, and
# letting them give back made a line of spaces cubic (minutes for 4,000).
# 「(2) Q31-02：…」「3. Q31-03 …」: the department's own numbering may come first.
_ID_LINE = re.compile(
    rf"^[\s>]*+[■●・◆*\-]?\s*+(?:\(\d{{1,2}}\)|\d{{1,2}}[.)](?!\d)|\d{{1,2}}\s(?=\s*+[【\[(<〔]?\s*+[Qq])|[{CIRCLED}])?+\s*+"
    rf"[【\[(<〔]?\s*+[Qq]\s*+(\d+)\s*+[{DASHES}]\s*+(\d+)(?!\d)\s*+[】\])>〕]?"
    r"\s*+(?:について|への回答|の回答|に対する回答)?+(?:は|では)?+\s*+[:.、,]?\s*+"
)
_ENUMERATOR = re.compile(rf"^\s*(?:[(（][0-9０-９]{{1,2}}[)）]|[{CIRCLED}])\s*")
_LABEL = re.compile(
    r"^\s*(?:[【\[(]\s*(?:回答|答|ご回答)\s*[】\])]|(?:回答|答|ご回答|A)\s*[:.]|→|⇒|=>)\s*"
)


@dataclass(frozen=True)
class _Line:
    text: str
    quoted: bool  # part of the quoted thread (``>`` or below a quote header)
    skip: bool  # quote header or signature: never part of an answer


def _lines(body: str, signer_names: Sequence[str]) -> list[_Line]:
    out: list[_Line] = []
    for seg in segments(body, signer_names):
        for line in seg.text.split("\n"):
            out.append(_Line(line, seg.quoted, seg.header or seg.signature))
    return out


def _strip_label(text: str) -> tuple[str, bool]:
    folded = fold(text)
    m = _LABEL.match(folded.text)
    if not m:
        return text, False
    return text[folded.span(0, m.end())[1] :], True


def _tidy(lines: Sequence[str]) -> str:
    kept = list(lines)
    while kept and (not kept[-1].strip() or is_courtesy_line(kept[-1])):
        kept.pop()
    return "\n".join(line.rstrip() for line in kept).strip("\n").strip()


@dataclass(frozen=True)
class _Found:
    item: str
    text: str
    inline: bool  # written on the ID line itself (an ID list)


def _region(
    lines: Sequence[_Line], start: int, stop: int
) -> tuple[list[tuple[str, bool]], int | None]:
    """A marker's lines from ``start`` up to ``stop``, a quote header, a signature or 以上.

    Returns the lines as (text, from an unprefixed thread) and where a 以上 ended them.
    """
    block: list[tuple[str, bool]] = []
    for k in range(start, stop):
        line = lines[k]
        if line.skip:
            return block, None  # a quote header or signature ends the answer
        if line.quoted and is_quoted_line(line.text):
            # Not even a quoted 以上 ends the region: a bottom-poster writes the answer below it.
            continue
        if is_closing_line(line.text):
            return block, k
        block.append((line.text, line.quoted))
    return block, None


def _labelled_after(lines: Sequence[_Line], start: int, stop: int) -> int | None:
    """The first labelled line from ``start``, before a quote header or signature."""
    for k in range(start, stop):
        line = lines[k]
        if line.skip:
            return None
        if not (line.quoted and is_quoted_line(line.text)) and _strip_label(line.text)[1]:
            return k
    return None


def _without_sign_off(block: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """The block without a last paragraph of name lines (課名・氏名), if it has another one."""
    end = len(block)
    while end and not block[end - 1][0].strip():
        end -= 1
    start = end
    while start and block[start - 1][0].strip():
        start -= 1
    tail = block[start:end]
    if start and all(is_name_line(t) or is_courtesy_line(t) for t, _ in tail):
        return block[:start]
    return block


_BRACKETED = re.compile(rf"^[\s>]*+[■●・◆*\-]?\s*+[【\[〔]\s*+[Qq]\s*+\d++\s*+[{DASHES}]")
# After an ID that only a sentence goes on from: 「（Q31-04の回答もご参照ください）」,
# 「Q31-04の回答のとおり、…」 — a reference in an answer, not the start of one.
_PROSE_AFTER = re.compile(
    r"の(?:ご)?回答(?:の|を|に|も|と|で|では|によ)|[をもでがへ]|と(?!して)|に(?!つ|関|対)|の(?!回答|件)"
)


def _in_prose(text: str, m: re.Match[str]) -> bool:
    """True when the ID ``m`` found at the head of ``text`` is a reference in a sentence."""
    head = text[: m.start(1)]
    opened = head.rstrip().endswith("(")
    after = text[m.end(2) :]
    closes = after.lstrip().startswith((")", "]", "】", "〕", ">"))
    if opened and not closes:
        return True
    return not closes and _PROSE_AFTER.match(after.lstrip()) is not None


def _by_markers(lines: Sequence[_Line]) -> list[_Found]:
    marks: list[tuple[int, str, int]] = []  # (line index, item ID, offset after the ID)
    for i, line in enumerate(lines):
        if line.skip:
            continue
        folded = fold(line.text)
        m = _ID_LINE.match(folded.text)
        if m and not _in_prose(folded.text, m):
            item = str(ItemId(m.group(1), int(m.group(2))))
            if item in {mark[1] for mark in marks} and not _BRACKETED.match(folded.text):
                continue  # 「Q31-04の回答のとおり…」 again, inside another answer
            marks.append((i, item, folded.span(0, m.end())[1]))
    found: list[_Found] = []
    for n, (i, item, after) in enumerate(marks):
        stop = marks[n + 1][0] if n + 1 < len(marks) else len(lines)
        head = lines[i]
        block, closed = _region(lines, i + 1, stop)
        if not head.quoted:
            block.insert(0, (head.text[after:], False))
        answer = _answer(item, block, inline=not head.quoted and bool(head.text[after:].strip()))
        # A department that copies the bundle keeps its closing 以上 and signs below it: the
        # sign-off is no answer. Only a labelled line there is (the last 「回答：」 written
        # out below the 以上 rather than under it).
        while (
            closed is not None and (resume := _labelled_after(lines, closed + 1, stop)) is not None
        ):
            block, closed = _region(lines, resume, stop)
            # Below a closing, the writer is signing off: a name there is a signature.
            more = _answer(item, _without_sign_off(block), inline=False)
            text = "\n\n".join(t for t in (answer.text, more.text) if t)
            answer = _Found(item, text, answer.inline if answer.text else more.inline)
        found.append(answer)
    return found


def _answer(item: str, block: Sequence[tuple[str, bool]], *, inline: bool) -> _Found:
    """The answer in a marker's block: from a labelled line if any, else its own lines."""
    for k, (text, _) in enumerate(block):
        rest, labelled = _strip_label(text)
        if labelled:
            tail = [rest] + [t for t, _ in block[k + 1 :]]
            return _Found(item, _tidy(tail), inline and k == 0)
    # Lines of an unprefixed thread are the question itself unless labelled.
    own = [text for text, thread in block if not thread]
    return _Found(item, _tidy(own), inline)


def _by_order(body: str, expected: Sequence[str], signer_names: Sequence[str]) -> list[_Found]:
    new = extract_new_text(body, signer_names)

    def ignore(line: str) -> bool:
        return is_courtesy_line(line) or is_opening_line(line) or is_separator_line(line)

    spans = split_items(new, ignore=ignore)
    if len(spans) != len(expected):
        return []
    # Here the number only repeats the question's place, so it is not part of the answer.
    return [
        _Found(item, _strip_label(_ENUMERATOR.sub("", span.text, count=1))[0].strip(), False)
        for item, span in zip(expected, spans, strict=True)
    ]


def _sheets(
    attachments: Sequence[Attachment], asked: int
) -> tuple[list[_Found], list[str], list[RefusedAttachment]]:
    found: list[_Found] = []
    problems: list[str] = []
    refused: list[RefusedAttachment] = []
    bounds = TextBounds(max_rows=asked + _SHEET_ROW_MARGIN)
    for att in attachments:
        name = (att.filename or "").lower()
        if not (name.endswith(".xlsx") or att.content_type == _XLSX_TYPE):
            continue
        try:
            sheet = read_answer_sheet(att.data, bounds=bounds)
        except AttachmentRefused as exc:
            refused.append(RefusedAttachment(att.filename or "", exc.reason, exc.detail))
            continue
        found += [_Found(row.item, row.answer, False) for row in sheet.rows]
        problems += [f"{att.filename}: {p}" for p in sheet.problems]
    return found, problems, refused


def parse_answers(
    body: str,
    attachments: Sequence[Attachment],
    expected: Sequence[str],
    *,
    signer_names: Sequence[str] = (),
) -> ParsedAnswers:
    """A department's answers to the items ``expected`` (IDs such as ``Q13-03``).

    ``signer_names`` are the department's own names: a closing line that opens with one
    (「子ども保健・給付課　山田」) is its signature, not part of the last answer.
    """
    wanted = [str(ItemId.parse(e)) for e in expected]
    found, problems, refused = _sheets(attachments, len(wanted))
    method, confidence = "xlsx", 1.0
    if not any(f.text for f in found):
        found = _by_markers(_lines(body, signer_names))
        method = "id-list" if all(f.inline for f in found if f.text) else "markers"
        if not any(f.text for f in found):
            # IDs only in the quoted bundle: the answers on top may still be in order.
            found = _by_order(body, wanted, signer_names)
            method, confidence = ("order", _ORDER_CONFIDENCE) if found else ("none", 0.0)
    answers: dict[str, str] = {}
    unknown: list[str] = []
    deferred: list[str] = []
    for f in found:
        if f.item not in wanted:
            if f.item not in unknown:
                unknown.append(f.item)
        elif f.text and is_deferral(f.text):
            deferred.append(f.item)  # 「（確認中のため、後日回答）」 under the question
        elif f.text and f.item not in answers:
            answers[f.item] = f.text
    keys = tuple(dict.fromkeys(w[1:].split("-")[0] for w in wanted))
    for item in deferred_in(extract_new_text(body, signer_names), keys):
        if item in wanted and item not in answers and item not in deferred:
            deferred.append(item)  # 「なお、Q31-03は確認中のため後日回答します。」
    if not answers and not unknown and not deferred:
        method = "none"
    return ParsedAnswers(
        answers=tuple(
            ParsedAnswer(item, answers[item], adds_to_earlier(answers[item]))
            for item in wanted
            if item in answers
        ),
        unanswered=tuple(item for item in wanted if item not in answers),
        deferred=tuple(item for item in wanted if item in deferred and item not in answers),
        method=method,
        unknown=tuple(unknown),
        confidence=confidence if answers else 0.0,
        problems=tuple(problems),
        refused=tuple(refused),
    )
