"""The reply form (回答欄) in our call-for-questions mail, described once for writer and reader.

The call for questions (phase ①) ends with a form members may fill in or ignore::

    ――――― 回答欄（この下にご記入のうえ、そのままご返信ください） ―――――
    ■諮問第13号 子育て応援ギフトセット配布業務委託
    （ここにご質問・ご意見をお書きください）

    ■諮問第14号 病児保育予約システム使用委託
    （ここにご質問・ご意見をお書きください）

    ※ご質問・ご意見がない場合は「特になし」とお書きください。
    ――――― 回答欄ここまで ―――――

The mail template renders it with :func:`render_reply_form` (or from the constants
here); :mod:`mailflow.parsing.sections` reads each ■ heading as a section, and every
other line of the form is ignored wherever a member leaves it, so an untouched
placeholder never becomes a question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mailflow.domain import ConsultationRef
from mailflow.parsing.normalize import nfkc

HEADING_MARK = "■"
FORM_START = "――――― 回答欄（この下にご記入のうえ、そのままご返信ください） ―――――"
PLACEHOLDER = "（ここにご質問・ご意見をお書きください）"
NOTHING_HINT = "※ご質問・ご意見がない場合は「特になし」とお書きください。"
FORM_END = "――――― 回答欄ここまで ―――――"

# Short forms members keep after trimming the form (the placeholder without its
# brackets, the rule lines without their words).
_IGNORED = tuple(
    nfkc(s).strip()
    for s in (
        FORM_START,
        PLACEHOLDER,
        NOTHING_HINT,
        FORM_END,
        "ここにご質問・ご意見をお書きください",
        "回答欄",
        "回答欄ここまで",
    )
)
_RULE_CHARS = set("―─-—━=＝_＿ ")


def short_number(ref: ConsultationRef) -> str:
    """The number as the form shows it: 諮問第13号, without the fiscal year."""
    number = ref.number
    pos = number.find("諮問")
    if pos >= 0:
        return number[pos:]
    return f"諮問第{ref.key}号"


def form_heading(ref: ConsultationRef) -> str:
    """The ■ line that opens one consultation's part of the form."""
    return f"{HEADING_MARK}{short_number(ref)} {ref.title}"


def render_reply_form(consultations: Sequence[ConsultationRef]) -> str:
    """The whole form as plain text, lines joined with newlines and a final newline."""
    lines = [FORM_START]
    for i, ref in enumerate(consultations):
        if i:
            lines.append("")
        lines += [form_heading(ref), PLACEHOLDER]
    lines += ["", NOTHING_HINT, FORM_END]
    return "\n".join(lines) + "\n"


def is_form_line(line: str) -> bool:
    """True for a line of the form that carries no content (placeholder, rules, hint)."""
    folded = nfkc(line).strip().strip("()")
    if not folded:
        return False
    if folded in _IGNORED or f"({folded})" in _IGNORED:
        return True
    # A rule line of dashes, whatever its length after a client re-wrapped it.
    return len(folded) >= 3 and folded[0] in _RULE_CHARS and set(folded) <= _RULE_CHARS


_QUOTE_PREFIX = re.compile(r"^(?:[ \t]*[>＞|][ \t]?)+")
_DECISION_FORM_START = re.compile(r"^[\s―─\-—━=＝]{2,}答申欄[（(]")
_DECISION_FORM_END = re.compile(r"^[\s―─\-—━=＝]{2,}答申欄ここまで")


def filled_decision_form(body: str) -> str | None:
    """The decision form (答申欄) as the chair filled it in inside the quoted mail, if so.

    Outlook users type into the thread below their reply: the first form in the body
    (the mail they answer) is taken, quote marks removed. None when there is no form or
    every line of it is as we sent it (「諮問第13号：」 with nothing after the colon).
    """
    lines = [_QUOTE_PREFIX.sub("", line) for line in body.split("\n")]
    start = next((i for i, line in enumerate(lines) if _DECISION_FORM_START.search(line)), None)
    if start is None:
        return None
    inside: list[str] = []
    for line in lines[start + 1 :]:
        if _DECISION_FORM_END.search(line):
            break
        inside.append(line)
    else:
        return None  # a form that never ends is not ours
    filled = [
        line
        for line in inside
        if line.strip() and not _EMPTY_FORM_LINE.fullmatch(nfkc(line).strip())
    ]
    return "\n".join(inside) if filled else None


def filled_reply_form(thread: str) -> str | None:
    """The reply form (回答欄) as the member filled it in inside the thread, if so.

    Outlook users type into the unquoted mail below their reply. ``thread`` is the text
    of the mail they answer; the form's lines between its rules are returned when some
    line in it is not ours (a heading, the placeholder, the hint), else None.
    """
    lines = thread.split("\n")
    start = next((i for i, line in enumerate(lines) if nfkc(line).strip() == _FORM_START), None)
    if start is None:
        return None
    end = next(
        (i for i in range(start + 1, len(lines)) if nfkc(lines[i]).strip() == _FORM_END), None
    )
    if end is None:
        return None
    inside = lines[start + 1 : end]
    written = [
        line for line in inside if line.strip() and not is_form_line(line) and not _is_heading(line)
    ]
    return "\n".join(inside) if written else None


_FORM_START = nfkc(FORM_START).strip()
_FORM_END = nfkc(FORM_END).strip()


def _is_heading(line: str) -> bool:
    return nfkc(line).strip().startswith(HEADING_MARK)


_EMPTY_FORM_LINE = re.compile(r"(?:令和\s*\d+\s*年度)?\s*諮問第?\s*\d+\s*号\s*[:：]?")
