"""An in-memory pymap IMAP server on loopback: the demo's committee mailbox and fast tests' IMAP."""

from __future__ import annotations

import asyncio
import socket
from argparse import Namespace
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from proxyprotocol.reader import ProxyProtocolReader
from proxyprotocol.sock import SocketInfo
from pymap.backend.dict import DictBackend
from pymap.concurrent import Subsystem
from pymap.imap import IMAPServer
from pysasl.hashing import BuiltinHash

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ImapEndpoint:
    """Where an IMAP server listens and the one account it serves."""

    host: str
    port: int
    user: str
    password: str


def _pymap_args(user: str, password: str) -> Namespace:
    # pymap builds its config from command-line arguments; these are the values that
    # `pymap --no-tls dict --demo-user U --demo-password P` would parse to.
    return Namespace(
        host=LOOPBACK,
        port=0,
        debug=False,
        cert=None,
        key=None,
        tls=False,
        passlib_cfg=None,
        proxy_protocol=None,
        inherited_sockets=None,
        demo_data=False,
        demo_user=user,
        demo_password=password,
    )


def _bind(host: str, port: int) -> socket.socket:
    # Binding here rather than letting asyncio do it is how port 0 (any free port)
    # can be used: the caller learns the real port before any client connects.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(64)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


async def start_pymap(
    stack: AsyncExitStack,
    *,
    user: str,
    password: str,
    host: str = LOOPBACK,
    port: int = 0,
) -> ImapEndpoint:
    """Serve one mailbox (`user`/`password`) with pymap's dict backend on the running loop.

    The server stops, and its mail is gone, when `stack` closes. Other logins are refused.
    Must be awaited on the loop that will serve the connections: pymap keeps its
    concurrency choice in a context variable that the listening socket's callbacks inherit.
    """
    # The asyncio subsystem for password hashing avoids a private thread pool that
    # would outlive the server. A slow hash protects nothing here (the password lives
    # in this process's memory anyway) but would cost half a second per login.
    backend, config = await DictBackend.init(
        _pymap_args(user, password),
        cpu_subsystem=Subsystem.for_asyncio(),
        hash_context=BuiltinHash(rounds=1),
    )
    config.apply_context()
    await backend.start(stack)
    imap_server = IMAPServer(backend.login, config)
    header_reader = ProxyProtocolReader(config.proxy_protocol)
    connections: set[asyncio.Task[Any]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            connections.add(task)
        try:
            # What ProxyProtocolReader.get_callback does, but awaited in this task instead
            # of a detached one, so that shutting down can cancel every live session.
            header = await header_reader.read(reader)
            await imap_server(
                reader, writer, SocketInfo.get(writer, header, unique_id=uuid4().bytes)
            )
        finally:
            if task is not None:
                connections.discard(task)

    sock = _bind(host, port)
    server = await asyncio.start_server(serve, sock=sock)
    serving = asyncio.create_task(server.serve_forever())
    stack.push_async_callback(_shut_down, server, serving, connections)
    bound_port: int = sock.getsockname()[1]
    return ImapEndpoint(host=host, port=bound_port, user=user, password=password)


async def _shut_down(
    server: asyncio.Server, serving: asyncio.Task[None], connections: set[asyncio.Task[Any]]
) -> None:
    # Clients still logged in would keep their sessions alive (and, from Python 3.12,
    # keep wait_closed() waiting), so they are cut before the listener is awaited.
    server.close()
    for task in list(connections):
        task.cancel()
    await asyncio.gather(*connections, return_exceptions=True)
    serving.cancel()
    await asyncio.gather(serving, return_exceptions=True)
    await server.wait_closed()
