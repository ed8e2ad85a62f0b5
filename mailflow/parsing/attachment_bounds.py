"""Caps on what an attachment may hold, checked before any reader (openpyxl, …) parses it.

A zip-based file (.xlsx, later .docx) is a small download that may unpack to gigabytes:
the central directory says how much each member unpacks to, and the standard library's
zipfile stops reading a member at that size (a member that lies fails its CRC check), so
checking the directory bounds what any reader built on zipfile can be made to hold.
"""

from __future__ import annotations

import enum
import io
import zipfile
from dataclasses import dataclass


class Refusal(enum.StrEnum):
    """Why an attachment was not read; the receipt words each one."""

    TOO_LARGE = "too_large"  # the file itself
    UNPACKS_TOO_LARGE = "unpacks_too_large"  # what its members unpack to
    COMPRESSED_TOO_FAR = "compressed_too_far"  # a zip bomb's compression ratio
    TOO_MANY_PARTS = "too_many_parts"
    NOT_READABLE = "not_readable"
    NO_TEXT = "no_text"  # a document with no text in it: a scanned image
    TOO_MANY_ROWS = "too_many_rows"
    CELL_TOO_LONG = "cell_too_long"


class AttachmentRefused(ValueError):
    """An attachment over a cap, or unreadable: ``reason`` for the receipt, ``detail`` for staff."""

    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ZipBounds:
    """What a zip-based attachment may be. The defaults fit an answer sheet of a few
    hundred items with long answers (a few MB unpacked) many times over."""

    max_file_bytes: int = 5_000_000
    max_members: int = 500
    max_unpacked_bytes: int = 32 * 1024 * 1024
    max_ratio: int = 100  # unpacked ÷ packed, for members large enough to matter
    ratio_floor_bytes: int = 1024 * 1024  # smaller members may compress as far as they like


@dataclass(frozen=True)
class TextBounds:
    """What a reader of an attachment's text takes at most."""

    max_rows: int = 1_000
    max_columns: int = 64
    max_cell_chars: int = 10_000


ZIP_BOUNDS = ZipBounds()
TEXT_BOUNDS = TextBounds()


def check_zip_bounds(data: bytes, bounds: ZipBounds = ZIP_BOUNDS) -> None:
    """Raise AttachmentRefused unless ``data`` is a zip within ``bounds``.

    Reads the central directory only (no member is unpacked), so it is quick and its
    memory is bounded by the file's own size.
    """
    if len(data) > bounds.max_file_bytes:
        raise AttachmentRefused(
            Refusal.TOO_LARGE, f"{len(data):,} bytes, over the {bounds.max_file_bytes:,} allowed"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise AttachmentRefused(Refusal.NOT_READABLE, f"not a zip file: {exc}") from None
    if len(members) > bounds.max_members:
        raise AttachmentRefused(
            Refusal.TOO_MANY_PARTS, f"{len(members):,} parts, over the {bounds.max_members:,}"
        )
    total = sum(m.file_size for m in members)
    if total > bounds.max_unpacked_bytes:
        raise AttachmentRefused(
            Refusal.UNPACKS_TOO_LARGE,
            f"unpacks to {total:,} bytes, over the {bounds.max_unpacked_bytes:,} allowed",
        )
    for m in members:
        if m.file_size > bounds.ratio_floor_bytes and (
            m.file_size > bounds.max_ratio * max(m.compress_size, 1)
        ):
            raise AttachmentRefused(
                Refusal.COMPRESSED_TOO_FAR,
                f"{m.filename} unpacks {m.file_size // max(m.compress_size, 1):,} times its "
                f"packed size, over the {bounds.max_ratio} allowed",
            )
