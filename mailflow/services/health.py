"""How the daemon is doing: its last cycle, the servers, the mailbox leases, the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mailflow.services.context import Services
from mailflow.store import db
from mailflow.store import outbox as outbox_repo
from mailflow.store import staff as repo


@dataclass(frozen=True)
class Reach:
    name: str  # IMAP | SMTP
    target: str  # host:port, or "" when not configured
    problem: str | None  # None: it answered


@dataclass(frozen=True)
class LeaseLine:
    name: str
    holder: str
    expires_at: datetime
    live: bool


@dataclass(frozen=True)
class Health:
    last_cycle: datetime | None
    cycle: dict[str, Any]
    servers: tuple[Reach, ...]
    leases: tuple[LeaseLine, ...]
    outbox: dict[str, int]


def _beat_name(services: Services) -> str:
    return f"scheduler:{services.config.committee.id}"


def record_cycle(services: Services, at: datetime, detail: dict[str, Any]) -> None:
    """The scheduler's heartbeat: the time and summary of the cycle just finished."""
    with db.transaction(services.sessions) as s:
        repo.beat(s, _beat_name(services), at, detail)


def _reach(services: Services, name: str, host: str | None, port: int | None) -> Reach:
    if host is None or port is None:
        return Reach(name, "", "not configured")
    return Reach(name, f"{host}:{port}", services.ports.probe(host, port))


def health(services: Services) -> Health:
    conf = services.config
    now = services.clock.now()
    services.require_schema()
    with db.transaction(services.sessions) as s:
        committee = services.committee(s)
        beat = repo.heartbeat(s, _beat_name(services))
        leases = tuple(LeaseLine(n, h, e, e > now) for n, h, e in repo.leases(s))
        box = outbox_repo.states(s, committee.id)
    servers = (
        _reach(
            services,
            "IMAP",
            conf.imap.host if conf.imap else None,
            conf.imap.port if conf.imap else None,
        ),
        _reach(
            services,
            "SMTP",
            conf.smtp.host if conf.smtp else None,
            conf.smtp.port if conf.smtp else None,
        ),
    )
    return Health(beat[0] if beat else None, beat[1] if beat else {}, servers, leases, box)


def healthz(services: Services) -> bool:
    """ok for monitoring: the database answers at the newest schema. No personal data."""
    try:
        services.require_schema()
        with db.transaction(services.sessions) as s:
            repo.leases(s)
    except Exception:
        return False
    return True
