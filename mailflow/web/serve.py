"""Serving the console with uvicorn: alone (`mailflow web`) or inside the daemon (`run --web`)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Sequence

import uvicorn

from mailflow.errors import InputError
from mailflow.services.context import Services
from mailflow.web.app import create_app

log = logging.getLogger("mailflow.web")


def server(services: Services, host: str | None = None, port: int | None = None,
           others: Sequence[Services] = ()) -> uvicorn.Server:  # fmt: skip
    """A uvicorn server for the console of ``services``' committee and ``others`` (each
    under /c/{committee id}); InputError when the address is not allowed."""
    web = services.config.web
    host = host or web.host
    port = web.port if port is None else port
    problems = web.bind_problems(host)
    if problems:
        raise InputError(problems)
    # The token secret signs the cookies: reading it now fails early with its own words.
    services.config.security.token_secret.reveal()
    for committee in (services, *others):
        committee.sync()  # now, so that the pages' reads have nothing to write
    app = create_app(services, others)
    settle()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        ssl_certfile=str(web.tls_cert) if web.tls_cert else None,
        ssl_keyfile=str(web.tls_key) if web.tls_key else None,
        # Behind a proxy on this machine: its X-Forwarded-For is the client's address.
        proxy_headers=web.behind_proxy,
        forwarded_allow_ips="127.0.0.1,::1" if web.behind_proxy else None,
        server_header=False,
        log_config=None,
        access_log=False,
        lifespan="off",
    )
    return uvicorn.Server(config)


def settle() -> None:
    """Put what start-up made out of the garbage collector's reach (``gc.freeze``).

    The config, templates, SQLAlchemy's metadata and the modules live as long as the
    process. A page of thousands of rows allocates enough to set off full collections,
    and each walked all of those again: a third of the round page's CPU time.
    """
    gc.collect()
    gc.freeze()


async def serve(server: uvicorn.Server, stop: asyncio.Event) -> None:
    """Run until ``stop`` is set; then let requests in flight finish."""
    task = asyncio.create_task(server.serve())
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.should_exit = True
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
