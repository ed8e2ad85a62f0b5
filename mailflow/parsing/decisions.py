"""Read the chair's decision (答申) per consultation, strictly: never a guess.

The happy path is the decision form, one line per consultation::

    諮問第13号：条件付き可（条件：仕様書への追記等指摘事項の実施）
    諮問第14号：可

but chairs write freely, and every shape below reads the same way:

* a heading line, then the verdict and the conditions on the lines below it
  (「諮問第31号」 / 「条件付き承認：」 / 「・…すること。」);
* several consultations on one line, each with its own verdict (「41号は可、42号は条件付き
  で可。条件は、…」), a range (「第31号から第33号まで、3件とも異議なし」), all of them
  (「いずれも」「両件とも」) or the rest (「第5号は否、その他は可」);
* the seed's wording: 「仕様書への追記等指摘事項の実施をお願いし、本件を可とする。」 is
  approval with the clause before 「本件を可」 as its conditions;
* the form filled in inside the quoted mail (Outlook users type into the thread): read
  only where the new text says nothing about a consultation.

The verdict words and their negation are :mod:`mailflow.parsing.verdicts`. A consultation
with no verdict, with verdicts that disagree, with a double negative, or approved "with
conditions" without any, is **unclear** and goes to staff; a bare 「同意します」 decides
nothing, and an unnamed verdict decides only a round of one consultation.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from mailflow.domain import ConsultationRef, Verdict
from mailflow.parsing.kinds import (
    is_closing_line,
    is_courtesy_line,
    is_opening_line,
    is_separator_line,
)
from mailflow.parsing.model import ParsedDecision
from mailflow.parsing.normalize import Folded, fold, to_int
from mailflow.parsing.sections import round_title_prefixes
from mailflow.parsing.verdicts import Hit, Polarity, find_hits

# Numbers are entered at their first digit only and taken whole (possessive), so that
# no run of digits or spaces is scanned again from every position in it.
_NUM = r"((?<![\d〇零一二三四五六七八九十百千])(?:\d++|[〇零一二三四五六七八九十百千]++))"
_RANGE = re.compile(
    rf"(?:(?:諮問\s*+)?第\s*+)?{_NUM}\s*+号?+\s*+(?:から|より|[〜~～])\s*+(?:諮問\s*+)?+第?+\s*+{_NUM}"
    r"\s*+号(?:まで)?+"
)
_SINGLE = re.compile(
    rf"(?:令和\s*+\d++\s*+年度\s*+)?+(?:諮問\s*+)?+第\s*+{_NUM}\s*+号"
    r"|(?<![\d.\-])(\d++)\s*+号(?![機館線室棟車])"
    r"|[【\[〔]\s*+(?:諮問\s*+)?+(?:第\s*+)?+(\d++)\s*+号?+\s*+[】\]〕]"
    r"|\b(?:no\.?+|number|consultation|item)\s*+#?+\s*+(\d++)\b|#\s*+(\d++)\b"
)
_ALL = re.compile(
    r"いずれも|何れも|どちらも|両方|双方|両件|両案件|全件|全案件|全て|すべて|全部|各諮問|各案件"
    r"|[2-9二三四五六七八九]件(?:とも|ともに|全て|すべて)?|ともに|共に|\b(?:both|all)\b"
)
_REST = re.compile(
    r"(?:その他|そのほか|その外|残り|残る|(?:他|ほか)の(?:諮問|案件|[2-9二三四五六七八九両]?件)|それ以外"
    r"|(?<![\u3005\u4e00-\u9fff])(?:他|ほか)(?=は|も))"
    r"(?:の?+\s*+[2-9二三四五六七八九両]件(?:とも|ともに)?+)?+|\bthe\s+(?:others|rest)\b"
)
_LEAD = re.compile(r"[\s○◯●・■□◆◇*\-]*+")
# What closes a mention before the verdict: 「について、」「は」「：」.
_AFTER_MENTION = re.compile(
    r"[」』)）]*+\s*+(?:について|に関して|に対して|に対する答申|の件|の答申)?+(?:は|では|も)?+"
    r"\s*+[、,:：\t ]*+"
)
# The seed's form: the conditions come first, then 「本件を可とする」.
_CONDITION_MARK = re.compile(
    r"をお願いし|を条件に(?:して)?+|を条件とし(?:て)?+|を付して|を付し|を前提に(?:して)?+"
    r"|を前提とし(?:て)?+"
)
_AFTER_CONDITION_MARK = re.compile(
    r"\s*+[、,]?+\s*+(?:その上で|上で)?+\s*+(?:本件(?:を|は|について(?:は)?+))?+\s*+"
    r"(?:諮問(?:の)?+(?:どおり|通り)(?:行うことを)?+)?+\s*+[「『]?+"
)
# 「条件：…」「（条件：…）」「条件は、…」 and the English "Conditions: …".
_CONDITION_LABEL = re.compile(
    r"\s*+[(（]?+\s*+(?:条件|conditions?+)\s*+(?:は|として(?:は)?+)?+\s*+[:：、,]?+\s*+",
    re.IGNORECASE,
)
# 「第42号の条件」「条件は次のとおり」: the conditions follow on the lines below.
_CONDITION_HEADING = re.compile(
    r"\s*+(?:の|についての|に付す|への)?+(?:条件|conditions?+)(?:は|として(?:は)?+)?+"
    r"(?:次のとおり|以下のとおり|下記のとおり)?+(?:です|とする|とします)?+\s*+[:：。]?+\s*+$",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(
    r"\s*+(?:[・●○◯■□◆◇*\-－ー]|[(（]?+[0-9０-９]{1,2}+[)）.．、]|[(（]?+[0-9０-９]{1,2}+\s|[①-⑳])"
)
_TRIM = "。.、, 　"
# 「可とするが、紙の券も併用すること。」: an approval that goes on with an instruction.
_BUT_INSTRUCTION = re.compile(
    r"\s*+(?:が|けれども|けれど|ものの|ますが|ですが)?+\s*+[、,]\s*+(?:ただし|但し)?+[、,]?+\s*+"
    r"(?P<cond>[^、,。]\S*?(?:すること|させること|とすること|こと|ように|よう))\s*+[。.]?+\s*+$"
)
# 「承認（ただし、個人名は出さないこと）」: the condition in brackets after the verdict.
_BRACKET_CONDITION = re.compile(
    r"\s*+[（(]\s*+(?:ただし|但し|条件(?:は|として)?)\s*+[、,:：]?+\s*+(?P<cond>[^（()）]+)[）)]"
)
_CONNECTIVE = re.compile(r"\s*+(?:ただし|但し|なお|また|尚)\s*+[、,]?+\s*+")
# 「ただし第8号は、…を条件とします。」: the words before the verb are the condition. The
# verb is searched for, not reached by a lazy group, which would rescan runs of spaces.
_CONDITION_SUBJECT = re.compile(
    r"[」』)）]*+\s*+(?:について|に関して|に対して)?+(?:は|では)?+\s*+[、,]?+\s*+(?=[^\s、,])"
)
_CONDITION_VERB = re.compile(r"を(?:条件|前提)と(?:する|します|いたします|したい|し|して)")
_INSTRUCTION_END = re.compile(r"(?:すること|させること|こと|ように|よう|ください)[。.]?\s*$")


class _Scope(enum.Enum):
    NAMED = "named"  # the keys named (possibly none: a consultation this round lacks)
    ALL = "all"  # いずれも
    REST = "rest"  # その他


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    scope: _Scope
    keys: tuple[str, ...] = ()


@dataclass
class _Reading:
    polarity: Polarity
    line: str
    conditions: list[str] = field(default_factory=list)
    named: bool = True  # the line (or its heading) named the consultation


def _key_for(number: str, consultations: Sequence[ConsultationRef]) -> str | None:
    value = to_int(number)
    for ref in consultations:
        if ref.key == number or (value is not None and to_int(ref.key) == value):
            return ref.key
    return None


def _mentions(text: str, consultations: Sequence[ConsultationRef]) -> list[_Mention]:
    """The consultations one folded line names, with where each is named."""
    found: list[_Mention] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for m in _RANGE.finditer(text):
        low, high = to_int(m.group(1)), to_int(m.group(2))
        if low is None or high is None or not low < high:
            continue
        keys = tuple(
            c.key for c in consultations if (v := to_int(c.key)) is not None and low <= v <= high
        )
        found.append(_Mention(m.start(), m.end(), _Scope.NAMED, keys))
        taken.append((m.start(), m.end()))
    low_text = text.lower()
    for m in _SINGLE.finditer(low_text):
        if not free(m.start(), m.end()):
            continue
        number = next(g for g in m.groups() if g)
        key = _key_for(number, consultations)
        found.append(_Mention(m.start(), m.end(), _Scope.NAMED, (key,) if key else ()))
        taken.append((m.start(), m.end()))
    for ref, prefixes in zip(consultations, round_title_prefixes(consultations), strict=True):
        for prefix in prefixes:
            at = text.find(prefix)
            if at >= 0 and free(at, at + len(prefix)):
                found.append(_Mention(at, at + len(prefix), _Scope.NAMED, (ref.key,)))
                taken.append((at, at + len(prefix)))
                break
    # The rest before all: the 二件 of 「他の二件は可」 is the rest, not every consultation.
    for pattern, scope in ((_REST, _Scope.REST), (_ALL, _Scope.ALL)):
        for m in pattern.finditer(low_text):
            if free(m.start(), m.end()):
                found.append(_Mention(m.start(), m.end(), scope))
                taken.append((m.start(), m.end()))
    found.sort(key=lambda m: m.start)
    return found


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _label_end(text: str, at: int = 0) -> int | None:
    """Where the conditions start if ``text`` has a 「条件：」 label at ``at``, else None."""
    m = _CONDITION_LABEL.match(text, at)
    if m is None:
        return None
    word = text[m.start() : m.end()].strip("(（ :：、,").lower()
    return m.end() if word.startswith(("条件", "condition")) else None


def _point_starts(line: str, consultations: Sequence[ConsultationRef]) -> bool:
    folded = fold(line).text
    lead = _LEAD.match(folded)
    at = lead.end() if lead else 0
    return bool(
        _LIST_ITEM.match(folded)
        or _label_end(folded, at) is not None
        or any(m.start <= at + 1 for m in _mentions(folded, consultations))
    )


def _logical_lines(text: str, consultations: Sequence[ConsultationRef]) -> Iterator[str | None]:
    """Lines with the client's hard wraps undone; None where a courtesy, rule, closing or
    blank line separates them (it ends a list of conditions)."""
    pending: str | None = None
    open_line = False
    for line in text.splitlines():
        skip = (
            not line.strip()
            or is_courtesy_line(line)
            or is_opening_line(line)
            or is_separator_line(line)
            or is_closing_line(line)
        )
        if skip:
            if pending is not None:
                yield pending
                pending = None
            yield None
            open_line = False
            continue
        if pending is not None and open_line and not _point_starts(line, consultations):
            pending += line.strip()
        else:
            if pending is not None:
                yield pending
            pending = line
        stripped = line.rstrip()
        open_line = _width(stripped) >= 40 and not stripped.endswith(tuple("。.!！)）」"))
    if pending is not None:
        yield pending


@dataclass
class _State:
    """What the lines read so far say, per consultation key."""

    keys: tuple[str, ...]
    readings: dict[str, list[_Reading]]
    context: tuple[str, ...] = ()  # the consultation(s) the text is about just now
    capture: tuple[str, ...] = ()  # whose conditions the lines below are
    captured: bool = False  # some condition was read since the capture opened
    blank_after_capture: bool = False
    rest_lines: list[tuple[str, Polarity]] = field(default_factory=list)

    def add(self, owners: Sequence[str], reading: _Reading) -> None:
        for key in owners:
            self.readings[key].append(
                _Reading(reading.polarity, reading.line, list(reading.conditions), reading.named)
            )

    def readings_for(self, owners: Sequence[str], reading: _Reading, conditions: list[str]) -> None:
        """Turn the last reading of each owner, added from ``reading``, conditional."""
        for key in owners:
            if self.readings[key]:
                last = self.readings[key][-1]
                last.polarity = Polarity.CONDITIONAL
                last.conditions.extend(conditions)

    def add_conditions(self, owners: Sequence[str], text: str) -> None:
        text = text.strip()
        if not text:
            return
        for key in owners:
            if self.readings[key]:
                self.readings[key][-1].conditions.append(text)
            else:
                self.readings[key].append(_Reading(Polarity.APPROVE, text, [text]))
        self.captured = True


def _resolve(window: Sequence[_Mention], state: _State) -> tuple[str, ...] | None:
    """The keys a run of mentions names; None for 「その他」 (resolved at the end)."""
    named = [k for m in window if m.scope is _Scope.NAMED for k in m.keys]
    if any(m.scope is _Scope.NAMED for m in window):
        return tuple(dict.fromkeys(named))  # 「13号、14号ともに」: the named ones
    if any(m.scope is _Scope.ALL for m in window):
        return state.keys
    if any(m.scope is _Scope.REST for m in window):
        return None
    return ()


def _strip_label(text: str) -> str:
    end = _label_end(text)
    if end is not None:
        text = text[end:]
    text = text.strip().lstrip(":：").strip(_TRIM)
    if text.endswith((")", "）")) and not any(c in text for c in "(（"):
        text = text[:-1].rstrip(_TRIM)
    if text[:1] in "(（" and text[-1:] in ")）" and not any(c in text[1:-1] for c in "()（）"):
        text = text[1:-1].strip(_TRIM)  # 「条件付き可（紙の券を残すこと）」
    return text


def _condition_first(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The seed's 「…をお願いし、本件を可とする」: the span of the conditions that come
    before the verdict in ``text[start:end]``, if they do."""
    marks = list(_CONDITION_MARK.finditer(text, start, end))
    if not marks:
        return None
    last = marks[-1]
    if _AFTER_CONDITION_MARK.fullmatch(text, last.end(), end) is None:
        return None
    first = start
    while first < last.start() and text[first].isspace():
        first += 1
    return (first, last.end()) if first < last.start() else None


def _read_line(line: str, state: _State, consultations: Sequence[ConsultationRef]) -> None:
    folded = fold(line)
    text = folded.text
    hits = find_hits(text)
    mentions = _mentions(text, consultations)
    whole = line.strip()
    # 「・第三者への提供を認めないこと。」 among the conditions is a condition, not a verdict.
    instruction = bool(state.capture) and not mentions and all(h.instruction for h in hits)
    if not hits or instruction:
        _read_plain_line(line, folded, mentions, state)
        return
    state.capture, state.captured, state.blank_after_capture = (), False, False
    previous: tuple[str, ...] | None = None
    prev_end = 0
    verb_first = False
    for n, hit in enumerate(hits):
        before = [m for m in mentions if prev_end <= m.start and m.end <= hit.start]
        following = hits[n + 1].start if n + 1 < len(hits) else len(text)
        after = _named_after(text, mentions, hit.start, following)
        # 「可とする：第7号、第8号」, "I approve No. 7 and No. 8; I reject No. 9": once a line
        # puts the verdict first, each verdict names what follows it in its clause.
        if verb_first:
            window = after or before
        else:
            window = before or (after if n == 0 else [])
            verb_first = n == 0 and not before and bool(after)
        owners = _resolve(window, state) if window else previous
        if owners is None and window:
            state.rest_lines.append((whole, hit.polarity))
            previous, prev_end = None, hit.end
            continue
        named = True
        if owners is None or (not window and n == 0):
            named = bool(state.context)
            owners = state.context or (state.keys if len(state.keys) == 1 else ())
        polarity, conditions = hit.polarity, []
        if polarity is Polarity.APPROVE:
            region_start = max([prev_end, *(m.end for m in window if m.end <= hit.start)])
            closing = _AFTER_MENTION.match(text, region_start)
            lead = _LEAD.match(text, closing.end() if closing else region_start)
            start = lead.end() if lead else region_start
            cond = _condition_first(text, start, hit.start)
            if cond is not None:
                a, b = folded.span(*cond)
                polarity, conditions = Polarity.CONDITIONAL, [line[a:b]]
        reading = _Reading(polarity, whole, conditions, named)
        state.add(owners, reading)
        if polarity is Polarity.APPROVE:
            following = hits[n + 1].start if n + 1 < len(hits) else len(text)
            but = _BUT_INSTRUCTION.match(text, hit.end, following) or _BRACKET_CONDITION.match(
                text, hit.end, following
            )
            if but is not None:
                a, b = folded.span(but.start("cond"), but.end("cond"))
                reading.polarity = Polarity.CONDITIONAL
                state.readings_for(owners, reading, [line[a:b]])
        if polarity is Polarity.CONDITIONAL or polarity is Polarity.APPROVE:
            following = hits[n + 1].start if n + 1 < len(hits) else len(text)
            labelled = _label_end(text[hit.end : following]) is not None
            if polarity is Polarity.CONDITIONAL or labelled:
                a, b = folded.span(hit.end, following)
                tail = _strip_label(line[a:b])
                if tail and not _mentions(fold(tail).text, consultations):
                    state.add_conditions(owners, tail)
                state.capture, state.captured = tuple(owners), bool(tail)
        previous, prev_end = tuple(owners), max([hit.end, *(m.end for m in window)])
        state.context = tuple(owners) or state.context


# What may stand between two consultations of one list: 「第7号、第8号」 "No. 7 and No. 8".
_LIST_GAP = re.compile(r"\s*+(?:[,、，・/&]|and|or|及び|および|並びに|と)?+\s*+(?:and\s++)?+")


def _named_after(text: str, mentions: Sequence[_Mention], start: int, end: int) -> list[_Mention]:
    """The list of consultations right after a verdict word, within ``start:end``."""
    window: list[_Mention] = []
    for m in mentions:
        if m.start < start or m.end > end:
            continue
        if window and (
            m.scope is not window[0].scope or not _LIST_GAP.fullmatch(text, window[-1].end, m.start)
        ):
            break
        window.append(m)
    return window


def _condition_statement(text: str, at: int) -> tuple[int, int] | None:
    """Where the condition of 「…は、〜を条件とします」 lies in ``text``, read from ``at``."""
    subject = _CONDITION_SUBJECT.match(text, at)
    if subject is None:
        return None
    end = text.find("。", subject.end())
    verb = _CONDITION_VERB.search(text, subject.end(), len(text) if end < 0 else end)
    if verb is None:
        return None
    start, stop = subject.end(), verb.start()
    while stop > start and text[stop - 1].isspace():
        stop -= 1
    return (start, stop) if stop > start else None


def _read_plain_line(
    line: str, folded: Folded, mentions: Sequence[_Mention], state: _State
) -> None:
    """A line without a verdict: a heading, a conditions heading, or conditions."""
    text = folded.text
    lead = _LEAD.match(text)
    at = lead.end() if lead else 0
    connective = _CONNECTIVE.match(text, at)
    at = connective.end() if connective else at
    leading = [m for m in mentions if m.start <= at + 1] if mentions else []
    if leading:
        keys = _resolve(leading, state) or ()
        stated = _condition_statement(text, leading[-1].end)
        if stated is not None and keys:
            # 「ただし第8号は、…を条件とします。」: conditions without a verdict word.
            a, b = folded.span(*stated)
            state.add_conditions(keys, line[a:b])
            state.context = keys
            return
        after = _AFTER_MENTION.match(text, leading[-1].end)
        rest = text[after.end() if after else leading[-1].end :]
        if _CONDITION_HEADING.match(text, leading[-1].end) or _CONDITION_HEADING.match(rest):
            state.capture, state.captured, state.blank_after_capture = keys, False, False
        else:
            state.capture, state.captured = (), False
        state.context = keys
        return
    if state.blank_after_capture and not _LIST_ITEM.match(text):
        state.capture = ()
    if not state.capture:
        if _label_end(text, at) is not None:
            owners = state.context or (state.keys if len(state.keys) == 1 else ())
            state.capture, state.captured = owners, False
            state.add_conditions(owners, _strip_label(line.strip()))
        elif connective is not None and _INSTRUCTION_END.search(text) and state.context:
            # 「全件承認。ただし、…すること。」: a condition of the statement just made.
            a = folded.span(at, len(text))[0]
            state.add_conditions(state.context, line[a:].strip().rstrip("。."))
        return
    state.blank_after_capture = False
    if _label_end(text, at) is not None:
        state.add_conditions(state.capture, _strip_label(line.strip()))
    else:
        state.add_conditions(state.capture, line.strip())


def _merge(key: str, readings: Sequence[_Reading]) -> ParsedDecision:
    decision = _merge_verdicts(key, readings)
    if readings and not any(r.named for r in readings):
        return ParsedDecision(
            decision.consultation, decision.verdict, decision.conditions, decision.text, False
        )
    return decision


def _merge_verdicts(key: str, readings: Sequence[_Reading]) -> ParsedDecision:
    text = "\n".join(dict.fromkeys(r.line for r in readings))
    polarities = {r.polarity for r in readings}
    conditions = [c for r in readings for c in r.conditions]
    if (
        not readings
        or Polarity.UNCLEAR in polarities
        or (Polarity.REJECT in polarities and len(polarities) > 1)
    ):
        return ParsedDecision(key, Verdict.UNCLEAR, None, text)
    if Polarity.REJECT in polarities:
        return ParsedDecision(key, Verdict.REJECT, None, text)
    if Polarity.CONDITIONAL in polarities or conditions:
        if not conditions:
            return ParsedDecision(key, Verdict.UNCLEAR, None, text)
        joined = "\n".join(dict.fromkeys(conditions))
        return ParsedDecision(key, Verdict.APPROVE_WITH_CONDITIONS, joined, text)
    return ParsedDecision(key, Verdict.APPROVE, None, text)


def _sentences(line: str) -> list[str]:
    """The sentences of one logical line; a 。 inside brackets does not end one."""
    out: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(line):
        if ch in "（(「『【":
            depth += 1
        elif ch in "）)」』】" and depth:
            depth -= 1
        elif ch == "。" and not depth:
            out.append(line[start : i + 1])
            start = i + 1
    if line[start:].strip():
        out.append(line[start:])
    return [s for s in out if s.strip()] or [line]


def _read(text: str, consultations: Sequence[ConsultationRef]) -> dict[str, list[_Reading]]:
    keys = tuple(c.key for c in consultations)
    state = _State(keys, {k: [] for k in keys})
    for line in _logical_lines(text, consultations):
        if line is None:
            if state.capture and state.captured:
                state.blank_after_capture = True
            continue
        # Sentence by sentence: 「全件承認。ただし第8号は…を条件とします。」 decides twice.
        for sentence in _sentences(line):
            _read_line(sentence, state, consultations)
    # 「その他は可」: every consultation the mail gave no verdict of its own.
    decided = [k for k in keys if state.readings[k]]
    for whole, polarity in state.rest_lines:
        for key in keys:
            if key not in decided:
                state.readings[key].append(_Reading(polarity, whole))
    return state.readings


def parse_decisions(
    new_text: str, consultations: Sequence[ConsultationRef], *, form: str | None = None
) -> tuple[ParsedDecision, ...]:
    """One decision per consultation, in the round's order (rules in the module docstring).

    ``form`` is the decision form as filled in inside the quoted mail, if any: it decides
    only the consultations the new text says nothing about.
    """
    readings = _read(new_text, consultations)
    if form:
        from_form = _read(form, consultations)
        for key, found in readings.items():
            if not found:
                found.extend(from_form[key])
    return tuple(_merge(c.key, readings[c.key]) for c in consultations)


def read_hits(line: str) -> list[Hit]:
    """The verdict words of one line (for the confirmation of an echoed decision)."""
    return find_hits(fold(line).text)
