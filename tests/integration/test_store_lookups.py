"""Keyed store lookups give what the full reads gave, on SQLite and on PostgreSQL."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.domain import ItemId
from mailflow.domain.states import CorrectionAction
from mailflow.services.mail_views import RoundItems
from mailflow.store import corrections as corrections_repo
from mailflow.store import db
from mailflow.store import directory as directory_repo
from mailflow.store import floods as floods_repo
from mailflow.store import intake as intake_repo
from mailflow.store import messages as messages_repo
from mailflow.store import rounds as rounds_repo
from mailflow.store.models import Item, Outbox, Round
from mailflow.store.workflow import _collector_paused, items_and_answers, round_facts
from tests.harness.seed_round import build_seed_round, seed_services


def _seeded(tmp_path: Path, url: str):  # type: ignore[no-untyped-def]
    os.environ.setdefault("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    services = seed_services(tmp_path / "data", url)
    seed = build_seed_round(services)
    return services, seed


def test_a_receipts_items_read_by_id_are_those_of_the_whole_round(
    tmp_path: Path, any_db_url: str
) -> None:
    services, seed = _seeded(tmp_path, any_db_url)
    with db.transaction(services.sessions) as s:
        rnd = rounds_repo.get(s, 1, seed.key)
        assert rnd is not None
        follow_ups = s.scalars(
            select(Item.public_id).where(Item.parent_item_id.is_not(None)).order_by(Item.id)
        ).all()
        # Follow-ups (whose parent is not asked for), a plain item, and one ID unknown.
        wanted = {*follow_ups[:3], seed.item_ids["13"][0], "Q99-01"}
        names = {1: "委員"}
        whole = RoundItems(s, rnd, names).selected(wanted, upto=None)
        keyed = RoundItems(s, rnd, names, only=wanted).selected(wanted, upto=None)
        assert keyed == whole
        assert len(whole) == 4 and any(i.follows for i in whole) and any(i.answers for i in whole)

        items, answers, depts = items_and_answers(s, rnd.id, wanted)
        all_items, all_answers, all_depts = items_and_answers(s, rnd.id)
        order = [i.id for i in all_items]
        assert [i.id for i in items] == sorted((i.id for i in items), key=order.index)
        assert answers == {pk: a for pk, a in all_answers.items() if pk in {i.id for i in items}}
        assert depts == all_depts


def test_the_next_item_number_and_the_newest_receipt_by_key(
    tmp_path: Path, any_db_url: str
) -> None:
    services, seed = _seeded(tmp_path, any_db_url)
    with db.transaction(services.sessions) as s:
        rnd = rounds_repo.get(s, 1, seed.key)
        assert rnd is not None
        cons = {c.key: c.id for c in rnd.consultations}
        assert intake_repo.next_seq(s, rnd.id, cons["13"]) == len(seed.item_ids["13"]) + 1
        assert intake_repo.next_seq(s, rnd.id, cons["14"]) == len(seed.item_ids["14"]) + 1
        for n, kind in enumerate(("receipt", "receipt", "reminder")):
            s.add(
                Outbox(
                    committee_id=1, kind=kind, message_id=f"<r{n}@city.example.jp>",
                    recipients=["a@example.jp"], subject="s", raw=f"raw {n}".encode(),
                    created_at=services.clock.now(),
                )
            )  # fmt: skip
        s.flush()
        ids = ["r0@city.example.jp", "r1@city.example.jp", "r2@city.example.jp"]
        assert floods_repo.receipt_replied_to(s, 1, ids) == b"raw 1"
        assert floods_repo.receipt_replied_to(s, 1, ["r2@city.example.jp"]) is None
        assert floods_repo.receipt_replied_to(s, 2, ids) is None


def test_members_read_once_in_a_unit_of_work_are_those_read_each_time(
    tmp_path: Path, any_db_url: str
) -> None:
    services, _seed = _seeded(tmp_path, any_db_url)
    with db.transaction(services.sessions) as s:
        every, active = directory_repo.members(s, 1), directory_repo.members(s, 1, active_only=True)
        chairs = rounds_repo.chair_ids(s, 1)
        names = {m.id: intake_repo.member_name(s, m.id) for m in every}
        directory_repo.remember_members(s)
        assert directory_repo.members(s, 1) == every
        assert directory_repo.members(s, 1, active_only=True) == active
        assert rounds_repo.chair_ids(s, 1) == chairs and len(chairs) == 1
        assert {m.id: intake_repo.member_name(s, m.id) for m in every} == names
        assert intake_repo.member_name(s, max(names) + 1) is None
        # The sync is the one writer of members: what it changes is read again.
        leaving = every[-1]
        remaining = [m for m in services.config.members if m.id != leaving.key]
        directory_repo.sync_committee(s, services.config.model_copy(update={"members": remaining}))
        s.flush()
        assert [m.key for m in directory_repo.members(s, 1, active_only=True)] == [
            m.key for m in active if m.key != leaving.key
        ]
        assert [m.active for m in directory_repo.members(s, 1) if m.key == leaving.key] == [False]


def test_whether_a_mails_items_were_corrected_is_one_keyed_look_up(
    tmp_path: Path, any_db_url: str
) -> None:
    services, seed = _seeded(tmp_path, any_db_url)
    with db.transaction(services.sessions) as s:
        now = services.clock.now()
        mails = [
            messages_repo.store_raw(
                s, 1, "(file)", None, None, f"Message-ID: <m{n}@example.jp>\r\n\r\nx".encode(),
                now, 1 << 20,
            ).row_id
            for n in range(2)
        ]  # fmt: skip
        first, second = (
            s.scalars(select(Item).where(Item.public_id == seed.item_ids[key][0])).one()
            for key in ("13", "14")
        )
        first.source_message_id, second.source_message_id = mails
        s.flush()
        assert not any(corrections_repo.message_items_corrected(s, pk) for pk in mails)
        corrections_repo.record_member_correction(
            s, first, mails[1], CorrectionAction.WITHDRAWN, None, now
        )
        # The mail whose item was corrected, not the mail that corrected it.
        assert corrections_repo.message_items_corrected(s, mails[0])
        assert not corrections_repo.message_items_corrected(s, mails[1])


def test_the_consultation_rows_a_process_keeps_are_the_rounds_relationship(
    tmp_path: Path, any_db_url: str
) -> None:
    services, seed = _seeded(tmp_path, any_db_url)

    def shape(rnd: Round | None) -> list[tuple[str, str, str, list[tuple[int, str, str]]]]:
        assert rnd is not None
        return [
            (c.key, c.number, c.title, [(d.id, d.key, d.name) for d in c.departments])
            for c in rnd.consultations
        ]

    with db.reading(services.sessions) as s:
        lazily = shape(s.get(Round, rounds_repo.get(s, 1, seed.key).id))  # type: ignore[union-attr]
    with db.reading(services.sessions) as s:
        rnd = intake_repo.round_row(s, rounds_repo.get(s, 1, seed.key).id)  # type: ignore[union-attr]
        assert rnd is not None
        rows = intake_repo.consultation_rows(s, rnd)
        assert intake_repo.round_row(s, rnd.id + 1000) is None
    kept = [(c.key, c.number, c.title, list(c.departments)) for c in rows]
    assert kept == lazily
    assert any(len(depts) > 1 for *_, depts in kept) and len(kept) > 1


def test_an_item_whose_answer_was_removed_shows_pending_in_what_members_read(
    tmp_path: Path, any_db_url: str
) -> None:
    # A distribution written after staff removed an answer (its window had closed
    # before): the answer is not shown, and the item must not stand bare.
    services, seed = _seeded(tmp_path, any_db_url)
    with db.transaction(services.sessions) as s:
        rnd = rounds_repo.get(s, 1, seed.key)
        assert rnd is not None
        first = seed.item_ids["13"][0]
        item = s.scalars(select(Item).where(Item.public_id == first)).one()
        answer, count = corrections_repo.latest_active_answer(s, item.id)
        assert answer is not None and count == 1
        corrections_repo.remove_answer(answer, services.clock.now())
        s.flush()
        view = RoundItems(s, rnd, {})
        sections = view.by_consultation([ItemId.parse(first)], upto=None)
        [shown] = [i for sec in sections for i in sec.items]
        assert [(a.pending, a.text) for a in shown.answers] == [(True, "")]
        # A department's bundle asks for the answer: there the item has none, not pending.
        [asked] = view.selected([first], upto=None)
        assert asked.answers == ()


def test_reading_a_rounds_facts_leaves_the_garbage_collector_as_it_was(
    tmp_path: Path, sqlite_url: str
) -> None:
    services, seed = _seeded(tmp_path, sqlite_url)
    with db.transaction(services.sessions) as s:
        rnd = rounds_repo.get(s, 1, seed.key)
        assert rnd is not None
        assert gc.isenabled()
        assert round_facts(s, rnd).items
        assert gc.isenabled()
        gc.disable()
        try:
            round_facts(s, rnd)
            assert not gc.isenabled()  # the caller's choice is kept
        finally:
            gc.enable()
    with pytest.raises(RuntimeError), _collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("a read that fails")
    assert gc.isenabled()
