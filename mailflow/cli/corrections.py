"""`mailflow item place|move|split|merge|withdraw`, `mailflow answer replace|remove`: staff
put a misread reply right; each asks why, and tells the people concerned by mail."""

from __future__ import annotations

import click

from mailflow.cli.app import app, cli
from mailflow.cli.items import item_group

_ROUND = click.option(
    "--round", "round_key", default=None, help="Round, when the ID is in several."
)
_WHY = click.option("--why", required=True, help="Reason, kept in the audit log.")
_TO = click.option(
    "--consultation", "consultation", required=True, metavar="K",
    help="The consultation's key, as in its item IDs (13 for Q13-03).",
)  # fmt: skip


def _done(result: object) -> None:
    click.echo(f"{getattr(result, 'summary', '')}")
    n = getattr(result, "notices", 0)
    if n:
        click.echo(f"  {n} mail(s) queued")


@item_group.command("place")
@click.argument("item_id", metavar="ID")
@_TO
@_WHY
@_ROUND
@click.pass_context
def place(ctx: click.Context, item_id: str, consultation: str, why: str,
          round_key: str | None) -> None:  # fmt: skip
    """Give an item read with no consultation its consultation K and an ID.

    ID is the item's number as `mailflow status` lists it. The member is told the new
    ID; K's departments get the item in their bundle, or in a follow-up if it has gone.
    """
    from mailflow.services.staff_corrections import place_item

    _done(place_item(app(ctx).services(), item_id, consultation, why, round_key))


@item_group.command("move")
@click.argument("item_id", metavar="ID")
@_TO
@_WHY
@_ROUND
@click.pass_context
def move(ctx: click.Context, item_id: str, consultation: str, why: str,
         round_key: str | None) -> None:  # fmt: skip
    """File ID under consultation K with a new ID; the old ID shows where it went."""
    from mailflow.services.staff_corrections import move_item

    _done(move_item(app(ctx).services(), item_id, consultation, why, round_key))


@item_group.command("split")
@click.argument("item_id", metavar="ID")
@click.option("--at", "at", required=True, metavar="TEXT",
              help="Where the second item begins: text of ID, its first occurrence.")  # fmt: skip
@_WHY
@_ROUND
@click.pass_context
def split(ctx: click.Context, item_id: str, at: str, why: str, round_key: str | None) -> None:
    """Cut ID in two where TEXT begins: the second part gets a new ID."""
    from mailflow.services.staff_corrections import split_item

    _done(split_item(app(ctx).services(), item_id, at, why, round_key))


@item_group.command("merge")
@click.argument("first", metavar="ID")
@click.argument("second", metavar="ID2")
@_WHY
@_ROUND
@click.pass_context
def merge(ctx: click.Context, first: str, second: str, why: str, round_key: str | None) -> None:
    """Join ID2 into ID (one item read as two): ID keeps its number, ID2 points to it."""
    from mailflow.services.staff_corrections import merge_items

    _done(merge_items(app(ctx).services(), first, second, why, round_key))


@item_group.command("withdraw")
@click.argument("item_id", metavar="ID")
@_WHY
@_ROUND
@click.pass_context
def withdraw(ctx: click.Context, item_id: str, why: str, round_key: str | None) -> None:
    """Withdraw ID for its author (a greeting read as an item, a duplicate); kept, unsent."""
    from mailflow.services.staff_corrections import withdraw_item

    _done(withdraw_item(app(ctx).services(), item_id, why, round_key))


@item_group.command("add")
@click.argument("message", metavar="MAIL", type=int)
@click.option("--consultation", "consultation", default=None, metavar="K",
              help="The consultation's key, as in its item IDs.")  # fmt: skip
@click.option("--text", default=None, help="The item as the member wrote it.")
@click.option("--nothing", is_flag=True, help="The attachment holds nothing to file.")
@_WHY
@click.pass_context
def add(ctx: click.Context, message: int, consultation: str | None, text: str | None,
        nothing: bool, why: str) -> None:  # fmt: skip
    """File an item by hand from member's mail MAIL (an attachment that could not be read).

    `mailflow status` lists such mails by number. Repeat for each item; --nothing when
    there is none. The member is told the ID; its departments get it as a late item.
    """
    from mailflow.errors import InputError
    from mailflow.services.staff_corrections import add_item

    if nothing and (consultation is not None or text is not None):
        raise InputError(["--nothing: give no --consultation or --text with it"])
    if not nothing and (consultation is None or text is None):
        raise InputError(["give --consultation and --text, or --nothing"])
    _done(add_item(app(ctx).services(), message, consultation, text, why))


@cli.group("answer")
def answer_group() -> None:
    """Answers (回答): replace or remove a wrong or obsolete one; the old one is kept."""


@answer_group.command("replace")
@click.argument("item_id", metavar="ITEM")
@click.option("--text", required=True, help="The answer as it should read.")
@_WHY
@_ROUND
@click.pass_context
def replace(ctx: click.Context, item_id: str, text: str, why: str, round_key: str | None) -> None:
    """Replace the answer to ITEM; members who had it get 回答の訂正のお知らせ."""
    from mailflow.services.staff_corrections import replace_answer

    _done(replace_answer(app(ctx).services(), item_id, text, why, round_key))


@answer_group.command("remove")
@click.argument("item_id", metavar="ITEM")
@_WHY
@_ROUND
@click.pass_context
def remove(ctx: click.Context, item_id: str, why: str, round_key: str | None) -> None:
    """Remove the answer to ITEM; members who had it are told it is withdrawn."""
    from mailflow.services.staff_corrections import remove_answer

    _done(remove_answer(app(ctx).services(), item_id, why, round_key))
