"""`mailflow minutes` and `mailflow export`: the published minutes and the record of a round."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mailflow.cli.app import app, cli


def _write(text: str, output: Path | None, what: str) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so a published file is never half-written.
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)
    click.echo(f"wrote {what} to {output}", err=True)


@cli.command("minutes")
@click.argument("round_id")
@click.option(
    "--format", "fmt", type=click.Choice(["html", "md", "txt"]), default="md", show_default=True
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option(
    "--anonymous/--named",
    default=None,
    help="Override [minutes] anonymous: items without or with their authors' names.",
)
@click.pass_context
def minutes(
    ctx: click.Context, round_id: str, fmt: str, output: Path | None, anonymous: bool | None
) -> None:
    """The minutes (会議録) of ROUND_ID, in the shape the city publishes."""
    from mailflow.services.minutes import render_minutes

    services = app(ctx).services()
    _write(render_minutes(services, round_id, fmt, anonymous=anonymous), output, "minutes")


@cli.command("export")
@click.argument("round_id")
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
@click.option(
    "--with-addresses",
    is_flag=True,
    help="Include members' and departments' addresses and mail recipients as addresses.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.pass_context
def export(
    ctx: click.Context, round_id: str, fmt: str, with_addresses: bool, output: Path | None
) -> None:
    """Every record of ROUND_ID as JSON (no addresses unless --with-addresses)."""
    from mailflow.services.export import export_round

    services = app(ctx).services()
    data = export_round(services, round_id, with_addresses=with_addresses)
    _write(json.dumps(data, ensure_ascii=False, indent=2) + "\n", output, "export")
