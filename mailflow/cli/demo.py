"""`mailflow demo`: the seed round replayed end to end on loopback, on a fast clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mailflow.cli.app import cli, console

if TYPE_CHECKING:
    from rich.console import Console

    from mailflow.services.context import Services
from mailflow.demo.clock import DEFAULT_SPEED


@cli.command("demo")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("demo-out"),
    show_default=True,
    help="Where minutes.html, minutes.md and export.json are written.",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=1.0),
    default=DEFAULT_SPEED,
    show_default=True,
    help="Demo seconds per real second (28800: a day in three seconds).",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Keep the demo's database here (default: a temporary directory, removed after).",
)
@click.option(
    "--web",
    "web",
    is_flag=True,
    help="At the end, keep the staff console serving the demo's database (until Ctrl-C).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8470, show_default=True,
              help="The console's port with --web.")  # fmt: skip
def demo(out: Path, speed: float, data_dir: Path | None, web: bool, port: int) -> None:
    """Run round R2-5 with simulated members, departments and chair; write the minutes."""
    from mailflow.demo.run import DemoFailed, run_demo

    con = console()
    try:
        keep = _console_keeper(con, port) if web else None
        result = asyncio.run(run_demo(out, speed, con, data_dir, keep))
    except DemoFailed as exc:
        raise click.ClickException(str(exc)) from None
    # The live display may leave the cursor at the end of its last line.
    con.print()
    con.print(
        f"round decided in {result.seconds:.1f} s: {result.mails_in} mails in, "
        f"{result.mails_out} out"
    )
    for path in (result.minutes_html, result.minutes_md, result.export_json):
        click.echo(str(path))


def _console_keeper(con: Console, port: int) -> Callable[[Services], Awaitable[None]]:
    async def keep(services: Services) -> None:
        import secrets
        import signal

        from mailflow.clock import FixedClock
        from mailflow.services.context import Services
        from mailflow.services.staff import add_account
        from mailflow.web.serve import serve, server

        # The demo's clock races on (a day in seconds): the console stands at its end,
        # or every session would be idle for hours a moment after logging in.
        services = Services(config=services.config, clock=FixedClock(services.clock.now()),
                            actor=services.actor, ports=services.ports,
                            _engine=services.engine)  # fmt: skip

        # A login made for this run only: its database is gone when the demo stops.
        login, password = "demo", secrets.token_urlsafe(12)
        clerk = services.as_actor("staff:demo-setup")
        await asyncio.to_thread(add_account, clerk, login, "staff", password)
        srv = server(services, "127.0.0.1", port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        con.print()
        con.print(f"staff console: http://127.0.0.1:{port}/  login: {login}  password: {password}")
        con.print("(Ctrl-C stops the console and the demo)")
        await serve(srv, stop)

    return keep
