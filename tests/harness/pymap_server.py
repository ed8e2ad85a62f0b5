"""The embedded pymap IMAP server on a background thread's event loop, for blocking tests too."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from contextlib import AsyncExitStack
from types import TracebackType
from typing import TypeVar

from mailflow.adapters.pymap_embed import ImapEndpoint, start_pymap
from tests.harness.imap_probe import ImapProbe

COMMITTEE_USER = "shingikai"
COMMITTEE_PASSWORD = "shingikai-pass"

_START_TIMEOUT = 10.0

_T = TypeVar("_T")


class PymapServer:
    """pymap's in-memory backend with one account, the committee mailbox.

    It runs on its own thread so that a test may talk to it with blocking stdlib
    imaplib, or with an asyncio client on the test's own loop, without deadlock.
    """

    def __init__(self, user: str = COMMITTEE_USER, password: str = COMMITTEE_PASSWORD) -> None:
        self._user = user
        self._password = password
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pymap", daemon=True)
        self._stack: AsyncExitStack | None = None
        self._endpoint: ImapEndpoint | None = None

    @property
    def endpoint(self) -> ImapEndpoint:
        if self._endpoint is None:
            raise RuntimeError("pymap server is not running")
        return self._endpoint

    @property
    def host(self) -> str:
        return self.endpoint.host

    @property
    def port(self) -> int:
        return self.endpoint.port

    @property
    def user(self) -> str:
        return self.endpoint.user

    @property
    def password(self) -> str:
        return self.endpoint.password

    def start(self) -> PymapServer:
        self._thread.start()
        self._endpoint = self._call(self._start()).result(_START_TIMEOUT)
        return self

    async def _start(self) -> ImapEndpoint:
        self._stack = AsyncExitStack()
        return await start_pymap(self._stack, user=self._user, password=self._password)

    def stop(self) -> None:
        if self._stack is not None:
            self._call(self._stack.aclose()).result(_START_TIMEOUT)
            self._stack = None
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(_START_TIMEOUT)
        self._loop.close()
        self._endpoint = None

    def _call(self, coro: Coroutine[object, object, _T]) -> Future[_T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def probe(self) -> ImapProbe:
        """A new logged-in stdlib client; the caller closes it."""
        return ImapProbe(self.host, self.port, self.user, self.password)

    def __enter__(self) -> PymapServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
