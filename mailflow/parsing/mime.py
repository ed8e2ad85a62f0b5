"""Raw mail bytes to a DecodedMessage: MIME walked, body chosen and decoded, attachments kept."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

from mailflow.parsing.addresses import format_address, parse_address_list
from mailflow.parsing.charsets import decode_bytes, normalize_newlines
from mailflow.parsing.headers import (
    HeaderText,
    decode_header,
    header_param,
    message_id,
    message_ids,
)
from mailflow.parsing.htmltext import html_to_text, unflow
from mailflow.parsing.model import Attachment, DecodedMessage

_ADDRESS_HEADERS = frozenset(
    {"from", "to", "cc", "bcc", "reply-to", "sender", "resent-from", "resent-to", "resent-cc"}
)
# Headers a message has once (RFC 5322 §3.6); a second one is a defect worth telling staff.
_SINGLE_HEADERS = (
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
)
_BOUNDARY_LINE = re.compile(r"^--([^\s]{1,200}?)(?:--)?[ \t]*\r?$", re.MULTILINE)
_HTML_SLACK = 8
# Real mail nests a few levels (a forwarded mail with its attachments: four to six). The
# standard library recurses once per level when it parses, walks or re-serialises a mail,
# and fails near its recursion limit (~980 multipart levels, ~245 of message/rfc822).
MAX_MIME_DEPTH = 50
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


@dataclass
class _Walk:
    """What the MIME walk found; private to one decode() call."""

    plain: list[tuple[str, str | None, str]] = field(default_factory=list)  # text, decl, used
    html: list[tuple[str, str | None, str]] = field(default_factory=list)  # markup, unconverted
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    limit: int | None = None  # max_body_chars, applied early so huge HTML is not converted


@dataclass
class _HeaderCache:
    """Each raw header value decoded once per mail, however many readers ask for it."""

    texts: dict[str, HeaderText] = field(default_factory=dict)
    addresses: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def text(self, value: str) -> HeaderText:
        found = self.texts.get(value)
        if found is None:
            found = self.texts[value] = decode_header(value)
        return found

    def address_list(self, value: str) -> list[tuple[str, str]]:
        found = self.addresses.get(value)
        if found is None:
            found = self.addresses[value] = parse_address_list(value)
        return found


def decode(raw: bytes, *, max_body_chars: int | None = None) -> DecodedMessage:
    """Decode one mail. Never raises: whatever is wrong becomes an entry in ``defects``."""
    return decode_with_message(raw, max_body_chars=max_body_chars)[0]


def decode_with_message(
    raw: bytes, *, max_body_chars: int | None = None
) -> tuple[DecodedMessage, Message | None]:
    """`decode`, and the email package's Message it read (as `parse_bytes` gives it),
    for a caller that reads it too: the mail is parsed once. None when decoding failed
    before the Message was made."""
    parsed: list[Message] = []
    try:
        return _decode(raw, max_body_chars, parsed), parsed[0] if parsed else None
    except Exception as exc:  # the last net under "never raises"; tests assert it stays unused
        return _empty((f"internal error while decoding: {type(exc).__name__}: {exc}",)), None


def _empty(defects: tuple[str, ...]) -> DecodedMessage:
    return DecodedMessage(
        subject="",
        from_name="",
        from_address="",
        to=(),
        cc=(),
        message_id=None,
        in_reply_to=None,
        references=(),
        date=None,
        headers=(),
        charset="",
        declared_charset=None,
        body="",
        body_source="none",
        attachments=(),
        defects=defects,
    )


def parse_bytes(raw: bytes) -> tuple[Message, str | None]:
    """The email package's Message of ``raw``, and a defect when it nests too deep.

    A mail nested deeper than MAX_MIME_DEPTH is parsed for its top-level headers only
    (From, Subject, … kept; its body is then one unread string), so nothing later walks
    it recursively.
    """
    too_deep = f"MIME nesting deeper than {MAX_MIME_DEPTH} levels: only the top-level headers read"
    try:
        msg = BytesParser(policy=compat32).parsebytes(raw)
        if mime_depth(msg) <= MAX_MIME_DEPTH:
            return msg, None
    except RecursionError:
        pass
    return BytesParser(policy=compat32).parsebytes(raw, headersonly=True), too_deep


def mime_depth(msg: Message, stop: int = MAX_MIME_DEPTH) -> int:
    """How many levels of parts ``msg`` nests (1 for a single part); counted without
    recursion, and no further than one past ``stop``."""
    deepest = 0
    stack = [(msg, 1)]
    while stack and deepest <= stop:
        part, depth = stack.pop()
        deepest = max(deepest, depth)
        # Only containers: a leaf's get_payload() decodes it, and may raise on bad bytes.
        if part.is_multipart():
            payload = part.get_payload()
            stack.extend((p, depth + 1) for p in payload if isinstance(p, Message))
    return deepest


def _decode(raw: bytes, max_body_chars: int | None, parsed: list[Message]) -> DecodedMessage:
    if not raw.strip():
        return _empty(("empty message",))
    msg, too_deep = parse_bytes(raw)
    parsed.append(msg)
    defects: list[str] = [too_deep] if too_deep else []
    cache = _HeaderCache()
    headers = _decoded_headers(msg, defects, cache)
    first: dict[str, str] = {}
    for name, value in msg.raw_items():
        first.setdefault(name.lower(), value)

    senders = cache.address_list(first.get("from", ""))
    if not senders:
        defects.append("no usable From address")
    walk = _Walk(limit=max_body_chars)
    if too_deep is None:
        _visit(msg, "1", walk)
    body, source, charset, declared = _choose_body(walk)
    if max_body_chars is not None and len(body) > max_body_chars:
        defects.append(f"body truncated to {max_body_chars} of {len(body)} characters")
        body = body[:max_body_chars]
    return DecodedMessage(
        subject=cache.text(first.get("subject", "")).text,
        from_name=senders[0][0] if senders else "",
        from_address=senders[0][1] if senders else "",
        to=tuple(addr for _, addr in cache.address_list(first.get("to", ""))),
        cc=tuple(addr for _, addr in cache.address_list(first.get("cc", ""))),
        message_id=message_id(first.get("message-id")),
        in_reply_to=message_id(first.get("in-reply-to")),
        references=message_ids(first.get("references")),
        date=cache.text(first["date"]).text if "date" in first else None,
        headers=headers,
        charset=charset,
        declared_charset=declared,
        body=body,
        body_source=source,
        attachments=tuple(walk.attachments),
        defects=tuple(defects + walk.defects),
    )


def _decoded_headers(
    msg: Message, defects: list[str], cache: _HeaderCache
) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for name, value in msg.raw_items():
        decoded = cache.text(value)
        defects.extend(f"header {name}: {d}" for d in decoded.defects)
        if name.lower() in _ADDRESS_HEADERS:
            pairs = cache.address_list(value)
            text = ", ".join(format_address(n, a) for n, a in pairs)
            out.append((name, text if pairs else decoded.text))
            continue
        out.append((name, decoded.text))
    counts = Counter(name.lower() for name, _ in out)
    for name in _SINGLE_HEADERS:
        if counts[name] > 1:
            defects.append(f"duplicate header {name} ({counts[name]} times), first one used")
    return tuple(out)


def _visit(part: Message, path: str, walk: _Walk) -> None:
    ctype = part.get_content_type()
    if part.get_content_maintype() == "multipart" and not part.is_multipart():
        walk.defects.extend(_defects(part, path))
        repaired = _repair_multipart(part)
        if repaired is None:
            # No boundary to split on: the body text is still worth reading.
            _add_text(part, "text/plain", walk, path)
            return
        walk.defects.append(f"part {path}: multipart boundary repaired from its first -- line")
        part = repaired
    if part.is_multipart() and ctype != "message/rfc822":
        walk.defects.extend(_defects(part, path))
        for index, child in enumerate(_children(part), start=1):
            _visit(child, f"{path}.{index}", walk)
        return
    if ctype in ("text/plain", "text/html") and not _is_attachment(part):
        _add_text(part, ctype, walk, path)
    else:
        walk.attachments.append(_attachment(part))
    # Read after the payload was decoded: base64 problems are recorded only then.
    walk.defects.extend(_defects(part, path))


def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _is_attachment(part: Message) -> bool:
    disposition = str(part.get("content-disposition", "")).split(";", 1)[0].strip().lower()
    if disposition == "attachment":
        return True
    return _filename(part) is not None


def _filename(part: Message) -> str | None:
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = _raw_header(part, header)
        if value is None:
            continue
        found = header_param(value, param)
        if found is not None and found.text:
            return found.text
    return None


def _raw_header(part: Message, name: str) -> str | None:
    for key, value in part.raw_items():
        if key.lower() == name:
            return value
    return None


def _add_text(part: Message, ctype: str, walk: _Walk, path: str) -> None:
    payload = _payload_bytes(part)
    declared = _declared_charset(part)
    decoded = decode_bytes(payload, declared)
    walk.defects.extend(f"part {path}: {d}" for d in decoded.defects)
    text = normalize_newlines(decoded.text)
    if walk.limit is not None and len(text) > walk.limit * _HTML_SLACK:
        # Markup shrinks when converted; beyond this no text could fit the limit anyway.
        walk.defects.append(f"part {path}: text cut to {walk.limit * _HTML_SLACK} characters")
        text = text[: walk.limit * _HTML_SLACK]
    if ctype == "text/html":
        # Converted only if no plain part has text: most HTML is the alternative of one.
        walk.html.append((text, declared, decoded.charset))
        return
    if str(part.get_param("format") or "").lower() == "flowed":
        delsp = str(part.get_param("delsp") or "").lower() == "yes"
        text = unflow(text, delsp=delsp)
    walk.plain.append((text, declared, decoded.charset))


def _declared_charset(part: Message) -> str | None:
    value = part.get_param("charset")
    if isinstance(value, tuple):  # RFC 2231 form charset*=
        value = value[2]
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def _payload_bytes(part: Message) -> bytes:
    if part.is_multipart():
        return b""
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _attachment(part: Message) -> Attachment:
    ctype = part.get_content_type()
    name = _filename(part)
    if ctype == "message/rfc822":
        data = _message_bytes(part)
        if name is None:
            inner = _children(part)
            subject = decode_header(inner[0].get("subject", "")).text if inner else ""
            name = (subject or "forwarded") + ".eml"
    else:
        data = _payload_bytes(part)
    return Attachment(filename=name, content_type=ctype, size=len(data), data=data)


def _message_bytes(part: Message) -> bytes:
    inner = _children(part)
    if not inner:
        return _payload_bytes(part)
    try:
        # Mail on the wire has CRLF line ends; keep the attachment as it travelled.
        return inner[0].as_bytes(policy=compat32.clone(linesep="\r\n"))
    except Exception:  # regenerating a broken forwarded mail: keep what the parser kept
        return str(inner[0]).encode("utf-8", "surrogateescape")


def _repair_multipart(part: Message) -> Message | None:
    """Re-parse a multipart whose boundary is missing or wrong, using the first ``--`` line."""
    body = part.get_payload()
    if not isinstance(body, str):
        return None
    found = _BOUNDARY_LINE.search(body)
    if found is None:
        return None
    try:
        part.set_param("boundary", found.group(1))
        repaired = BytesParser(policy=compat32).parsebytes(part.as_bytes())
    except Exception:  # a repair attempt must never cost the original reading
        return None
    return repaired if repaired.is_multipart() else None


def _choose_body(walk: _Walk) -> tuple[str, str, str, str | None]:
    """(body, source, charset used, charset declared): text/plain wins unless it is empty."""
    plain = [p for p in walk.plain if p[0].strip()]
    if plain:
        text = "\n".join(p[0].rstrip("\n") for p in plain) + "\n"
        return text, "text/plain", plain[0][2], plain[0][1]
    converted = [(html_to_text(h[0]), h[1], h[2]) for h in walk.html]
    html = [h for h in converted if h[0].strip()]
    if html:
        return "\n".join(h[0] for h in html), "text/html", html[0][2], html[0][1]
    if walk.plain:
        return "", "text/plain", walk.plain[0][2], walk.plain[0][1]
    return "", "none", "", None


def _defects(part: Message, path: str) -> list[str]:
    """The email package's defects of one part, as words staff can read."""
    out = []
    for defect in part.defects:
        label = _CAMEL.sub(" ", type(defect).__name__.removesuffix("Defect")).lower()
        out.append(f"part {path}: {label}")
    return out
