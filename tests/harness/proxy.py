"""A loopback TCP proxy in front of any test server that can cut or stall the stream on cue."""

from __future__ import annotations

import contextlib
import socket
import threading
from enum import Enum
from types import TracebackType

LOOPBACK = "127.0.0.1"
_CHUNK = 4096


class Direction(Enum):
    """Which way the bytes flow through the proxy."""

    TO_CLIENT = "server to client"
    TO_SERVER = "client to server"


class _Link:
    """One client connection and its server-side twin."""

    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client = client
        self.server = server

    def close(self) -> None:
        for sock in (self.client, self.server):
            # shutdown() wakes the other pump thread blocked in recv(); close() alone
            # would leave it waiting.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class TcpProxy:
    """Forwards 127.0.0.1:<port> to `target`; faults are armed while connections are live.

    `drop_after(n)` lets n more bytes through in one direction (counted over all
    connections from the moment it is called), then closes both sides of the
    connection that crossed the limit: a server that drops the connection mid-FETCH.
    `stall()` holds the bytes back until `resume()`: a server that hangs.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.host = LOOPBACK
        self._listener = socket.create_server((LOOPBACK, 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._budget: dict[Direction, int | None] = {d: None for d in Direction}
        self._flowing = {d: threading.Event() for d in Direction}
        for event in self._flowing.values():
            event.set()
        self._links: list[_Link] = []
        self._closed = False
        self.dropped = 0
        self._acceptor = threading.Thread(target=self._accept, name="proxy-accept", daemon=True)

    def start(self) -> TcpProxy:
        self._acceptor.start()
        return self

    def drop_after(self, limit: int, direction: Direction = Direction.TO_CLIENT) -> None:
        with self._lock:
            self._budget[direction] = limit

    def stall(self, direction: Direction = Direction.TO_CLIENT) -> None:
        self._flowing[direction].clear()

    def resume(self, direction: Direction = Direction.TO_CLIENT) -> None:
        self._flowing[direction].set()

    def heal(self) -> None:
        """Disarm every fault; connections made from now on pass untouched."""
        with self._lock:
            self._budget = {d: None for d in Direction}
        for event in self._flowing.values():
            event.set()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed by stop()
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            link = _Link(client, server)
            with self._lock:
                if self._closed:
                    link.close()
                    return
                self._links.append(link)
            for source, sink, direction in (
                (server, client, Direction.TO_CLIENT),
                (client, server, Direction.TO_SERVER),
            ):
                threading.Thread(
                    target=self._pump, args=(link, source, sink, direction), daemon=True
                ).start()

    def _allowance(self, direction: Direction, wanted: int) -> tuple[int, bool]:
        """How many of `wanted` bytes may pass, and whether the link must then be cut."""
        with self._lock:
            budget = self._budget[direction]
            if budget is None:
                return wanted, False
            allowed = min(budget, wanted)
            self._budget[direction] = budget - allowed
            return allowed, allowed < wanted

    def _pump(
        self, link: _Link, source: socket.socket, sink: socket.socket, direction: Direction
    ) -> None:
        try:
            while True:
                data = source.recv(_CHUNK)
                if not data:
                    break
                self._flowing[direction].wait()
                allowed, cut = self._allowance(direction, len(data))
                if allowed:
                    sink.sendall(data[:allowed])
                if cut:
                    with self._lock:
                        self.dropped += 1
                    break
        except OSError:
            pass
        link.close()

    def stop(self) -> None:
        with self._lock:
            self._closed = True
            links, self._links = self._links, []
        # shutdown() is what wakes a thread blocked in accept() on Linux; close() is not.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        # A stalled pump would never notice the close while it waits to be released.
        for event in self._flowing.values():
            event.set()
        for link in links:
            link.close()
        self._acceptor.join(5)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
