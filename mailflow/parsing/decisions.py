"""Read the chair's decision (答申) per consultation, strictly (DESIGN.md "Lessons").

The happy path is one line per consultation with fixed words, as our decision form asks::

    諮問第13号：条件付き可（条件：仕様書への追記等指摘事項の実施）
    諮問第14号：可

and the seed's own wording reads the same way: 「○「子育て応援ギフトセット配布業務委託」
について、諮問どおり行うことを「可」とする。」, 「仕様書への追記等指摘事項の実施をお願いし、
本件を可とする。」 (→ 条件付き可, the conditions being the verbatim clause before 、本件を可).

Words (first group that matches a line wins):

* **reject** — 否とする／否決／否／不可／可とはできない／可としない／認められない／承認できない／
  反対する／異議あり
* **approve with conditions** — 条件付き可／条件付きで承認, or a clause ending in
  をお願いし／を条件に／を付して before 可とする. Conditions are required: a 条件付き可
  without them is *unclear*.
* **approve** — 可とする／可／諮問どおり／原案どおり／承認／了承／異議なし

A line belongs to the consultation its section heading or its own words name
(「13号」「【13】」「子育て応援ギフト」); 「両件とも」「いずれも」 name all; with one consultation
an unnamed line is its. Anything else — 「同意します」「了解です」 over two consultations,
two different verdicts for one consultation, no verdict — is **unclear** and goes to staff.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from mailflow.domain import ConsultationRef, Verdict
from mailflow.parsing.kinds import is_courtesy_line, is_opening_line, is_separator_line
from mailflow.parsing.model import ParsedDecision
from mailflow.parsing.normalize import fold
from mailflow.parsing.sections import leading_mention, mentioned, split_sections

_REJECT = re.compile(
    r"否と(?:する|します|いたします|した)|否決|^否$|[:：]否(?:$|[。(])|^否(?:です|。)"
    r"|不可(?!能|欠|避|分|視|侵)|可とは(?:できない|できません|しない|しません|いたしかねます)"
    r"|可とすることは(?:できない|できません)|可としない|可とできない|可とはならない"
    r"|認められない|認めない|承認(?:できない|しない|できません|しかねる)"
    r"|了承(?:できない|しない|できません|しかねる)|反対(?:する|します|です)|異議(?:あり|があります)(?!ません)"
)
_CONDITIONAL = re.compile(r"条件付き?(?:で|の)?(?:可|承認|了承)")
# Linear on any line: a run of spaces is entered only at its start (the lookbehinds; the
# leftmost match starts there anyway) and taken whole, so no run is scanned twice.
_CONDITION_FORM = re.compile(
    r"(?:[(（]|(?<!\s))\s*+条件\s*+[:：]\s*+(?P<cond>.+?)(?<!\s)\s*+[)）]?\s*+[。.]?\s*+$"
)
_CONDITION_CLAUSE = re.compile(
    r"(?P<cond>\S.*?(?:をお願いし|を条件に(?:して)?|を条件とし(?:て)?|を付して|を付し))"
    r"\s*+[、,]?\s*+(?:その上で|上で)?\s*+(?:本件(?:を|は)|本件について(?:は)?)?\s*+"
    r"(?:諮問(?:の)?(?:どおり|通り)(?:行うことを)?)?\s*+「?可」?と"
)
_APPROVE = re.compile(
    r"「?可」?と(?:する|します|いたします|した|したい|させて)|(?:^|[:：、,\s])可(?:です|とします)?(?:$|[。(（\s])"
    r"|諮問(?:の)?(?:どおり|通り)|原案(?:の)?(?:どおり|通り)|承認(?:する|します|いたします|です)?"
    r"|了承(?:する|します|いたします|です)?|異議(?:は)?(?:なし|無し|ありません|ございません)"
)
_ALL = re.compile(r"両件|いずれも|全件|全て|すべて|[2二]件とも|各諮問|ともに")
_LEAD = re.compile(r"^[\s○◯●・■□◆◇*\-]*")
_POINT = re.compile(r"\s*+(?:[○◯●・■□◆◇*\-【\[]|諮問|第?\s*+[0-9０-９]++\s*+号|条件\s*+[:：])")


@dataclass(frozen=True)
class _Reading:
    verdict: Verdict
    conditions: str | None
    line: str


def _read_line(line: str) -> _Reading | None:
    """The verdict one line states, with its conditions as written, or None."""
    folded = fold(line)
    flat = folded.text.strip()
    if _REJECT.search(flat):
        return _Reading(Verdict.REJECT, None, line.strip())
    lead = _LEAD.match(folded.text)
    start = lead.end() if lead else 0
    clause = _CONDITION_CLAUSE.match(folded.text, start)
    if clause:
        a, b = folded.span(clause.start("cond"), clause.end("cond"))
        return _Reading(Verdict.APPROVE_WITH_CONDITIONS, line[a:b], line.strip())
    if _CONDITIONAL.search(flat):
        form = _CONDITION_FORM.search(folded.text)
        conditions = None
        if form:
            a, b = folded.span(form.start("cond"), form.end("cond"))
            conditions = line[a:b]
        return _Reading(Verdict.APPROVE_WITH_CONDITIONS, conditions, line.strip())
    if _APPROVE.search(flat):
        return _Reading(Verdict.APPROVE, None, line.strip())
    return None


def _condition_only(line: str) -> str | None:
    """The conditions of a 「条件：…」 line that states no verdict of its own."""
    folded = fold(line)
    m = _CONDITION_FORM.match(folded.text.strip())
    if not m or not folded.text.strip().startswith(("条件", "(条件", "（条件")):
        return None
    offset = len(folded.text) - len(folded.text.lstrip())
    a, b = folded.span(offset + m.start("cond"), offset + m.end("cond"))
    return line[a:b]


def _merge(key: str, readings: Sequence[_Reading]) -> ParsedDecision:
    text = "\n".join(dict.fromkeys(r.line for r in readings))
    verdicts = {r.verdict for r in readings}
    conditions = [r.conditions for r in readings if r.conditions]
    if (
        not readings
        or len(verdicts - {Verdict.APPROVE}) > 1
        or (Verdict.REJECT in verdicts and len(verdicts) > 1)
    ):
        return ParsedDecision(key, Verdict.UNCLEAR, None, text)
    if Verdict.APPROVE_WITH_CONDITIONS in verdicts or conditions:
        if not conditions:
            return ParsedDecision(key, Verdict.UNCLEAR, None, text)
        return ParsedDecision(
            key, Verdict.APPROVE_WITH_CONDITIONS, "\n".join(dict.fromkeys(conditions)), text
        )
    return ParsedDecision(key, verdicts.pop(), None, text)


def _skip(line: str) -> bool:
    return (
        not line.strip()
        or is_courtesy_line(line)
        or is_opening_line(line)
        or is_separator_line(line)
    )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _logical_lines(text: str) -> list[str]:
    """Lines with the client's hard wraps undone; courtesy and rule lines left out.

    A long line (≥ 40 columns) that does not end a sentence continues on the next line
    unless that one starts a new point (○, a bullet, or a consultation's name).
    """
    out: list[str] = []
    open_line = False
    for line in text.splitlines():
        if _skip(line):
            open_line = False
            continue
        starts_point = bool(_POINT.match(line))
        if open_line and not starts_point:
            out[-1] += line.strip()
        else:
            out.append(line)
        stripped = line.rstrip()
        open_line = _width(stripped) >= 40 and not stripped.endswith(tuple("。.!！)）」"))
    return out


def parse_decisions(
    new_text: str, consultations: Sequence[ConsultationRef]
) -> tuple[ParsedDecision, ...]:
    """One decision per consultation, in the round's order (rules in the module docstring)."""
    keys = [c.key for c in consultations]
    readings: dict[str, list[_Reading]] = {k: [] for k in keys}
    for section in split_sections(new_text, consultations):
        last: list[str] = []
        # The heading's line is read from where its content starts, but quoted whole.
        line_start = new_text.rfind("\n", 0, section.start) + 1
        head = new_text[line_start : section.start]
        for n, joined in enumerate(_logical_lines(head + new_text[section.start : section.end])):
            line = joined[len(head) :] if n == 0 and joined.startswith(head) else joined
            whole = joined.strip()
            named = leading_mention(whole, consultations)
            if named is not None and _ALL.search(fold(whole).text):
                owners = list(mentioned(whole, consultations))  # 「13号、14号ともに可」
            elif named is not None:
                owners = [named]  # 「第14号は可とはできない。」 under the 13号 heading
            elif section.consultation is not None:
                owners = [section.consultation]
            elif section.reason is not None:
                owners = []  # under a heading for a consultation this round does not have
            else:
                owners = list(mentioned(line, consultations))
                if not owners and _ALL.search(fold(line).text) and len(keys) > 1:
                    owners = keys
                if not owners and len(keys) == 1:
                    owners = keys
            condition = _condition_only(line)
            if condition is not None:
                for key in owners or last:
                    readings[key].append(_Reading(Verdict.APPROVE, condition, whole))
                continue
            reading = _read_line(line)
            if reading is None:
                continue
            for key in owners:
                readings[key].append(_Reading(reading.verdict, reading.conditions, whole))
            last = owners or last
    return tuple(_merge(key, readings[key]) for key in keys)
