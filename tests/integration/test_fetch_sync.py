"""The IMAP fetch loop against real servers: exactly once, through cuts, renumbering and giants."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.adapters.imap import PROCESSED_KEYWORD, ImapClient, ImapError, connector
from mailflow.clock import FixedClock
from mailflow.config import Imap
from mailflow.services.fetch import FetchCounts, FetchOptions, LeaseHeld, MailFetcher
from mailflow.store.leases import get_mailbox_state
from mailflow.store.models import Event, Message
from tests.harness.dovecot import DovecotServer
from tests.harness.fixtures import TcpProxyFactory
from tests.harness.imap_extra import (
    PROCESSED,
    MailServer,
    Store,
    append_all,
    folder_digests,
    generated_mail,
    mail_server,
    mixed_mails,
    on_dovecot,
    on_pymap,
    prepare_store,
    sha256,
)
from tests.harness.pymap_server import PymapServer

__all__ = ["mail_server"]  # the fixture, imported for this module

FAST = FetchOptions(holder="test", backoff_initial=0.05, backoff_max=0.5)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return prepare_store(f"sqlite:///{tmp_path / 'mailflow.db'}")


def _fetcher(
    server: MailServer, store: Store, settings: Imap | None = None, **kw: object
) -> MailFetcher:
    settings = settings or server.settings()
    return MailFetcher(
        settings,
        committee_id=store.committee_id,
        sessions=store.sessions,
        clock=FixedClock(datetime(2021, 1, 13, tzinfo=UTC)),
        connect=connector(settings, server.endpoint.password),
        options=FAST,
        **kw,  # type: ignore[arg-type]
    )


async def _until(check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(check):  # type: ignore[arg-type]
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"not reached within {timeout} s")


@pytest.mark.slow
async def test_500_mails_appended_while_running_are_stored_exactly_once(
    mail_server: MailServer, store: Store
) -> None:
    mails = mixed_mails(500)
    fetcher = _fetcher(mail_server, store)
    stop = asyncio.Event()
    running = asyncio.create_task(fetcher.run_forever(stop))
    # Appended in bursts from another thread while the fetcher syncs and IDLEs.
    for start in range(0, 500, 50):
        await asyncio.to_thread(append_all, mail_server, mails[start : start + 50])
    await _until(lambda: len(store.digests()) >= 500, timeout=90)
    await asyncio.sleep(0.5)  # a duplicate would show up now
    stop.set()
    await asyncio.wait_for(running, 20)

    expected = sorted(sha256(m) for m in mails)
    assert sorted(store.digests()) == expected
    assert await asyncio.to_thread(folder_digests, mail_server, "INBOX") == []
    assert await asyncio.to_thread(folder_digests, mail_server, PROCESSED) == expected
    with store.sessions() as s:
        state = get_mailbox_state(s, store.committee_id, "INBOX")
        highest = max(s.scalars(select(Message.uid)), key=lambda uid: uid or 0)
    # Every mail was moved, and the mailbox's mark says so: nothing is owed.
    assert state.acted_uid == state.last_uid == highest


async def test_connection_cut_mid_fetch_is_survived(
    mail_server: MailServer, store: Store, tcp_proxy: TcpProxyFactory
) -> None:
    mails = mixed_mails(80, seed=9)
    await asyncio.to_thread(append_all, mail_server, mails)
    proxy = tcp_proxy(mail_server.endpoint.host, mail_server.endpoint.port)
    settings = mail_server.settings(host=proxy.host, port=proxy.port)
    fetcher = _fetcher(mail_server, store, settings)
    # Login, SELECT and SEARCH pass; the cut falls inside the first batch's literals.
    proxy.drop_after(40_000)
    stop = asyncio.Event()
    running = asyncio.create_task(fetcher.run_forever(stop))
    await _until(lambda: proxy.dropped >= 1, timeout=20)
    proxy.heal()
    await _until(lambda: len(store.digests()) >= 80, timeout=60)
    stop.set()
    await asyncio.wait_for(running, 20)

    assert fetcher.reconnects >= 1
    assert sorted(store.digests()) == sorted(sha256(m) for m in mails)
    assert await asyncio.to_thread(folder_digests, mail_server, "INBOX") == []


async def test_a_fetch_that_stalls_times_out_and_the_next_one_completes(
    mail_server: MailServer, tcp_proxy: TcpProxyFactory
) -> None:
    mails = mixed_mails(30, seed=4)
    await asyncio.to_thread(append_all, mail_server, mails)
    proxy = tcp_proxy(mail_server.endpoint.host, mail_server.endpoint.port)
    settings = mail_server.settings(host=proxy.host, port=proxy.port)
    client = await ImapClient.connect(settings, mail_server.endpoint.password, timeout=1.0)
    try:
        await client.select(settings.mailbox)
        uids = await client.uids_after(0)
        # A FETCH whose data flows completes; one whose data stops fails within the
        # inactivity timeout instead of hanging on the silent connection.
        assert len(await client.fetch(uids, settings.max_message_bytes)) == 30
        proxy.stall()
        started = time.monotonic()
        with pytest.raises(ImapError):
            await client.fetch(uids, settings.max_message_bytes)
        assert time.monotonic() - started < 10
    finally:
        proxy.resume()
        await client.logout()
    again = await ImapClient.connect(settings, mail_server.endpoint.password, timeout=1.0)
    try:
        await again.select(settings.mailbox)
        fetched = await again.fetch(await again.uids_after(0), settings.max_message_bytes)
    finally:
        await again.logout()
    assert sorted(sha256(m.raw) for m in fetched) == sorted(sha256(m) for m in mails)


@pytest.mark.dovecot
async def test_uidvalidity_change_rescans_without_duplicates(
    dovecot_server: DovecotServer, store: Store
) -> None:
    # pymap offers no way to renumber a mailbox; Dovecot's doveadm does.
    server = on_dovecot(dovecot_server)
    assert server.set_uidvalidity is not None
    first, later = mixed_mails(15, seed=3)[:10], mixed_mails(15, seed=3)[10:]
    await asyncio.to_thread(append_all, server, first)
    settings = server.settings(after_processing="flag")  # the mail stays to be re-read
    counts = await _fetcher(server, store, settings).run_once()
    assert (counts.inserted, counts.rescanned) == (10, False)

    probe = server.probe()
    try:
        server.set_uidvalidity(probe.uidvalidity() + 1000)
    finally:
        probe.close()
    await asyncio.to_thread(append_all, server, later)
    counts = await _fetcher(server, store, settings).run_once()

    assert (counts.rescanned, counts.inserted, counts.duplicates) == (True, 5, 10)
    assert sorted(store.digests()) == sorted(sha256(m) for m in first + later)
    with store.sessions() as s:
        kinds = s.scalars(select(Event.kind)).all()
    assert kinds == ["mailbox.uidvalidity_changed"]


async def test_a_30_mb_mail_is_stored_truncated_and_flagged_for_staff(
    mail_server: MailServer, store: Store
) -> None:
    small = generated_mail(1, random.Random(1), size=1000)
    head, _, body = small.partition(b"\r\n\r\n")
    giant = head + b"\r\n\r\n" + body + (b"x" * 998 + b"\r\n") * 30_000
    assert len(giant) > 30_000_000
    await asyncio.to_thread(append_all, mail_server, [giant])
    settings = mail_server.settings(max_message_bytes=1024 * 1024)
    counts = await _fetcher(mail_server, store, settings).run_once()

    assert (counts.inserted, counts.truncated) == (1, 1)
    with store.sessions() as s:
        row = s.scalars(select(Message)).one()
        event = s.scalars(select(Event)).one()
    assert (row.truncated, row.size, len(row.raw)) == (True, len(giant), 1024 * 1024)
    assert row.raw == giant[: 1024 * 1024]
    assert row.message_id is not None
    assert (event.kind, event.message_id) == ("message.truncated", row.id)
    assert await asyncio.to_thread(folder_digests, mail_server, PROCESSED) == [sha256(giant)]


async def test_after_commit_the_mail_is_moved_to_the_processed_folder(
    pymap_server: PymapServer, any_db_url: str
) -> None:
    server = on_pymap(pymap_server)
    store = prepare_store(any_db_url)
    mails = mixed_mails(30, seed=4)
    await asyncio.to_thread(append_all, server, mails)
    counts = await _fetcher(server, store).run_once()
    assert (counts.fetched, counts.inserted) == (30, 30)
    assert await asyncio.to_thread(folder_digests, server, "INBOX") == []
    assert await asyncio.to_thread(folder_digests, server, PROCESSED) == sorted(
        sha256(m) for m in mails
    )
    with store.sessions() as s:
        rows = s.scalars(select(Message).order_by(Message.uid)).all()
    assert [r.state for r in rows] == ["stored"] * 30
    with store.sessions() as s:
        state = get_mailbox_state(s, store.committee_id, "INBOX")
    assert state.acted_uid == state.last_uid == max(r.uid or 0 for r in rows)
    again = await _fetcher(server, store).run_once()
    assert again.fetched == 0


async def test_flag_mode_leaves_the_mail_in_place_seen_and_marked(
    mail_server: MailServer, store: Store
) -> None:
    mails = mixed_mails(5, seed=6)
    await asyncio.to_thread(append_all, mail_server, mails)
    settings = mail_server.settings(after_processing="flag")
    counts = await _fetcher(mail_server, store, settings).run_once()
    assert counts.inserted == 5
    probe = mail_server.probe()
    try:
        uids = probe.uids("INBOX")
        flags = [probe.flags(uid) for uid in uids]
        assert PROCESSED not in probe.mailboxes()
    finally:
        probe.close()
    assert len(uids) == 5
    # pymap keeps only system flags (its PERMANENTFLAGS has no \\*); Dovecot keeps keywords.
    marks = {"\\Seen", PROCESSED_KEYWORD} if mail_server.kind == "dovecot" else {"\\Seen"}
    assert all(marks <= f for f in flags)
    assert (await _fetcher(mail_server, store, settings).run_once()).fetched == 0


async def test_copy_and_expunge_where_move_is_missing(
    mail_server: MailServer, store: Store
) -> None:
    mails = mixed_mails(7, seed=8)
    await asyncio.to_thread(append_all, mail_server, mails)
    settings = mail_server.settings()

    async def without_move() -> ImapClient:
        client = await ImapClient.connect(settings, mail_server.endpoint.password)
        client.capabilities -= {"MOVE"}
        return client

    fetcher = MailFetcher(
        settings,
        committee_id=store.committee_id,
        sessions=store.sessions,
        clock=FixedClock(datetime(2021, 1, 13, tzinfo=UTC)),
        connect=without_move,
        options=FAST,
    )
    assert (await fetcher.run_once()).inserted == 7
    assert await asyncio.to_thread(folder_digests, mail_server, "INBOX") == []
    assert len(await asyncio.to_thread(folder_digests, mail_server, PROCESSED)) == 7


class _Crash(BaseException):
    """Stands for the process dying between commit and the server-side move."""


async def test_a_crash_between_commit_and_move_is_completed_on_restart(
    mail_server: MailServer, store: Store
) -> None:
    mails = mixed_mails(12, seed=10)
    await asyncio.to_thread(append_all, mail_server, mails)

    def crash(_ids: tuple[int, ...]) -> None:
        raise _Crash

    with pytest.raises(_Crash):
        await _fetcher(mail_server, store, on_stored=crash).run_once()
    stored_before = len(store.digests())
    assert 0 < stored_before <= 12
    assert len(await asyncio.to_thread(folder_digests, mail_server, "INBOX")) == 12

    seen: list[int] = []
    counts = await _fetcher(mail_server, store, on_stored=lambda ids: seen.extend(ids)).run_once()
    assert counts.completed_on_server >= stored_before
    assert counts.duplicates == 0
    assert len(seen) == 12 - stored_before
    assert sorted(store.digests()) == sorted(sha256(m) for m in mails)
    assert await asyncio.to_thread(folder_digests, mail_server, "INBOX") == []


async def test_a_second_poller_is_kept_out_by_the_lease(
    pymap_server: PymapServer, store: Store
) -> None:
    server = on_pymap(pymap_server)
    first = _fetcher(server, store)
    other = MailFetcher(
        server.settings(),
        committee_id=store.committee_id,
        sessions=store.sessions,
        clock=FixedClock(datetime(2021, 1, 13, tzinfo=UTC)),
        connect=connector(server.settings(), server.endpoint.password),
        options=FetchOptions(holder="other", lease_ttl=timedelta(seconds=60)),
    )
    stop = asyncio.Event()
    running = asyncio.create_task(first.run_forever(stop))
    await asyncio.sleep(1.0)
    with pytest.raises(LeaseHeld):
        await other.run_once()
    stop.set()
    await asyncio.wait_for(running, 10)
    assert (await other.run_once()).fetched == 0  # released on stop


async def test_a_mail_the_server_cannot_send_is_passed_over_and_reported(
    dovecot_server: DovecotServer, store: Store
) -> None:
    server = on_dovecot(dovecot_server)
    mails = mixed_mails(6, seed=11)
    await asyncio.to_thread(append_all, server, mails)
    dovecot_server.make_unreadable([mails[2]])
    seen: list[FetchCounts] = []
    fetcher = _fetcher(server, store, on_cycle=seen.append)
    stop = asyncio.Event()
    running = asyncio.create_task(fetcher.run_forever(stop))

    def passed_over() -> bool:
        with store.sessions() as s:
            return (
                s.scalar(select(Event).where(Event.kind == "mailbox.unreadable_mail")) is not None
            )

    await _until(lambda: passed_over() and len(store.digests()) == 5, timeout=60)
    stop.set()
    await asyncio.wait_for(running, 20)

    assert sorted(store.digests()) == sorted(sha256(m) for i, m in enumerate(mails) if i != 2)
    with store.sessions() as s:
        event = s.scalars(select(Event).where(Event.kind == "mailbox.unreadable_mail")).one()
    assert (event.detail["uid"], event.detail["mailbox"]) == (3, "INBOX")
    assert [uid for c in seen for uid in c.unreadable] == [3]
    # It stays where it was, for staff; the others went on as usual.
    probe = server.probe()
    try:
        assert probe.uids("INBOX") == [3]
        assert len(probe.uids(PROCESSED)) == 5
    finally:
        probe.close()


async def test_a_server_that_can_send_nothing_stalls_intake_instead_of_skipping(
    dovecot_server: DovecotServer, store: Store
) -> None:
    server = on_dovecot(dovecot_server)
    mails = mixed_mails(3, seed=12)
    await asyncio.to_thread(append_all, server, mails)
    dovecot_server.make_unreadable(mails)
    fetcher = _fetcher(server, store)
    stop = asyncio.Event()
    running = asyncio.create_task(fetcher.run_forever(stop))
    # Long enough to corner the first mail and try it alone UNREADABLE_AFTER times.
    await _until(lambda: fetcher.reconnects >= 8, timeout=60)
    stop.set()
    await asyncio.wait_for(running, 20)

    assert store.digests() == []
    with store.sessions() as s:
        assert s.scalars(select(Event).where(Event.kind == "mailbox.unreadable_mail")).all() == []
        assert get_mailbox_state(s, store.committee_id, "INBOX").last_uid == 0


async def test_default_folder_names_follow_the_servers_separator(
    mail_server: MailServer, store: Store
) -> None:
    # "mailflow/processed" is refused as such by a stock Dovecot, whose separator is ".".
    mails = mixed_mails(3, seed=12)
    await asyncio.to_thread(append_all, mail_server, mails)
    settings = mail_server.settings(processed_folder="mailflow/processed")
    counts = await _fetcher(mail_server, store, settings).run_once()
    assert (counts.inserted, counts.alerts) == (3, ())
    probe = mail_server.probe()
    try:
        names = probe.mailboxes()
    finally:
        probe.close()
    [folder] = [n for n in names if n.endswith("processed")]
    assert folder in ("mailflow.processed", "mailflow/processed"), names
    if mail_server.kind == "dovecot":
        assert folder == "mailflow.processed"
    assert await asyncio.to_thread(folder_digests, mail_server, folder) == sorted(
        sha256(m) for m in mails
    )
    assert await asyncio.to_thread(folder_digests, mail_server, "INBOX") == []


@pytest.mark.dovecot
async def test_a_folder_the_server_refuses_is_alerted_once_and_mail_stays_flagged(
    dovecot_server: DovecotServer, store: Store
) -> None:
    server = on_dovecot(dovecot_server)
    await asyncio.to_thread(append_all, server, mixed_mails(2, seed=13))
    settings = server.settings(processed_folder="x" * 300)  # longer than a file name may be
    fetcher = _fetcher(server, store, settings)
    counts = await fetcher.run_once()
    assert counts.inserted == 2
    [alert] = [a.text for a in counts.alerts]
    assert "を作成できませんでした（設定 imap.processed_folder）" in alert
    assert "。メールサーバーの応答：NO " in alert  # the server's own words, labelled
    probe = server.probe()
    try:
        uids = probe.uids("INBOX")
        assert len(uids) == 2
        assert all(PROCESSED_KEYWORD in probe.flags(uid) for uid in uids)
    finally:
        probe.close()
    # The next pass tries again, quietly: staff have been told.
    await asyncio.to_thread(append_all, server, mixed_mails(1, seed=14))
    again = await fetcher.run_once()
    assert (again.inserted, again.alerts) == (1, ())


async def test_without_a_lease_mail_arriving_during_a_sync_is_not_left_for_idle(
    dovecot_server: DovecotServer, store: Store
) -> None:
    # Under `mailflow worker` there is no lease to renew, so IDLE may last 29 minutes;
    # a mail that arrives while the first one is being stored is announced in the
    # replies to the sync's own commands, not in IDLE, and must not wait for it.
    server = on_dovecot(dovecot_server)
    first, second = mixed_mails(2)

    def arrive_meanwhile(ids: tuple[int, ...]) -> None:
        if len(store.digests()) == 1:
            append_all(server, [second])

    settings = server.settings()
    fetcher = MailFetcher(
        settings,
        committee_id=store.committee_id,
        sessions=store.sessions,
        clock=FixedClock(datetime(2021, 1, 13, tzinfo=UTC)),
        connect=connector(settings, server.endpoint.password),
        on_stored=arrive_meanwhile,
        options=FetchOptions(holder="test", lease=False),
    )
    await asyncio.to_thread(append_all, server, [first])
    stop = asyncio.Event()
    running = asyncio.create_task(fetcher.run_forever(stop))
    try:
        await _until(lambda: len(store.digests()) == 2, timeout=15)
    finally:
        stop.set()
        await asyncio.wait_for(running, 20)
    assert sorted(store.digests()) == sorted(sha256(m) for m in (first, second))
