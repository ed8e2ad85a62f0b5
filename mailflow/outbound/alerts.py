"""A staff alert as one line in the committee's language, people named by name (pure).

The engine's alerts carry ids and flags (`workflow.actions.StaffAlert`); the digest
shows them through this table, one formatter per kind and language. An alert of a kind
not in the table (intake's own lines) is shown as it was written.
"""

from __future__ import annotations

from collections.abc import Callable

from mailflow.outbound.views import AlertLine

_MARKS = {"1": "①", "2": "②", "3": "③", "4": "④"}


def _mark(a: AlertLine) -> str:
    return _MARKS.get(a.subject, a.subject)


def _late_ja(a: AlertLine) -> str:
    text = f"期限後に届いた {'、'.join(a.items)} を保留しています"
    if a.parties:
        how = "追加送付します" if a.followup else "送付します"
        text += f"。受け付けると{'、'.join(a.parties)}へ{how}"
    if a.supplement:
        text += "。②は送付済みのため、その回答は委員へ追加送付します"
    return text + "（mailflow item accept / reject）"


def _late_en(a: AlertLine) -> str:
    text = f"late {', '.join(a.items)} held"
    if a.parties:
        how = "a follow-up bundle" if a.followup else "their bundle"
        text += f"; if accepted it goes to {', '.join(a.parties)} in {how}"
    if a.supplement:
        text += ", and members get its answer as a supplement (② has gone)"
    return text + " (mailflow item accept / reject)"


def _place(a: AlertLine) -> str:
    return f"mailflow item place {'/'.join(a.items)} --consultation K --why …"


_JA: dict[str, Callable[[AlertLine], str]] = {
    "missing_replies": lambda a: (
        f"{_mark(a)}の期限までに返信のなかった委員：{'、'.join(a.parties)}"
    ),
    "unanswered": lambda a: f"{_mark(a)}で回答の届いていない質疑：{'、'.join(a.items)}",
    "late_item": _late_ja,
    "no_department": lambda a: (
        f"諮問案件 {'、'.join(a.items)} に質疑がありますが所管課がありません（設定を確認）"
    ),
    "decision_incomplete": lambda a: (
        f"{'、'.join(a.parties)}の答申が明確でない諮問案件：{'、'.join(a.items)}（再確認を依頼済み）"
    ),
    "decision_overdue": lambda a: (
        f"④の期限を過ぎても答申がありません：{'、'.join(a.parties)}（{'、'.join(a.items)}）"
    ),
    "no_decider": lambda a: (
        "会長が欠席で、答申の代理も指定されていません"
        "（mailflow round delegate で会長職務代理に委任）"
    ),
    "unplaced_item": lambda a: (
        f"{'、'.join(a.parties) or '委員'}の項目（番号 {'、'.join(a.items)}）に"
        f"諮問案件の指定がありません（{_place(a)}）"
    ),
}

_EN: dict[str, Callable[[AlertLine], str]] = {
    "missing_replies": lambda a: f"{_mark(a)} closed without a reply from {', '.join(a.parties)}",
    "unanswered": lambda a: f"no answer yet in {_mark(a)} to {', '.join(a.items)}",
    "late_item": _late_en,
    "no_department": lambda a: f"consultation {', '.join(a.items)} has items but no department",
    "decision_incomplete": lambda a: (
        f"no clear decision from {', '.join(a.parties)} on {', '.join(a.items)} (asked again)"
    ),
    "decision_overdue": lambda a: (
        f"④ passed with no decision from {', '.join(a.parties)} on {', '.join(a.items)}"
    ),
    "no_decider": lambda a: (
        "no chair present and no delegate (mailflow round delegate to the deputy)"
    ),
    "unplaced_item": lambda a: (
        f"item {', '.join(a.items)} of {', '.join(a.parties) or 'a member'} names no "
        f"consultation ({_place(a)})"
    ),
}

_TABLES = {"ja": _JA, "en": _EN}


def alert_text(line: AlertLine, language: str) -> str:
    """The line staff read: from the table when the kind has words, else as written."""
    formatter = _TABLES.get(language, _JA).get(line.what)
    return formatter(line) if formatter is not None else line.detail
