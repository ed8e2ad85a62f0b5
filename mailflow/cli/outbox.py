"""`mailflow outbox list|show|approve|retry|send`: the queue, staff approvals and retries."""

from __future__ import annotations

import asyncio

import click
from rich.table import Table

from mailflow.cli.app import app, cli, console
from mailflow.errors import InputError


@cli.group("outbox")
def outbox() -> None:
    """Outbound mail: list, show, approve held mail, retry failed mail, send what is due."""


@outbox.command("list")
@click.option("--state", default=None, help="draft, approved, sending, sent, failed, cancelled")
@click.pass_context
def list_(ctx: click.Context, state: str | None) -> None:
    """Queued and sent mail, oldest first."""
    from mailflow.services.outbox import entries

    services = app(ctx).services()
    tz = services.config.committee.tz
    table = Table("ID", "state", "kind", "to", "subject", "attempts", "when")
    for e in entries(services, state):
        when = e.sent_at or e.next_attempt_at or e.created_at
        table.add_row(
            str(e.id),
            e.state,
            e.kind,
            ", ".join(e.recipients),
            e.subject,
            str(e.attempts),
            when.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        )
    console().print(table)


@outbox.command("show")
@click.argument("outbox_id", type=int)
@click.pass_context
def show(ctx: click.Context, outbox_id: int) -> None:
    """One mail: its state, headers and decoded text."""
    from mailflow.parsing.mime import decode
    from mailflow.services.outbox import show as load

    entry, raw = load(app(ctx).services(), outbox_id)
    d = decode(raw)
    out = console()
    out.print(f"outbox {entry.id}  {entry.state}  {entry.kind}  attempts {entry.attempts}")
    if entry.last_error:
        out.print(f"last error: {entry.last_error}", markup=False)
    if entry.approved_by:
        out.print(f"approved by {entry.approved_by}", markup=False)
    out.print(f"envelope to: {', '.join(entry.recipients)}", markup=False)
    for name in ("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID"):
        value = d.header(name)
        if value:
            out.print(f"{name}: {value}", markup=False)
    for a in d.attachments:
        out.print(f"attachment: {a.filename} ({a.content_type}, {a.size} bytes)", markup=False)
    out.print()
    out.print(d.body, markup=False)


@outbox.command("approve")
@click.argument("outbox_id", type=int, required=False)
@click.option("--all", "all_", is_flag=True, help="Approve every draft.")
@click.pass_context
def approve(ctx: click.Context, outbox_id: int | None, all_: bool) -> None:
    """Let a held mail (or --all of them) go out at the next send."""
    from mailflow.services.outbox import approve as run

    if (outbox_id is None) == (not all_):
        raise InputError(["give exactly one of ID or --all"])
    ids = run(app(ctx).services(), None if all_ else outbox_id)
    click.echo(f"approved {len(ids)}" + (f": {', '.join(map(str, ids))}" if ids else ""))


@outbox.command("retry")
@click.argument("outbox_id", type=int, required=False)
@click.option("--failed", "failed", is_flag=True, help="Retry every failed mail.")
@click.pass_context
def retry(ctx: click.Context, outbox_id: int | None, failed: bool) -> None:
    """Send a failed mail (or --failed, all of them) again once its cause is fixed."""
    from mailflow.services.outbox import retry as run

    if (outbox_id is None) == (not failed):
        raise InputError(["give exactly one of ID or --failed"])
    ids = run(app(ctx).services(), None if failed else outbox_id)
    click.echo(f"retried {len(ids)}" + (f": {', '.join(map(str, ids))}" if ids else ""))


@outbox.command("send")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(min=1))
@click.pass_context
def send(ctx: click.Context, limit: int) -> None:
    """Send everything due now once, then exit (0, with the counts)."""
    from mailflow.services.outbox import send_due

    services = app(ctx).services()
    services.require_schema()
    r = asyncio.run(send_due(services, services.clock.now(), limit))
    click.echo(
        f"sent {r.sent}, retry later {r.retry_later}, failed {r.failed}, "
        f"held {r.held}, resumed after a crash {r.resumed}"
    )
