"""One named step per round state: what is due in that state at `now`.

A step may return actions already applied; the engine drops those by key.  A step
that ends its state returns the `Transition` last, and the engine then runs the next
state's step at the same `now`, so a tick after a long outage catches up in order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mailflow.domain import Phase, Verdict
from mailflow.workflow.actions import (
    Action,
    AlertKind,
    Audience,
    SendCallForFurther,
    SendCallForQuestions,
    SendChairDigest,
    SendDecisionEcho,
    SendDecisionReask,
    SendDepartmentBundle,
    SendDistribution,
    SendReminder,
    SendResultNotice,
    StaffAlert,
    Transition,
    bundle_key,
    followed_up,
)
from mailflow.workflow.decisions import decision_in_force
from mailflow.workflow.facts import DecisionFact, ItemFact, RoundFacts
from mailflow.workflow.state import RoundState
from mailflow.workflow.supplements import shown_pending, supplements
from mailflow.workflow.timing import reminder_offset_due
from mailflow.workflow.windows import (
    Tick,
    answers_closed_at,
    bundled,
    further_closed_at,
    pending_at,
    questions_closed_at,
    responses_closed_at,
)

Step = Callable[[Tick], list[Action]]
_S = RoundState


def _move(t: Tick, dst: RoundState, reason: str) -> Transition:
    return Transition(t.tag, t.facts.state, dst, reason)


def _reminder(
    t: Tick,
    phase: Phase,
    audience: Audience,
    due: datetime,
    recipients: tuple[str, ...],
    start: datetime | None,
) -> list[Action]:
    offset = reminder_offset_due(due, t.policy.offsets_longest_first, t.now)
    # A reminder whose time fell before the phase began would arrive with the phase's
    # first mail (the seed's D2 is only two days after D1): skip it.
    if offset is None or not recipients or (start is not None and due - offset <= start):
        return []
    return [SendReminder(t.tag, phase, audience, recipients, offset, due)]


def _owing(t: Tick, items: tuple[ItemFact, ...]) -> tuple[str, ...]:
    """Departments with an item still owed an answer at `now`."""
    owed = {i.consultation for i in items if i.open_at(t.now)}
    return tuple(sorted({d for c in owed for d in t.facts.departments_for(c)}))


def _bundles(t: Tick, phase: Phase, window_end: datetime, due: datetime) -> list[Action]:
    out: list[Action] = []
    for dept in t.facts.department_ids:
        ids = tuple(i.item_id for i in t.facts.items_for(dept, phase) if not i.held)
        if ids:
            out.append(SendDepartmentBundle(t.tag, phase, dept, window_end, ids, due))
    orphans = sorted({i.consultation for i in bundled(t.facts, phase)} - _answered_by_someone(t))
    out += [
        StaffAlert(
            t.tag,
            AlertKind.NO_DEPARTMENT,
            c,
            f"consultation {c} has items but no department",
            items=(c,),
        )
        for c in orphans
    ]
    return out


def _answered_by_someone(t: Tick) -> set[str]:
    return {c for d in t.facts.departments for c in d.consultations}


def _missing_replies(t: Tick, phase: Phase) -> list[Action]:
    silent = t.facts.not_replied(phase)
    if not silent:
        return []
    detail = f"{phase.mark} closed without a reply from " + ", ".join(silent)
    return [StaffAlert(t.tag, AlertKind.MISSING_REPLIES, str(phase.value), detail, silent)]


def _unanswered(t: Tick, subject: str, items: tuple[ItemFact, ...]) -> list[Action]:
    if not items:
        return []
    ids = tuple(str(i.item_id) for i in items)
    detail = "no answer yet to " + ", ".join(ids)
    return [StaffAlert(t.tag, AlertKind.UNANSWERED, subject, detail, items=ids)]


def held_alerts(t: Tick) -> list[Action]:
    """Every late item held for staff is reported once, whatever the state.

    The alert says what accepting the item would do now: go to its departments (in
    their bundle, or in a follow-up once the bundle has gone) and, once ② has been
    distributed, reach the members as a supplement.
    """
    return [_held_alert(t, i) for i in t.facts.items if i.held]


def _held_alert(t: Tick, item: ItemFact) -> StaffAlert:
    detail = f"late {item.phase.mark} item held"
    depts = t.facts.departments_for(item.consultation)
    ident = str(item.item_id)
    if not depts:
        return StaffAlert(t.tag, AlertKind.LATE_ITEM, ident, detail, items=(ident,))
    sent = any(bundle_key(t.tag, item.phase, d) in t.facts.issued for d in depts)
    how = "a follow-up bundle" if sent else "their bundle"
    detail += f"; if accepted it goes to {', '.join(depts)} in {how}"
    supplement = item.phase is Phase.QUESTIONS and answers_closed_at(t) is not None
    if supplement:
        detail += ", and as ② has been distributed, members get the answer as a supplement"
    return StaffAlert(t.tag, AlertKind.LATE_ITEM, ident, detail, tuple(depts), (ident,), sent,
                      supplement)  # fmt: skip


def followups(t: Tick, phase: Phase) -> list[Action]:
    """Items that joined the round after their department's bundle went out, in a short bundle.

    They are late items staff accepted after the bundle went, or, under the
    "accept" policy, late items that arrived after it (accepted at their arrival).
    Without it such an item would never reach its department and stay
    「回答準備中」 for good.  It goes whatever the state: while ② is open the answer
    joins the distribution; after that it still goes, because the department's answer
    then reaches members as a supplement (`supplements`) and the chair's digest, and
    it belongs in the minutes either way.  An item accepted before the bundle went out
    is simply in the bundle.  The set of items follows the bundle's own rule (every
    item of the department's consultations, opinions included, as the seed's
    departments answer those too); the key names the items, so each goes once.
    """
    f = t.facts
    out: list[Action] = []
    for dept in f.department_ids:
        main = bundle_key(t.tag, phase, dept)
        if main not in f.issued:
            continue  # the bundle itself will carry whatever has been accepted
        # The store knows when every bundle went; without that, its window's end is
        # the earliest it can have gone.
        sent_at = f.issued_when(main) or t.deadlines.cutoff(phase)
        done = followed_up(f.issued, main)
        new = [
            i
            for i in f.items_for(dept, phase)
            if not i.held and sent_at < i.joined_at <= t.now and str(i.item_id) not in done
        ]
        if not new:
            continue
        accepted = max(i.joined_at for i in new)
        ids = tuple(i.item_id for i in new)
        due = _followup_due(t, phase, accepted)
        out.append(SendDepartmentBundle(t.tag, phase, dept, accepted, ids, due, followup=True))
    return out


def _followup_due(t: Tick, phase: Phase, accepted: datetime) -> datetime:
    """The next departments' date still ahead when the items were accepted.

    ② (or ③'s responses date) while that window was open at the acceptance; after
    it, the ③ responses date, then ④: answers after D2 go out as a supplement.
    """
    d = t.deadlines
    if phase is Phase.QUESTIONS:
        closed = answers_closed_at(t)
        if accepted < d.answers and (closed is None or accepted < closed):
            return d.answers
    closed = responses_closed_at(t)
    if accepted < d.responses_due and (closed is None or accepted < closed):
        return d.responses_due
    return d.decision


def step_draft(t: Tick) -> list[Action]:
    return []  # staff open the round (staff.open_round); nothing is due before that


def step_collecting_questions(t: Tick) -> list[Action]:
    f, d = t.facts, t.deadlines
    call = SendCallForQuestions(t.tag, f.present_members, d.due(Phase.QUESTIONS))
    out: list[Action] = [call]
    closed = questions_closed_at(t)
    if closed is None:
        silent = f.not_replied(Phase.QUESTIONS)
        # ① begins with the call: a reminder whose time came before it (a round opened
        # inside the reminder window) is skipped, never sent in the call's own tick.
        called = f.issued_when(call.key) if call.key in f.issued else t.now
        return out + _reminder(t, Phase.QUESTIONS, Audience.MEMBERS, d.questions, silent, called)
    return [*out, *_missing_replies(t, Phase.QUESTIONS), _move(t, _S.ANSWERING, "① closed")]


def step_answering(t: Tick) -> list[Action]:
    d = t.deadlines
    start = d.cutoff(Phase.QUESTIONS)
    out = _bundles(t, Phase.QUESTIONS, start, d.answers) + followups(t, Phase.QUESTIONS)
    items = bundled(t.facts, Phase.QUESTIONS)
    closed = answers_closed_at(t)
    if closed is None:
        owing = _owing(t, items)
        out += _reminder(t, Phase.ANSWERS, Audience.DEPARTMENTS, d.answers, owing, start)
        if t.now >= d.cutoff(Phase.ANSWERS):  # waiting for staff: tell them what is missing
            out += _unanswered(t, "2", pending_at(items, t.now))
        return out
    out += _unanswered(t, "2", pending_at(items, closed))
    return [*out, _move(t, _S.DISTRIBUTED, "② answers closed")]


def step_distributed(t: Tick) -> list[Action]:
    f = t.facts
    closed = answers_closed_at(t) or t.deadlines.cutoff(Phase.ANSWERS)
    items = bundled(f, Phase.QUESTIONS)
    ids = tuple(i.item_id for i in items)
    pending = tuple(i.item_id for i in shown_pending(items, closed, t.now))
    return [
        SendDistribution(t.tag, f.present_members, closed, ids, pending, t.policy.anonymous),
        SendCallForFurther(t.tag, f.present_members, t.deadlines.further),
        _move(t, _S.COLLECTING_FURTHER, "② distributed with the call for ③"),
    ]


def step_collecting_further(t: Tick) -> list[Action]:
    out = followups(t, Phase.QUESTIONS) + supplements(t)
    if further_closed_at(t) is None:
        silent = t.facts.not_replied(Phase.FURTHER)
        start = answers_closed_at(t)
        due = t.deadlines.further
        return out + _reminder(t, Phase.FURTHER, Audience.MEMBERS, due, silent, start)
    return [*out, *_missing_replies(t, Phase.FURTHER), _move(t, _S.RESPONDING, "③ closed")]


def step_responding(t: Tick) -> list[Action]:
    d = t.deadlines
    start = further_closed_at(t) or d.cutoff(Phase.FURTHER)
    out = followups(t, Phase.QUESTIONS) + supplements(t)
    out += _bundles(t, Phase.FURTHER, start, d.responses_due) + followups(t, Phase.FURTHER)
    items = bundled(t.facts, Phase.FURTHER)
    closed = responses_closed_at(t)
    if closed is None:
        owing = _owing(t, items)
        out += _reminder(t, Phase.FURTHER, Audience.DEPARTMENTS, d.responses_due, owing, start)
        if t.now >= d.responses_cutoff:
            out += _unanswered(t, "3", pending_at(items, t.now))
        return out
    out += _unanswered(t, "3", pending_at(items, closed))
    return [*out, _move(t, _S.AWAITING_DECISION, "③ responses closed")]


def current_decisions(f: RoundFacts) -> dict[str, DecisionFact]:
    """The latest decision per consultation by the chair or the delegate."""
    # The chair keeps the right to decide after delegating; anyone else's word is not a 答申.
    known = [d for d in f.decisions if d.consultation in f.consultations]
    return decision_in_force(
        known,  # the store lists them oldest first
        lambda d: d.consultation,
        decided_by=lambda d: d.decided_by,
        deciders={f.chair, f.delegate} - {None},
    )


def step_awaiting_decision(t: Tick) -> list[Action]:
    f, d = t.facts, t.deadlines
    out = followups(t, Phase.QUESTIONS) + supplements(t) + followups(t, Phase.FURTHER)
    decider = f.decider
    if decider is None:
        detail = "no chair present and no delegate: delegate the decision to the deputy"
        return [*out, StaffAlert(t.tag, AlertKind.NO_DECIDER, "4", detail)]
    start = responses_closed_at(t) or d.responses_cutoff
    items = bundled(f, Phase.QUESTIONS) + bundled(f, Phase.FURTHER)
    out.append(
        SendChairDigest(
            t.tag,
            decider,
            start,
            tuple(i.item_id for i in items),
            tuple(i.item_id for i in shown_pending(items, start, t.now)),
            f.consultations,
            d.decision,
            t.policy.anonymous,
        )
    )
    current = current_decisions(f)
    clear = {c: v for c, v in current.items() if v.verdict is not Verdict.UNCLEAR}
    missing = tuple(c for c in f.consultations if c not in clear)
    if missing:
        if current:  # an answer came, but not one clear line per consultation
            detail = "no clear decision on " + ", ".join(missing)
            out.append(SendDecisionReask(t.tag, decider, missing))
            kind = AlertKind.DECISION_INCOMPLETE
            out.append(StaffAlert(t.tag, kind, "+".join(missing), detail, (decider,), missing))
        out += _reminder(t, Phase.DECISION, Audience.DECIDER, d.decision, (decider,), start)
    decisions = tuple(clear[c] for c in f.consultations if c in clear)
    if not missing and t.policy.confirm_decision and not all(x.confirmed for x in decisions):
        out.append(SendDecisionEcho(t.tag, decider, decisions))
    elif not missing:
        return [*out, _move(t, _S.DECIDED, "④ decided")]
    if t.now >= d.cutoff(Phase.DECISION):
        overdue = StaffAlert(t.tag, AlertKind.DECISION_OVERDUE, "4", "④ passed undecided",
                             (decider,), missing)  # fmt: skip
        out.append(overdue)
    return out


def step_decided(t: Tick) -> list[Action]:
    f = t.facts
    latest = current_decisions(f)
    decisions = tuple(latest[c] for c in f.consultations if c in latest)
    return [SendResultNotice(t.tag, f.present_members, f.department_ids, decisions)]


def step_none(t: Tick) -> list[Action]:
    return []  # the round is over (minutes published or cancelled)
