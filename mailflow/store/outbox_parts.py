"""Outbox bytes shared by many mails, stored once by digest; every outbox mail read whole.

A mail's bytes are its row's own (`Outbox.raw`) followed, when the row names one, by a
part's (`outbox_part`, its bytes in `outbox_part_chunk` pieces of at most `CHUNK`
octets). `mail_bytes` is the only reader of an outbox mail's bytes: the sender, staff's
`outbox show` and the console's previews, the export and the receipt an echo answers.

A part is written once: `put` looks its digest up and writes it only when it is not
there. Two processes may write the same part at once; the digest's unique index lets
one win, and the other, in a savepoint, rolls its own insert back and takes the
winner's row (on PostgreSQL its insert waits for the winner's commit, then fails; on
SQLite a unit of work holds the write lock from its start, so it finds the part).
Parts are never changed, and a row's part is never deleted while a row names it (the
foreign key); `prune` deletes those no row names.

A part too long to hold is written as it is encoded (`PartWriter`): its digest is known
only at the end, so its row is inserted under a provisional name, its chunks follow as
they fill, and at the end it takes its digest's name, or, when that part is stored
already (or another process stores it first: the same unique index, in a savepoint),
its rows are deleted and the stored one is taken.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailflow.outbound.model import SharedTail
from mailflow.store.models import Outbox, OutboxPart, OutboxPartChunk

CHUNK = 1 << 20  # octets per chunk row: no one value as large as a whole body


def put(session: Session, tail: SharedTail) -> int:
    """The id of the part holding ``tail``'s bytes: the stored one, else written now."""
    found = _find(session, tail.sha256)
    if found is not None:
        return found
    if tail.data is None:
        raise LookupError(f"the part {tail.sha256} was to be stored as it was encoded")
    try:
        with session.begin_nested():
            part = OutboxPart(sha256=tail.sha256, size=len(tail.data))
            session.add(part)
            session.flush()
            write_chunks(session, part.id, tail.data)
    except IntegrityError:
        # Another process stored the same bytes first: theirs are these.
        found = _find(session, tail.sha256)
        if found is None:
            raise
        return found
    return part.id


class PartWriter:
    """A part written as its bytes come, in chunks of ``chunk`` octets: never held whole.

    `close` gives the stored part's tail (no bytes, its digest and size) and its id;
    `discard` deletes what was written. Either must end it, in the same transaction.
    """

    def __init__(self, session: Session, chunk: int = CHUNK) -> None:
        self._session, self._chunk = session, chunk
        self._digest = hashlib.sha256()
        self._size = self._seq = 0
        self._held = bytearray()
        # Not a hex digest, so never a stored part's name; unique, so writers never meet.
        provisional = f"writing:{uuid.uuid4().hex}"
        self.id: int = session.execute(
            insert(OutboxPart).values(sha256=provisional, size=0).returning(OutboxPart.id)
        ).scalar_one()

    def write(self, data: bytes) -> None:
        self._digest.update(data)
        self._size += len(data)
        self._held += data
        while len(self._held) >= self._chunk:
            self._flush(self._chunk)

    def _flush(self, octets: int) -> None:
        row = {"part_id": self.id, "seq": self._seq, "data": bytes(self._held[:octets])}
        self._session.execute(insert(OutboxPartChunk), [row])
        del self._held[:octets]
        self._seq += 1

    def close(self) -> tuple[int, SharedTail]:
        """The part's id and tail: this one named by its digest, or the one stored before."""
        if self._held:
            self._flush(len(self._held))
        tail = SharedTail(None, self._digest.hexdigest(), self._size)
        found = _find(self._session, tail.sha256)
        if found is None:
            try:
                with self._session.begin_nested():
                    self._session.execute(
                        update(OutboxPart)
                        .where(OutboxPart.id == self.id)
                        .values(sha256=tail.sha256, size=tail.size)
                    )
                return self.id, tail
            except IntegrityError:
                # Another process stored the same bytes first: theirs are these.
                found = _find(self._session, tail.sha256)
                if found is None:
                    raise
        self.discard()
        return found, tail

    def discard(self) -> None:
        self._session.execute(delete(OutboxPartChunk).where(OutboxPartChunk.part_id == self.id))
        self._session.execute(delete(OutboxPart).where(OutboxPart.id == self.id))


def write_chunks(session: Session, part_id: int, data: bytes) -> None:
    """The part's bytes as rows of at most `CHUNK` octets, in order."""
    view = memoryview(data)
    rows = [
        {"part_id": part_id, "seq": seq, "data": bytes(view[start : start + CHUNK])}
        for seq, start in enumerate(range(0, len(data), CHUNK))
    ]
    if rows:
        session.execute(insert(OutboxPartChunk), rows)


def _find(session: Session, sha256: str) -> int | None:
    return session.scalar(select(OutboxPart.id).where(OutboxPart.sha256 == sha256))


def mail_bytes(session: Session, rows: Iterable[tuple[bytes, int | None]]) -> list[bytes]:
    """Each mail's bytes from its row's (``raw``, ``part_id``): the row's own bytes and
    its part's after them; a part several of them name is read once."""
    rows = list(rows)
    wanted = sorted({part_id for _, part_id in rows if part_id is not None})
    parts: dict[int, list[bytes]] = {part_id: [] for part_id in wanted}
    if wanted:
        for part_id, data in session.execute(
            select(OutboxPartChunk.part_id, OutboxPartChunk.data)
            .where(OutboxPartChunk.part_id.in_(wanted))
            .order_by(OutboxPartChunk.part_id, OutboxPartChunk.seq)
        ):
            parts[part_id].append(data)
    joined = {part_id: b"".join(chunks) for part_id, chunks in parts.items()}
    return [raw if part_id is None else raw + joined[part_id] for raw, part_id in rows]


def prune(session: Session) -> int:
    """Delete the parts no outbox row names (their chunks go with them); how many."""
    unused = select(OutboxPart.id).where(~exists().where(Outbox.part_id == OutboxPart.id))
    ids = list(session.scalars(unused))
    if ids:
        session.execute(delete(OutboxPartChunk).where(OutboxPartChunk.part_id.in_(ids)))
        session.execute(delete(OutboxPart).where(OutboxPart.id.in_(ids)))
    return len(ids)
