"""The root click group and the context object every command receives."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import click

from mailflow.clock import Clock, FixedClock, SystemClock

EXIT_USAGE = 2  # bad input: config, round file, arguments


@dataclass
class AppContext:
    """What the global options decide; commands load the config through it lazily."""

    config_path: Path | None
    clock: Clock
    _cache: dict[str, object] = field(default_factory=dict)


def _parse_now(value: str | None) -> Clock:
    if value is None:
        return SystemClock()
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO-8601 date-time: {value!r}", param_hint="--now") from exc
    if at.tzinfo is None:
        raise click.BadParameter(
            f"needs a UTC offset, such as {value}+09:00", param_hint="--now"
        )
    return FixedClock(at)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    envvar="MAILFLOW_CONFIG",
    help="Configuration file (TOML). Env: MAILFLOW_CONFIG.",
)
@click.option("--now", "now", metavar="ISO-8601", help="Act as if it were this time (aware).")
@click.version_option(package_name="mailflow")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, now: str | None) -> None:
    """mailflow — run a committee's written deliberation (書面審議) by email."""
    ctx.obj = AppContext(config_path=config_path, clock=_parse_now(now))


def app(ctx: click.Context) -> AppContext:
    obj = ctx.find_object(AppContext)
    if obj is None:  # pragma: no cover - click always builds it in `cli`
        raise click.UsageError("internal: no application context")
    return obj


def env_config_path() -> Path | None:
    value = os.environ.get("MAILFLOW_CONFIG")
    return Path(value) if value else None
