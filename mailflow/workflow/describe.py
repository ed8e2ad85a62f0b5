"""Each engine action in words for staff (what `round open` and `tick` print), by a table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mailflow.workflow import actions as act

_ALERTS_JA = {
    act.AlertKind.MISSING_REPLIES: "未返信の委員",
    act.AlertKind.UNANSWERED: "未回答の質疑",
    act.AlertKind.LATE_ITEM: "期限後に届いた質疑・意見",
    act.AlertKind.NO_DEPARTMENT: "所管課のない諮問案件",
    act.AlertKind.DECISION_INCOMPLETE: "答申が揃っていない",
    act.AlertKind.DECISION_OVERDUE: "答申の期限超過",
    act.AlertKind.NO_DECIDER: "答申者がいない",
}

Names = Mapping[str, str]


def _people(n: int) -> str:
    return f"{n} 名"


def _bundle(a: act.SendDepartmentBundle, names: Names) -> str:
    what = "追加送付" if a.followup else "質疑の送付"
    return f"{a.phase.mark} {names.get(a.department, a.department)}へ{what}（{len(a.item_ids)} 件）"


def _distribution(a: act.SendDistribution, names: Names) -> str:
    if a.supplement:
        return f"② 回答の追加送付（{len(a.item_ids)} 件）: 委員 {_people(len(a.recipients))}"
    return f"② 質疑と回答の一括送付（{len(a.item_ids)} 件）: 委員 {_people(len(a.recipients))}"


_TABLE: dict[type, Callable[[Any, Names], str]] = {
    act.SendCallForQuestions: lambda a, n: (
        f"① 開催通知（質疑・意見の募集）: 委員 {_people(len(a.recipients))}"
    ),
    act.SendReminder: lambda a, n: f"{a.phase.mark} 督促: {_people(len(a.recipients))}",
    act.SendDepartmentBundle: _bundle,
    act.SendDistribution: _distribution,
    act.SendCallForFurther: lambda a, n: f"③ さらなる意見の募集: 委員 {_people(len(a.recipients))}",
    act.SendChairDigest: lambda a, n: f"④ 答申の依頼: {n.get(a.recipient, a.recipient)}",
    act.SendDecisionReask: lambda a, n: (
        f"④ 答申の再確認（{'、'.join(a.consultations)}）: {n.get(a.recipient, a.recipient)}"
    ),
    act.SendDecisionEcho: lambda a, n: f"④ 答申の確認: {n.get(a.recipient, a.recipient)}",
    act.SendResultNotice: lambda a, n: (
        f"答申結果の通知: 委員 {_people(len(a.members))}、所管課 {len(a.departments)}"
    ),
    act.SendDeadlineNotice: lambda a, n: (
        f"{a.phase.mark} 期限変更の通知: 委員 {_people(len(a.members))}、"
        f"所管課 {len(a.departments)}"
    ),
    act.SendCancellationNotice: lambda a, n: (
        f"中止の通知: 委員 {_people(len(a.members))}、所管課 {len(a.departments)}"
    ),
    act.StaffAlert: lambda a, n: f"事務局への通知: {_ALERTS_JA.get(a.kind, a.kind.value)}",
    act.Transition: lambda a, n: f"状態: {a.src.value} → {a.dst.value}",
    act.DeadlineChanged: lambda a, n: f"{a.phase.mark} 期限の変更",
    act.PhaseClosedEarly: lambda a, n: f"{a.phase.mark} 早期締切",
    act.DecisionDelegated: lambda a, n: f"答申を会長職務代理に委任: {n.get(a.member, a.member)}",
}


def describe(action: act.Action, names: Names) -> str:
    """One line in Japanese; ``names`` maps member and department ids to names."""
    return _TABLE[type(action)](action, names)
