"""Split a member's new text into sections, one per consultation (諮問案件) it names.

A heading is a line that *starts* with a consultation marker — 「諮問第13号」「令和2年度諮問
第13号」「第13号」「13号」「第十三号」「【13】」「■13号」, any width — or with the title or a
distinctive prefix of it (「子育て応援ギフト」「病児保育」), followed by nothing, by the
title, or by words that close a heading (について／に関して／への質問／の件／：／」／】).
Text after those words on the same line is the section's first content
(「13号について、P.3の…」). A marker that runs on into a sentence (「諮問第14号と統一…」)
is not a heading: it is a mention inside an item. The reply form's ■ lines
(:mod:`mailflow.parsing.reply_form`) are headings like any other.

Offsets are into the text given; section bodies are slices of it, never rewritten.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from mailflow.domain import ConsultationRef
from mailflow.parsing.kinds import is_nothing_line
from mailflow.parsing.meta import is_meta_line
from mailflow.parsing.normalize import KANJI_NUMERAL, fold, fold_text, nfkc, to_int
from mailflow.parsing.reply_form import form_heading

_NUM = rf"(\d+|{KANJI_NUMERAL})"
_LEAD = r"[\s■□●◆◇・*\-○◎▼▽▶►]*+"  # taken whole: nothing after it starts with one
_OPEN = r"[【\[〔「『<〈《(]?"
_MARKER = re.compile(
    rf"^(?P<lead>{_LEAD}{_OPEN})\s*+(?:令和\s*+\d+\s*+年度\s*+)?(?:諮問\s*+)?(?:第\s*+)?{_NUM}\s*+号(?:議案|案件)?"
)
_BRACKET = re.compile(
    rf"^(?P<lead>{_LEAD}[【\[〔])\s*+(?:諮問\s*+)?(?:第\s*+)?{_NUM}\s*+号?\s*+[】\]〕]"
)
_TITLE_LEAD = re.compile(rf"^(?P<lead>{_LEAD}{_OPEN})\s*")
_SUFFIX = (
    r"(?:について|に関して|に関する|に対して|に対する|への|の件|関係|関連|分)"
    r"(?:ご?質問|ご?意見|ご?質疑)?(?:等|など)?(?:は|です)?"
)
_CLOSE = r"[】\]〕」』)>〉》]"
_STRONG_LEAD = set("■□●◆◇【[〔")


# "Consultation No. 31 (learning tablets)", "No. 31:", "Item 31 – tablets": a heading
# line of an English reply; the words after the number are only its title.
_ENGLISH_HEADING = re.compile(
    r"[\s*#\-]*+(?:(?:re:\s*)?(?:consultation|item|case|agenda\s+item)s?\s*+(?:no\.?|number|#)?"
    r"|no\.|number|#)\s*+(\d{1,4})\b(?![.,]\d)[^.?!。]{0,60}?[:：]?\s*+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Section:
    """One consultation's part of a reply: ``text[start:end]``, after its heading."""

    consultation: str | None  # key such as "13"; None before any heading or if unknown
    start: int
    end: int
    how: str  # "marker" | "form" | "title" | "none"
    heading: str | None = None  # the heading as written
    reason: str | None = None  # e.g. "unknown consultation 15"


@dataclass(frozen=True)
class _Heading:
    consultation: str | None
    content: int  # offset in the line where inline content starts
    how: str
    strong: bool
    reason: str | None


def title_prefixes(ref: ConsultationRef, others: Sequence[ConsultationRef]) -> tuple[str, ...]:
    """Prefixes of the title (NFKC, ≥ 4 characters) that no other title contains, longest first."""
    return _title_prefixes(ref, tuple(others))


def round_title_prefixes(
    consultations: Sequence[ConsultationRef],
) -> tuple[tuple[str, ...], ...]:
    """:func:`title_prefixes` of each of the round's consultations, in their order."""
    return _round_title_prefixes(tuple(consultations))


# A round has a handful of consultations and every line of every reply asks about them:
# what depends only on the round is computed once, not per line, nor per mail (a mail's
# look-up of a consultation's prefixes compares the whole round, so a mail asks once).
@functools.lru_cache(maxsize=64)
def _round_title_prefixes(refs: tuple[ConsultationRef, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(_prefixes_of(ref, refs) for ref in refs)


@functools.lru_cache(maxsize=256)
def _title_prefixes(ref: ConsultationRef, others: tuple[ConsultationRef, ...]) -> tuple[str, ...]:
    return _prefixes_of(ref, others)


def _prefixes_of(ref: ConsultationRef, others: Sequence[ConsultationRef]) -> tuple[str, ...]:
    title = nfkc(ref.title).strip()
    other_titles = [nfkc(o.title) for o in others if o.key != ref.key]
    low = min(4, len(title))
    out = [title[:k] for k in range(len(title), low - 1, -1)]
    return tuple(p for p in out if p and not any(p in t for t in other_titles))


def _key_for(number: str, consultations: Sequence[ConsultationRef]) -> str | None:
    value = to_int(number)
    for ref in consultations:
        if ref.key == number or (value is not None and to_int(ref.key) == value):
            return ref.key
    return None


# The titles are literals: a heading's title is found by the first of its prefixes (in
# their order) that the line has there, as an alternation of them would find it, without
# compiling a pattern per round. Indexed by first character, so most lines cost one look-up.
@functools.lru_cache(maxsize=256)
def _by_first_char(prefixes: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for p in prefixes:
        index.setdefault(p[0], []).append(p)
    return {c: tuple(ps) for c, ps in index.items()}


def _title_end(text: str, pos: int, prefixes: tuple[str, ...]) -> int | None:
    """Where the first of ``prefixes`` that ``text`` has at ``pos`` ends, if one does."""
    for p in _by_first_char(prefixes).get(text[pos : pos + 1], ()):
        if text.startswith(p, pos):
            return pos + len(p)
    return None


# What closes a heading, in three parts around the title: every part is optional, so the
# first way through each is the whole match's (nothing after one can fail and send the
# search back into it).
_TAIL_HEAD = re.compile(rf"\s*(?P<c1>{_CLOSE})?\s*")
_TITLE_OPEN = re.compile(r"[(「『]\s*")
_TITLE_CLOSE = re.compile(r"\s*[)」』]?")
_TAIL_REST = re.compile(
    rf"\s*(?P<suffix>{_SUFFIX})?\s*(?P<c2>{_CLOSE})?\s*(?P<colon>[:：])?(?:は(?!\w*[号条]))?[、,。]?\s*"
)


def _tail(line: str, pos: int, titles: tuple[str, ...]) -> tuple[int, bool]:
    """Consume what closes a heading from ``pos`` (a 」, one of ``titles``, について, ：);
    return the end and whether it was decisive."""
    head = _TAIL_HEAD.match(line, pos)
    assert head is not None  # every part is optional
    end = head.end()
    opened = _TITLE_OPEN.match(line, end)  # 「（病児保育）」: the title in brackets, or bare
    title = _title_end(line, opened.end(), titles) if opened else None
    if title is None:
        title = _title_end(line, end, titles)
    if title is not None:
        closed = _TITLE_CLOSE.match(line, title)
        assert closed is not None
        end = closed.end()
    rest = _TAIL_REST.match(line, end)
    assert rest is not None
    decisive = (
        title is not None
        or bool(head.group("c1"))
        or any(rest.group(g) for g in ("suffix", "c2", "colon"))
    )
    return rest.end(), decisive or rest.end() == len(line.rstrip())


# 「質問1（諮問第31号）」「1. 諮問第32号について」: a point's label before the heading.
_ITEM_LABEL = re.compile(
    r"^\s*(?:(?:ご?質問|ご?意見|問|Q)\s*\d{1,2}|\d{1,2}\s*[.)．]|[(（]\d{1,2}[)）]|[①-⑳])\s*"
)
# 「また、第32号については、…」: a switch of consultation in running text.
_CONNECTIVE = re.compile(
    r"^\s*(?:また|なお|次に|続いて|続けて|それから|あと|最後に|さらに|加えて|一方|他方)\s*[、,]?\s*"
)
_SWITCH = re.compile(
    rf"(?:令和\s*\d+\s*年度\s*)?(?:諮問\s*)?(?:第\s*)?{_NUM}\s*号\s*(?:について|に関して|の件)(?:は)?\s*(?:[、,:：]|$)"
)


def _match_heading(
    line: str, consultations: Sequence[ConsultationRef], prefixes: dict[str, tuple[str, ...]]
) -> _Heading | None:
    """A heading at the start of ``line``, after a point's label or a connective."""
    found = _match_plain_heading(line, consultations, prefixes)
    if found is not None:
        return found
    text = fold_text(line)
    for pattern, needs_switch in ((_ITEM_LABEL, False), (_CONNECTIVE, True)):
        lead = pattern.match(text)
        if lead is None or lead.end() == 0:
            continue
        if needs_switch and not _SWITCH.match(text, lead.end()):
            continue
        at = fold(line).span(lead.end(), len(text))[0] if lead.end() < len(text) else len(line)
        rest = _match_plain_heading(line[at:], consultations, prefixes)
        if rest is None or (not needs_switch and rest.content < len(line[at:].rstrip())):
            continue  # after a label, only a heading alone on its line
        return _Heading(rest.consultation, at + rest.content, rest.how, True, rest.reason)
    return None


def _match_plain_heading(
    line: str, consultations: Sequence[ConsultationRef], prefixes: dict[str, tuple[str, ...]]
) -> _Heading | None:
    # Most lines are no heading: the index map is built only for those that are.
    text = fold_text(line)
    english = _ENGLISH_HEADING.fullmatch(text)
    if english:
        key = _key_for(english.group(1), consultations)
        reason = None if key is not None else f"unknown consultation {english.group(1)}"
        return _Heading(key, len(line), "marker", True, reason)
    for pattern in (_BRACKET, _MARKER):
        m = pattern.match(text)
        if not m:
            continue
        key = _key_for(m.group(2), consultations)
        if key is not None:
            titles = prefixes[key]
        else:
            titles = tuple(p for ps in prefixes.values() for p in ps)
        end, decisive = _tail(text, m.end(), titles)
        strong = pattern is _BRACKET or bool(set(m.group("lead")) & _STRONG_LEAD)
        if not decisive and end == m.end() and not strong:
            return None  # 「諮問第14号と統一…」: a mention, not a heading
        content = fold(line).span(end, len(text))[0] if end < len(text) else len(line)
        how = "marker"
        if key is not None:
            ref = next(r for r in consultations if r.key == key)
            if nfkc(form_heading(ref)).split() == text.split():
                how = "form"
        reason = None if key is not None else f"unknown consultation {to_int(m.group(2))}"
        return _Heading(key, content, how, strong or decisive, reason)
    lead = _TITLE_LEAD.match(text)
    assert lead is not None
    for ref in consultations:
        title = _title_end(text, lead.end(), prefixes[ref.key])
        if title is None:
            continue
        end, decisive = _tail(text, title, ())
        if not decisive:
            # 「病児保育の受け入れ枠…」 starts an item, not a section
            return _short_name_heading(line, text, consultations)
        content = fold(line).span(end, len(text))[0] if end < len(text) else len(line)
        return _Heading(ref.key, content, "title", True, None)
    return _short_name_heading(line, text, consultations)


# 「ギフトセットの件」「病児保育のシステムについては」: a consultation called by a word of
# its title from anywhere in it, as members shorten titles.
_SHORT_NAME = re.compile(
    r"[\s○◯●・■□◆◇*\-]*+(?P<name>[^、,。.:：\s]{2,24}?)"
    r"(?:の件|について|に関して|に関する(?:質問|意見|ご質問|ご意見)|関係|関連)(?:は|では|です)?+"
    r"\s*+[、,:：。]?+\s*+"
)


def _mostly_title(name: str, key: str, consultations: Sequence[ConsultationRef]) -> bool:
    title = nfkc(next(r.title for r in consultations if r.key == key))
    return sum(ch in title for ch in name) * 5 >= len(name) * 3


def _short_name_heading(
    line: str, text: str, consultations: Sequence[ConsultationRef]
) -> _Heading | None:
    """A heading by a shortened title, when the rest of its line says nothing of substance.

    「ギフトセットについては、所得制限は…」 is an item that names its consultation, read
    as such elsewhere; only a line whose rest is empty, an announcement (「2点質問させて
    ください。」) or 「特に意見ありません」 opens a section.
    """
    m = _SHORT_NAME.match(text)
    if m is None or _MENTION.search(m.group("name")):
        return None
    key = guess_consultation(m.group("name"), consultations)
    if key is None:
        return None
    rest = text[m.end() :].strip()
    if rest and not (is_meta_line(rest) or is_nothing_line(rest)):
        return None
    if not rest and not _mostly_title(m.group("name"), key, consultations):
        return None  # 「病児保育の受け入れ枠について」 alone: a topic within, not the name
    content = fold(line).span(m.end(), len(text))[0] if m.end() < len(text) else len(line)
    return _Heading(key, content, "title", True, None)


def split_sections(text: str, consultations: Sequence[ConsultationRef]) -> tuple[Section, ...]:
    """Sections of ``text`` in order; the first (how="none") holds what precedes any heading."""
    prefixes = {
        ref.key: ps
        for ref, ps in zip(consultations, round_title_prefixes(consultations), strict=True)
    }
    sections: list[Section] = []
    current = Section(None, 0, 0, "none")
    pos = 0
    previous_blank = True
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        heading = _match_heading(body, consultations, prefixes) if body.strip() else None
        if heading is not None and (heading.strong or previous_blank):
            sections.append(_close(current, pos))
            current = Section(
                heading.consultation,
                pos + heading.content,
                pos + heading.content,
                heading.how,
                body[: heading.content].strip(),
                heading.reason,
            )
        previous_blank = not body.strip()
        pos += len(line)
    sections.append(_close(current, pos))
    return tuple(s for s in sections if s.how != "none" or s.end > s.start)


def _close(section: Section, end: int) -> Section:
    return Section(
        section.consultation, section.start, end, section.how, section.heading, section.reason
    )


_KANJI_WORD = re.compile(r"[\u4e00-\u9fff々]{2,}")
_KATAKANA_WORD = re.compile(r"[\u30a0-\u30ffー]{3,}")
_MIN_GUESS_SCORE = 3
_GENERIC = frozenset({"業務", "委託", "使用", "事業", "務委", "用委", "業委", "契約"})


def _keywords(title: str) -> set[str]:
    """Kanji bigrams and katakana trigrams of a title: the words members reuse from it."""
    words: set[str] = set()
    for run in _KANJI_WORD.findall(title):
        words |= {run[i : i + 2] for i in range(len(run) - 1)}
    for run in _KATAKANA_WORD.findall(title):
        words |= {run[i : i + 3] for i in range(len(run) - 2)}
    return words - _GENERIC


@functools.lru_cache(maxsize=256)
def _distinctive_words(
    consultations: tuple[ConsultationRef, ...],
) -> tuple[tuple[str, frozenset[str]], ...]:
    """Per consultation, in order, the title words that no other title of the round has."""
    keywords = {ref.key: _keywords(nfkc(ref.title)) for ref in consultations}
    return tuple(
        (
            ref.key,
            frozenset(
                keywords[ref.key]
                - set().union(*(k for key, k in keywords.items() if key != ref.key))
            ),
        )
        for ref in consultations
    )


def guess_consultation(text: str, consultations: Sequence[ConsultationRef]) -> str | None:
    """The one consultation whose distinctive title words the text uses most, if any.

    A score is the total length of the distinct title words found (kanji bigrams,
    katakana trigrams that no other title of the round has).
    """
    folded = nfkc(text)
    scores: dict[str, int] = {}
    for key, mine in _distinctive_words(tuple(consultations)):
        scores[key] = sum(len(w) for w in mine if w in folded)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    # One common two-character word (配布, 保育) is no evidence; ギフト or 病児+保育 is.
    if not ranked or ranked[0][1] < _MIN_GUESS_SCORE:
        return None
    if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
        return None
    return ranked[0][0]


_MENTION = re.compile(
    rf"(?:諮問\s*)?第\s*{_NUM}\s*号|(?<![\d.])(\d+)\s*号(?!機|館|線|室|棟|車)|[【\[〔]\s*{_NUM}\s*[】\]〕]"
)


def mentioned(text: str, consultations: Sequence[ConsultationRef]) -> tuple[str, ...]:
    """Keys of the known consultations the text names anywhere, by number or title, in order."""
    folded = nfkc(text)
    found: list[tuple[int, str]] = []
    for m in _MENTION.finditer(folded):
        number = next(g for g in m.groups() if g)
        key = _key_for(number, consultations)
        if key is not None:
            found.append((m.start(), key))
    for ref, prefixes in zip(consultations, round_title_prefixes(consultations), strict=True):
        # Each longer prefix starts with the shortest: without it, none can be there.
        if not prefixes or prefixes[-1] not in folded:
            continue
        for prefix in prefixes:
            at = folded.find(prefix)
            if at >= 0:
                found.append((at, ref.key))
                break
    keys: list[str] = []
    for _, key in sorted(found):
        if key not in keys:
            keys.append(key)
    return tuple(keys)


def leading_mention(text: str, consultations: Sequence[ConsultationRef]) -> str | None:
    """The consultation a line starts by naming (「第14号は…」「【13】…」「病児保育…」,
    also after a point's label: 「①諮問第32号の…」), if any."""
    folded = nfkc(text, keep_circled=True)
    label = _ITEM_LABEL.match(folded)
    folded = nfkc(folded[label.end() :] if label else folded)
    lead = _TITLE_LEAD.match(folded)
    at = lead.end() if lead else 0
    m = _MENTION.match(folded, at)
    if m:
        return _key_for(next(g for g in m.groups() if g), consultations)
    for ref, prefixes in zip(consultations, round_title_prefixes(consultations), strict=True):
        if any(folded.startswith(p, at) for p in prefixes):
            return ref.key
    return None
