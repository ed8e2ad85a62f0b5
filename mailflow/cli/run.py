"""`mailflow run`: the daemon, until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import signal

import click

from mailflow.cli.app import app, cli


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
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
@click.pass_context
def run(ctx: click.Context, tick_every: float, log_json: bool, log_level: str) -> None:
    """Watch the mailbox, keep the schedule and send the outbox, until stopped."""
    from mailflow.logsetup import configure
    from mailflow.services.daemon import DaemonFailed, run_daemon

    configure(json_lines=log_json, level=log_level)
    services = app(ctx).services()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_daemon(services, stop, tick_every=tick_every)

    try:
        asyncio.run(main())
    except DaemonFailed as exc:
        raise click.ClickException(str(exc)) from None
