"""Mail shown to staff exactly as it is (or will be) sent: headers, text, attachments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailflow.parsing.mime import decode

if TYPE_CHECKING:
    from mailflow.services.context import Services
    from mailflow.store.outbox import OutboxEntry


@dataclass(frozen=True)
class AttachmentLine:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class MailPreview:
    """A mail decoded for reading: headers as written, the text body, attachment names.

    HTML parts are never shown as HTML: ``text`` is the body as text (an HTML-only
    mail converted), to be printed escaped.
    """

    envelope: tuple[str, ...]
    headers: tuple[tuple[str, str], ...]  # From, To, Cc, Reply-To, Subject, Date, Message-ID
    subject: str
    text: str
    attachments: tuple[AttachmentLine, ...]
    defects: tuple[str, ...] = ()


SHOWN = ("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID")


def preview(raw: bytes, envelope: tuple[str, ...] = ()) -> MailPreview:
    """The decoded mail; one that cannot be decoded is shown as its first bytes."""
    try:
        d = decode(raw)
    except Exception as exc:  # a mail processing failed on may not decode either
        head = raw[:4000].decode("ascii", "backslashreplace")
        return MailPreview(envelope, (), "", head, (), (f"not decodable: {type(exc).__name__}",))
    headers = tuple((n, v) for n in SHOWN if (v := d.header(n)))
    return MailPreview(
        envelope=envelope,
        headers=headers,
        subject=d.subject,
        text=d.body,
        attachments=tuple(
            AttachmentLine(a.filename or "", a.content_type, a.size) for a in d.attachments
        ),
        defects=d.defects,
    )


def outbox_mail(services: Services, outbox_id: int) -> tuple[OutboxEntry, MailPreview]:
    """One outgoing mail's row and its bytes decoded, exactly what goes (or went) out."""
    from mailflow.services.outbox import show

    entry, raw = show(services, outbox_id)
    return entry, preview(raw, entry.recipients)
