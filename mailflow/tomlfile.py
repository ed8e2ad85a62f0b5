"""Reading TOML files; validation failures as one line per problem with its key path."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mailflow.errors import InputError


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed file, or InputError naming the file and the line that is wrong."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise InputError([f"{path}: file not found"]) from None
    except OSError as exc:
        raise InputError([f"{path}: cannot read ({exc.strerror})"]) from None
    try:
        return tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError([f"{path}: not UTF-8 text (byte {exc.start})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError([f"{path}: not valid TOML: {exc}"]) from None


def key_path(loc: Sequence[int | str]) -> str:
    """``('members', 3, 'addresses', 0)`` → ``members[3].addresses[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


_FRIENDLY = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
}


def problems(exc: ValidationError, source: Path | str) -> list[str]:
    """One line per problem: ``file: key.path: message`` — never the offending value.

    Values are left out on purpose: the failing key may hold a secret.
    """
    lines = []
    for err in exc.errors(include_url=False, include_input=False):
        # Model-level validators add no location of their own; their message starts with one.
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        msg = _FRIENDLY.get(err["type"], err["msg"])
        msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        where = key_path(loc)
        if where == "(top level)" and ": " in msg and not msg.startswith(" "):
            lines.append(f"{source}: {msg}")
        else:
            lines.append(f"{source}: {where}: {msg}")
    return lines
