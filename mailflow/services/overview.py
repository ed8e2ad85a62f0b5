"""A round at a glance for the console: timeline, reply matrix, items with their answers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from mailflow.domain import Phase, Role, Verdict
from mailflow.errors import NotFoundError
from mailflow.services.context import Services
from mailflow.services.minutes import current_decision
from mailflow.store import console as repo
from mailflow.store import db
from mailflow.store import minutes as minutes_repo
from mailflow.store import rounds as round_repo
from mailflow.store.models import Decision
from mailflow.workflow import actions as act

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mailflow.config import Config


class ReplyMark(StrEnum):
    """One cell of the reply matrix."""

    REPLIED = "replied"  # items received
    NOTHING = "nothing"  # replied 「特になし」: counts as responded
    LATE = "late"  # replied after the phase's cut-off
    WAITING = "waiting"  # nothing yet
    ABSENT = "absent"  # absent from this round: asked nothing


@dataclass(frozen=True)
class TimelineStep:
    phase: Phase
    due: datetime
    closed_early: datetime | None
    passed: bool  # the step's date is before now (the "now" marker follows it)


@dataclass(frozen=True)
class MatrixRow:
    member_key: str
    name: str
    role: Role
    marks: dict[int, ReplyMark]  # phase 1 and 3
    reminded: dict[int, datetime]  # phase → when its reminder was queued


# AnswerLine and ItemLine are named tuples, not frozen dataclasses: a big round builds
# thousands per page, and a frozen dataclass's __init__ cost 3x as much (~9 ms per 2,000).
class AnswerLine(NamedTuple):
    by: str
    text: str
    published_text: str | None


class ItemLine(NamedTuple):
    pk: int
    public_id: str | None
    kind: str
    phase: int
    author: str | None  # the member's name: staff see it, the minutes do not
    state: str
    late: bool
    text: str
    published_text: str | None
    follows: str | None
    received_at: datetime | None  # held items only: when they came (the page shows it)
    answers: tuple[AnswerLine, ...]


@dataclass(frozen=True)
class DecisionLine:
    verdict: Verdict
    conditions: str | None
    confirmed: bool
    decided_by: str | None


@dataclass(frozen=True)
class ConsultationBlock:
    key: str
    number: str
    title: str
    departments: tuple[str, ...]
    items: tuple[ItemLine, ...]
    decision: DecisionLine | None


@dataclass(frozen=True)
class RoundOverview:
    key: str
    title: str
    state: str
    fiscal_year: int
    notice_date: date
    now: datetime
    timeline: tuple[TimelineStep, ...]
    matrix: tuple[MatrixRow, ...]
    consultations: tuple[ConsultationBlock, ...]
    held: tuple[ItemLine, ...]  # late items waiting for staff: accept or reject
    unplaced: tuple[ItemLine, ...]  # items of no consultation
    departments: tuple[tuple[str, str], ...]  # (key, name), for recording an answer
    deputy: tuple[str, str] | None  # (key, name), for delegating the decision


def round_overview(services: Services, key: str) -> RoundOverview:
    """Everything the round page shows, read in one transaction with a few queries."""
    services.require_schema()
    conf = services.config
    now = services.clock.now()
    with db.reading(services.sessions) as s:
        committee = services.committee(s)
        rnd = round_repo.get(s, committee.id, key)
        if rnd is None:
            raise NotFoundError(f"no round {key!r} in committee {conf.committee.id!r}")
        members = {m.id: m for m in repo.member_rows(s, committee.id)}
        depts = minutes_repo.departments_by_id(s, committee.id)
        absent = {a.member_id for a in rnd.absences}
        items = repo.item_rows(s, rnd.id)
        arrived = repo.held_arrivals(s, rnd.id)
        answers = repo.answer_rows(s, rnd.id)
        marks = repo.reply_marks(s, rnd.id)
        reminded = repo.reminders(s, rnd.id)
        decisions = minutes_repo.decisions_of_round(s, rnd.id)
        closed = {int(p): datetime.fromisoformat(at) for p, at in (rnd.closed_early or {}).items()}
        timeline = tuple(
            TimelineStep(p, due, closed.get(p.value), min(due, closed.get(p.value, due)) <= now)
            for p, due in sorted(round_repo.deadlines(rnd).items())
        )
        cons = [(c.id, c.key, c.number, c.title, tuple(d.name for d in c.departments))
                for c in rnd.consultations]  # fmt: skip
        decided = {cid: current_decision(decisions, cid) for cid, *_ in cons}
        state, title, fy, notice = rnd.state, rnd.title, rnd.fiscal_year, rnd.notice_date

    secretariat = conf.committee.secretariat
    # Rows are unpacked as tuples: a Row's attribute access by name costs ~1 µs, and a
    # round of 2,000 items made 30,000 of them per page.
    by_item: dict[int, list[AnswerLine]] = defaultdict(list)
    for _pk, item_id, dept_id, by_sec, label, text, published in answers:
        who = (label or secretariat) if by_sec else (
            depts[dept_id].name if dept_id in depts else "?")  # fmt: skip
        by_item[item_id].append(AnswerLine(who, text, published))
    names = {m.id: m.name for m in members.values()}
    public = {row[0]: row[1] for row in items}
    placed: dict[int | None, list[ItemLine]] = defaultdict(list)
    held: list[ItemLine] = []
    wrote: set[tuple[int, int]] = set()
    for pk, public_id, cid, member_id, phase, kind, state, late, text, published, parent in items:
        line = ItemLine(pk, public_id, kind, phase, names.get(member_id), state, late, text,
                        published, public.get(parent) if parent else None, arrived.get(pk),
                        tuple(by_item.get(pk, ())))  # fmt: skip
        (held if state == "held" else placed[cid]).append(line)
        if member_id is not None:
            wrote.add((member_id, phase))
    blocks = tuple(
        ConsultationBlock(ckey, number, ctitle, dnames, tuple(placed.get(cid, ())),
                          _decision(decided[cid], members))
        for cid, ckey, number, ctitle, dnames in cons
    )  # fmt: skip
    deputy = next(((m.key, m.name) for m in members.values()
                   if m.role == Role.DEPUTY.value and m.active), None)  # fmt: skip
    return RoundOverview(
        key=key, title=title, state=state, fiscal_year=fy, notice_date=notice, now=now,
        timeline=timeline,
        matrix=_matrix(members, absent, wrote, marks, reminded, conf),
        consultations=blocks,
        held=tuple(held),
        unplaced=tuple(placed.get(None, ())),
        departments=tuple((d.key, d.name) for d in sorted(depts.values(), key=lambda d: d.id)),
        deputy=deputy,
    )  # fmt: skip


def _decision(d: Decision | None, members: dict[int, Any]) -> DecisionLine | None:
    if d is None:
        return None
    by = members.get(d.decided_by_member_id or 0)
    return DecisionLine(Verdict(d.verdict), d.conditions, d.state == "confirmed",
                        by.name if by else None)  # fmt: skip


def _matrix(
    members: dict[int, Any],
    absent: set[int],
    wrote: set[tuple[int, int]],  # (member id, phase) of every item
    marks: Sequence[tuple[int, int, bool]],
    reminded: Sequence[tuple[str, datetime]],
    conf: Config,
) -> tuple[MatrixRow, ...]:
    replied: dict[tuple[int, int], bool] = {}
    for member_id, phase, late in marks:
        replied[(member_id, phase)] = replied.get((member_id, phase), False) or late
    by_key = {m.key: m.id for m in members.values()}
    sent: dict[tuple[int, int], datetime] = {}
    for action_key, at in reminded:
        hit = act.reminded(action_key)
        if hit and hit[1] in by_key:
            sent[(by_key[hit[1]], hit[0].value)] = at
    order = {m.id: n for n, m in enumerate(conf.members)}
    rows = []
    for m in sorted(members.values(), key=lambda m: (order.get(m.key, len(order)), m.id)):
        if not m.active:
            continue
        cells: dict[int, ReplyMark] = {}
        for phase in (1, 3):
            if m.id in absent:
                cells[phase] = ReplyMark.ABSENT
            elif (m.id, phase) not in replied:
                cells[phase] = ReplyMark.WAITING
            elif replied[(m.id, phase)]:
                cells[phase] = ReplyMark.LATE
            else:
                cells[phase] = (ReplyMark.REPLIED if (m.id, phase) in wrote
                                else ReplyMark.NOTHING)  # fmt: skip
        rows.append(MatrixRow(m.key, m.name, Role(m.role), cells,
                              {p: at for (mid, p), at in sent.items() if mid == m.id}))  # fmt: skip
    return tuple(rows)


@dataclass(frozen=True)
class RoundRow:
    """One line of the rounds list: state, next deadline and counts."""

    key: str
    title: str
    state: str
    next_deadline: tuple[Phase, datetime] | None
    items: int
    answered: int
    late: int
    held: int
    decisions: int


def rounds_board(services: Services) -> list[RoundRow]:
    """Every round of the committee, oldest first, with its counts (as `mailflow status`)."""
    services.require_schema()
    now = services.clock.now()
    with db.reading(services.sessions) as s:
        committee = services.committee(s)
        rounds = round_repo.list_all(s, committee.id)
        counts = repo.round_counts(s, committee.id)
        rows = []
        for rnd in rounds:
            c = counts.get(rnd.id, repo.RoundCounts())
            upcoming = sorted((at, ph) for ph, at in round_repo.deadlines(rnd).items() if at > now)
            nxt = (upcoming[0][1], upcoming[0][0]) if upcoming else None
            rows.append(RoundRow(rnd.key, rnd.title, rnd.state, nxt, c.items, c.answered,
                                 c.late, c.held, c.decisions))  # fmt: skip
    return rows


@dataclass(frozen=True)
class Sibling:
    ident: str  # public ID
    label: str  # public ID and how the item begins


def siblings(services: Services, key: str, pk: int) -> tuple[Sibling, ...]:
    """The items that may be merged into this one (same consultation, author and step)."""
    with db.reading(services.sessions) as s:
        rows = repo.consultation_items(s, services.committee(s).id, key, pk)
    return tuple(Sibling(public_id, f"{public_id} {text[:40]}") for public_id, text in rows)


def departments(services: Services) -> tuple[tuple[str, str], ...]:
    """(key, name) of the committee's departments, for recording an answer."""
    return tuple((d.id, d.name) for d in services.config.departments)
