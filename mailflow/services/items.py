"""Staff work on single items: show, edit the published wording, accept or reject a held item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from mailflow.domain import ItemId
from mailflow.domain.states import EventKind
from mailflow.errors import InputError, NotFoundError
from mailflow.services.context import Services
from mailflow.store import db, events
from mailflow.store import minutes as repo
from mailflow.store.models import Committee, Item, Member, Round

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class AnswerLine:
    by: str  # department name, or the secretariat's label
    text: str
    published_text: str | None


@dataclass(frozen=True)
class ItemView:
    """One item as staff see it: both wordings, state, author's name (never an address)."""

    round_key: str
    pk: int
    public_id: str | None
    consultation: str | None
    phase: int
    kind: str
    state: str
    late: bool
    staff_edited: bool
    author: str | None
    follows: str | None
    reference: str | None
    received_at: datetime
    text: str
    published_text: str | None
    answers: tuple[AnswerLine, ...]
    # A moved or merged item answers where it lives now; one staff made, where it came from.
    moved_to: str | None = None
    origin: str | None = None


def find_item(s: Session, committee: Committee, ident: str, round_key: str | None) -> Item:
    """An item by public ID (Q13-03, ［Ｑ１３－３］…) or by its number in the database."""
    if ident.strip().isdigit():
        item = repo.item_by_pk(s, committee.id, int(ident))
        if item is None:
            raise NotFoundError(f"no item {ident}")
        found = [item]
    else:
        try:
            public_id = str(ItemId.parse(ident))
        except ValueError:
            raise InputError(
                [f"ID: {ident!r} is neither an item ID such as Q13-03 nor a number"]
            ) from None
        found = list(repo.items_by_public_id(s, committee.id, public_id))
    if round_key is not None:
        found = [i for i in found if s.get(Round, i.round_id).key == round_key]  # type: ignore[union-attr]
    if not found:
        where = f" in round {round_key}" if round_key else ""
        raise NotFoundError(f"no item {ident}{where}")
    if len(found) > 1:
        keys = ", ".join(sorted(s.get(Round, i.round_id).key for i in found))  # type: ignore[union-attr]
        raise InputError([f"item {ident} exists in rounds {keys}: give --round"])
    return found[0]


def _view(s: Session, item: Item, services: Services) -> ItemView:
    from mailflow.services.staff_corrections import moved_to

    rnd = s.get(Round, item.round_id)
    assert rnd is not None
    cons = next((c for c in rnd.consultations if c.id == item.consultation_id), None)
    author = s.get(Member, item.member_id) if item.member_id is not None else None
    parent = s.get(Item, item.parent_item_id) if item.parent_item_id is not None else None
    depts = repo.departments_by_id(s, rnd.committee_id)
    answers = tuple(
        AnswerLine(
            (a.author_label or services.config.committee.secretariat)
            if a.by_secretariat
            else depts[a.department_id].name
            if a.department_id in depts
            else "?",
            a.text,
            a.published_text,
        )
        for a in repo.answers_of_item(s, item.id)
        if a.state == "active"
    )
    return ItemView(
        round_key=rnd.key,
        pk=item.id,
        public_id=item.public_id,
        consultation=cons.number if cons else None,
        phase=item.phase,
        kind=item.kind,
        state=item.state,
        late=item.late,
        staff_edited=item.staff_edited,
        author=author.name if author else None,
        follows=(parent.public_id or str(parent.id)) if parent else None,
        reference=item.reference,
        received_at=item.received_at,
        text=item.text,
        published_text=item.published_text,
        answers=answers,
        moved_to=moved_to(s, item),
        origin=_name(s.get(Item, item.origin_id)) if item.origin_id is not None else None,
    )


def _name(item: Item | None) -> str | None:
    return None if item is None else item.public_id or f"item {item.id}"


def show_item(services: Services, ident: str, round_key: str | None = None) -> ItemView:
    services.require_schema()
    with db.reading(services.sessions) as s:
        committee = services.committee(s)
        return _view(s, find_item(s, committee, ident, round_key), services)


def edit_item(
    services: Services, ident: str, text: str, why: str, round_key: str | None = None
) -> ItemView:
    """Set the wording published in the minutes; the original stays, both go to the audit log."""
    new = text.strip()
    if not new:
        raise InputError(["--text: the published wording is empty"])
    if not why.strip():
        raise InputError(["--why: give the reason for the edit"])
    services.require_schema()
    with db.transaction(services.sessions) as s:
        committee = services.committee(s)
        item = find_item(s, committee, ident, round_key)
        old = item.published_text if item.published_text is not None else item.text
        item.published_text = new
        item.staff_edited = True
        events.record(
            s,
            at=services.clock.now(),
            actor=services.actor,
            kind=EventKind.ITEM_EDITED,
            committee_id=committee.id,
            round_id=item.round_id,
            reason=why,
            item=item.public_id or item.id,
            original=item.text,
            old=old,
            new=new,
        )
        s.flush()
        return _view(s, item, services)


def _decide_held(
    services: Services, ident: str, to: str, why: str | None, round_key: str | None
) -> ItemView:
    services.require_schema()
    with db.transaction(services.sessions) as s:
        committee = services.committee(s)
        item = find_item(s, committee, ident, round_key)
        if item.state != "held":
            name = item.public_id or f"item {item.id}"
            raise InputError(
                [f"{name} is {item.state}, not held: only held items are accepted or rejected"]
            )
        now = services.clock.now()
        item.state = to
        if to == "active":
            item.accepted_at = now  # it joins the round from now (store.workflow.round_facts)
        events.record(
            s,
            at=now,
            actor=services.actor,
            kind=EventKind.ITEM_ACCEPTED if to == "active" else EventKind.ITEM_REJECTED,
            committee_id=committee.id,
            round_id=item.round_id,
            reason=why,
            item=item.public_id or item.id,
            item_pk=item.id,
            old="held",
            new=to,
            late=item.late,
        )
        s.flush()
        return _view(s, item, services)


def accept_item(
    services: Services, ident: str, why: str | None = None, round_key: str | None = None
) -> ItemView:
    """A late item held by policy joins the round (held → active)."""
    return _decide_held(services, ident, "active", why, round_key)


def reject_item(services: Services, ident: str, why: str, round_key: str | None = None) -> ItemView:
    """A late item held by policy is kept but never published or sent (held → rejected)."""
    if not why.strip():
        raise InputError(["--why: give the reason for rejecting the item"])
    return _decide_held(services, ident, "rejected", why, round_key)


def add_answer(
    services: Services,
    ident: str,
    text: str,
    by: str,
    *,
    label: str | None = None,
    why: str | None = None,
    round_key: str | None = None,
) -> ItemView:
    """Record an answer staff received outside the mailbox (phone, paper, the secretariat).

    ``by`` is a department id or ``secretariat``; ``label`` is how the minutes name the
    author when it is not a department (the seed's 「(情報公開係長)」).
    """
    from mailflow.store.models import Answer
    from mailflow.store.rounds import departments_by_key

    body = text.strip()
    if not body:
        raise InputError(["--text: the answer is empty"])
    services.require_schema()
    with db.transaction(services.sessions) as s:
        committee = services.committee(s)
        item = find_item(s, committee, ident, round_key)
        depts = departments_by_key(s, committee)
        if by != "secretariat" and by not in depts:
            known = ", ".join(sorted(depts)) or "none"
            raise InputError([f"--by: {by!r} is no department id ({known}) nor 'secretariat'"])
        now = services.clock.now()
        s.add(
            Answer(
                item_id=item.id,
                department_id=None if by == "secretariat" else depts[by].id,
                by_secretariat=by == "secretariat",
                author_label=label,
                phase=2 if item.phase == 1 else 3,
                text=body,
                received_at=now,
            )
        )
        events.record(
            s, at=now, actor=services.actor, kind=EventKind.ANSWER_ADDED, committee_id=committee.id,
            round_id=item.round_id, reason=why, item=item.public_id or item.id, by=by,
            label=label,
        )  # fmt: skip
        s.flush()
        return _view(s, item, services)


def wording_diff(original: str, published: str | None) -> list[tuple[str, str]]:
    """(op, text) runs from the original to the published wording: "=", "-" or "+".

    By character: Japanese has no spaces to split words at.
    """
    import difflib

    if published is None or published == original:
        return [("=", original)]
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, original, published, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            out.append(("=", original[a0:a1]))
            continue
        if a1 > a0:
            out.append(("-", original[a0:a1]))
        if b1 > b0:
            out.append(("+", published[b0:b1]))
    return out
