"""The stable JSON shape of a parsed mail, as `mailflow parse --json` prints it.

This is the outer edge of parsing: plain dicts and lists only here, built from the
frozen results of :mod:`mailflow.parsing.pipeline`. The shape (keys always present
unless marked "role only"):

``role``
    ``"member"``, ``"department"`` or ``"chair"`` — which parser read the mail.
``charset``
    The charset the body was decoded with, after any repair (``"iso-2022-jp"``,
    ``"cp932"``, ``"utf-8"``…).
``subject``
    The decoded Subject (``""`` when missing).
``from``
    The sender's address, lower-cased (``""`` when missing). Never the display name.
``attachments``
    A list of ``{"filename": str | null, "content_type": str, "size": int}``; size is
    in bytes of the decoded content.
``new_text``
    What the author newly wrote: quoted thread, client reply headers and signature removed.
``empty_reply`` (member only)
    ``true`` for 「特になし」-style replies, which count as having responded.
``documents`` (member only)
    Attached documents (.docx, .pdf) read as the reply when the mail itself holds no
    item and no 「特になし」: ``{"filename": str, "read": bool, "refusal": str | null,
    "empty_reply": bool, "items": [item, …]}``. Their items are filed after the mail's.
``items`` (member only)
    A list, in the order written, of ``{"consultation": "13" | null, "kind":
    "question" | "opinion" | "request", "text": str (verbatim), "reference": str | null
    (such as ``"P.3 5(4)"``), "follows": "Q13-03" | "previous" | null, "confidence":
    number 0..1 (three decimals), "reason": str | null}``. ``consultation`` is the
    consultation's short key; null (with ``reason``) when it could not be placed.
``answers`` (department only)
    A list of ``{"item": "Q13-03", "text": str}``.
``unanswered`` (department only)
    The expected item IDs that got no answer, as a list of strings.
``answer_method`` (department only)
    How the answers were found: ``"markers"``, ``"id-list"``, ``"order"``, ``"xlsx"``
    or ``"none"``.
``decisions`` (chair only)
    A list of ``{"consultation": "13" | null, "verdict": "approve" |
    "approve_with_conditions" | "reject" | "unclear", "conditions": str | null}``,
    one per consultation.
"""

from __future__ import annotations

import json
from typing import Any

from mailflow.parsing.model import (
    Attachment,
    ParsedAnswer,
    ParsedAnswers,
    ParsedDecision,
    ParsedItem,
    ParsedReply,
)
from mailflow.parsing.pipeline import MailParse

JsonDict = dict[str, Any]


def attachment_json(attachment: Attachment) -> JsonDict:
    return {
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
    }


def item_json(item: ParsedItem) -> JsonDict:
    return {
        "consultation": item.consultation,
        "kind": str(item.kind),
        "text": item.text,
        "reference": item.reference,
        "follows": item.follows,
        "confidence": round(float(item.confidence), 3),
        "reason": item.reason,
    }


def answer_json(answer: ParsedAnswer) -> JsonDict:
    return {"item": answer.item, "text": answer.text}


def decision_json(decision: ParsedDecision) -> JsonDict:
    return {
        "consultation": decision.consultation,
        "verdict": str(decision.verdict),
        "conditions": decision.conditions,
    }


def _reply_part(reply: ParsedReply) -> JsonDict:
    return {
        "empty_reply": reply.empty_reply,
        "items": [item_json(i) for i in reply.items],
        "documents": [
            {
                "filename": d.filename,
                "read": d.refusal is None,
                "refusal": d.refusal,
                "empty_reply": d.empty_reply,
                "items": [item_json(i) for i in d.items],
            }
            for d in reply.documents
        ],
    }


def _answers_part(answers: ParsedAnswers) -> JsonDict:
    return {
        "answers": [answer_json(a) for a in answers.answers],
        "unanswered": list(answers.unanswered),
        "answer_method": answers.method,
    }


def report(parse: MailParse) -> JsonDict:
    """The JSON-ready dict of one parsed mail (see the module docstring for the shape)."""
    decoded = parse.decoded
    out: JsonDict = {
        "role": parse.role,
        "charset": decoded.charset,
        "subject": decoded.subject,
        "from": decoded.from_address,
        "attachments": [attachment_json(a) for a in decoded.attachments],
        "new_text": parse.new_text,
    }
    if parse.reply is not None:
        out.update(_reply_part(parse.reply))
    if parse.answers is not None:
        out.update(_answers_part(parse.answers))
    if parse.decisions is not None:
        out["decisions"] = [decision_json(d) for d in parse.decisions]
    return out


def to_json(parse: MailParse) -> str:
    """The report as indented JSON text, Japanese kept readable (not \\u-escaped)."""
    return json.dumps(report(parse), ensure_ascii=False, indent=2)
