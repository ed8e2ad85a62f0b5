"""The words of a verdict (答申の可否) in one line of the chair's text, negation first.

A verdict is a *core* word and the predicate that follows it up to the end of its
clause. The predicate decides the polarity: 「可とする」 approves, 「可とすることはでき
ない」 rejects, 「承認手順」 (a noun goes on) is no verdict at all. Reading the predicate
before the word is what keeps 「不承認」「承認しない」「可とできない」 from ever being
read as approval (issue: a chair's 不承認 was once echoed back as 可).

* **reject** — 不承認／否／否とする／否決／不可／承認しない・できない／可とできない／
  認められない／反対／異議あり, and every approving core with a negated predicate;
* **conditional** — 条件付き(で)可・承認・了承, 条件を付して可;
* **approve** — 可とする／可／承認／了承／異議なし／原案のとおり／諮問どおり／可決.

A negated reject word (「否とはしない」) is neither: it is reported as *unclear*, so the
consultation goes to staff. Everything here runs on the NFKC copy of the line
(:func:`mailflow.parsing.normalize.fold`), so offsets map back to the original.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Polarity(enum.Enum):
    """What one verdict word says about its consultation."""

    APPROVE = "approve"
    CONDITIONAL = "conditional"
    REJECT = "reject"
    UNCLEAR = "unclear"  # a double negative: staff must read it


@dataclass(frozen=True)
class Hit:
    """One verdict word found in a (folded) line: ``text[start:end]`` and its polarity.

    ``end`` includes the predicate, so what follows it is the rest of the sentence (the
    conditions of a conditional verdict, or the reasons of a rejection).
    """

    start: int
    end: int
    polarity: Polarity
    instruction: bool = False  # 「…を認めないこと」: an instruction, as conditions are worded


_KANJI = "\u3005\u4e00-\u9fff"
# The clause ends at a sentence end or a line end; a comma ends it too unless what
# follows is only the rest of a negated predicate (「可とすることは、できない」).
_CLAUSE_END = re.compile(r"[。.!?！？\n]")
_COMMA = re.compile(r"[、,，]")
_NEGATED_REST = re.compile(r"\s*(?:でき|出来|いたし|致し|し)?(?:ない|ません|かね)")
_NEGATION = re.compile(
    r"ない|なかっ|ません|かねる|かねます|がたい|難い|難し[いく]|困難|ず(?:に|、|。|$)|ぬ(?:$|[。、])|ざる"
    r"|見送|見合わせ|差し?控え"
)
# 「可としたいところだが」「承認したいのですが」: a wish that goes on with "but" decides
# nothing; what follows the comma (「今回は見送る」) may say the opposite.
_HEDGE = re.compile(r"たい(?:ところ|ものの|けれど|けど|が|のですが|のだが|のですけれど)")
# 「差し支えない」「問題ない」「異存はない」: a negation that approves.
_POSITIVE_NEGATION = re.compile(
    r"(?:差し?支え|さしつかえ|問題|支障|構わ|かまわ|異存|異論|遜色|懸念|心配)(?:は|が|も)?"
    r"(?:ない|無い|ありません|ございません|なし)"
)
_INSTRUCTION = re.compile(r"\s*(?:よう(?:に)?|こと(?!と|に(?:する|します|した|いたし|致し)))")
# After an approving core, the predicate of a decision: 「とする」「します」「です」, or
# nothing before the clause ends. A noun that goes on (承認手順, 可能) is no verdict.
_PREDICATE = re.compile(
    r"[」』\"')）\]]*\s*(?:$|[、,，:：()（」]|と(?:する|します|し|いたし|致し|な|判断|考え|決定|認め)"
    r"|とすること|する|します|いたし|致し|し(?:ます|た|て)|です|である|だ(?:$|[。、])|で(?:差し?支え|よい|良い|結構|問題)"
    r"|で(?:す|ある)|に(?:する|します|いたし|致し)|を(?:答申|回答)|\s)"
)
_APPROVE_CORE = re.compile(
    rf"(?<![{_KANJI}不])可(?![{_KANJI}])|(?<![{_KANJI}不])可決"
    rf"|(?<![不])承認(?![{_KANJI}])|(?<![不])了承(?![{_KANJI}])"
    r"|(?:原案|諮問)(?:の)?(?:とおり|通り|どおり)|\bapprove[sd]?\b|\bno objections?\b"
)
_CONDITIONAL_CORE = re.compile(
    r"条件付き?(?:で|の|にて)?(?:[「『]?可[」』]?|承認|了承)|条件を付(?:して|け(?:て|た上で))(?:[「『]?可[」』]?|承認|了承)"
    r"|\b(?:conditionally\s+approve[sd]?|approve[sd]?\s+(?:with|on|subject\s+to)\s+(?:the\s+)?conditions?)\b"
)
_REJECT_CORE = re.compile(
    r"不承認|不了承|否決|不同意|不賛成|不可(?![能欠避分視侵解思逆抗])"
    r"|(?<![可拒安適賛存良当真成諾採合要正])否(?![定応])"
    r"|異議(?:が|は)?あり(?!ませ)|異議(?:が|は)?ある(?!ま)"
    r"|反対(?!に|側|語|の(?:意見|立場)|意見)"
    r"|\b(?:reject(?:s|ed)?|disapprove[sd]?|oppose[sd]?|object(?:s|ed)?\s+to)\b"
    r"|(?:\b(?:not|cannot|unable\s+to)|n't)\s+(?:be\s+(?:able\s+to\s+)?)?approve[sd]?\b"
)
# 認める・同意・賛成・適当 decide nothing when positive (「同意します」 is not a verdict),
# but their negation rejects: 「認められない」「同意できない」「適当でない」.
_NEGATABLE_CORE = re.compile(r"認め(?:られ|る|ます|ることは|ることが)?|同意|賛成|適当|妥当|適切")
_APPROVE_BY_ABSENCE = re.compile(
    r"異議(?:は|も)?(?:なし|無し|ない|ありません|ございません|御座いません)|異存(?:は)?(?:なし|ない|ありません|ございません)"
)


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
# What a conditional or approving word's predicate may be; the conditions start after it.
_PREDICATE_SPAN = re.compile(
    r"[」』\"')）]*\s*(?:と(?:する|します|したい|いたします|致します|し、|判断(?:する|します|いたします)?)"
    r"|とすること(?:と(?:する|します|いたします))?|する|します|いたします|致します|です|である)?[。.、,]?"
)


@dataclass(frozen=True)
class _Tail:
    """What follows a verdict word up to the end of its clause: ``text`` is read for the
    predicate, ``end`` is where the clause stops in the line."""

    text: str
    end: int


_OPEN = "（("
_CLOSE = "）)"
# A note in brackets right after the verdict word is as long as a condition gets; past
# this the brackets are taken as unclosed and read as they stand.
_NOTE_LIMIT = 400


def _clause_tail(text: str, at: int, limit: int = 24) -> _Tail:
    """What follows ``at`` up to the end of its clause (at most ``limit`` characters).

    A note in brackets is left out of the predicate: in 「条件付き承認（個人が特定されない
    形で集計すること）」 the negation belongs to the condition, not to the verdict. A
    comma ends the clause unless what follows only finishes a negated predicate
    (「…ことは、できない」).
    """
    kept: list[str] = []
    depth = 0
    i = at
    stop = min(len(text), at + limit + _NOTE_LIMIT)
    while i < stop and len(kept) < limit:
        ch = text[i]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and depth:
            depth -= 1
        elif depth:
            pass
        elif _ends_clause(text, i):
            break
        else:
            kept.append(ch)
        i += 1
    if depth:
        return _plain_tail(text, at, limit)
    return _Tail("".join(kept), i)


def _ends_clause(text: str, i: int) -> bool:
    ch = text[i]
    if _CLAUSE_END.match(ch):
        return True
    return bool(_COMMA.match(ch)) and not _NEGATED_REST.match(text, i + 1)


def _plain_tail(text: str, at: int, limit: int) -> _Tail:
    """The clause read as it stands, brackets and all (they were never closed)."""
    kept: list[str] = []
    i = at
    while i < len(text) and len(kept) < limit:
        if _ends_clause(text, i):
            break
        kept.append(text[i])
        i += 1
    return _Tail("".join(kept), i)


def _negated(tail: str) -> bool:
    return bool(_NEGATION.search(tail)) and not _POSITIVE_NEGATION.search(tail)


def _instruction(tail: str) -> bool:
    """「…を認めないこと」「…しないよう」: the negation words an instruction, not a verdict."""
    m = _NEGATION.search(tail)
    return m is not None and _INSTRUCTION.match(tail, m.end()) is not None


def find_hits(text: str) -> list[Hit]:
    """Every verdict word of ``text`` (one folded line), in order, none overlapping."""
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []
    low = text.translate(_ASCII_LOWER)  # English words in any case; offsets unchanged

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    def negative(a: int, b: int, polarity: Polarity, tail: _Tail) -> None:
        # A negated predicate is part of the verdict: the reasons start after it.
        hits.append(Hit(a, tail.end, polarity, _instruction(tail.text)))
        taken.append((a, tail.end))

    def positive(a: int, b: int, polarity: Polarity) -> None:
        span = _PREDICATE_SPAN.match(low, b)
        end = span.end() if span is not None else b
        hits.append(Hit(a, end, polarity))
        taken.append((a, end))

    # Reject words first, so that the 承認 of 不承認 is never read on its own.
    for m in _REJECT_CORE.finditer(low):
        if not free(m.start(), m.end()):
            continue
        tail = _clause_tail(low, m.end())
        if _negated(tail.text) and not m.group().startswith("異議"):
            negative(m.start(), m.end(), Polarity.UNCLEAR, tail)  # 「否とはしない」
        else:
            negative(m.start(), m.end(), Polarity.REJECT, tail)
    for m in _CONDITIONAL_CORE.finditer(low):
        if not free(m.start(), m.end()):
            continue
        tail = _clause_tail(low, m.end())
        if _negated(tail.text):
            negative(m.start(), m.end(), Polarity.REJECT, tail)
        else:
            positive(m.start(), m.end(), Polarity.CONDITIONAL)
    for m in _APPROVE_BY_ABSENCE.finditer(low):
        if free(m.start(), m.end()):
            positive(m.start(), m.end(), Polarity.APPROVE)
    for m in _APPROVE_CORE.finditer(low):
        if not free(m.start(), m.end()):
            continue
        tail = _clause_tail(low, m.end())
        if _negated(tail.text):
            negative(m.start(), m.end(), Polarity.REJECT, tail)
        elif _HEDGE.search(tail.text):
            negative(m.start(), m.end(), Polarity.UNCLEAR, tail)
        elif _PREDICATE.match(tail.text):
            positive(m.start(), m.end(), Polarity.APPROVE)
    for m in _NEGATABLE_CORE.finditer(low):
        if not free(m.start(), m.end()):
            continue
        tail = _clause_tail(low, m.end())
        if _negated(tail.text):
            negative(m.start(), m.end(), Polarity.REJECT, tail)
    hits.sort(key=lambda h: h.start)
    return hits
