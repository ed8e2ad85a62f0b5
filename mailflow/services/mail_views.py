"""Building the outbound views (mailflow.outbound.views) of a round from the store."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, overload

from mailflow.config import Config
from mailflow.domain import ItemKind
from mailflow.outbound.views import (
    AnswerInfo,
    CommitteeInfo,
    ConsultationInfo,
    ConsultationItems,
    ItemInfo,
    RoundInfo,
)
from mailflow.store import intake as intake_repo
from mailflow.store import rounds as round_repo
from mailflow.store import workflow as repo
from mailflow.store.models import Round
from mailflow.store.workflow import ItemRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def committee_info(config: Config) -> CommitteeInfo:
    c = config.committee
    return CommitteeInfo(name=c.name, secretariat=c.secretariat, contact=c.contact)


def round_info(rnd: Round) -> RoundInfo:
    return RoundInfo(
        tag=rnd.key, title=rnd.title, fiscal_year=rnd.fiscal_year,
        deadlines=round_repo.deadlines(rnd),
    )  # fmt: skip


def consultations(session: Session, rnd: Round) -> tuple[ConsultationInfo, ...]:
    return _infos(intake_repo.consultation_rows(session, rnd))


def _infos(rows: Iterable[intake_repo.ConsultationRow]) -> tuple[ConsultationInfo, ...]:
    return tuple(
        ConsultationInfo(c.key, c.number, c.title, tuple(name for _, _, name in c.departments))
        for c in rows
    )


class RoundItems:
    """A round's items and answers as views, cut at a moment (bundles are stored windows)."""

    def __init__(
        self, session: Session, rnd: Round, members: dict[int, str],
        only: Collection[str] | None = None, *, with_answers: bool = True,
    ) -> None:  # fmt: skip
        """``only``: read just these items (and what they follow), for `selected` alone;
        a receipt costs the same whatever the round already holds. ``with_answers=False``
        for a mail that shows no answers (a receipt): the items read with none."""
        self.rnd = rnd
        self.items, self.answers, self.dept_names = repo.items_and_answers(
            session, rnd.id, only, with_answers=with_answers
        )
        self.members = members
        self.by_pk = {i.id: i for i in self.items}
        self.rows = intake_repo.consultation_rows(session, rnd)
        self.cons_key = {c.id: c.key for c in self.rows}

    def _answers(self, item: ItemRow, upto: datetime | None) -> tuple[AnswerInfo, ...]:
        out = []
        for a in self.answers.get(item.id, []):
            if upto is not None and a.received_at > upto:
                continue
            author = a.author_label or (self.dept_names.get(a.department_id or -1, "事務局"))
            out.append(AnswerInfo(author=author, text=a.published_text or a.text))
        return tuple(out)

    def info(
        self, item: ItemRow, *, upto: datetime | None, owed_pending: bool = False,
        children: tuple[ItemInfo, ...] = (),
    ) -> ItemInfo:  # fmt: skip
        """``owed_pending``: an item with no answer to show is shown 「回答準備中」."""
        answers = self._answers(item, upto)
        if not answers and owed_pending:
            answers = (AnswerInfo(author="", text="", pending=True),)
        parent = self.by_pk.get(item.parent_item_id or -1)
        return ItemInfo(
            id=item.public_id,
            consultation=self.cons_key.get(item.consultation_id or -1),
            kind=ItemKind(item.kind),
            text=item.text,
            reference=item.reference,
            asker=self.members.get(item.member_id or -1),
            late=item.late,
            follows=parent.public_id if parent else None,
            answers=answers,
            children=children,
        )

    def owed(
        self, department: str, phase: int, cons: Iterable[ConsultationInfo]
    ) -> tuple[str, ...]:
        """IDs of the phase's items still without an answer, of a department's consultations.

        Empty for anyone who is not a department, so a member's reminder lists nothing.
        """
        mine = {ci.key for ci in cons if department in ci.departments}
        return tuple(
            i.public_id
            for i in self.items
            if i.public_id and i.phase == phase and i.state == "active"
            and self.cons_key.get(i.consultation_id or -1) in mine and not self.answers.get(i.id)
        )  # fmt: skip

    def selected(self, ids: Iterable[str], *, upto: datetime | None) -> tuple[ItemInfo, ...]:
        """The items with these IDs in round order, each with its answers up to `upto`."""
        want = set(ids)
        return tuple(self.info(i, upto=upto) for i in self.items if i.public_id in want)

    def by_consultation(self, ids: Iterable[str], *, upto: datetime | None) -> Sections:
        """Grouped per consultation in order; follow-ups nested under what they follow.

        For the members' distribution and the chair's digest, where every item shows its
        answer or 「回答準備中」: an item with no answer in force that arrived by `upto`
        (none yet, or staff removed the one there was) is shown pending, whatever the
        engine foresaw when the mail was cut. Each section's views are built as it is
        read (`Sections`).
        """
        want = set(ids)
        chosen = [i for i in self.items if i.public_id in want]
        chosen_pks = {i.id for i in chosen}
        kids: dict[int, list[ItemRow]] = {}
        for i in chosen:
            if i.parent_item_id in chosen_pks:
                kids.setdefault(i.parent_item_id or -1, []).append(i)

        def build(i: ItemRow) -> ItemInfo:
            return self.info(
                i, upto=upto, owed_pending=True,
                children=tuple(build(k) for k in kids.get(i.id, [])),
            )  # fmt: skip

        roots: dict[int, list[ItemRow]] = {}
        for i in chosen:
            if i.parent_item_id not in chosen_pks:
                roots.setdefault(i.consultation_id or -1, []).append(i)
        sections = [
            (cinfo, roots[c.id]) for cinfo, c in zip(_infos(self.rows), self.rows, strict=True)
            if c.id in roots
        ]  # fmt: skip

        def section(cinfo: ConsultationInfo, rows: list[ItemRow]) -> Section:
            return lambda: ConsultationItems(cinfo, tuple(build(i) for i in rows))

        # What the distribution's note says: a section's item (not a follow-up) pending.
        pending = any(not self._answers(i, upto) for _, rows in sections for i in rows)
        return Sections([section(cinfo, rows) for cinfo, rows in sections], pending)


Section = Callable[[], ConsultationItems]


class Sections(Sequence[ConsultationItems]):
    """A mail's sections per consultation, each built when it is read and not kept: a
    distribution of thousands of items holds one consultation's views at a time (the
    template reads them in order, once), not the round's. ``pending``: an item of them
    is shown 「回答準備中」."""

    def __init__(self, builders: list[Section], pending: bool) -> None:
        self._builders, self.pending = builders, pending

    def __len__(self) -> int:
        return len(self._builders)

    @overload
    def __getitem__(self, index: int) -> ConsultationItems: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[ConsultationItems, ...]: ...
    def __getitem__(self, index: int | slice) -> ConsultationItems | tuple[ConsultationItems, ...]:
        if isinstance(index, slice):
            return tuple(build() for build in self._builders[index])
        return self._builders[index]()


def party_names(config: Config) -> dict[str, str]:
    """Member and department ids to their names, for what staff read."""
    return {**{m.id: m.name for m in config.members}, **{d.id: d.name for d in config.departments}}
