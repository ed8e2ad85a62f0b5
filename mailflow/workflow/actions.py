"""What the phase machine asks for: one frozen dataclass per action, each with a stable key.

The key names the action in the round for good ("R2-5:bundle:1:kodomo"): the store
remembers applied keys, and the machine never emits a key it is told was applied, so a
tick repeated after a crash sends nothing twice. Keys carry the deadline they refer to
where a staff extension must re-arm them (reminders), and never carry `now`.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from mailflow.domain import ItemId, Phase
from mailflow.workflow.facts import DecisionFact, Policy
from mailflow.workflow.state import RoundState
from mailflow.workflow.timing import iso_duration, stamp


class Audience(enum.StrEnum):
    MEMBERS = "members"
    DEPARTMENTS = "departments"
    DECIDER = "decider"  # the chair, or the deputy the decision was delegated to


class AlertKind(enum.StrEnum):
    """Why staff are alerted; the subject of the alert makes its key unique."""

    MISSING_REPLIES = "missing_replies"  # a members' phase closed with members silent
    UNANSWERED = "unanswered"  # answers missing at D2 or at the ③ responses date
    LATE_ITEM = "late_item"  # an item arrived late and is held
    NO_DEPARTMENT = "no_department"  # items of a consultation no department answers
    DECISION_INCOMPLETE = "decision_incomplete"  # not every consultation has a clear 答申
    DECISION_OVERDUE = "decision_overdue"  # D4 passed without a confirmed decision
    NO_DECIDER = "no_decider"  # no chair present and nobody delegated
    UNPLACED_ITEM = "unplaced_item"  # read with no consultation: `mailflow item place`


def _ids(items: tuple[ItemId, ...]) -> str:
    return "+".join(str(i) for i in items)


@dataclass(frozen=True)
class SendCallForQuestions:
    """① 開催通知: the consultations and the reply form, to every present member."""

    round_tag: str
    recipients: tuple[str, ...]
    deadline: datetime

    @property
    def key(self) -> str:
        return f"{self.round_tag}:call:1"


@dataclass(frozen=True)
class SendReminder:
    """A reminder before a soft date, only to those who have not replied in the phase."""

    round_tag: str
    phase: Phase
    audience: Audience
    recipients: tuple[str, ...]
    offset: timedelta
    deadline: datetime

    @property
    def key(self) -> str:
        return (
            f"{self.round_tag}:reminder:{self.phase.value}:{self.audience.value}"
            f":{iso_duration(-self.offset)}@{stamp(self.deadline)}"
        )


def bundle_key(round_tag: str, phase: Phase, department: str) -> str:
    """The key of a department's bundle of a phase; its follow-ups extend it."""
    return f"{round_tag}:bundle:{phase.value}:{department}"


def _followup_prefix(bundle: str) -> str:
    return f"{bundle}:followup:"


def distribution_key(round_tag: str) -> str:
    """The key of the ② distribution to every member; its supplements extend it."""
    return f"{round_tag}:distribution:2"


def _supplement_prefix(round_tag: str) -> str:
    return f"{distribution_key(round_tag)}:supplement:"


# Keys are read back only here, by the functions below: nowhere else splits a key.


def _tokens(key: str, prefix: str) -> list[str]:
    # A token is an item ID, in a supplement optionally with "@<stamp>" (`SendDistribution`).
    return [part.split("@", 1)[0] for part in key[len(prefix) :].split("+")]


def _items_after(issued: Iterable[str], prefix: str) -> set[str]:
    return {part for k in issued if k.startswith(prefix) for part in _tokens(k, prefix)}


def followed_up(issued: Iterable[str], bundle: str) -> set[str]:
    """The item IDs already sent in follow-ups of the bundle keyed ``bundle``."""
    return _items_after(issued, _followup_prefix(bundle))


def supplemented(issued: Iterable[str], round_tag: str) -> set[str]:
    """The item IDs whose answers already went to members in a supplement."""
    return _items_after(issued, _supplement_prefix(round_tag))


def supplement_times(
    issued_at: Iterable[tuple[str, datetime]], round_tag: str
) -> dict[str, list[datetime]]:
    """When supplements went to members, by the item IDs whose answers each carried
    (one pass over the keys, however many items a supplement names)."""
    prefix = _supplement_prefix(round_tag)
    out: dict[str, list[datetime]] = {}
    for k, at in issued_at:
        if k.startswith(prefix):
            for item in _tokens(k, prefix):
                out.setdefault(item, []).append(at)
    return out


def supplemented_at(
    issued_at: Iterable[tuple[str, datetime]], round_tag: str, item_id: str
) -> list[datetime]:
    """When supplements carrying the answers of ``item_id`` went to members."""
    return supplement_times(issued_at, round_tag).get(item_id, [])


def bundles_sent(issued: Iterable[str], round_tag: str, phase: Phase) -> set[str]:
    """The departments whose bundle of ``phase`` has gone out."""
    prefix = bundle_key(round_tag, phase, "")
    return {
        k[len(prefix) :] for k in issued if k.startswith(prefix) and ":" not in k[len(prefix) :]
    }


def recipient_key(action_key: str, recipient: str) -> str:
    """The outbox key of one recipient's copy of an action's mail."""
    return f"{action_key}>{recipient}"


_REMINDER = re.compile(r":reminder:(\d):[^>]*>(?P<recipient>[^>]+)$")


def reminded(outbox_key: str) -> tuple[Phase, str] | None:
    """(phase, recipient id) of a reminder's outbox key; None for any other key."""
    hit = _REMINDER.search(outbox_key)
    return (Phase(int(hit.group(1))), hit.group("recipient")) if hit else None


@dataclass(frozen=True)
class SendDepartmentBundle:
    """The items of a phase for one department, as stored up to `window_end`.

    A `followup` bundle carries only items staff accepted after the department's
    bundle had gone out (追加送付); its key names those items, so each goes once.
    """

    round_tag: str
    phase: Phase
    department: str
    window_end: datetime
    item_ids: tuple[ItemId, ...]
    deadline: datetime  # when the answers are due
    followup: bool = False

    @property
    def key(self) -> str:
        key = bundle_key(self.round_tag, self.phase, self.department)
        return f"{_followup_prefix(key)}{_ids(self.item_ids)}" if self.followup else key


@dataclass(frozen=True)
class SendDistribution:
    """② every ① item with its answers up to `window_end`, together to every present member.

    `pending_ids` are shown as 「回答準備中」. A supplement (回答の追加送付) carries the
    answers members have not had: of the items shown pending, and of those in `renewed`,
    whose answer members had until staff withdrew it (at the instant given) and which
    the department has answered anew. A renewed item's key token carries that instant,
    so each withdrawal is followed by one supplement, however often it happens.
    """

    round_tag: str
    recipients: tuple[str, ...]
    window_end: datetime
    item_ids: tuple[ItemId, ...]
    pending_ids: tuple[ItemId, ...]
    anonymous: bool
    supplement: bool = False
    renewed: tuple[tuple[ItemId, datetime], ...] = ()

    @property
    def key(self) -> str:
        if self.supplement:
            withdrawn = dict(self.renewed)
            tokens = (
                f"{i}@{stamp(withdrawn[i])}" if i in withdrawn else str(i) for i in self.item_ids
            )
            return f"{_supplement_prefix(self.round_tag)}{'+'.join(tokens)}"
        return distribution_key(self.round_tag)


@dataclass(frozen=True)
class SendCallForFurther:
    """③ the call for further opinions, sent with the distribution."""

    round_tag: str
    recipients: tuple[str, ...]
    deadline: datetime

    @property
    def key(self) -> str:
        return f"{self.round_tag}:call:3"


@dataclass(frozen=True)
class SendChairDigest:
    """④ ①–③ compiled for the decider, with the consultations to decide."""

    round_tag: str
    recipient: str
    window_end: datetime
    item_ids: tuple[ItemId, ...]
    pending_ids: tuple[ItemId, ...]
    consultations: tuple[str, ...]
    deadline: datetime
    anonymous: bool

    @property
    def key(self) -> str:
        return f"{self.round_tag}:digest:4:{self.recipient}"


@dataclass(frozen=True)
class SendDecisionReask:
    """The decider's mail left consultations undecided or unclear: ask again for those."""

    round_tag: str
    recipient: str
    consultations: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.round_tag}:reask:4:{self.recipient}:{'+'.join(self.consultations)}"


@dataclass(frozen=True)
class SendDecisionEcho:
    """The decision as understood, back to the decider for confirmation."""

    round_tag: str
    recipient: str
    decisions: tuple[DecisionFact, ...]

    @property
    def key(self) -> str:
        # A changed decision must be echoed again, so the key follows its content.
        text = "\n".join(
            f"{d.consultation}\t{d.verdict.value}\t{d.conditions}\t{d.decided_by}"
            for d in self.decisions
        )
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        return f"{self.round_tag}:echo:4:{self.recipient}:{digest}"


@dataclass(frozen=True)
class SendResultNotice:
    """The confirmed 答申, to every present member and every department."""

    round_tag: str
    members: tuple[str, ...]
    departments: tuple[str, ...]
    decisions: tuple[DecisionFact, ...]

    @property
    def key(self) -> str:
        return f"{self.round_tag}:result"


@dataclass(frozen=True)
class SendDeadlineNotice:
    """A deadline moved by staff: the new date, to the members and departments concerned."""

    round_tag: str
    phase: Phase
    deadline: datetime
    members: tuple[str, ...]
    departments: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.round_tag}:deadline-notice:{self.phase.value}@{stamp(self.deadline)}"


@dataclass(frozen=True)
class SendCancellationNotice:
    round_tag: str
    members: tuple[str, ...]
    departments: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.round_tag}:cancel-notice"


@dataclass(frozen=True)
class StaffAlert:
    """Something staff must look at; `subject` says what (a phase, an item, a consultation)."""

    round_tag: str
    kind: AlertKind
    subject: str
    detail: str  # in English, for the audit log; staff read `outbound.alerts.alert_text`
    parties: tuple[str, ...] = ()  # the member or department ids concerned
    items: tuple[str, ...] = ()  # the item IDs or consultation keys concerned
    followup: bool = False  # LATE_ITEM: accepting it sends a follow-up bundle
    supplement: bool = False  # LATE_ITEM: ② has gone, members get its answer as a supplement

    @property
    def key(self) -> str:
        return f"{self.round_tag}:alert:{self.kind.value}:{self.subject}"


@dataclass(frozen=True)
class Transition:
    """The round moves from one state to the next; written to the audit log."""

    round_tag: str
    src: RoundState
    dst: RoundState
    reason: str

    @property
    def key(self) -> str:
        return f"{self.round_tag}:transition:{self.src.value}>{self.dst.value}"


@dataclass(frozen=True)
class DeadlineChanged:
    """Audit record of a staff change to a deadline; the store saves `new`."""

    round_tag: str
    phase: Phase
    old: datetime
    new: datetime

    @property
    def key(self) -> str:
        return f"{self.round_tag}:deadline:{self.phase.value}@{stamp(self.new)}"


@dataclass(frozen=True)
class PhaseClosedEarly:
    """Audit record: staff closed a members' phase early, everyone having replied."""

    round_tag: str
    phase: Phase
    at: datetime

    @property
    def key(self) -> str:
        return f"{self.round_tag}:closed-early:{self.phase.value}"


@dataclass(frozen=True)
class DecisionDelegated:
    """Audit record: staff let the deputy (会長職務代理) decide in the chair's place."""

    round_tag: str
    member: str

    @property
    def key(self) -> str:
        return f"{self.round_tag}:delegated:{self.member}"


Mail = (
    SendCallForQuestions
    | SendReminder
    | SendDepartmentBundle
    | SendDistribution
    | SendCallForFurther
    | SendChairDigest
    | SendDecisionReask
    | SendDecisionEcho
    | SendResultNotice
    | SendDeadlineNotice
    | SendCancellationNotice
)
Action = Mail | StaffAlert | Transition | DeadlineChanged | PhaseClosedEarly | DecisionDelegated

# Reminders and re-asks are worthless late, and the call for questions is what staff
# just asked for by opening the round, so those leave without a second look.
_UNREVIEWED = (SendCallForQuestions, SendReminder, SendDecisionReask, SendDecisionEcho)


def needs_approval(action: Action, policy: Policy) -> bool:
    """Whether the outbox must hold this mail for staff approval under `policy`."""
    if not policy.approval_required or not isinstance(action, Mail):
        return False
    return not isinstance(action, _UNREVIEWED)
