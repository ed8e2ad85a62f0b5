"""`mailflow staff add|list|disable|passwd`: the logins of the staff console."""

from __future__ import annotations

from pathlib import Path

import click

from mailflow.cli.app import app, cli, console
from mailflow.errors import InputError


def _password(password_file: Path | None) -> str:
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InputError([f"--password-file: {password_file}: {exc.strerror}"]) from None
        except UnicodeDecodeError:
            raise InputError([f"--password-file: {password_file}: not UTF-8 text"]) from None
        if not lines or not lines[0]:
            raise InputError([f"--password-file: {password_file}: the first line is empty"])
        return lines[0]
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


_PASSWORD_FILE = click.option(
    "--password-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Read the password from the first line of this file instead of prompting.",
)


@cli.group("staff")
def staff_group() -> None:
    """Logins of the staff console (mailflow web): staff act, auditors only read."""


@staff_group.command("add")
@click.argument("login")
@click.option("--role", type=click.Choice(["staff", "auditor"]), required=True)
@_PASSWORD_FILE
@click.pass_context
def add(ctx: click.Context, login: str, role: str, password_file: Path | None) -> None:
    """Add LOGIN with a password (prompted, or --password-file)."""
    from mailflow.services.staff import add_account

    services = app(ctx).services()
    view = add_account(services, login, role, _password(password_file))
    click.echo(f"staff login {view.login} added ({view.role})")


@staff_group.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """Every login with its role and whether it is active."""
    from rich.table import Table

    from mailflow.services.staff import list_accounts

    services = app(ctx).services()
    tz = services.config.committee.tz
    table = Table("login", "role", "active", "password set")
    for v in list_accounts(services):
        when = v.password_changed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        table.add_row(v.login, v.role.value, "yes" if v.active else "no", when)
    console().print(table)


@staff_group.command("disable")
@click.argument("login")
@click.option("--why", required=True, help="Reason, kept in the audit log.")
@click.pass_context
def disable(ctx: click.Context, login: str, why: str) -> None:
    """Stop LOGIN from logging in; its open sessions end at once."""
    from mailflow.services.staff import disable as run

    run(app(ctx).services(), login, why)
    click.echo(f"staff login {login} disabled")


@staff_group.command("passwd")
@click.argument("login")
@_PASSWORD_FILE
@click.pass_context
def passwd(ctx: click.Context, login: str, password_file: Path | None) -> None:
    """Set a new password for LOGIN (and enable it again); its open sessions end."""
    from mailflow.services.staff import set_password

    set_password(app(ctx).services(), login, _password(password_file))
    click.echo(f"staff login {login}: password set")
