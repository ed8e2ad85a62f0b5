"""The `mailflow` command: global options, then one sub-command module per area."""

from __future__ import annotations

import sys

from mailflow.cli.app import cli


def _register() -> None:
    # Each area lives in its own module and adds its commands to `cli`; importing them
    # here (not at module top) keeps `mailflow --help` cheap and the list explicit.
    import importlib

    for name in (
        "config_cmd",
        "db",
        "rounds",
        "parse",
        "intake",
        "outbox",
        "minutes",
        "items",
        "workflow",
        "run",
        "worker",
        "demo",
        "staff",
        "web",
    ):
        try:
            importlib.import_module(f"mailflow.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"mailflow.cli.{name}":
                raise


def main() -> None:
    _register()
    sys.exit(cli.main(standalone_mode=True))
