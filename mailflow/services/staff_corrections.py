"""Staff put a misread reply right: place, move, split, merge or withdraw an item, replace or
remove an answer.

Each command decides first (the pure ``workflow.corrections``), then applies: the store
writes, one audit event with who and why, and the mail to whoever was told something
else before — the member whose item changed ID, was split, merged or withdrawn
(``correction_notice``), or every member when an answer they already had changes
(``answer_correction``, 訂正のお知らせ). An item staff place or move joins the round
then: its departments get it in their bundle, or in a follow-up (追加送付) on the next
tick if the bundle has gone, as a late item does.

A member's own 訂正/取消 is ``services.corrections``; staff wording for the minutes is
``services.items.edit_item``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from mailflow.domain import Phase
from mailflow.domain.states import EventKind, ItemState
from mailflow.errors import InputError, NotFoundError
from mailflow.outbound import views as v
from mailflow.parsing.kinds import classify
from mailflow.services.context import Services
from mailflow.services.items import find_item
from mailflow.services.mailing import RoundMail
from mailflow.services.policy import policy_of
from mailflow.store import corrections as repo
from mailflow.store import db, events
from mailflow.store import rounds as round_repo
from mailflow.store import workflow as workflow_repo
from mailflow.store.directory import sync_committee
from mailflow.store.models import Answer, Committee, Consultation, Item, Member, Round
from mailflow.workflow import actions as act
from mailflow.workflow import corrections as decide
from mailflow.workflow.corrections import ChangeKind, CorrectionRefused, ItemSnapshot
from mailflow.workflow.state import RoundState
from mailflow.workflow.windows import Tick, answers_closed_at

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class CorrectionDone:
    """What a correction did, for the CLI and the console: one line, the IDs, mails queued."""

    round_key: str
    summary: str  # "Q13-03 moved to Q14-02"
    items: tuple[str, ...]
    notices: int


@dataclass(frozen=True)
class HeldItem:
    """An item waiting for staff to place it (read with no consultation)."""

    round_key: str
    pk: int
    author: str | None
    phase: int
    excerpt: str


@dataclass(frozen=True)
class HeldDocumentView:
    """An attachment read as a member's reply that could not be read, waiting for staff."""

    round_key: str
    message: int  # the stored mail's number, for `mailflow item add`
    author: str | None
    filename: str
    reason: str


class _Work:
    """One correction's transaction: the round, its consultations, the clock, the actor."""

    def __init__(self, services: Services, s: Session, committee: Committee, round_pk: int) -> None:
        self.services, self.s, self.committee = services, s, committee
        rnd = s.get(Round, round_pk)
        assert rnd is not None
        if RoundState(rnd.state).is_final:
            raise InputError([f"round {rnd.key} is {rnd.state}: its record is closed"])
        self.rnd = rnd
        self.now = services.clock.now()
        self.cons = {c.key: c for c in rnd.consultations}
        self.key_of = {c.id: c.key for c in rnd.consultations}

    def find(self, ident: str) -> Item:
        return _item(self.s, self.committee, ident, self.rnd.key)

    def snapshot(self, item: Item) -> ItemSnapshot:
        member = self.s.get(Member, item.member_id) if item.member_id is not None else None
        return ItemSnapshot(
            name=name_of(item),
            state=ItemState(item.state),
            phase=Phase(item.phase),
            consultation=self.key_of.get(item.consultation_id or -1),
            text=item.text,
            author=member.key if member else None,
        )

    def audit(self, kind: EventKind, item: Item, why: str, **detail: Any) -> None:
        self.audit_round(kind, why, item=item.public_id or item.id, item_pk=item.id, **detail)

    def audit_round(self, kind: EventKind, why: str, **detail: Any) -> None:
        events.record(
            self.s, at=self.now, actor=self.services.actor, kind=kind,
            committee_id=self.committee.id, round_id=self.rnd.id, reason=why, **detail,
        )  # fmt: skip

    def tell_member(self, item: Item, change: v.ItemChange, key: str) -> int:
        """The notice to the item's author, in the committee's language, via the outbox."""
        member = self.s.get(Member, item.member_id) if item.member_id is not None else None
        if member is None or not member.active:
            return 0
        r = RoundMail(self.services, self.s, self.rnd)
        approved = not policy_of(self.services.config).approval_required
        return r.to_member(
            member.key, f"{self.rnd.key}:correction:{key}", "correction_notice",
            lambda to: v.CorrectionNotice(to, r.committee, r.info, change), self.now, approved,
        )  # fmt: skip

    def tell_placed(self, item: Item, target: Consultation, how: str) -> int:
        """The member learns the ID of an item that had none (placed, or filed by hand)."""
        assert item.public_id is not None
        change = v.ItemChange(
            ChangeKind.PLACED.value, None, (item.public_id,), decide.excerpt(item.text),
            self.consultation_info(target),
        )  # fmt: skip
        return self.tell_member(item, change, f"{how}:{item.id}")

    def consultation_info(self, c: Consultation) -> v.ConsultationInfo:
        return v.ConsultationInfo(c.key, c.number, c.title, tuple(d.name for d in c.departments))


def name_of(item: Item) -> str:
    return item.public_id or f"item {item.id}"


def _item(s: Session, committee: Committee, ident: str, round_key: str | None) -> Item:
    try:
        return find_item(s, committee, ident, round_key)
    except NotFoundError as exc:  # staff typed it: exit 2, as every input error
        raise InputError([str(exc)]) from None


def _run(
    services: Services, ident: str, why: str, round_key: str | None, body: Callable[[_Work], T]
) -> T:
    if not why.strip():
        raise InputError(["--why: give the reason; it is kept in the audit log"])
    services.require_schema()
    with db.transaction(services.sessions) as s:
        committee = sync_committee(s, services.config)
        work = _Work(services, s, committee, _item(s, committee, ident, round_key).round_id)
        try:
            result = body(work)
        except CorrectionRefused as exc:
            raise InputError([str(exc)]) from None
        s.flush()
        return result


def place_item(
    services: Services, ident: str, consultation: str, why: str, round_key: str | None = None
) -> CorrectionDone:
    """An item read with no consultation gets one and its ID (``item place``).

    ``ident`` is the item's number (`mailflow status` lists them). The member is told
    the new ID; the departments get it in their bundle, or in a follow-up.
    """

    def body(w: _Work) -> CorrectionDone:
        item = w.find(ident)
        plan = decide.decide_place(w.snapshot(item), consultation, list(w.cons))
        target = w.cons[plan.consultation]
        repo.file_under(w.s, item, target)
        item.placed_at = w.now
        w.audit(EventKind.ITEM_PLACED, item, why, consultation=target.key, new=item.public_id)
        n = w.tell_placed(item, target, "placed")
        return CorrectionDone(
            w.rnd.key, f"item {item.id} placed in {target.key} as {item.public_id}",
            (name_of(item),), n,
        )  # fmt: skip

    return _run(services, ident, why, round_key, body)


def move_item(
    services: Services, ident: str, consultation: str, why: str, round_key: str | None = None
) -> CorrectionDone:
    """An item filed under the wrong consultation gets a new ID in the right one (``item
    move``); the old one stays, ``moved`` to it, and answers "moved to …" wherever looked up.
    """

    def body(w: _Work) -> CorrectionDone:
        old = w.find(ident)
        plan = decide.decide_move(w.snapshot(old), consultation, list(w.cons))
        target = w.cons[plan.consultation]
        new = repo.copy_item(w.s, old, target, old.text, w.now)
        new.published_text = old.published_text
        repo.adopt_children(w.s, old, new)
        old.state, old.moved_to_id = ItemState.MOVED.value, new.id
        assert old.public_id is not None and new.public_id is not None
        w.audit(EventKind.ITEM_MOVED, old, why, consultation=target.key, new=new.public_id,
                new_pk=new.id)  # fmt: skip
        change = v.ItemChange(
            ChangeKind.MOVED.value, old.public_id, (new.public_id,), decide.excerpt(old.text),
            w.consultation_info(target),
        )  # fmt: skip
        n = w.tell_member(old, change, f"moved:{old.id}")
        return CorrectionDone(
            w.rnd.key, f"{old.public_id} moved to {new.public_id}", (old.public_id, new.public_id),
            n,
        )  # fmt: skip

    return _run(services, ident, why, round_key, body)


def split_item(
    services: Services, ident: str, at: str, why: str, round_key: str | None = None
) -> CorrectionDone:
    """Two items read as one are cut where ``at`` begins (``item split``): the first keeps
    its ID, the second gets a new one in the same consultation."""

    def body(w: _Work) -> CorrectionDone:
        item = w.find(ident)
        plan = decide.decide_split(w.snapshot(item), at)
        target = next(c for c in w.rnd.consultations if c.id == item.consultation_id)
        old_text, old_published = item.text, item.published_text
        second = repo.copy_item(w.s, item, target, plan.second, w.now)
        # Both halves are the member's words; a staff wording of the whole no longer fits.
        item.text, item.published_text, item.staff_edited = plan.first, None, True
        assert item.public_id is not None and second.public_id is not None
        w.audit(EventKind.ITEM_SPLIT, item, why, old=old_text, old_published=old_published,
                first=plan.first, second=plan.second, new=second.public_id,
                new_pk=second.id)  # fmt: skip
        change = v.ItemChange(
            ChangeKind.SPLIT.value, item.public_id, (item.public_id, second.public_id),
            decide.excerpt(old_text),
        )  # fmt: skip
        n = w.tell_member(item, change, f"split:{second.id}")
        return CorrectionDone(
            w.rnd.key, f"{item.public_id} split: the second part is {second.public_id}",
            (item.public_id, second.public_id), n,
        )  # fmt: skip

    return _run(services, ident, why, round_key, body)


def merge_items(
    services: Services, first: str, second: str, why: str, round_key: str | None = None
) -> CorrectionDone:
    """One item read as two (``item merge``): the second's text joins the first, which keeps
    its ID; the second is kept as ``merged`` into it, its answers and follow-ups move over."""

    def body(w: _Work) -> CorrectionDone:
        keep, gone = w.find(first), w.find(second)
        plan = decide.decide_merge(w.snapshot(keep), w.snapshot(gone))
        old_text, old_published = keep.text, keep.published_text
        keep.text, keep.published_text, keep.staff_edited = plan.text, None, True
        repo.adopt_children(w.s, gone, keep)
        repo.adopt_answers(w.s, gone, keep)
        gone.state, gone.moved_to_id = ItemState.MERGED.value, keep.id
        w.audit(EventKind.ITEM_MERGED, gone, why, into=name_of(keep), into_pk=keep.id, old=old_text,
                old_published=old_published, new=plan.text)  # fmt: skip
        change = v.ItemChange(
            ChangeKind.MERGED.value, name_of(gone), (name_of(keep),), decide.excerpt(gone.text)
        )
        n = w.tell_member(gone, change, f"merged:{gone.id}")
        return CorrectionDone(
            w.rnd.key, f"{name_of(gone)} merged into {name_of(keep)}",
            (name_of(keep), name_of(gone)), n,
        )  # fmt: skip

    return _run(services, first, why, round_key, body)


def withdraw_item(
    services: Services, ident: str, why: str, round_key: str | None = None
) -> CorrectionDone:
    """Staff withdraw an item (a greeting read as a question, a duplicate): ``item withdraw``.

    Kept for the record as ``withdrawn``; it reaches no department and no minutes, and
    a reprocessed mail does not bring it back.
    """

    def body(w: _Work) -> CorrectionDone:
        item = w.find(ident)
        decide.decide_withdraw(w.snapshot(item))
        before = item.state
        item.state, item.staff_edited = ItemState.WITHDRAWN.value, True
        w.audit(EventKind.ITEM_WITHDRAWN, item, why, old=before, by_staff=True)
        change = v.ItemChange(
            ChangeKind.WITHDRAWN.value, item.public_id, (), decide.excerpt(item.text)
        )
        n = w.tell_member(item, change, f"withdrawn:{item.id}")
        return CorrectionDone(w.rnd.key, f"{name_of(item)} withdrawn", (name_of(item),), n)

    return _run(services, ident, why, round_key, body)


def replace_answer(
    services: Services, ident: str, text: str, why: str, round_key: str | None = None
) -> CorrectionDone:
    """The item's answer in force is replaced by ``text`` (``answer replace``); the old one
    is kept as ``replaced``. Members who had it get 回答の訂正のお知らせ."""
    return _change_answer(services, ident, text, why, round_key)


def remove_answer(
    services: Services, ident: str, why: str, round_key: str | None = None
) -> CorrectionDone:
    """The item's answer in force is taken out (``answer remove``), kept as ``removed``;
    members who had it are told it is withdrawn."""
    return _change_answer(services, ident, None, why, round_key)


def _change_answer(
    services: Services, ident: str, text: str | None, why: str, round_key: str | None
) -> CorrectionDone:
    def body(w: _Work) -> CorrectionDone:
        item = w.find(ident)
        snap = w.snapshot(item)
        old, count = repo.latest_active_answer(w.s, item.id)
        reached = old is not None and _reached_members(w, item, old)
        plan = decide.decide_answer_change(snap, count, text, reached)
        assert old is not None
        old_text = old.published_text or old.text
        author = _author(w, old)
        if plan.new_text is not None:
            new = repo.replace_answer(w.s, old, plan.new_text, w.now)
            w.audit(EventKind.ANSWER_REPLACED, item, why, answer_pk=old.id, new_answer_pk=new.id,
                    old_text=old_text, new_text=plan.new_text)  # fmt: skip
            what = "replaced"
        else:
            repo.remove_answer(old, w.now)
            w.audit(EventKind.ANSWER_REMOVED, item, why, answer_pk=old.id, old_text=old_text)
            what = "removed"
        n = 0
        if plan.notify_members:
            n = _tell_members(w, item, author, old_text, plan.new_text, old.id)
        told = f"; {n} member(s) told" if plan.notify_members else ""
        return CorrectionDone(
            w.rnd.key, f"answer to {name_of(item)} {what}{told}", (name_of(item),), n
        )

    return _run(services, ident, why, round_key, body)


def _author(w: _Work, a: Answer) -> str:
    if a.by_secretariat:
        return a.author_label or w.services.config.committee.secretariat
    dept = next(
        (d for c in w.rnd.consultations for d in c.departments if d.id == a.department_id), None
    )
    return dept.name if dept else (a.author_label or "")


def _reached_members(w: _Work, item: Item, answer: Answer) -> bool:
    """Whether the ② distribution (or a supplement naming the item) carried the answer."""
    facts = workflow_repo.round_facts(w.s, w.rnd)
    deadlines = workflow_repo.deadlines_of(w.rnd, w.services.config.policy.grace_period)
    tick = Tick(facts, deadlines, policy_of(w.services.config), w.now)
    distributed = (
        answers_closed_at(tick) if act.distribution_key(w.rnd.key) in facts.issued else None
    )
    supplements = act.supplemented_at(facts.issued_at, w.rnd.key, item.public_id or "")
    return decide.answer_reached_members(
        Phase(item.phase), answer.received_at, distributed, supplements
    )


def _tell_members(
    w: _Work, item: Item, author: str, old_text: str, new_text: str | None, answer_pk: int
) -> int:
    r = RoundMail(w.services, w.s, w.rnd)
    absent = {a.member_id for a in w.rnd.absences}
    approved = not policy_of(w.services.config).approval_required
    key = f"{w.rnd.key}:answer-correction:{answer_pk}"
    n = 0
    for member in r.members.values():
        if not member.active or member.id in absent:
            continue
        n += r.to_member(
            member.key, key, "answer_correction",
            lambda to: v.AnswerCorrection(
                to, r.committee, r.info, name_of(item), item.published_text or item.text,
                author, old_text, new_text,
            ),
            w.now, approved,
        )  # fmt: skip
    return n


def held_for_staff(services: Services, round_key: str) -> tuple[HeldItem, ...]:
    """Items of a round read with no consultation, waiting for `item place`."""
    services.require_schema()
    with db.transaction(services.sessions) as s:
        committee = sync_committee(s, services.config)
        rnd = round_repo.get(s, committee.id, round_key)
        if rnd is None:
            raise InputError([f"no round {round_key!r}"])
        return held_items(s, rnd)


def held_documents(s: Session, rnd: Round) -> tuple[HeldDocumentView, ...]:
    return tuple(
        HeldDocumentView(rnd.key, doc.message_id, name, doc.filename, doc.reason)
        for doc, name in repo.waiting_documents(s, rnd.id)
    )


def add_item(
    services: Services, message: int, consultation: str | None, text: str | None, why: str
) -> CorrectionDone:
    """Staff file an item by hand from a member's mail (``item add``): what an attachment
    that could not be read says, as staff read it. ``consultation`` and ``text`` None:
    nothing to file. Either way the mail's held attachments wait no more.

    The item joins the round now (its bundle, or a follow-up) and the member is told its ID.
    """
    if not why.strip():
        raise InputError(["--why: give the reason; it is kept in the audit log"])
    if (consultation is None) != (text is None):
        raise InputError(["give --consultation and --text together, or --nothing"])
    if text is not None and not text.strip():
        raise InputError(["--text: the item is empty"])
    services.require_schema()
    with db.transaction(services.sessions) as s:
        committee = sync_committee(s, services.config)
        msg = repo.member_message(s, committee.id, message)
        if msg is None:
            raise InputError([f"no mail {message} from a member in a round"])
        assert msg.round_id is not None and msg.member_id is not None
        w = _Work(services, s, committee, msg.round_id)
        filed = repo.file_documents(s, msg.id, w.now)
        if consultation is None or text is None:
            w.audit_round(EventKind.DOCUMENTS_FILED, why, message=msg.id, documents=filed)
            return CorrectionDone(w.rnd.key, f"mail {msg.id}: nothing to file", (), 0)
        try:
            key = decide.decide_add(consultation, list(w.cons), msg.phase)
        except CorrectionRefused as exc:
            raise InputError([str(exc)]) from None
        target = w.cons[key]
        item = repo.add_item(s, msg, target, text.strip(), classify(text.strip()).value, w.now)
        w.audit(EventKind.ITEM_ADDED, item, why, message=msg.id, consultation=target.key)
        n = w.tell_placed(item, target, "added")
        return CorrectionDone(
            w.rnd.key, f"mail {msg.id}: {item.public_id} filed", (name_of(item),), n
        )


def held_items(s: Session, rnd: Round) -> tuple[HeldItem, ...]:
    return tuple(
        HeldItem(rnd.key, item.id, name, item.phase, decide.excerpt(item.text, 60))
        for item, name in repo.unplaced_items(s, rnd.id)
    )


def moved_to(s: Session, item: Item) -> str | None:
    """The ID a moved or merged item now lives under, for every lookup of the old one."""
    if item.state not in repo.STAFF_STATES:
        return None
    return name_of(repo.resolve(s, item))


def unplaced_alerts(s: Session, rnd: Round) -> list[act.Action]:
    """One staff alert per item waiting to be placed, with its author; the scheduler
    applies each once (its key names the item). Staff read it through
    `outbound.alerts` (kind ``unplaced_item``); the detail is for the audit log."""
    out: list[act.Action] = []
    for h in held_items(s, rnd):
        out.append(
            act.StaffAlert(
                rnd.key,
                act.AlertKind.UNPLACED_ITEM,
                f"item-{h.pk}",
                f"{Phase(h.phase).mark} item {h.pk} names no consultation",
                parties=(h.author,) if h.author else (),
                items=(str(h.pk),),
            )
        )
    return out
