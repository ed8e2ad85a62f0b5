"""What the phase machine is told: deadlines, policy, and the facts the store holds."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property

from mailflow.domain import ItemId, Phase, Role, Verdict
from mailflow.domain.states import AnswerState
from mailflow.workflow.errors import DeadlineOrderError, NaiveDatetime
from mailflow.workflow.state import RoundState


def _aware(what: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime(what, value)


@dataclass(frozen=True)
class Deadlines:
    """The dates staff set for a round (期限), as aware datetimes.

    Each phase has a soft date, the one shown to people, and a hard cut-off
    `due + grace` after which arrivals are late.  A members' phase that staff closed
    early (everyone had replied) is cut off at that moment instead.  `responses` is
    when departments owe their answers to the ③ items; the seed gives no such date,
    so by default they get as long as they had in ② (D3 + (D2 − D1)), or half the
    time to D4 if that is shorter.
    """

    questions: datetime  # D1 ① 質疑及び意見
    answers: datetime  # D2 ② 回答を一括して全員に送る
    further: datetime  # D3 ③ さらに意見
    decision: datetime  # D4 ④ 答申
    grace: timedelta = timedelta(0)
    responses: datetime | None = None
    closed_early: tuple[tuple[Phase, datetime], ...] = ()

    def __post_init__(self) -> None:
        for phase in Phase:
            _aware(f"the {phase.mark} deadline", self.due(phase))
        if self.responses is not None:
            _aware("the ③ responses deadline", self.responses)
        for phase, at in self.closed_early:
            _aware(f"the early close of {phase.mark}", at)
        if self.grace < timedelta(0):
            raise DeadlineOrderError("the grace period cannot be negative")
        dates = [self.due(p) for p in Phase]
        for before, after, a, b in zip(Phase, list(Phase)[1:], dates, dates[1:], strict=False):
            if not a < b:
                raise DeadlineOrderError(
                    f"{before.mark} {a.isoformat()} is not before {after.mark} {b.isoformat()}"
                )
        if self.responses is not None and not self.further < self.responses < self.decision:
            raise DeadlineOrderError("the ③ responses deadline must fall between ③ and ④")

    def due(self, phase: Phase) -> datetime:
        """The soft date of a phase, as announced."""
        return {
            Phase.QUESTIONS: self.questions,
            Phase.ANSWERS: self.answers,
            Phase.FURTHER: self.further,
            Phase.DECISION: self.decision,
        }[phase]

    def cutoff(self, phase: Phase) -> datetime:
        """The hard cut-off of a phase: an early close, else the soft date plus grace."""
        for closed, at in self.closed_early:
            if closed is phase:
                return at
        return self.due(phase) + self.grace

    @property
    def responses_due(self) -> datetime:
        if self.responses is not None:
            return self.responses
        mirrored = self.further + (self.answers - self.questions)
        return min(mirrored, self.further + (self.decision - self.further) / 2)

    @property
    def responses_cutoff(self) -> datetime:
        return self.responses_due + self.grace

    def with_due(self, phase: Phase, new: datetime) -> Deadlines:
        """A copy with one phase moved; raises if the order ① < ② < ③ < ④ breaks."""
        name = {
            Phase.QUESTIONS: "questions",
            Phase.ANSWERS: "answers",
            Phase.FURTHER: "further",
            Phase.DECISION: "decision",
        }[phase]
        return replace(self, **{name: new})  # type: ignore[arg-type]

    def with_early_close(self, phase: Phase, at: datetime) -> Deadlines:
        kept = tuple((p, t) for p, t in self.closed_early if p is not phase)
        return replace(self, closed_early=(*kept, (phase, at)))


class LatePolicy(enum.StrEnum):
    """What becomes of an item that arrives after its phase's hard cut-off."""

    # Joins the round at its arrival: in the phase's bundle while that has not gone
    # out, else in a follow-up bundle to its departments (`steps.followups`).
    ACCEPT = "accept"
    HOLD_FOR_STAFF = "hold_for_staff"  # waits for staff (`mailflow item accept / reject`)


class UnansweredPolicy(enum.StrEnum):
    """What happens at D2 (and at the ③ responses date) when answers are missing."""

    MARK_PENDING = "mark_pending"  # distribute anyway, the gaps marked 「回答準備中」
    WAIT_FOR_STAFF = "wait_for_staff"  # hold the mail until every answer is in


@dataclass(frozen=True)
class Policy:
    """A committee's settings for the phase machine, each documented at its default."""

    # Reminders go this long before each soft date, once per offset and phase.
    reminder_offsets: tuple[timedelta, ...] = (timedelta(days=2), timedelta(days=1))
    # Staff approve mail to members and the chair before it leaves (the outbox reads this).
    approval_required: bool = False
    late: LatePolicy = LatePolicy.ACCEPT
    unanswered: UnansweredPolicy = UnansweredPolicy.MARK_PENDING
    # Distributions and the digest show 委員意見, not names, as the seed's minutes do.
    anonymous: bool = True
    # The decision is echoed to the chair and takes effect only once confirmed.
    confirm_decision: bool = True

    def __post_init__(self) -> None:
        if any(o <= timedelta(0) for o in self.reminder_offsets):
            raise ValueError("reminder offsets must be positive (how long before the deadline)")

    @property
    def offsets_longest_first(self) -> tuple[timedelta, ...]:
        return tuple(sorted(set(self.reminder_offsets), reverse=True))


@dataclass(frozen=True)
class Participant:
    """A member (委員) of the committee in this round; absent members get no mail."""

    member_id: str
    role: Role = Role.MEMBER
    absent: bool = False


@dataclass(frozen=True)
class DepartmentFact:
    """A responsible department (所管課) and the consultations it answers."""

    department_id: str
    consultations: frozenset[str]


@dataclass(frozen=True)
class AnswerSpan:
    """While one answer to an item was in force: from its arrival until staff removed it
    (`until`; None while it stands).

    A replaced answer ends when staff replaced it, and its replacement keeps its arrival,
    so a replace leaves no gap. Spans are history: a removal ends one, it never erases
    it, so what was true at an instant stays true whenever the facts are read.
    """

    since: datetime
    until: datetime | None = None

    def covers(self, at: datetime) -> bool:
        return self.since <= at and (self.until is None or at < self.until)

    @classmethod
    def of(cls, received_at: datetime, state: str, corrected_at: datetime | None) -> AnswerSpan:
        """A stored answer's span: an active one stands; one staff replaced or removed
        ended when they did (`corrected_at`)."""
        ended = AnswerState(state) is not AnswerState.ACTIVE
        return cls(received_at, corrected_at if ended else None)


@dataclass(frozen=True)
class ItemFact:
    """A member's item of phase ① or ③ as stored, with when it had an answer in force.

    It is answered at an instant when one of its `answers` covers it: from an answer's
    arrival until staff removed it. An item whose only answer was removed is owed again
    from the removal on; a window that closed while it was answered stays closed.

    `late` is set at arrival (see `timing.judge_arrival`); `held` means it waits for
    staff and goes into no bundle until staff release it. `accepted_at` is when staff
    released a held item (`mailflow item accept`): it joins the round from then on.
    Any other item joins the round at its arrival (`joined_at`): a late one the policy
    accepted after its bundle went out is thus sent in a follow-up bundle. `recorded_at`
    is when mailflow first read it: a mail that arrived on time but was read only after
    its bundle went (it came in at 23:59 and the bundle left at midnight, or the daemon
    was down) joins then, so it too follows in a follow-up instead of being lost.
    """

    item_id: ItemId
    phase: Phase
    received_at: datetime
    needs_answer: bool = True
    answers: tuple[AnswerSpan, ...] = ()
    late: bool = False
    held: bool = False
    accepted_at: datetime | None = None
    recorded_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.phase not in (Phase.QUESTIONS, Phase.FURTHER):
            raise ValueError(f"members' items belong to ① or ③, not {self.phase.mark}")

    @property
    def consultation(self) -> str:
        return self.item_id.consultation

    @property
    def joined_at(self) -> datetime:
        """When the item joined the round: staff's acceptance, else its arrival (or, when
        mailflow read it later than that, then)."""
        if self.accepted_at is not None:
            return self.accepted_at
        if self.recorded_at is not None and self.recorded_at > self.received_at:
            return self.recorded_at
        return self.received_at

    def present_at(self, at: datetime) -> bool:
        """Part of the round at `at`: from its arrival, a held item from its acceptance."""
        return not self.held and self.joined_at <= at

    def answered(self, at: datetime) -> bool:
        """An answer was in force at `at`."""
        return any(s.covers(at) for s in self.answers)

    def open_at(self, at: datetime) -> bool:
        """Still owed an answer at `at`."""
        return self.needs_answer and not self.answered(at)

    def open_periods(self) -> tuple[tuple[datetime, datetime | None], ...]:
        """From when it joined, the spans with no answer in force: [start, end), the last
        one without an end while no answer stands. A held item keeps nothing open."""
        if self.held or not self.needs_answer:
            return ()
        out: list[tuple[datetime, datetime | None]] = []
        cursor: datetime | None = self.joined_at
        for span in sorted(self.answers, key=lambda s: s.since):
            if cursor is None:  # an answer stands for good from here on
                break
            if span.since > cursor:
                out.append((cursor, span.since))
            if span.until is None:
                cursor = None
            elif span.until > cursor:
                cursor = span.until
        if cursor is not None:
            out.append((cursor, None))
        return tuple(out)

    @property
    def answer_instants(self) -> tuple[datetime, ...]:
        """Every instant at which whether it is answered changes (or may)."""
        return tuple(t for s in self.answers for t in (s.since, s.until) if t is not None)


@dataclass(frozen=True)
class DecisionFact:
    """The chair's (or delegate's) 答申 on one consultation, as parsed from their mail."""

    consultation: str
    verdict: Verdict
    decided_by: str
    conditions: str = ""
    confirmed: bool = False


@dataclass(frozen=True)
class RoundFacts:
    """Everything the store knows about a round that the phase machine needs.

    `issued` holds the keys of actions already applied; the machine never repeats one.
    `issued_at` tells, for those the store knows, when each was applied (a follow-up
    bundle needs to know when the department's bundle went out).
    `replied_questions` / `replied_further` include empty replies (「特になし」).
    """

    round_tag: str  # subject tag without brackets, such as "R2-5"
    state: RoundState
    consultations: tuple[str, ...]
    members: tuple[Participant, ...]
    departments: tuple[DepartmentFact, ...]
    replied_questions: frozenset[str] = frozenset()
    replied_further: frozenset[str] = frozenset()
    items: tuple[ItemFact, ...] = ()
    decisions: tuple[DecisionFact, ...] = ()
    issued: frozenset[str] = field(default_factory=frozenset)
    delegate: str | None = None  # 会長職務代理 when staff delegate the decision
    issued_at: tuple[tuple[str, datetime], ...] = ()

    @property
    def present_members(self) -> tuple[str, ...]:
        return tuple(sorted(m.member_id for m in self.members if not m.absent))

    @property
    def department_ids(self) -> tuple[str, ...]:
        return tuple(sorted(d.department_id for d in self.departments))

    @property
    def chair(self) -> str | None:
        for m in self.members:
            if m.role is Role.CHAIR and not m.absent:
                return m.member_id
        return None

    @property
    def decider(self) -> str | None:
        """Who is asked for the decision: the delegate when staff delegated, else the chair."""
        return self.delegate if self.delegate is not None else self.chair

    def replied(self, phase: Phase) -> frozenset[str]:
        return self.replied_further if phase is Phase.FURTHER else self.replied_questions

    def not_replied(self, phase: Phase) -> tuple[str, ...]:
        """Present members with no reply (not even 「特になし」) in ① or ③."""
        done = self.replied(phase)
        return tuple(m for m in self.present_members if m not in done)

    def departments_for(self, consultation: str) -> tuple[str, ...]:
        return self._index.departments_of.get(consultation, ())

    def items_of(self, phase: Phase) -> tuple[ItemFact, ...]:
        """The phase's items in item ID order."""
        return self._index.of_phase(phase)

    def items_for(self, department: str, phase: Phase) -> tuple[ItemFact, ...]:
        """The phase's items of the consultations the department answers, in item ID order."""
        return self._index.of_department(department, phase)

    def with_state(self, state: RoundState) -> RoundFacts:
        return self._same_items(replace(self, state=state))

    def issued_when(self, key: str) -> datetime | None:
        """When the action with this key was applied, if issued and known."""
        return self._issued_times.get(key)

    def with_issued(self, keys: frozenset[str], at: datetime | None = None) -> RoundFacts:
        fresh = () if at is None else tuple((k, at) for k in sorted(keys - self.issued))
        return self._same_items(
            replace(self, issued=self.issued | keys, issued_at=self.issued_at + fresh)
        )

    # A round of many thousand items is looked at several times per tick (each window,
    # each department, each state the tick walks through): its items are sorted and
    # grouped once per facts, not once per question asked. `cached_property` keeps the
    # result in the instance's __dict__, which a frozen dataclass (without slots) has;
    # it is derived from fields that never change, so it cannot go stale.

    @cached_property
    def _index(self) -> _ItemIndex:
        return _ItemIndex(self.items, self.departments)

    @cached_property
    def _issued_times(self) -> dict[str, datetime]:
        first: dict[str, datetime] = {}
        for key, at in self.issued_at:
            first.setdefault(key, at)
        return first

    def _same_items(self, other: RoundFacts) -> RoundFacts:
        # A copy with the same items and departments shares their index.
        if "_index" in self.__dict__:
            other.__dict__["_index"] = self.__dict__["_index"]
        return other


class _ItemIndex:
    """A round's items by phase (in item ID order) and by department, built once."""

    def __init__(self, items: tuple[ItemFact, ...], departments: tuple[DepartmentFact, ...]):
        by_consultation: dict[str, list[str]] = {}
        self._consultations_of: dict[str, set[str]] = {}
        for d in departments:
            for c in d.consultations:
                by_consultation.setdefault(c, []).append(d.department_id)
            self._consultations_of.setdefault(d.department_id, set()).update(d.consultations)
        self.departments_of = {c: tuple(sorted(ds)) for c, ds in by_consultation.items()}
        self._items = items
        self._phases: dict[Phase, tuple[ItemFact, ...]] = {}
        self._departments: dict[tuple[str, Phase], tuple[ItemFact, ...]] = {}

    def of_phase(self, phase: Phase) -> tuple[ItemFact, ...]:
        found = self._phases.get(phase)
        if found is None:
            # The key sorts as ItemId's own order does, without a comparison call per pair.
            found = tuple(
                sorted(
                    (i for i in self._items if i.phase is phase),
                    key=lambda i: (i.item_id.consultation, i.item_id.seq),
                )
            )
            self._phases[phase] = found
        return found

    def of_department(self, department: str, phase: Phase) -> tuple[ItemFact, ...]:
        found = self._departments.get((department, phase))
        if found is None:
            mine = self._consultations_of.get(department, set())
            found = tuple(i for i in self.of_phase(phase) if i.item_id.consultation in mine)
            self._departments[(department, phase)] = found
        return found
