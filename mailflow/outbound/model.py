"""What an outbound mail is made of, before it becomes bytes: frozen, typed, no IO."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

# (display name, address); the name may be "" and may be Japanese.
NamedAddress = tuple[str, str]


@dataclass(frozen=True)
class OutgoingAttachment:
    """A file sent along (the consultation documents, the .xlsx answer sheet)."""

    filename: str
    content_type: str  # "application/pdf"
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class OutgoingMail:
    """One mail as the committee sends it; `compose` turns it into RFC 5322 bytes.

    The caller has already chosen everything that must be stable across a resend:
    the Message-ID (``make_message_id``, carrying the recipient's token), the Reply-To
    plus-address, the subject with its tag (``[R2-5] …``) and the Date.
    """

    from_name: str
    from_address: str  # the committee address
    to: tuple[NamedAddress, ...]
    subject: str
    text: str
    message_id: str  # with angle brackets
    date: datetime  # aware
    reply_to: str | None = None  # shingikai+<token>@…
    cc: tuple[NamedAddress, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    attachments: tuple[OutgoingAttachment, ...] = ()
    auto_submitted: bool = True  # RFC 3834: every mail the clerk writes by itself

    def __post_init__(self) -> None:
        if self.date.tzinfo is None:
            raise ValueError("OutgoingMail.date must be an aware datetime")
        if not self.to:
            raise ValueError("OutgoingMail needs at least one To address")
        if not (self.message_id.startswith("<") and self.message_id.endswith(">")):
            raise ValueError(f"Message-ID needs angle brackets: {self.message_id!r}")

    @property
    def envelope_recipients(self) -> tuple[str, ...]:
        """Every To and Cc address, in order, without repeats (case-insensitive)."""
        seen: list[str] = []
        for _name, addr in (*self.to, *self.cc):
            if addr.lower() not in (s.lower() for s in seen):
                seen.append(addr)
        return tuple(seen)


@dataclass(frozen=True, eq=False)
class SharedTail:
    """Bytes that end many mails alike (a long body after each one's greeting), named by
    their SHA-256 so that the outbox stores them once for all of those mails.

    ``data`` is None for a tail stored as it was encoded (never held whole): the outbox
    finds it by its digest."""

    data: bytes | None = field(repr=False)
    sha256: str
    size: int

    @classmethod
    def of(cls, data: bytes) -> SharedTail:
        return cls(data, hashlib.sha256(data).hexdigest(), len(data))


@dataclass(frozen=True, eq=False)
class ComposedMail:
    """A mail's bytes in two parts: its own (``head``: the headers and whatever is
    particular to it) and, when it has one, the tail it shares with other mails.

    The mail is ``head`` followed by the tail's bytes, always."""

    head: bytes = field(repr=False)
    tail: SharedTail | None = None

    @property
    def raw(self) -> bytes:
        if self.tail is None:
            return self.head
        if self.tail.data is None:
            raise ValueError("the tail was stored as it was encoded: read it from the outbox")
        return self.head + self.tail.data
