"""Corrections by reply: 「訂正 [Q13-03]」 with new text, 「取消 [Q13-03]」 to withdraw.

The receipt tells members how (templates/mail/ja/receipt.txt); they write it as people
do, so each of these is one command line:

* keyword first: 「訂正 [Q13-03]」「【訂正】Ｑ１３－３」「訂正：Q13-3 正しくは…」,
  「取消 [Q13-03] [Q13-04]」
* ID first: 「[Q13-03]を次のとおり訂正します。」「Q13-3は取り消してください」,
  「[Q13-03]を撤回します」

A 訂正's new text is what follows the ID on its line and the lines below it, up to the
next command; greetings, closings and a trailing name paragraph are trimmed. Text
before the first command and after a 取消 is the rest of the reply, parsed as usual
(:func:`remainder`). The receipt's own instructions (「・訂正：「訂正 [Q13-01]」と書いた…」)
are never a command, in case a client's quote escaped the quote stripper.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from mailflow.domain import ItemId
from mailflow.parsing.items import ignorable
from mailflow.parsing.kinds import is_name_line, is_opening_line
from mailflow.parsing.normalize import DASHES, fold, nfkc


class CorrectionKind(Enum):
    CORRECT = "correct"  # 訂正: replace the item's text
    WITHDRAW = "withdraw"  # 取消: withdraw the item


@dataclass(frozen=True)
class Correction:
    """One command: the item it names, and for a 訂正 the new text (verbatim).

    ``lines`` is the half-open range of lines of the new text the command took.
    """

    kind: CorrectionKind
    item: str  # "Q13-03"
    text: str
    lines: tuple[int, int]


_BULLETS = "●・◆■◇□○◎•▪*-> \t"
# Runs of spaces are taken whole (possessive): what follows each never starts with one, and
# backtracking into them made a line of spaces take minutes.
_ONE_ID = rf"[\[【(]?\s*+[Qq]\s*+\d++\s*+[{DASHES}]\s*+\d++\s*+[\]】)]?"
_IDS = rf"{_ONE_ID}(?:\s*+(?:[、,・/]|及び|および|と)?\s*+{_ONE_ID})*"
_HIRAGANA = re.compile(r"[ぁ-ゖ]")
_ID = re.compile(rf"[Qq]\s*(\d+)\s*[{DASHES}]\s*(\d+)(?!\d)")
_CORRECT = "訂正|修正|差し?替え"
_WITHDRAW = "取り?消し?|撤回|削除"
_POLITE = (
    r"(?:します|いたします|致します|してください|して下さい|願います|をお願いします"
    r"|をお願いいたします|をお願い致します|させてください|させて下さい|したいです|したい)?"
)
_KEYWORD_FIRST = re.compile(
    rf"^[【\[(]?\s*+(?P<verb>{_CORRECT}|{_WITHDRAW})\s*+[】\])]?\s*+[:：]?\s*+(?P<ids>{_IDS})"
)
_ID_FIRST = re.compile(
    rf"^(?P<ids>{_IDS})\s*+(?:について|の(?:内容|ご?意見|ご?質問|ご?要望)?)?\s*+(?:は|を)?[、,]?\s*+"
    rf"(?:次|以下|下記)?の?(?:とおり|通り)?[、,]?\s*+(?P<verb>{_CORRECT}|{_WITHDRAW}){_POLITE}"
    r"[。.!！:：]?\s*+$"
)
# What may sit between the IDs and the new text on a keyword-first line.
_CONNECTOR = re.compile(
    rf"^(?:\s|[:：、,。]|について|は|を)*(?:(?:次|以下|下記)?の?(?:とおり|通り)?[、,]?"
    rf"(?:{_CORRECT}|{_WITHDRAW}){_POLITE}[。.!！:：]?\s*$)?"
)
# 「先ほどの質問を次のとおり訂正します。」 announces the commands below; it is not an item.
_ANNOUNCE = re.compile(
    rf"(?:{_CORRECT}|{_WITHDRAW}).{{0,12}}(?:します|いたします|致します|ください|下さい|願います|お願い)"
)


def _verb_kind(verb: str) -> CorrectionKind:
    return CorrectionKind.CORRECT if re.fullmatch(_CORRECT, verb) else CorrectionKind.WITHDRAW


def _command(line: str) -> tuple[CorrectionKind, tuple[str, ...], str] | None:
    """(kind, item IDs, rest of the line verbatim) when ``line`` is a command, else None."""
    lead = len(line) - len(line.lstrip(_BULLETS + "\u3000"))
    body = line[lead:]
    folded = fold(body)
    m = _KEYWORD_FIRST.match(folded.text) or _ID_FIRST.match(folded.text)
    if m is None:
        return None
    ids = tuple(
        dict.fromkeys(str(ItemId(g.group(1), int(g.group(2)))) for g in _ID.finditer(m["ids"]))
    )
    rest = folded.text[m.end() :]
    conn = _CONNECTOR.match(rest)
    start = m.end() + (conn.end() if conn else 0)
    kind = _verb_kind(m["verb"])
    if kind is CorrectionKind.CORRECT and len(ids) != 1:
        return None  # one new text cannot replace several items
    return kind, ids, folded.slice(start, len(folded.text)).strip()


def _strip_bullet(text: str) -> str:
    return text.lstrip("●・◆■◇□○◎•▪* \u3000")


def _name_like(line: str) -> bool:
    # A name or section line has no kana endings; a short question such as
    # 「有効期限はあるのか」 always has.
    return is_name_line(line) and not _HIRAGANA.search(line)


def _trim(lines: list[str]) -> list[str]:
    """The new text without greetings, closings and a name under them (「上野」)."""
    out = list(lines)
    while out and (not out[0].strip() or ignorable(out[0]) or is_opening_line(out[0])):
        out.pop(0)
    # The trailing run of blank, courtesy and name lines is the sign-off once it holds a
    # blank or courtesy line: a name right under the text alone cannot be told apart.
    cut = len(out)
    while cut > 0 and (
        not out[cut - 1].strip() or ignorable(out[cut - 1]) or _name_like(out[cut - 1])
    ):
        cut -= 1
    run = out[cut:]
    if cut > 0 and any(not s.strip() or ignorable(s) for s in run):
        out = out[:cut]
    return out


def find_corrections(new_text: str) -> tuple[Correction, ...]:
    """Every 訂正/取消 command in what the author newly wrote, in order."""
    lines = new_text.splitlines()
    commands = [(n, c) for n, line in enumerate(lines) if (c := _command(line)) is not None]
    out: list[Correction] = []
    for i, (n, (kind, ids, rest)) in enumerate(commands):
        if kind is CorrectionKind.WITHDRAW:
            out += [Correction(kind, item, "", (n, n + 1)) for item in ids]
            continue
        end = commands[i + 1][0] if i + 1 < len(commands) else len(lines)
        body = _trim([rest, *lines[n + 1 : end]] if rest else lines[n + 1 : end])
        if body:
            body[0] = _strip_bullet(body[0])
        out.append(Correction(kind, ids[0], "\n".join(body).strip(), (n, end)))
    return tuple(out)


def remainder(new_text: str, corrections: tuple[Correction, ...]) -> str:
    """The reply without its commands: what is left to parse as new items."""
    taken: set[int] = set()
    for c in corrections:
        taken.update(range(*c.lines))
    kept = [
        line
        for n, line in enumerate(new_text.splitlines())
        if n not in taken and not (_ANNOUNCE.search(nfkc(line)) and len(line.strip()) <= 40)
    ]
    return "\n".join(kept).strip()
