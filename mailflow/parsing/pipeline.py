"""The parse pipeline: raw mail bytes → decoded message → new text → items, answers or decisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from mailflow.domain import ConsultationRef
from mailflow.parsing.answers import parse_answers
from mailflow.parsing.decisions import parse_decisions
from mailflow.parsing.documents import document_kind, read_document
from mailflow.parsing.inline import QuoteContext, read_context
from mailflow.parsing.items import split_reply
from mailflow.parsing.mime import decode
from mailflow.parsing.model import (
    DecodedMessage,
    DocumentReply,
    ParsedAnswers,
    ParsedDecision,
    ParsedReply,
)
from mailflow.parsing.quote import extract_new_text, first_thread_message, new_text_blocks
from mailflow.parsing.reply_form import filled_decision_form, filled_reply_form
from mailflow.parsing.sections import split_sections

AuthorRole = Literal["member", "department", "chair"]
ROLES: tuple[AuthorRole, ...] = ("member", "department", "chair")


@dataclass(frozen=True)
class MailParse:
    """Everything one mail was understood to say, for one author role.

    Exactly one of ``reply`` (member), ``answers`` (department) or ``decisions`` (chair)
    is set, matching ``role``; ``decoded`` and ``new_text`` are always there so staff can
    see what the later stages were given.
    """

    role: AuthorRole
    decoded: DecodedMessage
    new_text: str
    reply: ParsedReply | None = None
    answers: ParsedAnswers | None = None
    decisions: tuple[ParsedDecision, ...] | None = None


def reply_parts(
    decoded: DecodedMessage, role: AuthorRole = "member", signer_names: Sequence[str] = ()
) -> tuple[str, str | None]:
    """The new text, and for a member the reply form they filled in inside the thread
    below it (Outlook users type there), if they did."""
    new_text = extract_new_text(decoded.body, signer_names)
    form = filled_reply_form(first_thread_message(decoded.body)) if role == "member" else None
    return new_text, form


def _joined(new_text: str, form: str | None) -> str:
    if form is None:
        return new_text
    return f"{new_text}\n\n{form}" if new_text.strip() else form


def reply_text(
    decoded: DecodedMessage, role: AuthorRole = "member", signer_names: Sequence[str] = ()
) -> str:
    """What the author newly wrote: the new text and, for a member, the reply form they
    filled in below an Outlook reply."""
    return _joined(*reply_parts(decoded, role, signer_names))


def _split_member(
    new_text: str,
    decoded: DecodedMessage,
    consultations: Sequence[ConsultationRef],
    signer_names: Sequence[str],
) -> ParsedReply:
    """The member's items: from the new text, and from the form filled in below it, each
    read on its own (the greeting's closing name must not run into the form)."""
    head, form = reply_parts(decoded, "member", signer_names)
    if form is not None and new_text == _joined(head, form):
        top = split_reply(head, consultations, signer_names=signer_names, subject=decoded.subject)
        low = split_reply(form, consultations, signer_names=signer_names, subject=decoded.subject)
        items = top.items + low.items
        nothing = not items and (top.empty_reply or low.empty_reply)
        return ParsedReply(items, nothing)
    return split_reply(
        new_text,
        consultations,
        signer_names=signer_names,
        contexts=reply_contexts(decoded.body, new_text, consultations, signer_names),
        subject=decoded.subject,
    )


def parse_text(
    new_text: str,
    decoded: DecodedMessage,
    consultations: Sequence[ConsultationRef],
    *,
    role: AuthorRole = "member",
    expected_ids: Sequence[str] = (),
    signer_names: Sequence[str] = (),
) -> MailParse:
    """Run the role's last stage over an already decoded mail and its extracted new text.

    ``signer_names`` are the sender's registered names (the department's, the member's):
    a closing line that opens with one is read as a signature, never as content.
    """
    if role == "member":
        reply = _split_member(new_text, decoded, consultations, signer_names)
        if not reply.items and not reply.empty_reply:
            documents = read_documents(decoded, consultations, signer_names)
            reply = replace(reply, documents=documents)
        return MailParse(role, decoded, new_text, reply=reply)
    if role == "department":
        # Departments write answers under the quoted questions, so the answer parser
        # needs the whole body (quotes included), not only the new text.
        answers = parse_answers(
            decoded.body, decoded.attachments, expected_ids, signer_names=signer_names
        )
        return MailParse(role, decoded, new_text, answers=answers)
    if role == "chair":
        form = filled_decision_form(decoded.body)
        decisions = parse_decisions(new_text, consultations, form=form)
        return MailParse(role, decoded, new_text, decisions=decisions)
    raise ValueError(f"unknown role: {role!r}")


def reply_contexts(
    body: str,
    new_text: str,
    consultations: Sequence[ConsultationRef],
    signer_names: Sequence[str] = (),
) -> tuple[QuoteContext, ...]:
    """What the quote above each block of ``new_text`` is about (inline replies).

    Empty when ``new_text`` is not the body's own new text (a reply whose corrections
    were taken out first): offsets would not match, and such replies are not inline.
    """
    text, blocks = new_text_blocks(body, signer_names)
    if text != new_text:
        return ()
    out = []
    for block in blocks:
        consultation, follows = read_context(block.quoted_above, consultations)
        if consultation is not None or follows is not None:
            out.append(QuoteContext(block.start, consultation, follows))
        elif out:
            out.append(QuoteContext(block.start, None, None))  # the context ends here
    return tuple(out)


def _from_first_heading(text: str, consultations: Sequence[ConsultationRef]) -> str:
    """A document from its first consultation heading on: above it stand the document's
    title and the writer's name (「…審査会 質疑及び意見」「委員 戸田」), not items."""
    headed = [s for s in split_sections(text, consultations) if s.how != "none"]
    if not headed:
        return text
    line_start = text.rfind("\n", 0, headed[0].start) + 1
    return text[line_start:]


def read_documents(
    decoded: DecodedMessage,
    consultations: Sequence[ConsultationRef],
    signer_names: Sequence[str] = (),
) -> tuple[DocumentReply, ...]:
    """A member's attached documents (.docx, .pdf) read as the reply, each within caps."""
    out: list[DocumentReply] = []
    for attachment in decoded.attachments:
        if document_kind(attachment) is None:
            continue
        read = read_document(attachment)
        if read.text is None:
            refusal = read.refusal.value if read.refusal else "not_readable"
            out.append(DocumentReply(read.filename, refusal=refusal, detail=read.detail))
            continue
        text = _from_first_heading(read.text, consultations)
        reply = split_reply(text, consultations, signer_names=signer_names, subject=decoded.subject)
        out.append(DocumentReply(read.filename, reply.items, reply.empty_reply))
    return tuple(out)


def parse_mail(
    raw: bytes,
    consultations: Sequence[ConsultationRef],
    *,
    role: AuthorRole = "member",
    expected_ids: Sequence[str] = (),
    signer_names: Sequence[str] = (),
) -> MailParse:
    """Parse one received mail as written by a member, a department or the chair.

    Pure: no IO, no clock. ``consultations`` are the round's; ``expected_ids`` are the
    item IDs a department was asked to answer (ignored for other roles); ``signer_names``
    the sender's known names, so that a signature of just that name is not content.
    """
    decoded = decode(raw)
    new_text = reply_text(decoded, role, signer_names)
    return parse_text(
        new_text,
        decoded,
        consultations,
        role=role,
        expected_ids=expected_ids,
        signer_names=signer_names,
    )
