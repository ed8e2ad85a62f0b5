"""OutgoingMail → RFC 5322 bytes that every Japanese mail client of any age reads right.

Pure: no IO, no clock, no randomness; the same mail always composes to the same bytes
(the MIME boundary derives from the Message-ID), so a resend is byte-identical.

Choices, and why:
- Body: UTF-8 text/plain with Content-Transfer-Encoding base64. Quoted-printable would
  turn every byte of Japanese UTF-8 into ``=XX`` (about 9 characters per kana or kanji,
  unreadable raw and three times the size); base64 costs 4/3, passes any 7-bit relay,
  and is what Gmail and Outlook themselves send for Japanese UTF-8. UTF-8 rather than
  ISO-2022-JP because ①② and other NEC extensions have no place in ISO-2022-JP proper.
- Headers: RFC 2047 ``=?UTF-8?B?…?=`` words of at most 36 octets each, split only
  between characters (RFC 2047 §5: a word holds whole characters), folded one word per
  line so every line stays under 78 octets (RFC 5322 §2.1.1; 998 is the hard limit,
  checked at the end).
- Attachment names: RFC 2231 ``filename*0*=UTF-8''…`` in Content-Disposition, and an
  RFC 2047 word in Content-Type's ``name`` for old Outlook, which reads only that.
- Automatic mail: ``Auto-Submitted: auto-generated`` (RFC 3834 §5) so well-behaved
  responders stay silent, and ``X-Auto-Response-Suppress: All`` for Exchange, which
  ignores RFC 3834.
- CRLF line ends throughout: the bytes go to SMTP as they are.
"""

from __future__ import annotations

import base64
import hashlib
import re
import urllib.parse
from email.utils import format_datetime

from mailflow.outbound.model import (
    ComposedMail,
    NamedAddress,
    OutgoingAttachment,
    OutgoingMail,
    SharedTail,
)

CRLF = "\r\n"
WORD_OCTETS = 36  # 48 base64 characters: "=?UTF-8?B?" + 48 + "?=" is 60 columns
MAX_LINE = 998  # RFC 5322 §2.1.1, without the CRLF
_SOFT_LINE = 78
_B64_OCTETS = 57  # the octets of one base64 line of 76 characters (RFC 2045 §6.8)
_ATOM_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')
_ADDR = re.compile(r"^[\x21-\x7e]+@[\x21-\x7e]+$")
_CTYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def compose(mail: OutgoingMail, shared: SharedBody | StreamedBody | None = None) -> bytes:
    """The mail's bytes, CRLF line ends, 7-bit clean; ValueError on an unusable field.

    ``shared`` holds the encoding of a text's common part when one text, a name aside,
    goes to many (`SharedBody`); the bytes are the same with it or without it.
    """
    return compose_parts(mail, shared).raw


def compose_parts(
    mail: OutgoingMail, shared: SharedBody | StreamedBody | None = None
) -> ComposedMail:
    """`compose`'s bytes as this mail's own head and the tail it shares, if any.

    The tail is the base64 lines of the body that ``shared`` encoded once for every
    recipient at this mail's offset in base64's grid, each line with its CRLF: the bytes
    from there to the end of the mail when nothing follows the body. A mail with
    attachments has none: its MIME boundary, after the body, is its own (derived from
    its Message-ID), so no tail of it is any other mail's. With a `StreamedBody`, the
    mail's ``text`` is only its own part (up to the tail, which was stored as it was
    encoded); the bytes are those of the whole text.
    """
    headers = _headers(mail)
    # Base64 lines are 76 octets by construction: only the lines around them are checked
    # against the limit, not every line of a body of many megabytes.
    if not mail.attachments:
        lines = [*_header_lines(headers + _TEXT_PART), ""]
        if shared is not None:
            first, tail = shared.split(mail.text)
            if tail is not None:
                own = [_checked(lines), first] if first else [_checked(lines)]
                return ComposedMail((CRLF.join(own) + CRLF).encode("ascii"), tail)
        parts = [_checked(lines), encode_body(mail.text)]
    else:
        if isinstance(shared, StreamedBody):
            raise ValueError("a streamed body is the whole body: a mail with attachments has none")
        body = shared.encode(mail.text) if shared is not None else encode_body(mail.text)
        parts = [multipart_head(mail), body]
        for att in mail.attachments:
            parts += [attachment_start(mail, att), _base64_text(att.data)]
        parts.append(multipart_end(mail))
    return ComposedMail((CRLF.join(parts) + CRLF).encode("ascii"))


_TEXT_PART = [
    ("Content-Type", "text/plain; charset=UTF-8"),
    ("Content-Transfer-Encoding", "base64"),
]


def multipart_head(mail: OutgoingMail) -> str:
    """A mail with attachments up to its text's base64 lines (`compose` writes a CRLF
    after it, then the lines). Each part of such a mail as `compose` writes it, in
    order: this, the text's lines, and for each attachment `attachment_start` and its
    data's lines, then `multipart_end`; each followed by a CRLF (lines of no octets: the
    CRLF alone). So a mail too long to hold can be written part by part."""
    boundary = _boundary(mail)
    lines = _header_lines(
        [*_headers(mail), ("Content-Type", f'multipart/mixed;{CRLF} boundary="{boundary}"')]
    )
    lines += ["", "This is a multi-part message in MIME format."]
    lines += [f"--{boundary}", *_header_lines(_TEXT_PART), ""]
    return _checked(lines)


def attachment_start(mail: OutgoingMail, att: OutgoingAttachment) -> str:
    """An attachment's boundary line and headers (its name and type: not its data)."""
    return _checked([f"--{_boundary(mail)}", *_attachment_head(att)])


def multipart_end(mail: OutgoingMail) -> str:
    return _checked([f"--{_boundary(mail)}--"])


def _headers(mail: OutgoingMail) -> list[tuple[str, str]]:
    headers = [
        ("Date", format_datetime(mail.date)),
        ("From", format_address((mail.from_name, mail.from_address), len("From: "))),
        ("To", format_addresses(mail.to, len("To: "))),
    ]
    if mail.cc:
        headers.append(("Cc", format_addresses(mail.cc, len("Cc: "))))
    if mail.reply_to:
        headers.append(("Reply-To", format_address(("", mail.reply_to), len("Reply-To: "))))
    headers.append(("Subject", encode_text(mail.subject, len("Subject: "))))
    headers.append(("Message-ID", _msgid(mail.message_id)))
    if mail.in_reply_to:
        headers.append(("In-Reply-To", _msgid(mail.in_reply_to)))
    if mail.references:
        headers.append(("References", (CRLF + " ").join(_msgid(r) for r in mail.references)))
    headers.append(("MIME-Version", "1.0"))
    if mail.auto_submitted:
        headers.append(("Auto-Submitted", "auto-generated"))
        headers.append(("X-Auto-Response-Suppress", "All"))
    return headers


def _checked(lines: list[str]) -> str:
    out = CRLF.join(lines)
    for line in out.split(CRLF):
        if len(line) > MAX_LINE:
            raise ValueError(f"a line of {len(line)} octets would exceed RFC 5322's {MAX_LINE}")
    return out


def encode_body(text: str) -> str:
    """A text body as composed: canonical CRLF line breaks, UTF-8, base64 lines of 76."""
    return _base64_text(_canonical_text(text).encode("utf-8"))


class SharedBody:
    """The base64 body of texts that end alike: one text sent to many, each greeted by name.

    Everything after the last name (``tail``) is the same for every recipient. Base64
    encodes groups of 3 octets and breaks lines every 57, so the encoding of the tail
    depends only on where it starts in that grid: it is kept per starting offset (one
    per length of the part before it, in practice one per length of name) as a
    `SharedTail` (the lines with their CRLFs, and their digest, computed once), and each
    recipient's body costs the encoding of the few lines before the tail. A text that
    does not end with ``tail`` is encoded whole; either way the lines are `encode_body`'s.
    """

    _KEEP = 8  # offsets kept: a committee's names come in a few lengths

    def __init__(self, tail: str) -> None:
        self._tail = tail
        self._octets = _canonical_text(tail).encode("utf-8")
        self._encoded: dict[int, SharedTail | None] = {}

    def encode(self, text: str) -> str:
        first, tail = self.split(text)
        if tail is None:
            return first
        assert tail.data is not None  # a SharedBody's tails hold their bytes
        rest = tail.data[: -len(CRLF)].decode("ascii")
        return CRLF.join(part for part in (first, rest) if part)

    def split(self, text: str) -> tuple[str, SharedTail | None]:
        """The text's body as the lines its own (joined by CRLF, no CRLF after the last)
        and the shared lines that follow them, each ended by CRLF; ``(body, None)`` when
        it shares none: the text does not end with the tail, or the tail's octets all
        fall in the lines its own."""
        head = text[: len(text) - len(self._tail)]
        # The tail's canonical form is its own, unless a CR ending the head and a LF
        # starting the tail make one line break between them; an empty tail has no grid.
        if (
            not self._tail
            or not text.endswith(self._tail)
            or (head.endswith("\r") and self._tail.startswith("\n"))
        ):
            return encode_body(text), None
        lead = _line_breaks(head).encode("utf-8")
        fill = -len(lead) % _B64_OCTETS  # tail octets that complete the head's last line
        first = _base64_text(lead + self._octets[:fill])
        if fill in self._encoded:
            return first, self._encoded[fill]
        rest = self._octets[fill:]
        tail = SharedTail.of((_base64_text(rest) + CRLF).encode("ascii")) if rest else None
        if len(self._encoded) >= self._KEEP:
            self._encoded.pop(next(iter(self._encoded)))
        self._encoded[fill] = tail
        return first, tail


def tail_offset(head: str) -> int:
    """Where a tail that follows ``head`` starts in base64's 57-octet grid: the number of
    its octets that complete the head's last line (`SharedBody`)."""
    return -len(_line_breaks(head).encode("utf-8")) % _B64_OCTETS


class StreamedBody:
    """`SharedBody` for a tail too long to hold: encoded as it was rendered, and stored.

    ``start`` is the tail's first canonical octets (at least the 56 a head's last line
    may take) and ``tails`` the stored encoding of the rest per offset (`tail_offset`),
    without their bytes. `split` takes a mail's own text only, the head.
    """

    def __init__(self, start: bytes, tails: dict[int, SharedTail]) -> None:
        self.start, self.tails = start, tails

    def split(self, head: str) -> tuple[str, SharedTail]:
        """As `SharedBody.split` of the head followed by the tail; KeyError for a head
        whose offset was not encoded."""
        lead = _line_breaks(head).encode("utf-8")
        fill = -len(lead) % _B64_OCTETS
        return _base64_text(lead + self.start[:fill]), self.tails[fill]


class CanonicalOctets:
    """The UTF-8 octets of a text's canonical form (`encode_body`), fed in pieces.

    A CR that ends a piece waits for the next: a LF starting it makes one line break.
    """

    def __init__(self) -> None:
        self._cr = False
        self._empty = True
        self._ends_lf = False

    def feed(self, piece: str) -> bytes:
        if self._cr:
            piece, self._cr = "\r" + piece, False
        if piece.endswith("\r"):
            piece, self._cr = piece[:-1], True
        text = piece.replace("\r\n", "\n").replace("\r", "\n")
        if text:
            self._empty, self._ends_lf = False, text.endswith("\n")
        return text.replace("\n", CRLF).encode("utf-8")

    def finish(self) -> bytes:
        """The end: the held CR, or the line break a text not ending with one gets."""
        if self._cr or (not self._empty and not self._ends_lf):
            return CRLF.encode("ascii")
        return b""


class Base64Lines:
    """``_base64_text(octets) + CRLF`` of octets fed in pieces, after skipping ``skip``
    of them: whole lines as soon as their 57 octets are in, the last at `finish`."""

    def __init__(self, skip: int = 0) -> None:
        self._skip = skip
        self._held = bytearray()

    def feed(self, octets: bytes) -> bytes:
        if self._skip:
            cut = min(self._skip, len(octets))
            octets, self._skip = octets[cut:], self._skip - cut
        self._held += octets
        whole = len(self._held) - len(self._held) % _B64_OCTETS
        if not whole:
            return b""
        block = bytes(self._held[:whole])
        del self._held[:whole]
        return base64.encodebytes(block).replace(b"\n", b"\r\n")

    def finish(self) -> bytes:
        block, self._held = bytes(self._held), bytearray()
        return base64.encodebytes(block).replace(b"\n", b"\r\n") if block else b""


def encode_text(text: str, used: int = 0) -> str:
    """An unstructured header value (Subject): as is when short plain ASCII, else RFC 2047.

    ``used`` is the width already taken on the first line (``"Subject: "``).
    """
    text = _one_line(text)
    if text.isascii() and "=?" not in text and used + len(text) <= _SOFT_LINE:
        return text
    return (CRLF + " ").join(encoded_words(text))


def encoded_words(text: str) -> list[str]:
    """``=?UTF-8?B?…?=`` words of whole characters, each at most WORD_OCTETS octets of text.

    A word ends after a space where one is near: decoders that wrongly keep the white
    space between words (Python's own address parser does) then show a doubled space
    rather than a space cut into the middle of a name.
    """
    words: list[str] = []
    chunk = ""
    for char in text:
        while chunk and len((chunk + char).encode("utf-8")) > WORD_OCTETS:
            cut = chunk.rfind(" ") + 1
            if cut <= len(chunk) // 2:
                cut = len(chunk)
            words.append(_word(chunk[:cut].encode("utf-8")))
            chunk = chunk[cut:]
        chunk += char
    if chunk or not words:
        words.append(_word(chunk.encode("utf-8")))
    return words


def format_address(named: NamedAddress, used: int = 0) -> str:
    """``名前 <addr>`` with the name as a phrase: atoms, a quoted string, or RFC 2047 words."""
    name, addr = _one_line(named[0]).strip(), named[1].strip()
    if not _ADDR.match(addr):
        raise ValueError(f"not a plain ASCII address: {addr!r}")
    if not name:
        return addr
    if name.isascii() and "=?" not in name:
        if _ATOM_SPECIALS.search(name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        phrase = name
        if used + len(phrase) + len(addr) + 3 > _SOFT_LINE:
            return f"{phrase}{CRLF} <{addr}>"
        return f"{phrase} <{addr}>"
    # Encoded words may not sit inside a quoted string (RFC 2047 §5 (3)).
    return (CRLF + " ").join(encoded_words(name)) + f"{CRLF} <{addr}>"


def format_addresses(named: tuple[NamedAddress, ...], used: int = 0) -> str:
    return ("," + CRLF + " ").join(format_address(n, used) for n in named)


def _word(chunk: bytes) -> str:
    return "=?UTF-8?B?" + base64.b64encode(chunk).decode("ascii") + "?="


def _one_line(text: str) -> str:
    # A CR or LF in a header value would start a new header (injection); a space keeps
    # the words apart.
    return _CONTROL.sub(" ", text)


def _msgid(value: str) -> str:
    value = value.strip()
    if not value.startswith("<"):
        value = f"<{value}>"
    if not value.isascii() or _CONTROL.search(value) or " " in value:
        raise ValueError(f"not a Message-ID: {value!r}")
    return value


def _header_lines(headers: list[tuple[str, str]]) -> list[str]:
    return [f"{name}: {value}" for name, value in headers]


def _line_breaks(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", CRLF)


def _canonical_text(text: str) -> str:
    # RFC 2046 §4.1.1: a text body's canonical form has CRLF line breaks, also when
    # base64 hides them, so that every client shows the same lines.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text and not text.endswith("\n"):
        text += "\n"
    return text.replace("\n", CRLF)


def _base64_text(data: bytes) -> str:
    """Base64 lines of 76 characters (RFC 2045 §6.8) joined by CRLF, in C: encodebytes
    breaks every 57 octets with LF; a body of megabytes to each of many members made a
    loop over its lines in Python the cost of composing."""
    if not data:
        return ""
    return base64.encodebytes(data).decode("ascii")[:-1].replace("\n", CRLF)


def _boundary(mail: OutgoingMail) -> str:
    # "=_" never occurs in base64 text, and nothing else we write is free-form, so the
    # boundary cannot collide with content; derived, not random, so composing is pure.
    digest = hashlib.sha256(mail.message_id.encode("utf-8")).hexdigest()[:32]
    return f"=_mf_{digest}"


def _attachment_head(att: OutgoingAttachment) -> list[str]:
    ctype = att.content_type.strip().lower()
    if not _CTYPE.match(ctype):
        raise ValueError(f"not a MIME type: {att.content_type!r}")
    name = _one_line(att.filename).strip() or "attachment"
    if name.isascii() and not re.search(r'["\\]', name) and len(name) <= 60:
        type_param = f'name="{name}"'
        disp_param = f'filename="{name}"'
    else:
        # Inside quotes, the words are separated by folding white space that unfolds to
        # one space, which RFC 2047 decoders drop between adjacent words.
        type_param = 'name="' + (CRLF + " ").join(encoded_words(name)) + '"'
        disp_param = _rfc2231("filename", name)
    return [
        f"Content-Type: {ctype};{CRLF} {type_param}",
        "Content-Transfer-Encoding: base64",
        f"Content-Disposition: attachment;{CRLF} {disp_param}",
        "",
    ]


def _rfc2231(param: str, value: str) -> str:
    """``param*0*=UTF-8''%E5…;`` continuations (RFC 2231 §3, §4), each under 78 columns."""
    quoted = urllib.parse.quote(value.encode("utf-8"), safe="")
    pieces: list[str] = []
    # Cut only between %XX escapes so that no segment ends inside one.
    tokens = re.findall(r"%[0-9A-F]{2}|.", quoted)
    current = ""
    for token in tokens:
        if len(current) + len(token) > 54:
            pieces.append(current)
            current = ""
        current += token
    pieces.append(current)
    parts = []
    for i, piece in enumerate(pieces):
        prefix = "UTF-8''" if i == 0 else ""
        parts.append(f"{param}*{i}*={prefix}{piece}")
    return (";" + CRLF + " ").join(parts)
