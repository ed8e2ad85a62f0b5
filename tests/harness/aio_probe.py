"""Fetching one message with aioimaplib, the asyncio client the service itself uses."""

from __future__ import annotations

import aioimaplib


async def aio_fetch(
    host: str, port: int, user: str, password: str, uid: int, mailbox: str = "INBOX"
) -> bytes:
    """The exact bytes of message `uid`, read the way the poller will read them."""
    client = aioimaplib.IMAP4(host=host, port=port, timeout=10)
    await client.wait_hello_from_server()
    try:
        login = await client.login(user, password)
        if login.result != "OK":
            raise AssertionError(f"aioimaplib LOGIN: {login}")
        selected = await client.select(mailbox)
        if selected.result != "OK":
            raise AssertionError(f"aioimaplib SELECT {mailbox}: {selected}")
        fetched = await client.uid("fetch", str(uid), "(BODY.PEEK[])")
        if fetched.result != "OK":
            raise AssertionError(f"aioimaplib UID FETCH {uid}: {fetched}")
        # aioimaplib hands a literal over as the one bytearray among the bytes lines.
        literals = [bytes(line) for line in fetched.lines if isinstance(line, bytearray)]
        if len(literals) != 1:
            raise AssertionError(f"expected one literal in {fetched.lines!r}")
        return literals[0]
    finally:
        await client.logout()
