"""`mailflow check-config`: validate the configuration and say what is wrong, never secrets."""

from __future__ import annotations

import click

from mailflow.cli.app import app, cli, console


@cli.command("check-config")
@click.pass_context
def check_config(ctx: click.Context) -> None:
    """Validate the configuration file; exit 2 with one line per problem."""
    conf = app(ctx).config()
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


def _server(section: object) -> str:
    if section is None:
        return "(not configured)"
    host, port, tls = (getattr(section, k) for k in ("host", "port", "tls"))
    return f"{host}:{port} tls={tls.value}"


def _redact(url: str) -> str:
    # A database URL may carry a password: show everything but that.
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
