"""Results of parsing, passed between the parsing stages and out to the services.

Every stage is a pure function; these frozen dataclasses are the only things that
travel between them (no loose dicts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mailflow.domain import ItemKind, Verdict
from mailflow.parsing.attachment_bounds import Refusal


@dataclass(frozen=True)
class Attachment:
    """One attachment of a mail: decoded file name, MIME type, size in bytes and content."""

    filename: str | None
    content_type: str
    size: int
    data: bytes = field(repr=False, default=b"")


@dataclass(frozen=True)
class DecodedMessage:
    """A mail turned into text: headers decoded, the best body chosen, attachments listed."""

    subject: str
    from_name: str
    from_address: str  # lower-cased addr-spec, "" when missing
    to: tuple[str, ...]
    cc: tuple[str, ...]
    message_id: str | None  # without angle brackets
    in_reply_to: str | None
    references: tuple[str, ...]
    date: str | None  # the Date header as written
    headers: tuple[tuple[str, str], ...]  # every header, decoded, in order
    charset: str  # the charset the body was decoded with (after any repair)
    declared_charset: str | None  # what the mail said it was
    body: str  # the chosen text body (HTML converted), newlines normalised to \n
    body_source: str  # "text/plain" | "text/html" | "none"
    attachments: tuple[Attachment, ...]
    defects: tuple[str, ...]  # what was wrong and repaired (for staff, never for members)

    def header(self, name: str) -> str | None:
        """The first header of that name (case-insensitive), decoded."""
        low = name.lower()
        for key, value in self.headers:
            if key.lower() == low:
                return value
        return None


@dataclass(frozen=True)
class ParsedItem:
    """One question, opinion or request as a member wrote it (verbatim text)."""

    text: str
    consultation: str | None  # consultation key such as "13", or None
    kind: ItemKind
    reference: str | None  # normalised document reference, e.g. "P.3 5(4)"
    follows: str | None  # an item ID such as "Q13-03", or "previous" for 「先ほどの回答」
    confidence: float  # 0..1
    reason: str | None = None  # why consultation is None or confidence is low


@dataclass(frozen=True)
class DocumentReply:
    """A reply read from an attached document, when the mail itself said only
    「添付ファイルのとおり提出します」; ``refusal`` (a Refusal value) when it was not read."""

    filename: str
    items: tuple[ParsedItem, ...] = ()
    empty_reply: bool = False
    refusal: str | None = None
    detail: str = ""  # for staff: what was over which cap


@dataclass(frozen=True)
class ParsedReply:
    """A member's reply split into items; empty_reply for 「特になし」 and the like."""

    items: tuple[ParsedItem, ...]
    empty_reply: bool
    documents: tuple[DocumentReply, ...] = ()  # attached documents read as the reply

    @property
    def all_items(self) -> tuple[ParsedItem, ...]:
        """The items of the mail and, after them, those of its attached documents."""
        return self.items + tuple(i for d in self.documents for i in d.items)

    @property
    def responded_nothing(self) -> bool:
        """「特になし」, in the mail or in its document."""
        return self.empty_reply or (
            not self.all_items and any(d.empty_reply for d in self.documents)
        )


@dataclass(frozen=True)
class ParsedAnswer:
    """A department's answer to one item."""

    item: str  # "Q13-03"
    text: str
    adds: bool = False  # 「追加で」「補足」: adds to an earlier answer instead of replacing it


@dataclass(frozen=True)
class RefusedAttachment:
    """An attachment that was not read: over a cap, or not what it claimed to be."""

    filename: str
    reason: Refusal
    detail: str  # for staff: what was over which cap


@dataclass(frozen=True)
class ParsedAnswers:
    answers: tuple[ParsedAnswer, ...]
    unanswered: tuple[str, ...]
    method: str  # "markers" | "id-list" | "order" | "xlsx" | "none"
    unknown: tuple[str, ...] = ()  # IDs answered that were not asked of this department
    confidence: float = 1.0  # lower when answers were matched by order, not by ID
    problems: tuple[str, ...] = ()  # what could not be read (an answer sheet's bad rows)
    refused: tuple[RefusedAttachment, ...] = ()  # answer sheets not read at all, and why
    deferred: tuple[str, ...] = ()  # 「確認中のため後日回答」: unanswered, an answer promised


@dataclass(frozen=True)
class ParsedDecision:
    """The chair's verdict on one consultation, with the conditions as written."""

    consultation: str | None
    verdict: Verdict
    conditions: str | None
    text: str  # the line(s) it was read from
    # False when no line named the consultation (a round of one: 「了承します。」), so a
    # bare word in reply to our echo is read as assent, not as a new decision
    named: bool = True
