"""The text of a member's attached document (.docx, .pdf), when the mail itself says only
「添付ファイルのとおり提出します」: read as the reply, within caps.

Word files are zip packages: their directory is checked against the same caps as an
answer sheet before python-docx opens them (:mod:`mailflow.parsing.attachment_bounds`).
PDFs are read page by page with pypdf, at most a few dozen pages and a few hundred
thousand characters. Anything over a cap or not readable is refused with the reason,
and staff handle that reply by hand.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from mailflow.parsing.attachment_bounds import (
    AttachmentRefused,
    Refusal,
    ZipBounds,
    check_zip_bounds,
)
from mailflow.parsing.model import Attachment

_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_PDF = "application/pdf"
_MAX_PDF_BYTES = 10_000_000
_MAX_PDF_PAGES = 40
_MAX_CHARS = 200_000
_DOC_BOUNDS = ZipBounds(max_file_bytes=10_000_000)


@dataclass(frozen=True)
class DocumentText:
    """What was read from one attachment: its text, or why it was not read."""

    filename: str
    text: str | None
    refusal: Refusal | None = None
    detail: str = ""


def _docx(data: bytes) -> str:
    check_zip_bounds(data, _DOC_BOUNDS)
    import docx  # python-docx: imported here, only for a mail that carries a document

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # a damaged package: python-docx raises many kinds
        raise AttachmentRefused(Refusal.NOT_READABLE, f"not a Word document: {exc}") from None
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("\u3000".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def _pdf(data: bytes) -> str:
    if len(data) > _MAX_PDF_BYTES:
        raise AttachmentRefused(Refusal.TOO_LARGE, f"{len(data)} bytes")
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        pages = reader.pages
        if len(pages) > _MAX_PDF_PAGES:
            raise AttachmentRefused(Refusal.TOO_MANY_PARTS, f"{len(pages)} pages")
        texts: list[str] = []
        total = 0
        for page in pages:
            text = page.extract_text() or ""
            total += len(text)
            if total > _MAX_CHARS:
                raise AttachmentRefused(Refusal.UNPACKS_TOO_LARGE, f"over {_MAX_CHARS} chars")
            texts.append(text)
    except AttachmentRefused:
        raise
    except Exception as exc:  # pypdf raises many kinds for a damaged or encrypted file
        raise AttachmentRefused(Refusal.NOT_READABLE, f"not a readable PDF: {exc}") from None
    return "\n".join(texts)


_READERS: dict[str, Callable[[bytes], str]] = {".docx": _docx, ".pdf": _pdf}
_TYPES = {_DOCX: ".docx", _PDF: ".pdf"}


def document_kind(attachment: Attachment) -> str | None:
    """ ".docx" or ".pdf" for a document a member may send as the reply, else None."""
    name = (attachment.filename or "").lower()
    for suffix in _READERS:
        if name.endswith(suffix):
            return suffix
    return _TYPES.get(attachment.content_type)


def read_document(attachment: Attachment) -> DocumentText:
    """The text of one attached document, or the reason it was not read."""
    kind = document_kind(attachment)
    name = attachment.filename or "(no name)"
    if kind is None:
        return DocumentText(name, None, Refusal.NOT_READABLE, "not a document type")
    try:
        text = _READERS[kind](attachment.data)
    except AttachmentRefused as refused:
        return DocumentText(name, None, refused.reason, refused.detail)
    if len(text) > _MAX_CHARS:
        return DocumentText(name, None, Refusal.UNPACKS_TOO_LARGE, f"over {_MAX_CHARS} chars")
    if not text.strip():
        return DocumentText(name, None, Refusal.NO_TEXT, "no text in it (a scan?)")
    return DocumentText(name, text.replace("\r\n", "\n").replace("\r", "\n"))
