"""One text for a group of recipients, rendered once; its long shared tail stored as written.

The text is rendered with a mark in place of the recipient's name (`mailing.RoundMail`).
What follows the last mark is the same for every recipient, so its base64 lines are the
same at each offset in base64's grid (`outbound.compose.SharedBody`). A distribution of
thousands of items has a tail of megabytes: here it goes from the template's pieces
through the canonical octets and the base64 lines straight into the outbox's part rows
(`store.outbox_parts.PartWriter`), one writer per offset the group's names need, so
neither the text nor its encoding is ever held whole. The bytes are those of the text
rendered whole and composed (`compose_parts` with a `StreamedBody`).

A text is taken as long only when more than `HOLD` characters follow a mark; shorter
ones come back whole, and so does a text with a mark after that point (the tail would
not be shared): it is rendered again, whole, and what was written is deleted.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Protocol

from mailflow.outbound.compose import Base64Lines, CanonicalOctets, StreamedBody, tail_offset
from mailflow.store.outbox_parts import CHUNK, PartWriter

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

HOLD = 64 * 1024  # characters after a mark held before they are taken as the shared tail
_BATCH = 16 * 1024  # characters of the template's many small pieces encoded at a time
_START = 57  # the tail's first octets kept: a head's last base64 line takes up to 56
_FILE_BLOCK = 57 * 1024  # octets of a file read at a time: whole base64 lines


@dataclass(frozen=True)
class Whole:
    """A text short enough to hold (or with a name near its end): as `render_mail`'s."""

    subject: str
    text: str


@dataclass(frozen=True)
class Streamed:
    """A text whose tail is stored: the subject and the head (up to and with the last
    mark), each with the mark to be replaced by the name, and the stored tail."""

    subject: str
    head: str
    body: StreamedBody


class _LateMark(Exception):
    """A mark came after the tail was begun."""


class TextStream(Protocol):
    """A text in pieces and its subject, known once they are read (`RenderStream`)."""

    def __iter__(self) -> Iterator[str]: ...

    @property
    def subject(self) -> str: ...


def render_group(
    session: Session, stream: TextStream, mark: str, names: Iterable[str],
    chunk: int = CHUNK, hold: int = HOLD,
) -> Whole | Streamed | None:  # fmt: skip
    """The text of ``stream``, its tail stored for the offsets that ``names`` put it at
    when more than ``hold`` characters follow the last mark (``chunk``: octets per chunk
    row); None when a mark follows the tail's start."""
    batches = _batches(stream)
    head: list[str] = []
    held: list[str] = []  # what followed the last mark so far
    held_len, marked = 0, False
    for batch in batches:
        if mark in batch:
            before, after = batch.rsplit(mark, 1)
            head += [*held, before, mark]
            held, held_len, marked = [after], len(after), True
        else:
            held.append(batch)
            held_len += len(batch)
        if marked and held_len >= hold:
            break
    else:
        return Whole(stream.subject, "".join(head + held))
    generic = "".join(head)
    offsets = sorted({tail_offset(generic.replace(mark, name)) for name in names})
    try:
        body = _store_tail(session, itertools.chain(held, batches), mark, offsets, chunk)
    except _LateMark:
        return None
    return Streamed(stream.subject, generic, body)


def _store_tail(
    session: Session, batches: Iterable[str], mark: str, offsets: list[int], chunk: int
) -> StreamedBody:
    canonical = CanonicalOctets()
    writers = [(offset, Base64Lines(offset), PartWriter(session, chunk)) for offset in offsets]
    start = bytearray()

    def push(octets: bytes) -> None:
        if len(start) < _START:
            start.extend(octets[: _START - len(start)])
        for _, lines, writer in writers:
            writer.write(lines.feed(octets))

    try:
        for batch in batches:
            if mark in batch:
                raise _LateMark
            push(canonical.feed(batch))
    except _LateMark:
        for _, _, writer in writers:
            writer.discard()
        raise
    push(canonical.finish())
    tails = {}
    for offset, lines, writer in writers:
        writer.write(lines.finish())
        tails[offset] = writer.close()[1]
    return StreamedBody(bytes(start), tails)


def store_body(writer: PartWriter, pieces: Iterable[str]) -> None:
    """A whole text's body as `compose` writes it (its base64 lines, each with its CRLF;
    the CRLF alone for no text), from its pieces into ``writer`` as they come."""
    _store_lines(writer, _canonical(pieces))


def store_file(writer: PartWriter, data: IO[bytes]) -> None:
    """A file's bytes as `compose` writes an attachment's data (`store_body`'s lines)."""
    _store_lines(writer, iter(lambda: data.read(_FILE_BLOCK), b""))


def _canonical(pieces: Iterable[str]) -> Iterator[bytes]:
    """The canonical octets of a text's pieces (CRLF line breaks, UTF-8), a run at a time."""
    canonical = CanonicalOctets()
    for batch in _batches(pieces):
        yield canonical.feed(batch)
    yield canonical.finish()


def _store_lines(writer: PartWriter, blocks: Iterable[bytes]) -> None:
    """The base64 lines of ``blocks`` into ``writer``; the CRLF alone when there are none."""
    lines = Base64Lines()
    wrote = False
    for block in blocks:
        out = lines.feed(block)
        wrote = wrote or bool(out)
        writer.write(out)
    out = lines.finish()
    writer.write(out if wrote or out else b"\r\n")


def _batches(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces joined into runs of about `_BATCH` characters."""
    run: list[str] = []
    size = 0
    for piece in pieces:
        run.append(piece)
        size += len(piece)
        if size >= _BATCH:
            yield "".join(run)
            run, size = [], 0
    if run:
        yield "".join(run)
