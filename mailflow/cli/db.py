"""`mailflow db upgrade|current`: bring the database schema to the newest revision."""

from __future__ import annotations

import click

from mailflow.cli.app import app, cli
from mailflow.store import db


@cli.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.pass_context
def upgrade(ctx: click.Context) -> None:
    """Create the schema in an empty database, or migrate an older one to the newest."""
    services = app(ctx).services()
    before = db.current_revision(services.engine)
    db.upgrade(services.engine)
    after = db.current_revision(services.engine)
    if before == after:
        click.echo(f"database already at {after}")
    else:
        click.echo(f"database upgraded from {before or 'empty'} to {after}")
    if db.is_postgres(services.engine):
        # The job tables of `mailflow worker` (procrastinate), beside the committee's.
        from mailflow.services.worker import apply_schema

        if apply_schema(services):
            click.echo("task queue tables created (procrastinate)")


@db_group.command("current")
@click.pass_context
def current(ctx: click.Context) -> None:
    """Print the schema revision of the database and the newest one this version knows."""
    services = app(ctx).services()
    click.echo(f"current: {db.current_revision(services.engine) or 'empty'}")
    click.echo(f"head:    {db.head_revision()}")
