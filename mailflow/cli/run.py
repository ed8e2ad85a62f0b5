"""`mailflow run`: the daemon, until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import click

from mailflow.cli.app import app, cli
from mailflow.errors import InputError


@cli.command("run")
@click.option(
    "--tick-every",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds between scheduler cycles (it also runs at each deadline).",
)
@click.option("--log-json", is_flag=True, help="One JSON object per log line.")
@click.option(
    "--also",
    "also",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Another committee's config to run in the same process (repeatable).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
@click.option("--web", "web", is_flag=True,
              help="Serve the staff console here too ([web] host and port).")  # fmt: skip
@click.pass_context
def run(
    ctx: click.Context,
    tick_every: float,
    log_json: bool,
    log_level: str,
    also: tuple[Path, ...],
    web: bool,
) -> None:
    """Watch the mailbox, keep the schedule and send the outbox, until stopped.

    Several committees (each its own config, mailbox and rounds) can share one process
    and one database: name the others with --also.
    """
    from mailflow import wiring
    from mailflow.config import load_config
    from mailflow.logsetup import configure
    from mailflow.services.daemon import Daemon, DaemonFailed

    configure(json_lines=log_json, level=log_level)
    first = app(ctx).services()
    everyone = [first] + [
        wiring.services(load_config(path), first.clock, first.actor) for path in also
    ]
    ids = [s.config.committee.id for s in everyone]
    if len(set(ids)) != len(ids):
        raise InputError([f"--also: a committee appears twice ({', '.join(ids)})"])

    console = None
    if web:
        from mailflow.web.serve import serve, server

        for s in everyone:
            s.require_schema()
        # Every committee's pages (the others' under /c/{id}); logins are the first's.
        console = server(first, others=everyone[1:])  # refused before anything runs

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        tasks = [Daemon(everyone, tick_every).run(stop)]
        if console is not None:
            tasks.append(serve(console, stop))
        await asyncio.gather(*tasks)

    try:
        asyncio.run(main())
    except DaemonFailed as exc:
        raise click.ClickException(str(exc)) from None
