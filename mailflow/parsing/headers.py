"""Header values decoded as real mailers write them: RFC 2047 words, raw 8-bit, parameters."""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from dataclasses import dataclass

from mailflow.parsing.charsets import codec_for, decode_bytes

# Lenient on purpose: real mailers emit empty charsets (=??B?…?=) and RFC 2231
# language tags (=?utf-8*ja?B?…?=); the encoded text never holds "?" or whitespace.
_ENCODED_WORD = re.compile(rb"=\?([^?\s]*)\?([BbQq])\?([^?\s]*)\?=")
_FOLD = re.compile(rb"\r?\n(?=[ \t])|\r?\n$")
_FOLD_TEXT = re.compile(r"\r?\n(?=[ \t])|\r?\n$")
_MSG_ID = re.compile(r"<\s*([^<>\s]+)\s*>")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class HeaderText:
    """A decoded header value and what was wrong with it."""

    text: str
    defects: tuple[str, ...] = ()


def raw_bytes(value: str) -> bytes:
    """The bytes behind a header value the email package parsed (8-bit kept as surrogates)."""
    # Already-decoded text may arrive too; UTF-8 keeps it and equals ASCII otherwise.
    return value.encode("utf-8", "surrogateescape")


def decode_header(value: str | bytes) -> HeaderText:
    """Decode one header value: unfold, RFC 2047 words, unencoded 8-bit text.

    Adjacent encoded words of one charset are joined as bytes before decoding,
    because mailers split them mid-character (RFC 2047 §5 forbids it; they do it).
    """
    if isinstance(value, str) and value.isascii() and "=?" not in value and "\x1b" not in value:
        # Most header values are plain ASCII: no word to decode, the same text either way.
        return HeaderText(_FOLD_TEXT.sub("", value).strip())
    data = raw_bytes(value) if isinstance(value, str) else value
    data = _FOLD.sub(b"", data)
    defects: list[str] = []
    parts: list[str] = []
    pending = bytearray()
    pending_charset: str | None = None
    pos = 0

    def flush() -> None:
        nonlocal pending_charset
        if pending or pending_charset is not None:
            decoded = decode_bytes(bytes(pending), pending_charset or None)
            defects.extend(f"encoded word: {d}" for d in decoded.defects)
            parts.append(decoded.text)
        pending.clear()
        pending_charset = None

    for match in _ENCODED_WORD.finditer(data):
        gap = data[pos : match.start()]
        charset = match.group(1).decode("ascii", "replace").split("*", 1)[0]
        same = pending_charset is not None and _same_codec(pending_charset, charset)
        if gap.strip(b" \t") or not same:
            # RFC 2047 §6.2: whitespace between two encoded words is not displayed.
            if gap.strip(b" \t") or pending_charset is None:
                flush()
                parts.append(_plain(gap, defects))
            else:
                flush()
        word, problem = _word_bytes(match.group(2), match.group(3))
        if problem:
            defects.append(problem)
        if not charset:
            defects.append("encoded word without charset")
        pending_charset = charset
        pending.extend(word)
        pos = match.end()
    flush()
    parts.append(_plain(data[pos:], defects))
    return HeaderText("".join(parts).strip(), tuple(defects))


def _same_codec(a: str, b: str) -> bool:
    return a.lower() == b.lower() or (codec_for(a) or a) == (codec_for(b) or b)


def _plain(chunk: bytes, defects: list[str]) -> str:
    if not chunk:
        return ""
    if chunk.isascii() and b"\x1b" not in chunk:
        return chunk.decode("ascii")
    decoded = decode_bytes(chunk, None)
    defects.append(f"unencoded non-ASCII header text, read as {decoded.charset}")
    defects.extend(d for d in decoded.defects if "no charset declared" not in d)
    return decoded.text


def _word_bytes(kind: bytes, text: bytes) -> tuple[bytes, str | None]:
    if kind in (b"Q", b"q"):
        return _QP_ESCAPE.sub(
            lambda m: bytes([int(m.group(1), 16)]), text.replace(b"_", b" ")
        ), None
    clean = re.sub(rb"[^A-Za-z0-9+/]", b"", text)
    problem = None
    if len(clean) % 4 == 1:
        clean = clean[:-1]
        problem = "encoded word: truncated base64"
    padded = clean + b"=" * (-len(clean) % 4)
    if padded != text:
        problem = problem or "encoded word: bad base64 padding"
    try:
        return base64.b64decode(padded), problem
    except (binascii.Error, ValueError):
        return b"", "encoded word: undecodable base64"


def message_ids(value: str | None) -> tuple[str, ...]:
    """Every Message-ID in a References or In-Reply-To value, without angle brackets."""
    if not value:
        return ()
    found = _MSG_ID.findall(value)
    if found:
        return tuple(found)
    # Some clients drop the brackets; a bare token with "@" is still an ID.
    return tuple(tok for tok in value.split() if "@" in tok)


def message_id(value: str | None) -> str | None:
    """The first Message-ID in a header value, without angle brackets; None if absent."""
    ids = message_ids(value)
    if ids:
        return ids[0]
    bare = (value or "").strip().strip("<>").strip()
    return bare or None


def header_param(value: str, name: str) -> HeaderText | None:
    """One parameter of a Content-Type or Content-Disposition value, decoded.

    Handles RFC 2231 (``filename*=utf-8''…`` and ``*0*=`` continuations), RFC 2047
    words inside quotes (Outlook, Becky!) and raw Shift_JIS bytes (old carrier mail).
    """
    wanted = name.lower()
    plain: str | None = None
    pieces: dict[int, tuple[str, bool]] = {}
    for key, raw, _quoted in _split_params(value):
        k = key.lower()
        if k == wanted:
            plain = raw
        elif k == wanted + "*":
            pieces[0] = (raw, True)
        elif k.startswith(wanted + "*"):
            index = k[len(wanted) + 1 :].rstrip("*")
            if index.isdigit():
                pieces[int(index)] = (raw, k.endswith("*"))
    if pieces:
        return _rfc2231(pieces)
    if plain is None:
        return None
    return decode_header(plain)


def _rfc2231(pieces: dict[int, tuple[str, bool]]) -> HeaderText:
    charset: str | None = None
    data = bytearray()
    for index in sorted(pieces):
        raw, encoded = pieces[index]
        if encoded:
            if index == sorted(pieces)[0] and raw.count("'") >= 2:
                charset, _lang, raw = raw.split("'", 2)
            data.extend(urllib.parse.unquote_to_bytes(raw_bytes(raw)))
        else:
            data.extend(raw_bytes(raw))
    decoded = decode_bytes(bytes(data), charset or None)
    return HeaderText(decoded.text, tuple(f"parameter: {d}" for d in decoded.defects))


def _split_params(value: str) -> list[tuple[str, str, bool]]:
    """Split ``type; a=1; b="x;y"`` into (name, value, quoted), tolerating broken quoting."""
    out: list[tuple[str, str, bool]] = []
    for segment in _segments(value)[1:]:
        key, sep, raw = segment.partition("=")
        if not sep:
            continue
        raw = raw.strip().replace("\r", "").replace("\n", "")
        is_quoted = len(raw) >= 2 and raw[0] == raw[-1] == '"'
        out.append((key.strip(), raw[1:-1] if is_quoted else raw.strip('"'), is_quoted))
    return out


def _segments(value: str) -> list[str]:
    """The value cut at every ";" outside quotes, with quoted-pairs unescaped."""
    if '"' not in value:
        return value.split(";")  # nothing quoted: no escapes, every ";" separates
    segments: list[str] = []
    buf: list[str] = []
    quoted = False
    i = 0
    while i < len(value):
        ch = value[i]
        # A backslash after a raw Shift_JIS lead byte is that character's second byte
        # (ソ is 0x83 0x5C), not a quoted-pair.
        after_8bit = i > 0 and "\udc80" <= value[i - 1] <= "\udcff"
        if quoted and ch == "\\" and i + 1 < len(value) and not after_8bit:
            buf.append(value[i + 1])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            segments.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    segments.append("".join(buf))
    return segments
