"""Whether a server answers on its port: a TCP connection opened and closed (/health)."""

from __future__ import annotations

import socket


def reachable(host: str, port: int, timeout: float = 3.0) -> str | None:
    """None when a connection opens within ``timeout``; else why not, in a few words."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except OSError as exc:
        return exc.strerror or type(exc).__name__
