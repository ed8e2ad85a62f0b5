"""`mailflow item show|edit|accept|reject`: staff look at one item and decide about it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from mailflow.cli.app import app, cli
from mailflow.errors import InputError

_ROUND = click.option(
    "--round", "round_key", default=None, help="Round, when the ID is in several."
)


def _print(view: Any) -> None:
    # Plain echo, not rich: an item's text is printed whole, never folded or styled.
    out = click.echo
    head = view.public_id or f"item {view.pk}"
    out(f"{head}  {view.round_key}  {view.consultation or '(no consultation)'}")
    flags = [view.state, view.kind, f"phase {view.phase}"]
    if view.late:
        flags.append("late")
    if view.staff_edited:
        flags.append("edited by staff")
    out("  ".join(flags))
    if view.moved_to:
        out(f"moved to {view.moved_to}")
    if view.origin:
        out(f"made by staff from {view.origin}")
    out(f"from: {view.author or '—'}  received: {view.received_at.isoformat()}")
    if view.follows:
        out(f"follows: {view.follows}")
    if view.reference:
        out(f"reference: {view.reference}")
    out("original:")
    out(view.text)
    if view.published_text is not None:
        out("published:")
        out(view.published_text)
    for a in view.answers:
        out(f"answer ({a.by}):")
        out(a.published_text or a.text)


@cli.group("item")
def item_group() -> None:
    """Items (質疑・意見): show, edit the published wording, accept or reject late ones."""


@item_group.command("show")
@click.argument("item_id", metavar="ID")
@_ROUND
@click.pass_context
def show(ctx: click.Context, item_id: str, round_key: str | None) -> None:
    """Show item ID (such as Q13-03) with both wordings and its answers."""
    from mailflow.services.items import show_item

    _print(show_item(app(ctx).services(), item_id, round_key))


@item_group.command("edit")
@click.argument("item_id", metavar="ID")
@click.option("--text", default=None, help="The wording to publish in the minutes.")
@click.option(
    "--file",
    "file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Read the wording from a UTF-8 file.",
)
@click.option("--why", required=True, help="Reason, kept in the audit log.")
@_ROUND
@click.pass_context
def edit(
    ctx: click.Context,
    item_id: str,
    text: str | None,
    file: Path | None,
    why: str,
    round_key: str | None,
) -> None:
    """Set the wording of ID published in the minutes; the original is kept."""
    from mailflow.services.items import edit_item

    if (text is None) == (file is None):
        raise InputError(["give exactly one of --text or --file"])
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError([f"{file}: file not found"]) from None
        except UnicodeDecodeError:
            raise InputError([f"{file}: not UTF-8 text"]) from None
    assert text is not None
    view = edit_item(app(ctx).services(), item_id, text, why, round_key)
    click.echo(f"{view.public_id or view.pk}: published wording set (original kept)")


@item_group.command("accept")
@click.argument("item_id", metavar="ID")
@click.option("--why", default=None, help="Reason, kept in the audit log.")
@_ROUND
@click.pass_context
def accept(ctx: click.Context, item_id: str, why: str | None, round_key: str | None) -> None:
    """Accept a late item held for staff: it joins the round (held → active)."""
    from mailflow.services.items import accept_item

    view = accept_item(app(ctx).services(), item_id, why, round_key)
    click.echo(f"{view.public_id or view.pk}: accepted (held → active)")


@item_group.command("reject")
@click.argument("item_id", metavar="ID")
@click.option("--why", required=True, help="Reason, kept in the audit log.")
@_ROUND
@click.pass_context
def reject(ctx: click.Context, item_id: str, why: str, round_key: str | None) -> None:
    """Reject a late item held for staff: kept, never sent or published (held → rejected)."""
    from mailflow.services.items import reject_item

    view = reject_item(app(ctx).services(), item_id, why, round_key)
    click.echo(f"{view.public_id or view.pk}: rejected (held → rejected)")


@item_group.command("answer")
@click.argument("item_id", metavar="ID")
@click.option("--text", required=True, help="The answer, as it should appear.")
@click.option("--by", required=True, metavar="DEPARTMENT|secretariat",
              help="A department id, or 'secretariat'.")  # fmt: skip
@click.option("--label", default=None, help="Author as the minutes name it, e.g. 情報公開係長.")
@click.option("--why", default=None, help="Reason, kept in the audit log.")
@_ROUND
@click.pass_context
def answer(
    ctx: click.Context, item_id: str, text: str, by: str, label: str | None, why: str | None,
    round_key: str | None,
) -> None:  # fmt: skip
    """Record an answer to ID received outside the mailbox (phone, paper, the secretariat)."""
    from mailflow.services.items import add_answer

    view = add_answer(app(ctx).services(), item_id, text, by, label=label, why=why,
                      round_key=round_key)  # fmt: skip
    click.echo(f"{view.public_id or view.pk}: answer recorded ({len(view.answers)} in all)")
