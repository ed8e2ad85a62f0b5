"""The root click group, the context every command receives, and error reporting."""

from __future__ import annotations

import getpass
import importlib
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from mailflow.clock import Clock, FixedClock, SystemClock
from mailflow.config import Config, load_config
from mailflow.errors import InputError, MailflowError

EXIT_USAGE = 2  # bad input: config, round file, arguments

# Each top-level command and the modules that add it (or its sub-commands) to `cli`. A
# command imports only its own modules, so `mailflow round list` does not pay for the
# web console, the daemon or the minutes' renderers (~2.5 s of CPU on every command).
COMMAND_MODULES: dict[str, str | tuple[str, ...]] = {
    "check-config": "config_cmd",
    "db": "db",
    "round": ("rounds", "workflow"),  # `round open|extend|…` live in workflow
    "parse": "parse",
    "ingest": "intake",
    "reprocess": "intake",
    "quarantine": "intake",
    "fetch": "intake",
    "outbox": "outbox",
    "minutes": "minutes",
    "export": "minutes",
    "item": ("items", "corrections"),  # `item place|move|split|merge|…` live in corrections
    "answer": "corrections",
    "tick": "workflow",
    "status": "workflow",
    "run": "run",
    "worker": "worker",
    "demo": "demo",
    "staff": "staff",
    "web": "web",
}


@dataclass
class AppContext:
    """What the global options decide; the config is loaded only by commands that need it."""

    config_path: Path | None
    clock: Clock
    _config: Config | None = None

    def config(self) -> Config:
        if self._config is None:
            if self.config_path is None:
                raise InputError(["no configuration: pass --config FILE or set MAILFLOW_CONFIG"])
            self._config = load_config(self.config_path)
        return self._config

    def services(self) -> Any:
        from mailflow import wiring

        return wiring.services(self.config(), self.clock, staff_actor())


def staff_actor() -> str:
    """Who is acting, for the audit log: MAILFLOW_STAFF, else the login name."""
    name = os.environ.get("MAILFLOW_STAFF")
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
    return f"staff:{name}"


def console() -> Console:
    # Wide when piped, so Japanese lines are not folded in files and tests.
    return Console(width=None if sys.stdout.isatty() else 160, highlight=False, soft_wrap=False)


def _parse_now(value: str | None) -> Clock:
    if value is None:
        return SystemClock()
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"not an ISO-8601 date-time: {value!r}", param_hint="--now"
        ) from None
    if at.tzinfo is None:
        raise click.BadParameter(f"needs a UTC offset, such as {value}+09:00", param_hint="--now")
    return FixedClock(at)


def command_modules(name: str) -> tuple[str, ...]:
    modules = COMMAND_MODULES.get(name, ())
    return (modules,) if isinstance(modules, str) else modules


class MailflowGroup(click.Group):
    """Reports mailflow's own errors as plain lines on stderr with their exit code: 2 for
    every staff-input error (`StaffInputError`), 1 for the rest; never a traceback.

    Sub-commands are loaded on demand from `COMMAND_MODULES`.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMAND_MODULES, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            for module in command_modules(cmd_name):
                importlib.import_module(f"mailflow.cli.{module}")
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MailflowError as exc:
            for line in dict.fromkeys(exc.problems):
                click.echo(f"error: {line}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=MailflowGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="MAILFLOW_CONFIG",
    help="Configuration file (TOML). Env: MAILFLOW_CONFIG.",
)
@click.option("--now", "now", metavar="ISO-8601", help="Act as if it were this time (with offset).")
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
