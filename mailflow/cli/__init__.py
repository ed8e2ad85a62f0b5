"""The `mailflow` command: global options, then one sub-command module per area."""

from __future__ import annotations

import importlib
import sys

from mailflow.cli.app import COMMAND_MODULES, cli, command_modules


def _register() -> None:
    """Import every area's module (what `--help` and the tests need); a command alone
    imports only its own module (`MailflowGroup.get_command`)."""
    for command in COMMAND_MODULES:
        for name in command_modules(command):
            importlib.import_module(f"mailflow.cli.{name}")


def main() -> None:
    sys.exit(cli.main(standalone_mode=True))
