"""Store-first persistence: dedupe, truncation, checkpoint and lease, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mailflow.store import db
from mailflow.store.leases import (
    MailboxSync,
    acquire_lease,
    advance_mailbox_state,
    get_mailbox_state,
    mark_acted,
    release_lease,
    renew_lease,
    set_mailbox_state,
)
from mailflow.store.messages import (
    Outcome,
    RawMail,
    ServerAction,
    StoredOutcome,
    message_id_of,
    pending_messages,
    pending_server_actions,
    store_batch,
    store_raw,
)
from mailflow.store.models import Committee, Event, Lease, Message
from tests.harness.imap_extra import mixed_mails

NOW = datetime(2021, 1, 13, 1, 0, tzinfo=UTC)
MAX = 1024 * 1024


def _mail(msgid: str | None, body: str = "本文です") -> bytes:
    head = "From: iin@example.jp\r\nTo: shingikai@example.jp\r\nSubject: =?UTF-8?B?6LOq5ZWP?=\r\n"
    if msgid is not None:
        head += f"Message-ID: {msgid}\r\n"
    return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n").encode()


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    db.upgrade(engine)
    yield db.session_factory(engine)


@pytest.fixture
def committee_id(sessions: sessionmaker[Session]) -> int:
    with db.transaction(sessions) as s:
        c = Committee(key="c", name="審議会", address="shingikai@example.jp")
        s.add(c)
        s.flush()
        return c.id


def _store(
    sessions: sessionmaker[Session],
    committee_id: int,
    raw: bytes,
    uid: int,
    uidvalidity: int = 7,
    max_bytes: int = MAX,
) -> tuple[Outcome, str, str | None, bool]:
    with db.transaction(sessions) as s:
        got = store_raw(s, committee_id, "INBOX", uidvalidity, uid, raw, NOW, max_bytes)
        return got.outcome, got.dedupe_key, got.matched_on, got.truncated


_HEADER_CASES = (
    b"",
    b"Message-ID: <a@b>",
    b"X: 1\r\nMessage-Id:\r\n <folded@y>\r\n\r\nbody",
    b"bad line\r\nMessage-ID: <after-junk@b>\r\n\r\n",
    b"X: 1\nMessage-ID: <lf@b>\n\n",
    b"X: 1\rMessage-ID: <bare-cr@b>\r\n\r\n",
    b"From someone Mon Jan 11 2021\r\nMessage-ID: <mbox@b>\r\n\r\n",
    b" X: 1\r\nMessage-ID: <continued@b>\r\n\r\n",
    b"Subject: x\r\n\r\nMessage-ID: <in-body@x>\r\n",
    b"Message-ID:   \r\n\r\n",
    b"Message-ID: <\xe3\x81\x82@b>\r\n\r\n",
    b"A: b\r\nMessage-ID: <a@b> (c)\r\n \r\n\r\n",
    b":empty\r\nMessage-ID: <a@b>\r\n\r\n",
)


@pytest.mark.parametrize("raw", [*_HEADER_CASES, *mixed_mails(40, seed=2)])
def test_message_id_fast_path_agrees_with_the_email_parser(raw: bytes) -> None:
    # The dedupe key must not change with the path taken, or a rescan would store twice.
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0] + b"\r\n\r\n"
    value = BytesHeaderParser(policy=compat32).parsebytes(head).get("Message-ID")
    expected = " ".join(str(value).split()) or None if value is not None else None
    assert message_id_of(raw) == expected


def _count(sessions: sessionmaker[Session], model: type[Message] | type[Event]) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_message_id_comes_from_the_header_block_only() -> None:
    assert message_id_of(_mail("<a@example.jp>")) == "<a@example.jp>"
    assert message_id_of(_mail(None, body="Message-ID: <in-body@example.jp>")) is None
    folded = b"Subject: x\r\nMessage-ID:\r\n <folded@example.jp>\r\n\r\nbody\r\n"
    assert message_id_of(folded) == "<folded@example.jp>"


def test_same_uid_or_same_message_id_is_a_duplicate(
    sessions: sessionmaker[Session], committee_id: int
) -> None:
    raw = _mail("<q1@example.jp>")
    assert _store(sessions, committee_id, raw, uid=1) == (
        Outcome.INSERTED,
        "<q1@example.jp>",
        None,
        False,
    )
    assert _store(sessions, committee_id, raw, uid=1)[::2] == (Outcome.DUPLICATE, "uid")
    # After a UIDVALIDITY change the same mail comes back under a new UID.
    assert _store(sessions, committee_id, raw, uid=1, uidvalidity=8)[::2] == (
        Outcome.DUPLICATE,
        "message_id",
    )
    assert _count(sessions, Message) == 1


def test_mail_without_message_id_is_deduplicated_by_sha256(
    sessions: sessionmaker[Session], committee_id: int
) -> None:
    raw = _mail(None)
    outcome, key, _, _ = _store(sessions, committee_id, raw, uid=1)
    assert (outcome, key) == (Outcome.INSERTED, "sha256:" + hashlib.sha256(raw).hexdigest())
    assert _store(sessions, committee_id, raw, uid=2)[::2] == (Outcome.DUPLICATE, "sha256")
    other = _mail(None, body="別の本文")
    assert _store(sessions, committee_id, other, uid=3)[0] is Outcome.INSERTED
    assert _count(sessions, Message) == 2


def test_a_different_mail_reusing_a_message_id_is_kept_with_an_event(
    sessions: sessionmaker[Session], committee_id: int
) -> None:
    first = _mail("<same@example.jp>", body="一通目")
    second = _mail("<same@example.jp>", body="二通目")
    _store(sessions, committee_id, first, uid=1)
    outcome, key, _, _ = _store(sessions, committee_id, second, uid=2)
    assert outcome is Outcome.INSERTED
    assert key == "<same@example.jp>#sha256:" + hashlib.sha256(second).hexdigest()
    # The reused one arriving again (a rescan) is not stored a third time.
    assert _store(sessions, committee_id, second, uid=2, uidvalidity=9)[0] is Outcome.DUPLICATE
    with sessions() as s:
        kinds = s.scalars(select(Event.kind)).all()
    assert kinds == ["message.message_id_reused"]
    assert _count(sessions, Message) == 2


def test_oversize_mail_is_stored_truncated_with_an_event(
    sessions: sessionmaker[Session], committee_id: int
) -> None:
    raw = _mail("<big@example.jp>", body="x" * 5000)
    assert _store(sessions, committee_id, raw, uid=1, max_bytes=1024)[3] is True
    with sessions() as s:
        row = s.scalars(select(Message)).one()
        event = s.scalars(select(Event)).one()
    assert (len(row.raw), row.size, row.truncated) == (1024, len(raw), True)
    assert row.raw == raw[:1024]
    assert (event.kind, event.message_id, event.detail["size"]) == (
        "message.truncated",
        row.id,
        len(raw),
    )


def test_a_rolled_back_transaction_leaves_nothing(
    sessions: sessionmaker[Session], committee_id: int
) -> None:
    with pytest.raises(RuntimeError), db.transaction(sessions) as s:
        store_raw(s, committee_id, "INBOX", 7, 1, _mail("<gone@example.jp>"), NOW, MAX)
        set_mailbox_state(s, committee_id, "INBOX", 7, 1)
        raise RuntimeError("crash before commit")
    assert _count(sessions, Message) == 0
    with sessions() as s:
        assert get_mailbox_state(s, committee_id, "INBOX").last_uid == 0


def test_checkpoint_and_pending_server_actions(
    sessions: sessionmaker[Session], committee_id: int
) -> None:
    with db.transaction(sessions) as s:
        assert get_mailbox_state(s, committee_id, "INBOX").uidvalidity is None
        for uid in (3, 4, 5):
            store_raw(s, committee_id, "INBOX", 7, uid, _mail(f"<m{uid}@x>"), NOW, MAX)
        set_mailbox_state(s, committee_id, "INBOX", 7, 5)
    with db.transaction(sessions) as s:
        state = get_mailbox_state(s, committee_id, "INBOX")
        assert (state.uidvalidity, state.last_uid, state.acted_uid) == (7, 5, 0)
        pending = pending_server_actions(s, committee_id, "INBOX", 7, state.acted_uid)
        assert [a.uid for a in pending] == [3, 4, 5]
        mark_acted(s, committee_id, "INBOX", 7, 3)
        mark_acted(s, committee_id, "INBOX", 7, 2)  # never lowered
        mark_acted(s, committee_id, "INBOX", 6, 5)  # a stale UIDVALIDITY changes nothing
        advance_mailbox_state(s, committee_id, "INBOX", 7, 4)  # never lowered
        assert get_mailbox_state(s, committee_id, "INBOX") == MailboxSync(7, 5, 3)
        s.execute(update(Message).where(Message.uid == 4).values(state="quarantined"))
    with sessions() as s:
        assert pending_server_actions(s, committee_id, "INBOX", 7, 3) == [
            ServerAction(4, "quarantined"),
            ServerAction(5, "stored"),
        ]
        assert len(pending_messages(s, committee_id)) == 2  # 3 and 5 are still "stored"


def test_a_failed_savepoint_keeps_the_outer_transaction(
    sessions: sessionmaker[Session], committee_id: int
) -> None:
    # With Python's sqlite3 driver left to itself, a SAVEPOINT opened the transaction
    # and its RELEASE committed it: the rollback below would have left the first row.
    with pytest.raises(RuntimeError), db.transaction(sessions) as s:
        store_raw(s, committee_id, "INBOX", 7, 1, _mail("<a@example.jp>"), NOW, MAX)
        # The same Message-ID under another UID: a duplicate, found without writing.
        again = store_raw(s, committee_id, "INBOX", 7, 2, _mail("<a@example.jp>"), NOW, MAX)
        assert again.outcome is Outcome.DUPLICATE
        with pytest.raises(IntegrityError), s.begin_nested():
            s.add(Lease(name="x", holder="a", expires_at=NOW))
            s.flush()
            s.add(Lease(name="x", holder="b", expires_at=NOW))
            s.flush()
        assert acquire_lease(s, "imap:1:INBOX", "a", NOW, timedelta(seconds=60))
        raise RuntimeError("crash before commit")
    assert _count(sessions, Message) == 0
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Lease)) == 0


def test_a_read_only_session_does_not_block_a_writer(
    sessions: sessionmaker[Session], committee_id: int
) -> None:
    with sessions() as reader:
        assert reader.scalar(select(func.count()).select_from(Message)) == 0
        _store(sessions, committee_id, _mail("<w@example.jp>"), 1)  # another connection
    assert _count(sessions, Message) == 1


def test_lease_has_one_holder_until_it_expires(sessions: sessionmaker[Session]) -> None:
    ttl = timedelta(seconds=60)
    name = "imap:1:INBOX"
    with db.transaction(sessions) as s:
        assert acquire_lease(s, name, "a", NOW, ttl)
    with db.transaction(sessions) as s:
        assert not acquire_lease(s, name, "b", NOW + timedelta(seconds=30), ttl)
        assert acquire_lease(s, name, "a", NOW + timedelta(seconds=30), ttl)  # re-entrant
        assert renew_lease(s, name, "a", NOW + timedelta(seconds=40), ttl)
    with db.transaction(sessions) as s:
        assert not acquire_lease(s, name, "b", NOW + timedelta(seconds=99), ttl)
        assert acquire_lease(s, name, "b", NOW + timedelta(seconds=101), ttl)
    with db.transaction(sessions) as s:
        assert not renew_lease(s, name, "a", NOW + timedelta(seconds=102), ttl)
        release_lease(s, name, "a")  # not the holder: nothing happens
        assert not acquire_lease(s, name, "a", NOW + timedelta(seconds=103), ttl)
        release_lease(s, name, "b")
    with db.transaction(sessions) as s:
        assert acquire_lease(s, name, "a", NOW + timedelta(seconds=104), ttl)


def test_concurrent_store_of_one_mail_keeps_one_row(
    engine: Engine, sessions: sessionmaker[Session], committee_id: int
) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers; the lease keeps a second poller away there")
    raw = _mail("<race@example.jp>")
    second: list[Outcome] = []

    def contender() -> None:
        with db.transaction(sessions) as s:
            second.append(store_raw(s, committee_id, "INBOX", 7, 2, raw, NOW, MAX).outcome)

    with db.transaction(sessions) as s:
        first = store_raw(s, committee_id, "INBOX", 7, 1, raw, NOW, MAX)
        # The contender's look finds nothing (ours is uncommitted); its insert then waits on
        # our unique key and does nothing once we commit, so it looks again.
        thread = threading.Thread(target=contender)
        thread.start()
        time.sleep(0.5)
    thread.join(10)
    assert first.outcome is Outcome.INSERTED
    assert second == [Outcome.DUPLICATE]
    assert _count(sessions, Message) == 1


def test_a_batch_stores_exactly_what_one_by_one_would(sessions: sessionmaker[Session]) -> None:
    with db.transaction(sessions) as s:
        a = Committee(key="a", name="A", address="a@example.jp")
        b = Committee(key="b", name="B", address="b@example.jp")
        s.add_all([a, b])
        s.flush()
        one_by_one, batched = a.id, b.id
    earlier = _mail("<old@example.jp>")
    mails = [
        _mail("<n1@example.jp>"),
        earlier,  # stored before the batch, under another UID
        _mail(None, body="番号なし"),
        _mail(None, body="番号なし"),  # the same bytes twice in one batch
        _mail("<n1@example.jp>", body="同じIDで別の本文"),
        _mail("<huge@example.jp>", body="y" * 4000),
    ]
    raws = [RawMail(uid, raw, NOW) for uid, raw in enumerate(mails, start=10)]

    def shape(outcomes: list[StoredOutcome]) -> list[tuple[object, ...]]:
        return [(o.outcome, o.dedupe_key, o.matched_on, o.truncated) for o in outcomes]

    with db.transaction(sessions) as s:
        for cid in (one_by_one, batched):
            store_raw(s, cid, "INBOX", 7, 1, earlier, NOW, 2048)
    with db.transaction(sessions) as s:
        expected = [store_raw(s, one_by_one, "INBOX", 7, m.uid, m.raw, NOW, 2048) for m in raws]
        got = store_batch(s, batched, "INBOX", 7, raws, 2048)
    assert shape(got) == shape(expected)
    assert [o.outcome for o in got] == [
        Outcome.INSERTED,
        Outcome.DUPLICATE,
        Outcome.INSERTED,
        Outcome.DUPLICATE,
        Outcome.INSERTED,
        Outcome.INSERTED,
    ]
    assert got[3].row_id == got[2].row_id != 0
    with sessions() as s:
        kinds = {
            cid: sorted(s.scalars(select(Event.kind).where(Event.committee_id == cid)))
            for cid in (one_by_one, batched)
        }
        raw_of = {
            cid: sorted(s.scalars(select(Message.raw).where(Message.committee_id == cid)))
            for cid in (one_by_one, batched)
        }
    assert kinds[batched] == kinds[one_by_one] == ["message.message_id_reused", "message.truncated"]
    assert raw_of[batched] == raw_of[one_by_one]
