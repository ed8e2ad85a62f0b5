"""MIME nesting is capped before the standard library's recursion gives out."""

from __future__ import annotations

import pytest

from mailflow.parsing.mime import MAX_MIME_DEPTH, decode, mime_depth, parse_bytes
from mailflow.routing.classify import MailKind, classify

_TOP = (
    b"From: =?UTF-8?B?6Z2S5pyoIOWSjOWtkA==?= <aoki@example.jp>\r\n"
    b"To: committee@example.jp\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
)


def nested_multipart(levels: int) -> bytes:
    body = b"Content-Type: text/plain; charset=utf-8\r\n\r\nthe innermost words\r\n"
    for i in range(levels):
        b = b"lvl%d" % i
        body = (
            b"Content-Type: multipart/mixed; boundary=" + b + b"\r\n\r\n--" + b + b"\r\n"
            + body + b"\r\n--" + b + b"--\r\n"
        )  # fmt: skip
    return _TOP + body


def nested_messages(levels: int) -> bytes:
    inner = b"Content-Type: text/plain\r\n\r\nforwarded words\r\n"
    for i in range(levels):
        inner = b"Content-Type: message/rfc822\r\n\r\nFrom: f%d@example.org\r\n" % i + inner
    return _TOP + inner


@pytest.mark.parametrize(
    "raw",
    [
        nested_multipart(1_200),
        nested_multipart(5_000),
        nested_messages(300),
        nested_messages(3_000),
    ],
    ids=["multipart-1200", "multipart-5000", "rfc822-300", "rfc822-3000"],
)
def test_too_deep_keeps_the_sender_and_says_why(raw: bytes) -> None:
    decoded = decode(raw)
    assert decoded.from_address == "aoki@example.jp"
    assert decoded.from_name == "青木 和子"
    assert decoded.subject == "nested"
    assert any("MIME nesting deeper than" in d for d in decoded.defects)
    assert decoded.body == ""
    # Routing reads the same bytes: no RecursionError escapes, the mail is a person's.
    assert classify(raw, decoded, ("committee@example.jp",)).kind is MailKind.NORMAL


def test_nesting_within_the_cap_is_read() -> None:
    raw = nested_multipart(MAX_MIME_DEPTH - 2)
    decoded = decode(raw)
    assert decoded.body.strip() == "the innermost words"
    assert not any("nesting" in d for d in decoded.defects)


def test_depth_is_counted_without_recursion() -> None:
    msg, defect = parse_bytes(nested_multipart(4))
    assert defect is None
    assert mime_depth(msg) == 5


def test_counting_depth_never_decodes_a_leaf() -> None:
    # Found by the fuzz: get_payload() on a leaf decodes it with its charset parameter,
    # and a NUL in that parameter raised ValueError out of classify.
    raw = _TOP + b'Content-Type: text/plain; charset="utf\x008"\r\n\r\n\xe3\x81\x82\r\n'
    decoded = decode(raw)
    assert decoded.from_address == "aoki@example.jp"
    assert classify(raw, decoded, ("committee@example.jp",)).kind is MailKind.NORMAL
