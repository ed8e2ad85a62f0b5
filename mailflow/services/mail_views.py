"""Building the outbound views (mailflow.outbound.views) of a round from the store."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, overload

from mailflow.config import Config
from mailflow.domain import ItemId, ItemKind
from mailflow.outbound.views import (
    AnswerInfo,
    CommitteeInfo,
    ConsultationInfo,
    ConsultationItems,
    ConsultationItemsRead,
    IdSpan,
    ItemInfo,
    RoundInfo,
)
from mailflow.store import intake as intake_repo
from mailflow.store import rounds as round_repo
from mailflow.store import workflow as repo
from mailflow.store.models import Round
from mailflow.store.workflow import AnswerRow, Followed, ItemRow

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
    """A round's items and answers as views, cut at a moment (bundles are stored windows).

    The mails that show many of a round's items (the distribution, the chair's digest, a
    department's bundle) read them one consultation at a time (`by_consultation`,
    `chosen`); the round's rows are read whole only for what asks them all (`items`).
    """

    def __init__(
        self, session: Session, rnd: Round, members: dict[int, str],
        only: Collection[str] | None = None, *, with_answers: bool = True,
    ) -> None:  # fmt: skip
        """``only``: read just these items (and what they follow), for `selected` alone;
        a receipt costs the same whatever the round already holds. ``with_answers=False``
        for a mail that shows no answers (a receipt): the items read with none."""
        self.session, self.rnd = session, rnd
        self._only, self._with_answers = only, with_answers
        self._whole: tuple[list[ItemRow], dict[int, list[AnswerRow]], dict[int, str]] | None
        self._whole = None
        self._by_pk: dict[int, ItemRow] | None = None
        self._names: dict[int, str] | None = None
        self.members = members
        self.rows = intake_repo.consultation_rows(session, rnd)
        self.cons_key = {c.id: c.key for c in self.rows}

    def _read(self) -> tuple[list[ItemRow], dict[int, list[AnswerRow]], dict[int, str]]:
        if self._whole is None:
            self._whole = repo.items_and_answers(
                self.session, self.rnd.id, self._only, with_answers=self._with_answers
            )
        return self._whole

    @property
    def items(self) -> list[ItemRow]:
        """The round's active and held items (or those of ``only``), read on first use."""
        return self._read()[0]

    @property
    def answers(self) -> dict[int, list[AnswerRow]]:
        return self._read()[1]

    @property
    def by_pk(self) -> dict[int, ItemRow]:
        if self._by_pk is None:
            self._by_pk = {i.id: i for i in self.items}
        return self._by_pk

    def _dept_names(self) -> dict[int, str]:
        if self._whole is not None:
            return self._whole[2]
        if self._names is None:
            self._names = repo.department_names(self.session, self.rnd.id)
        return self._names

    def _shown(self, answers: list[AnswerRow], upto: datetime | None) -> tuple[AnswerInfo, ...]:
        out = []
        for a in answers:
            if upto is not None and a.received_at > upto:
                continue
            author = a.author_label or self._dept_names().get(a.department_id or -1, "事務局")
            out.append(AnswerInfo(author=author, text=a.published_text or a.text))
        return tuple(out)

    def _answers(self, item: ItemRow, upto: datetime | None) -> tuple[AnswerInfo, ...]:
        return self._shown(self.answers.get(item.id, []), upto)

    def info(
        self, item: ItemRow, *, upto: datetime | None, owed_pending: bool = False,
        children: tuple[ItemInfo, ...] = (),
    ) -> ItemInfo:  # fmt: skip
        """``owed_pending``: an item with no answer to show is shown 「回答準備中」."""
        parent = self.by_pk.get(item.parent_item_id or -1)
        return self._info(
            item, parent.public_id if parent else None, self._answers(item, upto),
            owed_pending=owed_pending, children=children,
        )  # fmt: skip

    def _info(
        self, item: ItemRow, follows: str | None, answers: tuple[AnswerInfo, ...], *,
        owed_pending: bool = False, children: tuple[ItemInfo, ...] = (),
    ) -> ItemInfo:  # fmt: skip
        if not answers and owed_pending:
            answers = (AnswerInfo(author="", text="", pending=True),)
        return ItemInfo(
            id=item.public_id,
            consultation=self.cons_key.get(item.consultation_id or -1),
            kind=ItemKind(item.kind),
            text=item.text,
            reference=item.reference,
            asker=self.members.get(item.member_id or -1),
            late=item.late,
            follows=follows,
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

    def chosen(self, ids: Collection[ItemId], *, upto: datetime | None) -> tuple[ItemInfo, ...]:
        """`selected`, read only from the consultations the IDs name (a department's
        bundle holds its own items' rows, not the round's)."""
        keys = {i.consultation for i in ids}
        found: list[tuple[ItemRow, str | None, tuple[AnswerInfo, ...]]] = []
        for c in self.rows:
            if c.key in keys:
                want = _wanted(ids, c.key)
                answers = repo.consultation_answers(self.session, self.rnd.id, c.id)
                found += (
                    (i, follows, self._shown(answers.get(i.id, []), upto))
                    for i, follows in repo.consultation_items(self.session, self.rnd.id, c.id)
                    if i.public_id in want
                )  # fmt: skip
        found.sort(key=lambda f: _round_order(f[0]))
        return tuple(self._info(i, follows, answers) for i, follows, answers in found)

    def by_consultation(self, ids: Collection[ItemId], *, upto: datetime | None) -> Sections:
        """Grouped per consultation in order; follow-ups nested under what they follow.

        For the members' distribution and the chair's digest, where every item shows its
        answer or 「回答準備中」: an item with no answer in force that arrived by `upto`
        (none yet, or staff removed the one there was) is shown pending, whatever the
        engine foresaw when the mail was cut. Which consultations have a section, and
        whether one shows an item (not a follow-up) pending, is read first from each
        consultation's item IDs and answer times; each section's rows and views are read
        and built as the template reaches it (`Sections`), so a mail of thousands of
        items holds one consultation's rows, not the round's.
        """
        wanted = _Wanted(ids)
        pending, shown = False, []
        for c in self.rows:
            has_root, some_pending = self._marks(c.id, c.key, wanted, upto, stop=pending)
            pending = pending or some_pending
            if has_root:
                shown.append(c)
        # Follow-ups across consultations, shown under what they follow: few, read once.
        crossing: dict[int, list[Followed]] = {}
        for f in repo.cross_followers(self.session, self.rnd.id):
            if f[0].public_id in wanted:
                crossing.setdefault(f[0].parent_item_id or -1, []).append(f)

        def section(cinfo: ConsultationInfo, c: intake_repo.ConsultationRow) -> Section:
            return lambda: ConsultationItems(cinfo, self._section(c, wanted, crossing, upto))

        infos = dict(zip((c.id for c in self.rows), _infos(self.rows), strict=True))
        return Sections([section(infos[c.id], c) for c in shown], pending)

    def _marks(
        self, cid: int, key: str, wanted: _Wanted, upto: datetime | None, *, stop: bool
    ) -> tuple[bool, bool]:
        """Whether the consultation has a section (an item chosen that follows none
        chosen) and whether such an item has no answer by `upto`; with ``stop``, the
        second is known already and the read ends at the first section's item."""
        has_root = pending = False
        mine = wanted.of(key)
        times: dict[int, list[datetime]] | None = None
        for item_id, public_id, follows in repo.consultation_heads(self.session, self.rnd.id, cid):
            if public_id not in mine or (follows is not None and follows in wanted):
                continue
            has_root = True
            if stop:
                break
            if times is None:
                times = repo.answer_times(self.session, self.rnd.id, cid)
            if not any(upto is None or at <= upto for at in times.get(item_id, ())):
                pending = True
                break
        return has_root, pending

    def _section(
        self, c: intake_repo.ConsultationRow, wanted: _Wanted,
        crossing: dict[int, list[Followed]], upto: datetime | None,
    ) -> tuple[ItemInfo, ...]:  # fmt: skip
        """One consultation's items chosen that follow none chosen, each with what
        follows it nested (follow-ups in other consultations too, as they are shown
        under what they follow)."""
        session, rid = self.session, self.rnd.id
        mine = wanted.of(c.key)
        rows = [f for f in repo.consultation_items(session, rid, c.id) if f[0].public_id in mine]
        answers = repo.consultation_answers(session, rid, c.id)
        chosen = {i.id for i, _ in rows}
        kids: dict[int, list[Followed]] = {}
        for f in rows:
            if f[0].parent_item_id in chosen:
                kids.setdefault(f[0].parent_item_id or -1, []).append(f)
        for parent, more in crossing.items():
            if parent in chosen:
                kids[parent] = sorted(kids.get(parent, []) + more, key=lambda f: _round_order(f[0]))

        def build(f: Followed, native: bool) -> ItemInfo:
            item, follows = f
            if native:
                below = [(k, k[0].consultation_id == c.id) for k in kids.get(item.id, [])]
                own = answers.get(item.id, [])
            else:  # an item of another consultation: what follows it, read by its id
                below = [
                    (k, False) for k in repo.followers_of(session, rid, [item.id])
                    if k[0].public_id in wanted
                ]  # fmt: skip
                own = repo.answers_of(session, [item.id]).get(item.id, [])
            return self._info(
                item, follows, self._shown(own, upto), owed_pending=True,
                children=tuple(build(k, n) for k, n in below),
            )  # fmt: skip

        return tuple(build(f, True) for f in rows if f[1] is None or f[1] not in wanted)


class BundleItems(ConsultationItemsRead):
    """A department's bundle's items (`RoundItems.chosen`), read one consultation at a
    time as the text and the sheet reach them: a bundle of thousands of items holds one
    consultation's. How many there are, in which consultations and phases, is read first
    from their IDs; iterated, they come in round order (phase, then consultation)."""

    def __init__(
        self, items: RoundItems, ids: Collection[ItemId], *, upto: datetime | None
    ) -> None:
        self._items, self._upto = items, upto
        self._wanted = _Wanted(ids)
        keys = {i.consultation for i in ids}
        self._counts: dict[str, int] = {}
        self._phases: set[int] = set()
        session, rid = items.session, items.rnd.id
        for c in items.rows:
            if c.key in keys:
                mine = self._wanted.of(c.key)
                for public_id, phase in repo.consultation_ids(session, rid, c.id):
                    if public_id in mine:
                        self._counts[c.key] = self._counts.get(c.key, 0) + 1
                        self._phases.add(phase)

    def has(self, key: str) -> bool:
        """Whether an item of one consultation is among them."""
        return key in self._counts

    def __len__(self) -> int:
        return sum(self._counts.values())

    def of(self, key: str, phase: int | None = None) -> tuple[ItemInfo, ...]:
        r = self._items
        c = next((c for c in r.rows if c.key == key), None)
        if c is None or key not in self._counts:
            return ()
        mine = self._wanted.of(key)
        answers = repo.consultation_answers(r.session, r.rnd.id, c.id)
        return tuple(
            r._info(i, follows, r._shown(answers.get(i.id, []), self._upto))
            for i, follows in repo.consultation_items(r.session, r.rnd.id, c.id)
            if i.public_id in mine and (phase is None or i.phase == phase)
        )

    def __iter__(self) -> Iterator[ItemInfo]:
        by_id = sorted(self._items.rows, key=lambda c: c.id)
        for phase in sorted(self._phases):
            for c in by_id:
                yield from self.of(c.key, phase) if len(self._phases) > 1 else self.of(c.key)

    @overload
    def __getitem__(self, index: int) -> ItemInfo: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[ItemInfo, ...]: ...
    def __getitem__(self, index: int | slice) -> ItemInfo | tuple[ItemInfo, ...]:
        return tuple(self)[index]  # not asked by the bundle's text or sheet

    def sheet_rows(self) -> Iterator[tuple[str, str, str]]:
        """`render.answer_sheet_rows` of a bundle of these items (in round order, each
        with its ID and text, none with items nested), read as only the sheet needs."""
        r = self._items
        by_id = sorted(r.rows, key=lambda c: c.id)
        for phase in sorted(self._phases):
            for c in by_id:
                if c.key in self._counts:
                    mine = self._wanted.of(c.key)
                    for public_id, text, item_phase in repo.consultation_texts(
                        r.session, r.rnd.id, c.id
                    ):
                        if public_id is not None and public_id in mine and item_phase == phase:
                            yield public_id, text, ""


def _round_order(i: ItemRow) -> tuple[int, int, int, int]:
    """The order the round's items are read in (`items_and_answers`)."""
    return (i.phase, i.consultation_id or 0, i.seq or 0, i.id)


def _wanted(ids: Iterable[ItemId], key: str) -> set[str]:
    return {str(i) for i in ids if i.consultation == key}


class _Wanted:
    """Whether a public ID is one of ``ids``, holding the IDs of a few consultations at a
    time as strings (the IDs of a distribution as strings were one per item of the round)."""

    _KEEP = 3  # a section's own consultation and those of the items its items follow

    def __init__(self, ids: Collection[ItemId]) -> None:
        self._ids = ids
        self._sets: dict[str, set[str]] = {}

    def __contains__(self, public_id: object) -> bool:
        if not isinstance(public_id, str) or "-" not in public_id:
            return False
        return public_id in self.of(public_id[1 : public_id.rindex("-")])

    def of(self, key: str) -> set[str]:
        """The IDs of one consultation."""
        found = self._sets.pop(key, None)
        if found is None:
            found = _wanted(self._ids, key)
            if len(self._sets) >= self._KEEP:
                self._sets.pop(next(iter(self._sets)))
        self._sets[key] = found  # the newest last
        return found


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


class PhaseIds:
    """A phase's item IDs (`ItemIds`) read per consultation as the ③ call asks them: its
    first and last and their count, never the round's IDs."""

    def __init__(self, session: Session, rnd: Round, phase: int) -> None:
        self.session, self.rnd, self.phase = session, rnd, phase
        self._ids = {c.key: c.id for c in intake_repo.consultation_rows(session, rnd)}

    @property
    def first(self) -> str | None:
        return repo.first_of_phase(self.session, self.rnd.id, self.phase)

    def span(self, key: str) -> IdSpan | None:
        cid = self._ids.get(key)
        found = None if cid is None else repo.phase_span(self.session, self.rnd.id, cid, self.phase)
        return IdSpan(*found) if found else None


def party_names(config: Config) -> dict[str, str]:
    """Member and department ids to their names, for what staff read."""
    return {**{m.id: m.name for m in config.members}, **{d.id: d.name for d in config.departments}}
