"""Shared outbox bytes: written once by digest, in bounded chunks, read back whole; two
writers of one part agree on one row; no row is left naming a part that is gone."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailflow.outbound.model import SharedTail
from mailflow.store import db
from mailflow.store import outbox as repo
from mailflow.store import outbox_parts as parts
from mailflow.store.models import Committee, Outbox, OutboxPart, OutboxPartChunk

NOW = datetime(2021, 1, 13, 1, 0, tzinfo=UTC)
BIG = SharedTail.of(bytes(range(256)) * (parts.CHUNK * 5 // 2 // 256 + 3))  # 2.5 chunks


def committee(engine: Engine) -> int:
    db.upgrade(engine)
    with Session(engine) as s, s.begin():
        c = Committee(key="c", name="審議会", address="s@example.jp")
        s.add(c)
        s.flush()
        return c.id


def queue(s: Session, cid: int, n: int, tail: SharedTail | None) -> int:
    entry, created = repo.enqueue(
        s,
        repo.NewMail(
            committee_id=cid, kind="distribution", message_id=f"<m{n}@x>",
            recipients=(f"m{n}@example.jp",), subject="s", raw=f"head {n}\r\n".encode(),
            action_key=f"k{n}", shared=tail,
        ),
        now=NOW, approved=True,
    )  # fmt: skip
    assert created
    return entry.id


def test_a_part_is_written_once_in_chunks_and_read_back_after_each_head(engine: Engine) -> None:
    cid = committee(engine)
    small = SharedTail.of(b"QUJD\r\n")
    with Session(engine) as s, s.begin():
        ids = [queue(s, cid, n, BIG) for n in range(3)] + [queue(s, cid, 3, small)]
        ids.append(queue(s, cid, 4, None))
    with Session(engine) as s, s.begin():
        assert s.scalar(select(func.count()).select_from(OutboxPart)) == 2
        sizes = s.scalars(
            select(func.length(OutboxPartChunk.data)).order_by(
                OutboxPartChunk.part_id, OutboxPartChunk.seq
            )
        ).all()
        assert sizes == [parts.CHUNK, parts.CHUNK, len(BIG.data) - 2 * parts.CHUNK, 6]
        rows = s.scalars(select(Outbox).order_by(Outbox.id)).all()
        assert [len(r.raw) for r in rows] == [8] * 5  # each row keeps its own bytes only
        assert len({r.part_id for r in rows[:3]}) == 1 and rows[4].part_id is None
        expected = [f"head {n}\r\n".encode() + t for n, t in
                    enumerate([BIG.data] * 3 + [small.data, b""])]  # fmt: skip
        assert [repo.raw_bytes(s, i) for i in ids] == expected
        assert parts.mail_bytes(s, [(r.raw, r.part_id) for r in rows]) == expected
        claimed = repo.claim_due(s, cid, now=NOW, limit=10, lease=timedelta(minutes=5))
        assert [c.raw for c in claimed] == expected  # what the sender sends


def test_a_part_a_row_names_cannot_go_and_unnamed_parts_are_pruned(engine: Engine) -> None:
    cid = committee(engine)
    with Session(engine) as s, s.begin():
        queue(s, cid, 1, BIG)
        kept = s.scalars(select(Outbox.part_id)).one()
        orphan = parts.put(s, SharedTail.of(b"orphan\r\n"))
    with pytest.raises(IntegrityError), Session(engine) as s, s.begin():
        s.execute(OutboxPart.__table__.delete().where(OutboxPart.id == kept))
    with Session(engine) as s, s.begin():
        assert parts.prune(s) == 1
    with Session(engine) as s:
        assert s.scalars(select(OutboxPart.id)).all() == [kept]
        assert s.scalar(select(func.count()).where(OutboxPartChunk.part_id == orphan)) == 0
        (raw,) = s.scalars(select(Outbox.raw)).all()
        assert repo.raw_bytes(s, 1) == raw + BIG.data


def test_two_units_of_work_storing_one_part_share_one_row(engine: Engine) -> None:
    """Both queue the same tail at once: one part, both rows name it (SQLite: the second
    waits for the write lock; PostgreSQL: see the next test for the insert that loses)."""
    cid = committee(engine)
    sessions = db.session_factory(engine)
    errors: list[BaseException] = []

    def one(n: int) -> None:
        try:
            with db.transaction(sessions) as s:
                queue(s, cid, n, BIG)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(OutboxPart)) == 1
        assert len(set(s.scalars(select(Outbox.part_id)).all())) == 1


def test_the_writer_that_loses_the_digest_race_takes_the_winners_part(
    postgres_schema_url: str,
) -> None:
    """PostgreSQL: A has written the part and not committed; B finds nothing, inserts,
    waits on the unique index, and once A commits, takes A's row in its savepoint."""
    engine = db.make_engine(postgres_schema_url)
    try:
        cid = committee(engine)
        a, b = Session(engine), Session(engine)
        a.begin()
        queue(a, cid, 1, BIG)
        got: list[int] = []
        later = threading.Thread(target=lambda: got.append(queue(b, cid, 2, BIG)))
        later.start()
        time.sleep(0.5)
        assert later.is_alive()  # B waits on the digest A holds
        a.commit()
        later.join(10)
        b.commit()
        with Session(engine) as s:
            assert s.scalar(select(func.count()).select_from(OutboxPart)) == 1
            assert len(set(s.scalars(select(Outbox.part_id)).all())) == 1
            assert repo.raw_bytes(s, got[0]) == b"head 2\r\n" + BIG.data
        a.close()
        b.close()
    finally:
        engine.dispose()


def test_a_mail_that_loses_its_action_key_race_leaves_no_part_behind(
    postgres_schema_url: str,
) -> None:
    """PostgreSQL: A and B queue the same action key, each with a tail of its own; B's
    row waits on A's key and loses, and B's part goes with B's savepoint."""
    engine = db.make_engine(postgres_schema_url)
    mine = SharedTail.of(b"B's own tail\r\n")

    def same_key(s: Session, tail: SharedTail, n: int) -> tuple[int, bool]:
        entry, created = repo.enqueue(
            s,
            repo.NewMail(
                committee_id=cid, kind="distribution", message_id=f"<race{n}@x>",
                recipients=("m@example.jp",), subject="s", raw=b"head\r\n",
                action_key="one-key", shared=tail,
            ),
            now=NOW, approved=True,
        )  # fmt: skip
        return entry.id, created

    try:
        cid = committee(engine)
        a, b = Session(engine), Session(engine)
        a.begin()
        first = same_key(a, BIG, 1)
        got: list[tuple[int, bool]] = []
        later = threading.Thread(target=lambda: got.append(same_key(b, mine, 2)))
        later.start()
        time.sleep(0.5)
        assert later.is_alive()  # B's row waits on the key A holds
        a.commit()
        later.join(10)
        b.commit()
        assert first[1] and got == [(first[0], False)]
        with Session(engine) as s:
            assert s.scalars(select(OutboxPart.sha256)).all() == [BIG.sha256]
        a.close()
        b.close()
    finally:
        engine.dispose()


def whole(s: Session, cid: int, n: int, key: str = "receipt:1") -> tuple[repo.OutboxEntry, bool]:
    return repo.enqueue(
        s,
        repo.NewMail(
            committee_id=cid, kind="receipt", message_id=f"<w{n}@x>",
            recipients=("m@example.jp",), subject="受付", raw=f"whole {n}\r\n".encode(),
            action_key=key,
        ),
        now=NOW, approved=True,
    )  # fmt: skip


def test_a_whole_mail_queued_twice_under_one_key_is_the_first_row(engine: Engine) -> None:
    """One INSERT that does nothing on a queued key: the entry it returns is the row as
    stored, and a repeat returns that row, not a second one."""
    cid = committee(engine)
    with Session(engine) as s, s.begin():
        entry, created = whole(s, cid, 1)
        assert created and entry == repo.get(s, entry.id)
        again, created_again = whole(s, cid, 2)
        assert (again, created_again) == (entry, False)
        assert s.scalar(select(func.count()).select_from(Outbox)) == 1
        assert repo.raw_bytes(s, entry.id) == b"whole 1\r\n"


def test_a_whole_mail_that_loses_its_action_key_race_is_the_winners_row(
    postgres_schema_url: str,
) -> None:
    """PostgreSQL: B's INSERT waits on the key A's open transaction holds, does nothing
    once A commits, and B goes on with A's row."""
    engine = db.make_engine(postgres_schema_url)
    try:
        cid = committee(engine)
        a, b = Session(engine), Session(engine)
        a.begin()
        first, _ = whole(a, cid, 1)
        got: list[tuple[int, bool]] = []
        later = threading.Thread(
            target=lambda: got.append((lambda e: (e[0].id, e[1]))(whole(b, cid, 2)))
        )
        later.start()
        time.sleep(0.5)
        assert later.is_alive()
        a.commit()
        later.join(10)
        b.commit()
        assert got == [(first.id, False)]
        with Session(engine) as s:
            assert s.scalars(select(Outbox.message_id)).all() == ["<w1@x>"]
        a.close()
        b.close()
    finally:
        engine.dispose()
