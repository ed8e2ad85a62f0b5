"""The audit log for people: filtered by round, who, kind and dates, newest first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from mailflow.domain.states import EventKind
from mailflow.errors import InputError
from mailflow.services.context import Services
from mailflow.store import console as repo
from mailflow.store import db
from mailflow.store import rounds as round_repo

LIMIT = 500


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    actor: str
    kind: EventKind
    round_key: str | None
    reason: str | None
    detail: str  # the event's details as JSON text, to be shown escaped


@dataclass(frozen=True)
class AuditPage:
    lines: tuple[AuditLine, ...]
    actors: tuple[str, ...]
    kinds: tuple[EventKind, ...]
    rounds: tuple[str, ...]
    truncated: bool  # more lines matched than LIMIT


def _day(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError([f"{name}: not a date such as 2021-01-13: {text!r}"]) from None


def _kind(text: str | None) -> EventKind | None:
    if not text:
        return None
    try:
        return EventKind(text)
    except ValueError:
        raise InputError([f"kind: no such kind of event: {text!r}"]) from None


def audit_log(
    services: Services,
    *,
    round_key: str | None = None,
    actor: str | None = None,
    kind: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> AuditPage:
    """Events of the committee matching every filter given; dates are the committee's days,
    ``until`` included."""
    tz = services.config.committee.tz
    start, end = _day(since, "since"), _day(until, "until")
    wanted = _kind(kind)
    services.require_schema()
    with db.reading(services.sessions) as s:
        committee = services.committee(s)
        rounds = {r.id: r.key for r in round_repo.list_all(s, committee.id)}
        round_id = next((i for i, k in rounds.items() if k == round_key), None)
        if round_key and round_id is None:
            raise InputError([f"round: no round {round_key!r}"])
        f = repo.EventFilter(
            round_id=round_id, actor=actor or None, kind=wanted,
            since=datetime.combine(start, time(), tz) if start else None,
            until=datetime.combine(end + timedelta(days=1), time(), tz) if end else None,
            limit=LIMIT + 1,
        )  # fmt: skip
        rows = repo.events(s, committee.id, f)
        actors, kinds = repo.event_choices(s, committee.id)
        lines = tuple(
            AuditLine(e.at, e.actor, EventKind(e.kind), rounds.get(e.round_id or 0), e.reason,
                      json.dumps(e.detail, ensure_ascii=False, sort_keys=True) if e.detail else "")
            for e in rows[:LIMIT]
        )  # fmt: skip
    return AuditPage(lines, tuple(actors), tuple(kinds), tuple(rounds.values()), len(rows) > LIMIT)
