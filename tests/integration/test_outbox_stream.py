"""A long text for many recipients streamed into the outbox: the bytes of every mail those
of its whole text composed, for names of several lengths; the shared tail written in
chunks as it is rendered, never held whole; one part per digest, on SQLite and
PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mailflow.domain import ItemId, Phase
from mailflow.outbound import views as v
from mailflow.outbound.compose import SharedBody
from mailflow.outbound.render import render_mail
from mailflow.routing import PartyKind, PartyRef
from mailflow.services import mail_stream
from mailflow.services.context import Services
from mailflow.services.mailing import RoundMail
from mailflow.store import db
from mailflow.store import outbox as repo
from mailflow.store import outbox_parts as parts
from mailflow.store.models import Outbox, OutboxPart, OutboxPartChunk, Round
from tests.integration.test_outbox_distribution import NAMES, round_in_answering

NOW = datetime(2025, 6, 28, 1, tzinfo=UTC)
MARK = "\ue000"


def queued(services: Services, *, stream_from: int, expected: int) -> tuple[list[bytes], int, int]:
    """Each member's distribution as queued (bytes), with the parts and chunk rows
    written; rolled back after, so the next call queues the same mails anew."""
    with services.sessions() as s:
        r = RoundMail(services, s, s.scalars(select(Round)).one())
        r.stream_from, r.part_chunk = stream_from, 4096
        ids = [ItemId.parse(i.public_id) for i in r.items.items if i.public_id]
        grouped = r.items.by_consultation(ids, upto=None)
        keys = sorted(r.members)
        # Only some names foretold: the others' offsets cost the text rendered again.
        r.expect(r.members[k].name for k in keys[:expected])
        for key in keys:
            r.to_member(key, "R7-2:dist", "distribution", lambda to: v.Distribution(
                to, r.committee, r.info, grouped, True, False, True, ()), NOW, True)  # fmt: skip
        rows = s.scalars(select(Outbox).where(Outbox.kind == "distribution").order_by(Outbox.id))
        stored = [repo.raw_bytes(s, row.id) for row in rows]
        n_parts = s.scalar(select(func.count()).select_from(OutboxPart)) or 0
        n_chunks = s.scalar(select(func.count()).select_from(OutboxPartChunk)) or 0
        s.rollback()
    return stored, n_parts, n_chunks


def test_a_streamed_distribution_is_byte_for_byte_its_whole_text_composed(
    any_db_url: str, tmp_path: Path
) -> None:
    services = round_in_answering(tmp_path, any_db_url, 25)
    whole, whole_parts, _ = queued(services, stream_from=10**9, expected=0)
    streamed, streamed_parts, chunks = queued(services, stream_from=4096, expected=2)
    assert len(whole) == len(NAMES) and whole_parts >= 2  # names of several offsets
    assert streamed == whole
    assert streamed_parts == whole_parts  # one part per offset, none left behind
    assert chunks >= 3 * streamed_parts  # 4 KiB chunks of a tail of over 40 KB
    services.engine.dispose()


class Pieces:
    """A long text after a greeting, in pieces; at each piece, how many chunk rows the
    session holds: the part is written as the text comes."""

    def __init__(self, session: Session, lines: int) -> None:
        self.session, self.lines, self.seen = session, lines, [0]
        self.text = f"{MARK}様\n\n" + "".join(self.line(n) for n in range(lines))

    @staticmethod
    def line(n: int) -> str:
        return f"[Q101-{n:04d}] 委託先の再委託について伺う。\r\n回答：準備中\n"

    def __iter__(self) -> Iterator[str]:
        yield f"{MARK}様\n\n"
        for n in range(self.lines):
            yield self.line(n)
            self.seen.append(self.chunks())

    def chunks(self) -> int:
        return self.session.scalar(select(func.count()).select_from(OutboxPartChunk)) or 0

    @property
    def subject(self) -> str:
        return f"[R7-2] {MARK}様へ"


def test_a_tail_is_written_in_chunks_as_it_is_rendered(engine: Engine) -> None:
    db.upgrade(engine)
    names = ["林優", "青木和子", "石田直樹子"]
    with Session(engine) as s, s.begin():
        text = Pieces(s, 3000)  # about 120,000 characters, 250 KB encoded
        done = mail_stream.render_group(s, text, MARK, names, chunk=1000, hold=2000)
        assert isinstance(done, mail_stream.Streamed)
        assert done.subject == text.subject and done.head == f"{MARK}"
        # Rows came as the text did: halfway through, a third of them were written; by
        # its last piece, all but those of the last run of pieces encoded together.
        total = text.chunks()
        assert text.seen[len(text.seen) // 2] > total // 3
        assert text.seen[-1] > total * 3 // 4
        whole = SharedBody(text.text.rsplit(MARK, 1)[-1])
        for name in names:
            mail_text = text.text.replace(MARK, name)
            first, tail = whole.split(mail_text)
            own, stored = done.body.split(name)
            assert tail is not None and tail.data is not None and (own, stored.sha256) == (
                first, tail.sha256,
            )  # fmt: skip
            part_id = s.scalar(select(OutboxPart.id).where(OutboxPart.sha256 == tail.sha256))
            assert part_id is not None
            assert parts.mail_bytes(s, [(b"", part_id)]) == [tail.data]
        assert s.scalar(select(func.count()).select_from(OutboxPart)) == len(done.body.tails)


def test_a_name_after_the_tail_begun_leaves_nothing_and_the_text_whole(engine: Engine) -> None:
    db.upgrade(engine)

    class Late(Pieces):
        def __iter__(self) -> Iterator[str]:
            yield from super().__iter__()
            yield f"{MARK}様、以上\n"

    with Session(engine) as s, s.begin():
        assert mail_stream.render_group(s, Late(s, 500), MARK, ["林優"], 1000, 2000) is None
        assert s.scalar(select(func.count()).select_from(OutboxPart)) == 0
        assert s.scalar(select(func.count()).select_from(OutboxPartChunk)) == 0
        short = mail_stream.render_group(s, Pieces(s, 3), MARK, ["林優"], 1000, 2000)
        assert short == mail_stream.Whole(f"[R7-2] {MARK}様へ", Pieces(s, 3).text)


def write(s: Session, data: bytes, chunk: int = 1000) -> tuple[int, str]:
    writer = parts.PartWriter(s, chunk)
    for start in range(0, len(data), 777):
        writer.write(data[start : start + 777])
    part_id, tail = writer.close()
    return part_id, tail.sha256


def test_a_part_written_again_is_the_stored_one(engine: Engine) -> None:
    db.upgrade(engine)
    data = bytes(range(256)) * 40
    with Session(engine) as s, s.begin():
        first = write(s, data)
        again = write(s, data)
        assert again == first
        assert s.scalar(select(func.count()).select_from(OutboxPart)) == 1
        assert s.scalar(select(func.count()).select_from(OutboxPartChunk)) == 11
        assert parts.mail_bytes(s, [(b"x", first[0])]) == [b"x" + data]


def test_two_writers_of_one_part_agree_on_the_first_to_commit(postgres_schema_url: str) -> None:
    """PostgreSQL: A has written and named the part, not committed; B writes the same
    bytes, waits on the digest's unique index when it names its own, and once A commits
    deletes its rows and takes A's."""
    engine = db.make_engine(postgres_schema_url)
    try:
        db.upgrade(engine)
        data = b"shared tail\r\n" * 500
        a, b = Session(engine), Session(engine)
        a.begin()
        mine = write(a, data)
        got: list[tuple[int, str]] = []
        later = threading.Thread(target=lambda: got.append(write(b, data)))
        later.start()
        time.sleep(0.5)
        assert later.is_alive()  # B waits on the digest A holds
        a.commit()
        later.join(10)
        b.commit()
        assert got == [mine]
        with Session(engine) as s:
            assert s.scalar(select(func.count()).select_from(OutboxPart)) == 1
            assert parts.mail_bytes(s, [(b"", mine[0])]) == [data]
        a.close()
        b.close()
    finally:
        engine.dispose()


def test_sections_built_as_read_render_as_the_whole_views(tmp_path: Path) -> None:
    """The distribution's sections, built one at a time as the template reads them, give
    the text of the same views built whole; its pending note as the views say."""
    services = round_in_answering(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", 25)
    conf = services.config.committee
    with services.sessions() as s:
        r = RoundMail(services, s, s.scalars(select(Round)).one())
        ids = [ItemId.parse(i.public_id) for i in r.items.items if i.public_id]
        # Every item's kind and state are one string each, not one per item.
        assert len({id(i.kind) for i in r.items.items}) == 1
        assert len({id(i.state) for i in r.items.items}) == 1
        lazy = r.items.by_consultation(ids[: len(ids) // 2], upto=NOW)
        whole = tuple(lazy)
        assert lazy[0] == whole[0] and lazy[0] is not lazy[0]  # built anew on each read
        assert lazy.pending == any(a.pending for c in whole for i in c.items for a in i.answers)
        to = v.Recipient("林優")
        views = [
            v.Distribution(to, r.committee, r.info, sections, lazy.pending, False, True, ())
            for sections in (lazy, whole)
        ]
        assert len({render_mail(view, conf.language, conf.tz) for view in views}) == 1
    services.engine.dispose()


def receipts(services: Services, *, alone: bool, stream_from: int) -> list[bytes]:
    """A receipt naming every item of the round to each member, as queued (bytes);
    rolled back after."""
    with services.sessions() as s:
        r = RoundMail(services, s, s.scalars(select(Round)).one())
        r.stream_from, r.part_chunk = stream_from, 4096
        ids = [i.public_id for i in r.items.items if i.public_id]
        items = r.items.selected(ids, upto=None)
        due = r.info.deadlines[Phase.QUESTIONS]
        for key in sorted(r.members):
            m = r.members[key]
            view = v.Receipt(
                v.Recipient(m.name), r.committee, r.info, r.consultations, items, False,
                False, 0, due, Phase.QUESTIONS, items[:1], (), (), ("資料.pdf",), (),
            )  # fmt: skip
            r.queue(
                kind="receipt", key=f"receipt:{key}", party=PartyRef(PartyKind.MEMBER, str(m.id)),
                name=m.name, addresses=list(m.addresses), view=view, now=NOW, approved=True,
                in_reply_to="reply.1@client.example.jp", alone=alone,
            )  # fmt: skip
        rows = s.scalars(select(Outbox).where(Outbox.kind == "receipt").order_by(Outbox.id))
        stored = [repo.raw_bytes(s, row.id) for row in rows]
        s.rollback()
    return stored


def test_a_receipt_composed_alone_is_the_bytes_of_the_group_path(
    any_db_url: str, tmp_path: Path
) -> None:
    """A receipt is one member's own mail: rendered with the name and composed whole, it
    is byte for byte what rendering it for a group (the name put into a shared text, a
    long tail stored apart) gives."""
    services = round_in_answering(tmp_path, any_db_url, 25)
    alone = receipts(services, alone=True, stream_from=mail_stream.HOLD)
    assert len(alone) == len(NAMES)
    assert alone == receipts(services, alone=False, stream_from=mail_stream.HOLD)
    assert alone == receipts(services, alone=False, stream_from=4096)
    services.engine.dispose()
