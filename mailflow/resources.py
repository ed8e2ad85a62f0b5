"""Where templates and migrations are: inside the installed wheel, or at the source tree's top."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    # The wheel carries them as mailflow/_data/<name>; a checkout has them beside mailflow/.
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mailflow's {name}/ directory is missing from this installation")


def templates_dir() -> Path:
    return _find("templates")


def migrations_dir() -> Path:
    return _find("migrations")
