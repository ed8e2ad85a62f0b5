"""`mailflow web`: the staff console on its own (the daemon may run elsewhere)."""

from __future__ import annotations

import asyncio
import signal

import click

from mailflow.cli.app import app, cli


@cli.command("web")
@click.option("--host", default=None, help="Address to listen on (default [web] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port (default [web] port, 8470).")  # fmt: skip
@click.pass_context
def web(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the staff console until stopped (Ctrl-C)."""
    from mailflow.web.serve import serve, server

    services = app(ctx).services()
    services.require_schema()
    srv = server(services, host, port)
    click.echo(f"console: http{'s' if services.config.web.tls else ''}://"
               f"{srv.config.host}:{srv.config.port}/", err=True)  # fmt: skip

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(srv, stop)

    asyncio.run(main())
