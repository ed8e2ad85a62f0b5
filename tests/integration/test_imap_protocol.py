"""The linear IMAP reader gives exactly what aioimaplib's own reader gives, however the
server's bytes are cut into chunks."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aioimaplib
import pytest

from mailflow.adapters.imap import parse_fetch
from mailflow.adapters.imap_protocol import LinearFetch, LinearProtocol

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mail"


def _mail() -> bytes:
    # A Becky! mail in ISO-2022-JP: ESC sequences, parentheses and CRLFs in its body.
    return (FIXTURES / "corpus" / "becky-iso2022jp-091-multi-q13-22-3items.eml").read_bytes()


def _response(tag: str) -> bytes:
    mail = _mail()
    tricky = b"Subject: x\r\n\r\n(not syntax {5}\r\n) ((\r\n* 9 FETCH (\r\nA0 OK no\r\n"
    return b"".join(
        [
            b'* 1 FETCH (UID 7 RFC822.SIZE %d INTERNALDATE " 5-Jan-2021 10:00:00 +0900" '
            b"BODY[]<0> {%d}\r\n" % (len(mail), len(mail)),
            mail,
            b")\r\n",
            # An unsolicited flag change between two mails carries no literal.
            b"* 2 FETCH (UID 8 FLAGS (\\Seen $MailflowStored))\r\n",
            b"* 3 FETCH (UID 9 RFC822.SIZE 0 BODY[]<0> {0}\r\n)\r\n",
            b"* 4 FETCH (UID 10 RFC822.SIZE %d BODY[]<0> {%d}\r\n" % (len(tricky), len(tricky)),
            tricky,
            b' INTERNALDATE "29-Nov-2026 19:00:00 +0000")\r\n',
            tag.encode() + b" OK Fetch completed (0.001 + 0.000 secs).\r\n",
        ]
    )


async def _run(
    protocol_class: type[aioimaplib.IMAP4ClientProtocol],
    command_class: type[aioimaplib.FetchCommand],
    chunks: list[int] | None,
) -> tuple[str, list[bytes | bytearray]]:
    """Issue one UID FETCH on a real socket and feed the server's reply in `chunks`."""
    loop = asyncio.get_running_loop()
    ours, theirs = socket.socketpair()
    protocol = protocol_class(loop, None)
    await loop.create_connection(lambda: protocol, sock=ours)
    try:
        protocol.state = aioimaplib.SELECTED
        tag = protocol.new_tag()
        command = command_class(tag, "7:10", "(UID BODY.PEEK[])", prefix="UID", loop=loop)
        pending = asyncio.ensure_future(protocol.execute(command))
        await asyncio.sleep(0)
        assert theirs.recv(1000).startswith(tag.encode() + b" UID FETCH 7:10")
        data = _response(tag)
        cuts = chunks or [len(data)]
        start = 0
        for size in cuts:
            protocol.data_received(data[start : start + size])
            start += size
        if start < len(data):
            protocol.data_received(data[start:])
        response = await asyncio.wait_for(pending, 5)
        return response.result, list(response.lines)
    finally:
        protocol.transport.close()
        theirs.close()


def _splits() -> list[list[int]]:
    length = len(_response("AAAA1"))
    even = [[size] * (length // size + 1) for size in (1, 2, 3, 7, 64, 1000)]
    # Every two-chunk cut: each literal's first and last byte, each CRLF, land on an edge.
    return even + [[cut] for cut in range(1, length, 1 if length < 4000 else 3)]


def _typed(lines: list[bytes | bytearray]) -> list[tuple[str, bytes]]:
    # Literals are bytearrays and the other lines bytes: that difference is meaningful.
    return [(type(line).__name__, bytes(line)) for line in lines]


async def test_linear_reader_matches_aioimaplib_for_every_chunking() -> None:
    result, lines = await _run(aioimaplib.IMAP4ClientProtocol, aioimaplib.FetchCommand, None)
    assert result == "OK" and len(lines) > 8
    expected = (result, _typed(lines))
    for chunks in _splits():
        stock = await _run(aioimaplib.IMAP4ClientProtocol, aioimaplib.FetchCommand, chunks)
        linear = await _run(LinearProtocol, LinearFetch, chunks)
        assert (stock[0], _typed(stock[1])) == expected, chunks[:3]
        assert (linear[0], _typed(linear[1])) == expected, chunks[:3]


async def test_linear_reader_yields_each_mail_byte_for_byte() -> None:
    result, lines = await _run(LinearProtocol, LinearFetch, [4096] * 4)
    mails = {m.uid: m for m in parse_fetch(lines)}
    assert result == "OK"
    assert mails[7].raw == _mail()
    assert mails[7].internal_date is not None and mails[7].internal_date.utcoffset() is not None
    assert mails[9].raw == b""
    assert mails[10].raw.startswith(b"Subject: x\r\n\r\n(not syntax {5}")
    assert 8 not in mails  # the flag change carries no body


@pytest.mark.parametrize("cut", [1, 17, 4096])
async def test_literal_cut_mid_way_is_completed_from_the_next_chunk(cut: int) -> None:
    result, lines = await _run(LinearProtocol, LinearFetch, [cut])
    assert result == "OK"
    assert sum(1 for line in lines if _mail() == line) == 1
