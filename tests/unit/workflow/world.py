"""A fake committee that lives through the seed round's schedule, for the workflow tests.

Events (replies, items, answers, decisions) carry the time they happen; `tick(now)`
files what has arrived since the last tick the way the ingest service would (late
items judged by arrival), then runs the phase machine and applies what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from mailflow.domain import ItemId, Phase, Role, Verdict
from mailflow.workflow import (
    Action,
    AnswerSpan,
    Arrival,
    Deadlines,
    DecisionFact,
    DepartmentFact,
    ItemFact,
    Participant,
    Policy,
    RoundFacts,
    RoundState,
    advance,
    assume,
    end_of_day,
    judge_arrival,
)
from mailflow.workflow.actions import SendDepartmentBundle, Transition

JST = ZoneInfo("Asia/Tokyo")
A = TypeVar("A")


def jst(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2021, month, day, hour, minute, tzinfo=JST)


SEED_DEADLINES = Deadlines(
    questions=end_of_day(date(2021, 1, 13), JST),
    answers=end_of_day(date(2021, 1, 15), JST),
    further=end_of_day(date(2021, 1, 20), JST),
    decision=end_of_day(date(2021, 1, 27), JST),
)

# The seed's committee: 青木会長, 江藤会長職務代理 and five members; three departments.
MEMBERS = (
    Participant("aoki", Role.CHAIR),
    Participant("ishida"),
    Participant("ueno"),
    Participant("eto", Role.DEPUTY),
    Participant("okada"),
    Participant("kato"),
    Participant("kimura"),
)
DEPARTMENTS = (
    DepartmentFact("kodomo", frozenset({"13"})),  # 子ども保健・給付課
    DepartmentFact("hoiku", frozenset({"14"})),  # 保育幼稚園課
    DepartmentFact("joho", frozenset({"14"})),  # 情報政策課
)


def seed_facts(**changes: Any) -> RoundFacts:
    base = RoundFacts(
        round_tag="R2-5",
        state=RoundState.DRAFT,
        consultations=("13", "14"),
        members=MEMBERS,
        departments=DEPARTMENTS,
    )
    return replace(base, **changes)


def q(text: str) -> ItemId:
    return ItemId.parse(text)


@dataclass
class Item:
    item_id: ItemId
    phase: Phase
    received_at: datetime
    answered_at: datetime | None = None
    needs_answer: bool = True
    accepted_at: datetime | None = None  # staff released it from held (item accept)
    recorded_at: datetime | None = None  # when mailflow read it, if later than its arrival
    removed_at: datetime | None = None  # staff removed its answer (`answer remove`)
    answered_again_at: datetime | None = None  # the department's answer after the removal
    # Answers after those, each (arrival, when staff removed it or None), in order.
    later: tuple[tuple[datetime, datetime | None], ...] = ()

    def spans(self, now: datetime) -> tuple[AnswerSpan, ...]:
        """Its answers as the store knows them at ``now``."""
        given = [(self.answered_at, self.removed_at), (self.answered_again_at, None), *self.later]
        return tuple(
            AnswerSpan(since, until if until is not None and until <= now else None)
            for since, until in given
            if since is not None and since <= now
        )

    @property
    def known_at(self) -> datetime:
        return self.recorded_at or self.received_at


@dataclass
class Decision:
    at: datetime
    consultation: str
    verdict: Verdict
    by: str = "aoki"
    confirmed_at: datetime | None = None


@dataclass
class World:
    facts: RoundFacts = field(default_factory=seed_facts)
    deadlines: Deadlines = SEED_DEADLINES
    policy: Policy = field(default_factory=Policy)
    replies: list[tuple[datetime, Phase, str]] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    log: list[tuple[datetime, Action]] = field(default_factory=list)
    filed: dict[ItemId, Arrival] = field(default_factory=dict)

    def reply(self, at: datetime, phase: Phase, member: str, *items: Item) -> None:
        """A member's mail: a reply in the phase, with its items (none for 「特になし」)."""
        self.replies.append((at, phase, member))
        self.items.extend(items)

    def apply(self, actions: list[Action], now: datetime) -> None:
        self.facts = assume(self.facts, actions, now)
        self.log.extend((now, a) for a in actions)

    def _file(self, now: datetime) -> None:
        for item in sorted(self.items, key=lambda i: i.received_at):
            if item.item_id in self.filed or item.known_at > now:
                continue
            sent = any(k.startswith(f"R2-5:bundle:{item.phase.value}:") for k in self.facts.issued)
            self.filed[item.item_id] = judge_arrival(
                item.received_at, item.phase, self.deadlines, self.policy, bundle_sent=sent
            )

    def facts_at(self, now: datetime) -> RoundFacts:
        self._file(now)
        replied = {
            p: frozenset(m for t, ph, m in self.replies if ph is p and t <= now) for p in Phase
        }
        items = tuple(
            ItemFact(
                i.item_id,
                i.phase,
                i.received_at,
                needs_answer=i.needs_answer,
                answers=i.spans(now),
                late=self.filed[i.item_id] is not Arrival.ON_TIME,
                held=self.filed[i.item_id] is Arrival.LATE_HELD and not self._accepted(i, now),
                accepted_at=i.accepted_at if self._accepted(i, now) else None,
                recorded_at=i.recorded_at,
            )
            for i in self.items
            if i.item_id in self.filed
        )
        decisions = tuple(
            DecisionFact(
                d.consultation,
                d.verdict,
                d.by,
                confirmed=d.confirmed_at is not None and d.confirmed_at <= now,
            )
            for d in sorted(self.decisions, key=lambda d: d.at)
            if d.at <= now
        )
        return replace(
            self.facts,
            replied_questions=replied[Phase.QUESTIONS],
            replied_further=replied[Phase.FURTHER],
            items=items,
            decisions=decisions,
        )

    def _accepted(self, item: Item, now: datetime) -> bool:
        held = self.filed[item.item_id] is Arrival.LATE_HELD
        return held and item.accepted_at is not None and item.accepted_at <= now

    def tick(self, now: datetime) -> list[Action]:
        actions = advance(self.facts_at(now), self.deadlines, self.policy, now)
        self.apply(actions, now)
        return actions

    def run(self, start: datetime, end: datetime, step: timedelta = timedelta(hours=1)) -> None:
        now = start
        while now <= end:
            self.tick(now)
            now += step

    def of(self, kind: type[A]) -> list[tuple[datetime, A]]:
        return [(t, a) for t, a in self.log if isinstance(a, kind)]

    def states(self) -> list[RoundState]:
        return [a.dst for _, a in self.log if isinstance(a, Transition)]

    def bundle(self, phase: Phase, department: str) -> tuple[datetime, SendDepartmentBundle]:
        found = [
            (t, a)
            for t, a in self.of(SendDepartmentBundle)
            if a.phase is phase and a.department == department and not a.followup
        ]
        assert len(found) == 1, found
        return found[0]
