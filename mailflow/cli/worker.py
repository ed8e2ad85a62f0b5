"""`mailflow worker`: share every committee's work with other workers (PostgreSQL)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import click

from mailflow.cli.app import app, cli
from mailflow.errors import InputError


@cli.command("worker")
@click.option(
    "--also",
    "also",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Another committee's config this worker serves too (repeatable).",
)
@click.option("--concurrency", type=click.IntRange(min=1), default=None,
              help="Jobs run at once [default: two per committee, and four].")  # fmt: skip
@click.option("--tick-every", type=click.IntRange(min=1), default=60, show_default=True,
              help="Seconds between each committee's deadline ticks.")  # fmt: skip
@click.option("--stalled-after", type=click.FloatRange(min=1), default=10.0, show_default=True,
              help="Seconds of silence after which a worker is taken for dead.")  # fmt: skip
@click.option("--hold", type=click.IntRange(min=5), default=300, show_default=True,
              help="Seconds one worker holds a mailbox before it is handed on.")  # fmt: skip
@click.option("--log-json", is_flag=True, help="One JSON object per log line.")
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
@click.pass_context
def worker(
    ctx: click.Context,
    also: tuple[Path, ...],
    concurrency: int | None,
    tick_every: int,
    stalled_after: float,
    hold: int,
    log_json: bool,
    log_level: str,
) -> None:
    """Poll mailboxes, tick rounds and send mail as jobs shared by every worker.

    Needs PostgreSQL (`mailflow db upgrade` creates the job tables too). Start as many
    workers as wanted, on any machine, each with the configs of the committees it may
    serve: each mailbox is held by one worker at a time, and a dead worker's work is
    taken over by the others.
    """
    from mailflow.config import load_config
    from mailflow.logsetup import configure
    from mailflow.services.private import secret_findings
    from mailflow.services.worker import QueueWorker, WorkerSettings

    configure(json_lines=log_json, level=log_level)
    first = app(ctx).services()
    everyone = [first] + [first.for_config(load_config(path)) for path in also]
    ids = [s.config.committee.id for s in everyone]
    if len(set(ids)) != len(ids):
        raise InputError([f"--also: a committee appears twice ({', '.join(ids)})"])
    for services in everyone:
        services.require_schema()
        found = secret_findings(services.config)
        if found.problems:
            raise InputError(found.problems)
    settings = WorkerSettings(concurrency=concurrency, tick_every=tick_every,
                              stalled_after=stalled_after, hold_seconds=hold)  # fmt: skip
    try:
        backend = QueueWorker(everyone, settings)
    except ValueError as exc:
        raise InputError([str(exc)]) from None

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await backend.run(stop)

    asyncio.run(main())
