"""What a staff command loads before it does anything: the CLI's start is a target of its
own (under half a second for `mailflow round list`), so the heavy libraries load only in
the commands that use them."""

from __future__ import annotations

import subprocess
import sys

# Loaded by the commands that need them, never by `round list`: migrations, answer
# sheets, templates, the other database's dialect, mail protocols, the queue, the web
# console, HTML conversion, the parsing stages.
HEAVY = (
    "alembic",
    "openpyxl",
    "jinja2",
    "sqlalchemy.dialects.postgresql",
    "psycopg",
    "aioimaplib",
    "aiosmtplib",
    "procrastinate",
    "inscriptis",
    "mailflow.parsing.pipeline",
    "mailflow.web",
)


def test_round_commands_load_none_of_the_heavy_libraries() -> None:
    probe = (
        "import sys, mailflow.cli, mailflow.cli.rounds\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""
