"""The round file's documents: read only from the round file's own folder, safely.

A round file names documents that are attached to the call for questions and so mailed
to every member. Whoever writes the round file must not be able to mail out other files
of the machine: ``/proc/self/environ`` carries the process's secrets, ``../../etc/…`` or a
link may lead anywhere, and ``/dev/zero`` never ends. So a document is a regular file in
the round file's folder (or below it), named by a relative path without ``..``, whose
real path (links followed) stays in that folder, and whose size is checked on the opened
file before a byte is read.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from pathlib import Path

from mailflow.errors import InputError

DOCUMENT_MAX_BYTES = 15 * 1024 * 1024  # one attachment; submission servers refuse far less


class _Refused(Exception):
    """One document that may not be read, with the words for staff."""


def _open_inside(folder: Path, doc: Path) -> int:
    """A descriptor of ``doc`` opened read-only, if it is a regular file inside ``folder``."""
    if doc.is_absolute():
        raise _Refused(f"{doc} is an absolute path; name a file in the round file's folder")
    if ".." in doc.parts:
        raise _Refused(f"{doc}: '..' leaves the round file's folder")
    try:
        real = (folder / doc).resolve(strict=True)
    except OSError as exc:
        raise _Refused(f"cannot read {doc} ({exc.strerror or exc})") from None
    if not real.is_relative_to(folder):
        raise _Refused(f"{doc} leads outside the round file's folder (a link)")
    try:
        # O_NOFOLLOW: the path was resolved, a link swapped in since is refused; O_NONBLOCK:
        # opening a FIFO does not wait for a writer (it is then refused as not a file).
        return os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise _Refused(f"cannot read {doc} ({exc.strerror or exc})") from None


def _read(fd: int, doc: Path, limit: int) -> bytes:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise _Refused(f"{doc} is not a regular file")
    if info.st_size > limit:
        raise _Refused(f"{doc} is over {limit // (1024 * 1024)} MB; send a link instead")
    chunks: list[bytes] = []
    size = 0
    while chunk := os.read(fd, min(1 << 20, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:  # grew since it was measured
            raise _Refused(f"{doc} is over {limit // (1024 * 1024)} MB; send a link instead")
    return b"".join(chunks)


def read_documents(
    documents: list[Path], source: Path | str, limit: int = DOCUMENT_MAX_BYTES
) -> list[tuple[str, str, bytes]]:
    """(file name, MIME type, bytes) of each document, or InputError naming each bad one
    by its key (``documents[2]: …``)."""
    folder = Path(source).parent.resolve()
    out: list[tuple[str, str, bytes]] = []
    errs: list[str] = []
    for i, doc in enumerate(documents):
        try:
            fd = _open_inside(folder, doc)
            try:
                data = _read(fd, doc, limit)
            finally:
                os.close(fd)
        except _Refused as why:
            errs.append(f"{source}: documents[{i}]: {why}")
            continue
        kind = mimetypes.guess_type(doc.name)[0] or "application/octet-stream"
        out.append((doc.name, kind, data))
    names = [name for name, _, _ in out]
    errs += [
        f"{source}: documents: two files named {n}"
        for n in sorted({n for n in names if names.count(n) > 1})
    ]
    if errs:
        raise InputError(errs)
    return out
