"""What `check-config` and the daemon's start verify about secrets and the files holding mail.

Secrets must resolve (a variable set, a file readable, the token secret long enough)
before the daemon takes mail it could not answer; secret files and the SQLite database
must not be readable by anyone but mailflow's own user. Problems stop the command;
loose permissions are warnings the operator fixes with chmod.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path

from mailflow.config import Config
from mailflow.errors import InputError

# Group and others: any of their bits makes a file or folder readable (or worse) by them.
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


@dataclass
class Findings:
    """Problems (the config will not work) and warnings (it works, but leaks)."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def secret_findings(config: Config) -> Findings:
    """Resolve every secret (never printing one); warn of files others can read."""
    found = Findings()
    for key, secret in config.secrets():
        try:
            secret.reveal()
        except InputError as exc:
            found.problems += [p if p.startswith(key) else f"{key}: {p}" for p in exc.problems]
            continue
        if secret.file is not None:
            warning = _loose(secret.file, "secret file")
            if warning:
                found.warnings.append(f"{key}: {warning}")
    return found


def storage_warnings(config: Config) -> list[str]:
    """data_dir and the SQLite files in it (or named by the URL), when others can read them."""
    out: list[str] = []
    if config.data_dir.exists():
        out += _list(_loose(config.data_dir, "data_dir"))
    path = sqlite_path(config)
    if path is not None:
        for suffix in ("", "-wal", "-shm"):
            out += _list(_loose(Path(f"{path}{suffix}"), "database file"))
    return out


def sqlite_path(config: Config) -> Path | None:
    """The SQLite database file of the config, None for another database or in memory."""
    if config.database.url is not None and not isinstance(config.database.url, str):
        return None  # a URL kept secret is a server's, never a local file
    url = config.database_url
    if not url.startswith("sqlite") or "///" not in url:
        return None
    path = url.split("///", 1)[1].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def _loose(path: Path, what: str) -> str | None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if not mode & _OTHERS:
        return None
    bits = stat.S_IMODE(mode)
    fix = "chmod 700" if stat.S_ISDIR(mode) else "chmod 600"
    return f"{what} {path} is open to group or others (mode {bits:04o}): {fix} it"


def _list(line: str | None) -> list[str]:
    return [line] if line else []
