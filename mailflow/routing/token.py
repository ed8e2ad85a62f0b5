"""Reply tokens: who a mail was sent to, in which round, signed so nobody can guess one.

A token rides in the Reply-To plus-address (``shingikai+<token>@…``) and in our
Message-IDs, so a reply finds its round and party even when a server strips the
``+tag`` or the client answers the From address instead of Reply-To.

Why the claim is *inside* the token rather than an opaque id the service resolves:
reading a token then needs no lookup (routing stays pure, and a token outlives any
outbox row), and the store's ids are small integers, which pack into two or three bytes.
Layout, before the MAC: one header byte (version, kind, which ids are integers), then
the round id and the party id, each a varint when it is a canonical decimal number,
else a length byte and UTF-8. Version 2 adds a varint: the request (a pending change
to confirm, or a decision echo) the mail asks its party to answer, so a reply to it
is known for what it answers even when the client drops In-Reply-To. The MAC is
HMAC-SHA256 over a fixed label and the payload, truncated to 80 bits: far beyond
guessing by mail, short enough to fit.

The text is lower-case base32 without padding, because some MTAs lower-case local
parts; reading accepts any case. A typical token is 23 characters.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Iterable
from hashlib import sha256

from mailflow.routing.address import all_addresses, normalize_address, split_plus
from mailflow.routing.model import PartyKind, PartyRef, TokenClaim

VERSION = 1
VERSION_ASK = 2
MAC_BYTES = 10
# RFC 5321 §4.5.3.1.1 caps a local part at 64 octets; 48 leaves room for the base
# local part ("shingikai" and the "+").
TOKEN_MAX_LENGTH = 48
LOCAL_PART_MAX = 64
_LABEL = b"mailflow reply token v1\x00"
_KINDS = (PartyKind.MEMBER, PartyKind.DEPARTMENT, PartyKind.CHAIR)
_CANONICAL_INT = re.compile(r"^(0|[1-9][0-9]{0,17})$")
_TOKEN_TEXT = re.compile(r"^[a-z2-7]+$")
_MSGID_PREFIX = "mf1"
_MSGID = re.compile(r"^<?\s*mf1\.([A-Za-z2-7]+)\.[^@>]+@[^>]+>?\s*$")
_UNIQUE = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$")


def make_token(secret: bytes, round_id: str, party: PartyRef, ask: int | None = None) -> str:
    """The token for one party in one round, and for one request when ``ask`` is given.

    Raises ValueError if the ids are too long.
    """
    if not secret:
        raise ValueError("the token secret is empty")
    if ask is not None and ask < 0:
        raise ValueError("a request id is not negative")
    round_field, round_int = _encode_id(round_id)
    party_field, party_int = _encode_id(party.id)
    version = VERSION if ask is None else VERSION_ASK
    header = (version << 4) | (round_int << 3) | (party_int << 2) | _KINDS.index(party.kind)
    payload = bytes([header]) + round_field + party_field
    if ask is not None:
        payload += _varint(ask)
    token = _b32(payload + _mac(secret, payload))
    if len(token) > TOKEN_MAX_LENGTH:
        raise ValueError(f"ids too long for a reply token ({len(token)} > {TOKEN_MAX_LENGTH})")
    return token


def read_token(secret: bytes, token: str) -> TokenClaim | None:
    """The claim a genuine token carries; None for anything forged, damaged or foreign."""
    text = token.strip().lower()
    if not secret or not text or len(text) > TOKEN_MAX_LENGTH or not _TOKEN_TEXT.match(text):
        return None
    try:
        raw = base64.b32decode(text.upper() + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        return None
    # Unused trailing bits would let two spellings decode alike; only the canonical one counts.
    if _b32(raw) != text or len(raw) <= MAC_BYTES:
        return None
    payload, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        return None
    return _decode_payload(payload)


def make_message_id(secret: bytes, token: str, unique: str, domain: str) -> str:
    """``<mf1.<token>.<unique>@<domain>>``; refuses a token not issued under ``secret``.

    ``unique`` must be dot-atom text (RFC 5322 §3.6.4), such as an outbox row id and
    a random part, so the Message-ID is unique per mail while the token is per party.
    """
    if read_token(secret, token) is None:
        raise ValueError("not a token issued under this secret")
    if not _UNIQUE.match(unique):
        raise ValueError(f"unique part must be letters, digits, '-' and '.': {unique!r}")
    if not domain or not _UNIQUE.match(domain):
        raise ValueError(f"not a domain: {domain!r}")
    return f"<{_MSGID_PREFIX}.{token.lower()}.{unique}@{domain.lower()}>"


def token_from_message_id(msgid: str) -> str | None:
    """The token inside one of our Message-IDs (with or without brackets), lower-cased."""
    m = _MSGID.match(msgid)
    return m.group(1).lower() if m else None


def plus_address(base: str, token: str) -> str:
    """``shingikai@city.example.jp`` + token → ``shingikai+<token>@city.example.jp``."""
    norm = normalize_address(base)
    if not norm:
        raise ValueError(f"not an address: {base!r}")
    plain, _tag = split_plus(norm)
    local, _, domain = plain.rpartition("@")
    if len(local) + 1 + len(token) > LOCAL_PART_MAX:
        raise ValueError(f"local part would exceed {LOCAL_PART_MAX} octets")
    return f"{local}+{token.lower()}@{domain}"


def extract_tokens(addresses: Iterable[str], base: str) -> list[str]:
    """The plus-tags of ``base`` among the addresses, lower-cased, in order, without repeats.

    ``addresses`` may be raw header values ("名前 <a+t@d>, b@d"); tags of other
    addresses are ignored, and nothing here checks a tag is a genuine token.
    """
    plain = split_plus(normalize_address(base))[0]
    found: list[str] = []
    for addr in all_addresses(list(addresses)):
        stripped, tag = split_plus(addr)
        if tag and stripped == plain and tag not in found:
            found.append(tag)
    return found


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _LABEL + payload, sha256).digest()[:MAC_BYTES]


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def _encode_id(value: str) -> tuple[bytes, int]:
    if not value:
        raise ValueError("an id must not be empty")
    if _CANONICAL_INT.match(value):
        return _varint(int(value)), 1
    data = value.encode("utf-8")
    if len(data) > 255:
        raise ValueError("id too long")
    return bytes([len(data)]) + data, 0


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _decode_payload(payload: bytes) -> TokenClaim | None:
    header = payload[0]
    kind_index = header & 0x03
    if header >> 4 not in (VERSION, VERSION_ASK) or kind_index >= len(_KINDS):
        return None
    pos = 1
    round_id, pos = _read_id(payload, pos, bool(header & 0x08))
    party_id, pos = _read_id(payload, pos, bool(header & 0x04))
    ask: str | None = None
    if header >> 4 == VERSION_ASK and round_id is not None and party_id is not None:
        ask, pos = _read_id(payload, pos, True)
        if ask is None:
            return None
    if round_id is None or party_id is None or pos != len(payload):
        return None
    return TokenClaim(
        round_id, PartyRef(_KINDS[kind_index], party_id), int(ask) if ask is not None else None
    )


def _read_id(data: bytes, pos: int, is_int: bool) -> tuple[str | None, int]:
    if is_int:
        n, shift = 0, 0
        while pos < len(data):
            byte = data[pos]
            pos += 1
            n |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return str(n), pos
        return None, pos
    if pos >= len(data):
        return None, pos
    size = data[pos]
    end = pos + 1 + size
    if size == 0 or end > len(data):
        return None, pos
    try:
        return data[pos + 1 : end].decode("utf-8"), end
    except UnicodeDecodeError:
        return None, pos
