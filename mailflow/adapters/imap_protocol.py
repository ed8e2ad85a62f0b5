"""aioimaplib's wire reader and FETCH command with linear costs; same bytes, same responses.

aioimaplib reads a response by slicing: every line it takes off a received chunk copies
the rest of the chunk, every literal copies what follows it, and every chunk is first
formatted into a debug message whether or not debug logging is on. A 256 KiB chunk of
twenty mails is so copied some forty times. Here the chunk is walked with an offset and
each line and literal is copied once, through the very same callbacks (`_handle_line`,
`begin_literal_data`, `append_literal_data`), so commands see what they always saw.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections.abc import Callable
from typing import Any

import aioimaplib
from aioimaplib.aioimaplib import literal_data_re

log = logging.getLogger("mailflow.imap")

FETCH_START = re.compile(rb"^\d+ FETCH \(")
_CRLF = b"\r\n"


class LinearProtocol(aioimaplib.IMAP4ClientProtocol):  # type: ignore[misc]
    """`IMAP4ClientProtocol` whose `data_received` walks each chunk once."""

    incomplete_line: bytes
    current_command: aioimaplib.Command | None

    def data_received(self, d: bytes) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("received %d bytes", len(d))
        data = self.incomplete_line + d if self.incomplete_line else d
        cmd = self.current_command
        self.incomplete_line, self.current_command = b"", None
        pos, end = 0, len(data)
        # The steps and their order are aioimaplib's `_handle_responses`, one turn of
        # the loop per level of its recursion, so every edge (a literal ending exactly at
        # a chunk's end, a zero-length literal) is met the same way.
        while True:
            if pos >= end:
                if self.pending_sync_command is not None:
                    self.pending_sync_command.flush()
                if cmd is not None and cmd.wait_data():
                    self.current_command = cmd
                return
            if cmd is not None and cmd.wait_literal_data():
                wanted = cmd._expected_size - len(cmd._resp_literal_data)
                cmd.append_literal_data(data[pos : pos + wanted])
                pos = min(end, pos + wanted)
                if cmd.wait_literal_data():
                    self.current_command = cmd  # the literal goes on in the next chunk
                    return
            cut = data.find(_CRLF, pos)
            if cut < 0:
                self.current_command, self.incomplete_line = cmd, data[pos:]
                return
            line = data[pos:cut]
            pos = cut + 2
            handled = self._handle_line(line, cmd)
            literal = literal_data_re.match(line)
            if literal:
                if handled is None:
                    handled = aioimaplib.Command("NIL", "unused")
                handled.begin_literal_data(int(literal.group("size")))
                cmd = handled
            elif handled is not None and handled.wait_data():
                cmd = handled
            else:
                cmd = None


class LinearImap4(aioimaplib.IMAP4):  # type: ignore[misc]
    """`aioimaplib.IMAP4` speaking through `LinearProtocol`."""

    def create_client(
        self,
        host: str,
        port: int,
        loop: asyncio.AbstractEventLoop | None,
        conn_lost_cb: Callable[[Exception | None], None] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        local_loop = loop if loop is not None else asyncio.get_running_loop()
        self.protocol = LinearProtocol(local_loop, conn_lost_cb)
        self._client_task = local_loop.create_task(
            local_loop.create_connection(lambda: self.protocol, host, port, ssl=ssl_context)
        )


class LinearFetch(aioimaplib.FetchCommand):  # type: ignore[misc]
    """aioimaplib's FETCH with linear bookkeeping; same bytes on the wire, same response.

    aioimaplib asks "is this FETCH response complete?" after every line by rescanning
    every line received so far (quadratic in the batch, see docs/benchmarks.md), and re-arms its
    inactivity timer with a fresh `call_later` per line. Here the parenthesis depth is kept
    as lines arrive, and the timer only records the time; it re-arms itself when it fires.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._scanned = 0
        self._depth = 0
        self._active = 0.0
        super().__init__(*args, **kwargs)

    def wait_data(self) -> bool:
        lines = self._resp_lines
        for index in range(self._scanned, len(lines)):
            line = lines[index]
            # Literals arrive as bytearrays: their parentheses are mail text, not syntax.
            if type(line) is bytes:
                if FETCH_START.match(line):
                    self._depth = 0
                self._depth += line.count(b"(") - line.count(b")")
        self._scanned = len(lines)
        return self._depth != 0

    def _set_timer(self) -> None:
        if self._timeout is not None:
            self._active = self._loop.time()
            self._timer = self._loop.call_later(self._timeout, self._check_quiet)

    def _reset_timer(self) -> None:
        self._active = self._loop.time()

    def _check_quiet(self) -> None:
        quiet = self._loop.time() - self._active
        if quiet >= self._timeout:
            self._timeout_callback()
        else:
            self._timer = self._loop.call_later(self._timeout - quiet, self._check_quiet)
