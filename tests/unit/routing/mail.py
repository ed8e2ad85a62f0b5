"""Test helpers: read a fixture's bytes and decode them with the standard library."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

from mailflow.parsing.model import DecodedMessage

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mail" / "classify"
FIXTURE_SECRET = b"fixture secret, not for production"
COMMITTEE = "shingikai@city.example.jp"


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def decode(data: bytes) -> DecodedMessage:
    """A DecodedMessage built with the standard library's parser (policy.default)."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    headers = tuple((k, str(v)) for k, v in msg.items())

    def addrs(name: str) -> tuple[str, ...]:
        return tuple(a.lower() for _, a in getaddresses([str(v) for v in msg.get_all(name, [])]))

    from_ = getaddresses([str(msg.get("From", ""))])
    name, addr = from_[0] if from_ else ("", "")
    part = msg.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else ""
    refs = str(msg.get("References", "")).split()
    return DecodedMessage(
        subject=str(msg.get("Subject", "")),
        from_name=name,
        from_address=addr.lower(),
        to=addrs("To"),
        cc=addrs("Cc"),
        message_id=str(msg.get("Message-ID", "")).strip("<> ") or None,
        in_reply_to=str(msg.get("In-Reply-To", "")).strip("<> ") or None,
        references=tuple(r.strip("<>") for r in refs),
        date=str(msg.get("Date")) if msg.get("Date") else None,
        headers=headers,
        charset=part.get_content_charset("utf-8") if part is not None else "utf-8",
        declared_charset=part.get_content_charset() if part is not None else None,
        body=body.replace("\r\n", "\n"),
        body_source=part.get_content_type() if part is not None else "none",
        attachments=(),
        defects=(),
    )


def load(name: str) -> tuple[bytes, DecodedMessage]:
    data = raw(name)
    return data, decode(data)
