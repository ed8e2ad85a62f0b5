"""`mailflow ingest`, `reprocess` and `quarantine …`: the intake pipeline for staff."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table
from rich.text import Text

from mailflow.cli.app import app, cli, console
from mailflow.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from mailflow.store.models import Message


@cli.command("ingest")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.pass_context
def ingest(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Store and process mail files (.eml) as if they had arrived in the mailbox."""
    from mailflow.services.intake_files import ingest_files

    missing = [f"{p}: file not found" for p in files if not p.is_file()]
    if missing:
        raise InputError(missing)
    for r in ingest_files(app(ctx).services(), files):
        if r.outcome is None:
            click.echo(f"{r.path}: already stored, skipped")
        else:
            o = r.outcome
            click.echo(f"{r.path}: message {o.message_pk} {o.state} ({o.kind}): {o.detail}")


@cli.command("reprocess")
@click.option("--message", "message_pk", type=int, help="One stored message id.")
@click.option("--round", "round_key", help="Every message of a round.")
@click.option("--failed", "failed", is_flag=True, help="Every message processing failed on.")
@click.option("--all", "all_", is_flag=True, help="Every stored message.")
@click.pass_context
def reprocess(
    ctx: click.Context, message_pk: int | None, round_key: str | None, failed: bool, all_: bool
) -> None:
    """Re-run classification, routing and parsing from the stored raw bytes."""
    from mailflow.services.intake_files import failed_pks, message_pks
    from mailflow.services.intake_files import reprocess as run

    given = (message_pk, round_key, failed, all_)
    if sum(x is not None and x is not False for x in given) != 1:
        raise InputError(["give exactly one of --message ID, --round ID, --failed, --all"])
    services = app(ctx).services()
    if message_pk is not None:
        pks = [message_pk]
    elif failed:
        pks = failed_pks(services)
    else:
        pks = message_pks(services, round_key=round_key, all_=all_)
    for o in run(services, pks):
        conflicts = o.records.conflicts if o.records else []
        extra = f"  conflicts (staff edits kept): {', '.join(conflicts)}" if conflicts else ""
        click.echo(f"message {o.message_pk}: {o.state} ({o.kind}): {o.detail}{extra}")


@cli.group("quarantine")
def quarantine() -> None:
    """Mail waiting for staff (not placed, or failed): list, show, assign, or discard."""


@quarantine.command("list")
@click.pass_context
def q_list(ctx: click.Context) -> None:
    """Quarantined mail with its reason, and mail processing failed on ("failed: …")."""
    from mailflow.services.intake_files import quarantined
    from mailflow.services.notices import display_id

    table = Table("ID", "received", "reason", "Message-ID")
    committee = app(ctx).config().committee
    for m in quarantined(app(ctx).services()):
        table.add_row(
            str(m.id),
            m.received_at.astimezone(committee.tz).strftime("%Y-%m-%d %H:%M"),
            Text(_reason(m, committee.language)),
            Text(display_id(m.message_id) or "(none)"),
        )
    console().print(table)


def _reason(msg: Message, language: str) -> str:
    """A quarantine reason in the committee's words beside its code; a failed mail's error."""
    from mailflow.services.notices import waiting_reason, waiting_words

    code = waiting_reason(msg)
    return code if msg.state == "failed" else f"{waiting_words(msg, language)} ({code})"


@quarantine.command("show")
@click.argument("message_pk", type=int)
@click.pass_context
def q_show(ctx: click.Context, message_pk: int) -> None:
    """Headers, the reason, and the decoded text of one quarantined mail."""
    from mailflow.parsing.mime import decode
    from mailflow.services.intake_files import quarantined
    from mailflow.services.notices import waiting_reason, waiting_words

    found = [m for m in quarantined(app(ctx).services()) if m.id == message_pk]
    if not found:
        raise NotFoundError(f"message {message_pk} is not in quarantine")
    msg = found[0]
    out = console()
    out.print(f"message {msg.id}  reason: {waiting_reason(msg)}", markup=False)
    out.print(waiting_words(msg, app(ctx).config().committee.language), markup=False)
    try:
        d = decode(msg.raw)
    except Exception as exc:  # the mail processing failed on may not decode either
        out.print(f"(not decodable: {type(exc).__name__}); its first bytes:", markup=False)
        out.print(msg.raw[:2000].decode("ascii", "backslashreplace"), markup=False)
        return
    for name in ("From", "To", "Cc", "Subject", "Date", "Message-ID"):
        value = d.header(name)
        if value:
            out.print(f"{name}: {value}", markup=False)
    out.print()
    out.print(d.body, markup=False)


@quarantine.command("assign")
@click.argument("message_pk", type=int)
@click.option("--round", "round_key", required=True)
@click.option(
    "--as",
    "as_",
    required=True,
    metavar="MEMBER|DEPARTMENT|chair",
    help="A member id, a department id, or 'chair'.",
)
@click.option("--why", default=None)
@click.pass_context
def q_assign(
    ctx: click.Context, message_pk: int, round_key: str, as_: str, why: str | None
) -> None:
    """Process the mail as if it had been routed to ROUND from that party."""
    from mailflow.services.intake_files import assign_as

    o = assign_as(app(ctx).services(), message_pk, round_key, as_, why)
    click.echo(f"message {o.message_pk}: {o.state}: {o.detail}")


@quarantine.command("discard")
@click.argument("message_pk", type=int)
@click.option("--why", required=True, help="Kept in the audit log.")
@click.pass_context
def q_discard(ctx: click.Context, message_pk: int, why: str) -> None:
    """Set the mail aside for good (its raw bytes are kept until the retention purge)."""
    from mailflow.services.intake_files import discard

    discard(app(ctx).services(), message_pk, why)
    click.echo(f"message {message_pk}: discarded")


@cli.command("fetch")
@click.pass_context
def fetch(ctx: click.Context) -> None:
    """Read the mailbox once now: store, process and file every new mail, then exit."""
    import asyncio

    from mailflow.services.fetch import LeaseHeld
    from mailflow.services.intake_loop import IntakeLoop

    services = app(ctx).services()
    services.require_schema()
    if services.config.imap is None:
        raise InputError(["imap: the configuration has no [imap] section"])
    try:
        counts = asyncio.run(IntakeLoop.build(services).run_once())
    except LeaseHeld:
        raise InputError(["another mailflow is reading this mailbox (its lease is held)"]) from None
    click.echo(counts.describe())
    for alert in counts.alerts:
        click.echo(f"  alert: {alert.text}")
