"""`mailflow status`: who has replied in each phase, what is unanswered, what comes next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mailflow.domain import Phase
from mailflow.errors import NotFoundError
from mailflow.services.context import Services
from mailflow.services.staff_corrections import (
    HeldDocumentView,
    HeldItem,
    held_documents,
    held_items,
)
from mailflow.store import db
from mailflow.store import intake as intake_repo
from mailflow.store import pending as pending_repo
from mailflow.store import rounds as round_repo
from mailflow.store import workflow as repo
from mailflow.workflow.state import next_deadline


@dataclass(frozen=True)
class PartyStatus:
    name: str
    role: str  # 会長 / 会長職務代理 / 委員 / 所管課
    questions: str  # ① replied / — / 欠席
    further: str  # ③
    owed: int  # answers still owed (departments) or undecided consultations (decider)


@dataclass(frozen=True)
class RoundStatus:
    key: str
    title: str
    state: str
    next_deadline: tuple[Phase, datetime] | None
    parties: tuple[PartyStatus, ...]
    items: int
    answered: int
    late: int
    held: int
    decisions: tuple[str, ...]  # "13: approve_with_conditions (confirmed)"
    quarantined: int
    failed: int  # mail processing failed on: staff reprocess, assign or discard it
    # changes of mails that did not prove their sender, waiting for the party's reply:
    # "request 3: message 41 (corrections) from member 2"
    awaiting_confirmation: tuple[str, ...] = ()
    # items read with no consultation, for `mailflow item place`: their number, author, text
    unplaced: tuple[HeldItem, ...] = ()
    # attachments read as a reply that could not be read, for `mailflow item add`
    unread_documents: tuple[HeldDocumentView, ...] = ()


def round_status(services: Services, key: str) -> RoundStatus:
    services.require_schema()
    now = services.clock.now()
    names = {m.id: m for m in services.config.members}
    dnames = {d.id: d.name for d in services.config.departments}
    with db.transaction(services.sessions) as s:
        committee = services.committee(s)
        rnd = round_repo.get(s, committee.id, key)
        if rnd is None:
            raise NotFoundError(f"no round {key!r}")
        facts = repo.round_facts(s, rnd)
        deadlines = round_repo.deadlines(rnd)
        waiting = tuple(
            f"request {p.id}: message {p.message_id} ({', '.join(p.changes)}) from "
            f"{p.party_kind} {p.department_id or p.member_id}"
            for p in pending_repo.open_requests(s, committee.id)
            if p.round_id == rnd.id and p.kind == "change"
        )
        staff_wait = intake_repo.count_awaiting_staff(s, committee.id)
        unplaced = held_items(s, rnd)
        unread = held_documents(s, rnd)
    parties: list[PartyStatus] = []
    for p in facts.members:
        m = names.get(p.member_id)
        if p.absent:
            q = f = "欠席"
        else:
            q = "✓" if p.member_id in facts.replied_questions else "—"
            f = "✓" if p.member_id in facts.replied_further else "—"
        owed = 0
        if p.member_id == facts.decider:
            decided = {d.consultation for d in facts.decisions if d.verdict.value != "unclear"}
            owed = len(set(facts.consultations) - decided)
        parties.append(PartyStatus(m.name if m else p.member_id, p.role.title_ja, q, f, owed))
    for d in facts.departments:
        owed = sum(
            1 for i in facts.items if i.consultation in d.consultations and not i.answered(now)
        )
        parties.append(
            PartyStatus(dnames.get(d.department_id, d.department_id), "所管課", "", "", owed)
        )
    return RoundStatus(
        key=key,
        title=rnd.title,
        state=facts.state.value,
        next_deadline=next_deadline(facts.state, deadlines, now),
        parties=tuple(parties),
        items=len(facts.items),
        answered=sum(1 for i in facts.items if i.answered(now)),
        late=sum(1 for i in facts.items if i.late),
        held=sum(1 for i in facts.items if i.held),
        decisions=tuple(
            f"{d.consultation}: {d.verdict.label_ja}"
            + ("（確認済み）" if d.confirmed else "（確認待ち）")
            for d in facts.decisions
        ),
        quarantined=staff_wait["quarantined"],
        failed=staff_wait["failed"],
        awaiting_confirmation=waiting,
        unplaced=unplaced,
        unread_documents=unread,
    )


def intake_status(services: Services) -> dict[str, int]:
    """Mail waiting for staff, whatever the round: {"quarantined": n, "failed": m}."""
    services.require_schema()
    with db.transaction(services.sessions) as s:
        committee = services.committee(s)
        return intake_repo.count_awaiting_staff(s, committee.id)
