"""`mailflow check-config`: validate the configuration and say what is wrong, never secrets."""

from __future__ import annotations

import click

from mailflow.cli.app import app, cli, console
from mailflow.errors import InputError


@cli.command("check-config")
@click.pass_context
def check_config(ctx: click.Context) -> None:
    """Validate the configuration file; exit 2 with one line per problem.

    Every secret is resolved (never printed): a variable not set, a file not readable
    or a token secret under 32 bytes is a problem. Secret files, data_dir and the SQLite
    files that others can read are warned about.
    """
    from mailflow.services.private import secret_findings, storage_warnings

    conf = app(ctx).config()
    found = secret_findings(conf)
    if found.problems:
        raise InputError(found.problems)
    out = console()
    out.print(f"ok: {app(ctx).config_path}")
    out.print(
        f"  committee   {conf.committee.name} ({conf.committee.id}) <{conf.committee.address}>"
    )
    out.print(f"  members     {len(conf.members)}   departments {len(conf.departments)}")
    out.print(f"  database    {_redact(conf.database_url)}")
    out.print(f"  imap        {_server(conf.imap)}")
    out.print(f"  smtp        {_server(conf.smtp)}")
    out.print(f"  approval    {conf.policy.approval.value}   timezone {conf.committee.timezone}")
    for warning in (*found.warnings, *storage_warnings(conf)):
        click.echo(f"warning: {warning}")  # one line each, however long the path


def _server(section: object) -> str:
    if section is None:
        return "(not configured)"
    host, port, tls = (getattr(section, k) for k in ("host", "port", "tls"))
    return f"{host}:{port} tls={tls.value}"


def _redact(url: str) -> str:
    # A database URL may carry a password: show everything but that.
    from mailflow.store.db import redacted_url

    return redacted_url(url)
