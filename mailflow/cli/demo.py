"""`mailflow demo`: the seed round replayed end to end on loopback, on a fast clock."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from mailflow.cli.app import cli, console
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
def demo(out: Path, speed: float, data_dir: Path | None) -> None:
    """Run round R2-5 with simulated members, departments and chair; write the minutes."""
    from mailflow.demo.run import DemoFailed, run_demo

    con = console()
    try:
        result = asyncio.run(run_demo(out, speed, con, data_dir))
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
