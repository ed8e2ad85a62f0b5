"""The mails that show a round's items read them one consultation at a time: the same
views (and so the same bytes) as from the round's rows read whole, with follow-ups that
cross consultations, answers cut at a moment, items held or no longer live; on SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mailflow.domain import ItemId
from mailflow.outbound import views as v
from mailflow.outbound.render import render_mail
from mailflow.services.mail_views import PhaseIds, RoundItems
from mailflow.services.mailing import RoundMail
from mailflow.store import db
from mailflow.store import rounds as rounds_repo
from mailflow.store.models import Answer, Consultation, Item, Round
from mailflow.store.workflow import ItemRow
from tests.integration.test_store_lookups import _seeded


def _whole_sections(
    r: RoundItems, ids: Collection[str], upto: datetime | None
) -> tuple[tuple[v.ConsultationItems, ...], bool]:
    """The sections as they were built from the round's rows read whole."""
    want = set(ids)
    chosen = [i for i in r.items if i.public_id in want]
    chosen_pks = {i.id for i in chosen}
    kids: dict[int, list[ItemRow]] = {}
    for i in chosen:
        if i.parent_item_id in chosen_pks:
            kids.setdefault(i.parent_item_id or -1, []).append(i)

    def build(i: ItemRow) -> v.ItemInfo:
        children = tuple(build(k) for k in kids.get(i.id, []))
        return r.info(i, upto=upto, owed_pending=True, children=children)

    roots: dict[int, list[ItemRow]] = {}
    for i in chosen:
        if i.parent_item_id not in chosen_pks:
            roots.setdefault(i.consultation_id or -1, []).append(i)
    infos = {c.id: v.ConsultationInfo(c.key, c.number, c.title, tuple(n for *_, n in c.departments))
             for c in r.rows}  # fmt: skip
    sections = tuple(
        v.ConsultationItems(infos[c.id], tuple(build(i) for i in roots[c.id]))
        for c in r.rows
        if c.id in roots
    )
    pending = any(not r._answers(i, upto) for c in r.rows for i in roots.get(c.id, []))
    return sections, pending


def _crossed(s: Session, rnd: Round) -> tuple[datetime, datetime]:
    """Follow-ups across consultations: an item of the second consultation follows one of
    the first, and two of the first follow it; an item whose parent is withdrawn, one
    held. Returns two answer times to cut at."""
    cons = s.scalars(
        select(Consultation).where(Consultation.round_id == rnd.id).order_by(Consultation.position)
    ).all()
    first = {
        c.id: s.scalars(
            select(Item).where(Item.consultation_id == c.id, Item.parent_item_id.is_(None))
            .order_by(Item.seq)
        ).all()
        for c in cons
    }  # fmt: skip
    a, b = cons[0].id, cons[1].id
    assert len(first[a]) >= 4 and len(first[b]) >= 3
    first[b][-1].parent_item_id = first[a][0].id
    first[a][-1].parent_item_id = first[b][-1].id
    first[a][-2].parent_item_id = first[b][-1].id
    first[b][0].parent_item_id = first[a][1].id
    first[a][1].state = "withdrawn"
    first[b][1].state = "held"
    s.flush()
    times = sorted(s.scalars(select(Answer.received_at)).all())
    assert len(times) > 4
    return times[len(times) // 3], times[2 * len(times) // 3]


def test_sections_read_per_consultation_are_those_of_the_whole_round(
    tmp_path: Path, any_db_url: str
) -> None:
    services, seed = _seeded(tmp_path, any_db_url)
    with db.transaction(services.sessions) as s:
        rnd = rounds_repo.get(s, 1, seed.key)
        assert rnd is not None
        cuts = _crossed(s, rnd)
        names = {1: "委員"}
        whole = RoundItems(s, rnd, names)
        every = [i.public_id for i in whole.items if i.public_id]
        follow_ups = [i.public_id for i in whole.items if i.public_id and i.parent_item_id]
        subsets = {
            "all": every,
            "half": every[::2],
            "follow-ups alone": follow_ups,
            "none": [],
            "unknown": ["Q99-01"],
        }
        seen_cross = False
        for label, ids in subsets.items():
            for upto in (None, *cuts):
                expected, pending = _whole_sections(whole, ids, upto)
                keyed = [ItemId.parse(i) for i in ids]
                lazy = RoundItems(s, rnd, names).by_consultation(keyed, upto=upto)
                assert tuple(lazy) == expected, (label, upto)
                assert lazy.pending == pending, (label, upto)
                assert len(lazy) == len(expected)
                seen_cross |= any(
                    k.consultation != sec.consultation.key
                    for sec in expected for i in sec.items for k in i.children
                )  # fmt: skip
        assert seen_cross  # a follow-up shown under an item of another consultation

        # A department's bundle: the same items as picked from the whole round.
        for ids in subsets.values():
            for upto in (None, cuts[0]):
                keyed = [ItemId.parse(i) for i in ids]
                picked = RoundItems(s, rnd, names).chosen(keyed, upto=upto)
                assert picked == whole.selected(ids, upto=upto)
        s.rollback()
    services.engine.dispose()


def test_the_further_calls_item_ids_read_per_consultation_are_the_rounds(
    tmp_path: Path, any_db_url: str
) -> None:
    services, seed = _seeded(tmp_path, any_db_url)
    conf = services.config.committee
    with db.transaction(services.sessions) as s:
        rnd = rounds_repo.get(s, 1, seed.key)
        assert rnd is not None
        _crossed(s, rnd)
        r = RoundMail(services, s, rnd)
        whole = v.ListedIds(
            tuple(str(i.public_id) for i in r.items.items if i.public_id and i.phase == 1)
        )
        read = PhaseIds(s, rnd, 1)
        assert read.first == whole.first is not None
        for c in r.consultations:
            assert read.span(c.key) == whole.span(c.key)
        assert read.span("999") is None
        views = [
            v.CallForFurther(v.Recipient("林優"), r.committee, r.info, r.consultations,
                             datetime(2025, 7, 4, 8, tzinfo=rnd.questions_due.tzinfo), ids)
            for ids in (whole, read)
        ]  # fmt: skip
        for language in ("ja", "en"):
            texts = {render_mail(view, language, conf.tz) for view in views}
            assert len(texts) == 1
        # A round with no ① items yet names none.
        s.execute(update(Item).where(Item.round_id == rnd.id).values(phase=3))
        assert PhaseIds(s, rnd, 1).first is None
        s.rollback()
    services.engine.dispose()


def test_the_distribution_and_the_further_call_leave_the_rounds_rows_unread(
    tmp_path: Path, any_db_url: str
) -> None:
    """Queued through `RoundMail`, the distribution, the ③ call and a department's bundle
    read no more than one consultation's rows at a time: never the round's whole."""
    services, seed = _seeded(tmp_path, any_db_url)
    now = services.clock.now() + timedelta(days=60)
    with db.transaction(services.sessions) as s:
        rnd = rounds_repo.get(s, 1, seed.key)
        assert rnd is not None
        r = RoundMail(services, s, rnd)
        ids = tuple(ItemId.parse(i) for ids in seed.item_ids.values() for i in ids)
        grouped = r.items.by_consultation(ids, upto=None)
        key = sorted(r.members)[0]
        pending = grouped.pending
        r.to_member(key, "dist", "distribution", lambda to: v.Distribution(
            to, r.committee, r.info, grouped, pending, False, True, ()), now, True)  # fmt: skip
        further = PhaseIds(s, rnd, 1)
        r.to_member(key, "further", "call_for_further", lambda to: v.CallForFurther(
            to, r.committee, r.info, r.consultations, now, further), now, True)  # fmt: skip
        assert r.items.chosen(ids[:3], upto=None)
        assert r.items._whole is None
        assert len(grouped) == len(seed.item_ids)
        s.rollback()
    services.engine.dispose()
