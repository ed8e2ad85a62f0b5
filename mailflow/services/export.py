"""Every record of a round as JSON-ready data: `mailflow export ROUND --format json`.

Addresses are personal data: without ``with_addresses`` the export has none. Members and
departments then carry no ``addresses`` key, and each outbound mail's ``recipients`` are
given as who they are instead of where the mail went — ``member:<id>``,
``department:<id>``, ``staff`` (the staff alert addresses), ``committee`` (our own
mailbox) or ``other`` — so the log still says who was written to. Addresses inside the
audit log's details are replaced the same way.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from mailflow.errors import NotFoundError
from mailflow.services.context import Services
from mailflow.services.minutes import current_decision
from mailflow.store import db
from mailflow.store import minutes as repo
from mailflow.store import rounds as rounds_repo
from mailflow.store.models import Decision

FORMAT_VERSION = 1
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _verdict_of(decision: Decision | None) -> str | None:
    return decision.verdict if decision is not None else None


class _Labels:
    """Address → who it is, for exports without addresses."""

    def __init__(
        self, services: Services, members: dict[str, list[str]], depts: dict[str, list[str]]
    ) -> None:
        conf = services.config
        self.by_address: dict[str, str] = {}
        for key, addrs in members.items():
            self.by_address.update({a.lower(): f"member:{key}" for a in addrs})
        for key, addrs in depts.items():
            self.by_address.update({a.lower(): f"department:{key}" for a in addrs})
        self.by_address.update({a.lower(): "staff" for a in conf.committee.staff_alerts})
        self.committee = conf.committee.address.lower()

    def label(self, address: str) -> str:
        a = address.strip().lower()
        local, _, domain = a.partition("@")
        if a in self.by_address:
            return self.by_address[a]
        c_local, _, c_domain = self.committee.partition("@")
        # Our plus-addresses (shingikai+token@…) are the committee mailbox too.
        if domain == c_domain and local.split("+", 1)[0] == c_local:
            return "committee"
        return "other"

    def _replace(self, m: re.Match[str]) -> str:
        # <local@host> is a Message-ID, not someone's address: it stays.
        if m.string[m.start() - 1 : m.start()] == "<" and m.string[m.end() : m.end() + 1] == ">":
            return m.group(0)
        return self.label(m.group(0))

    def scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            return _ADDRESS.sub(self._replace, value)
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        return value


def export_round(services: Services, key: str, with_addresses: bool = False) -> dict[str, Any]:
    """The round's consultations, people, items, answers, decisions, events and outbox."""
    services.require_schema()
    conf = services.config
    with db.transaction(services.sessions) as s:
        committee = services.committee(s)
        rnd = rounds_repo.get(s, committee.id, key)
        if rnd is None:
            raise NotFoundError(f"no round {key!r} in committee {conf.committee.id!r}")
        members = rounds_repo.members_by_id(s, committee.id)
        depts = repo.departments_by_id(s, committee.id)
        absent = {a.member_id for a in rnd.absences}
        labels = _Labels(
            services,
            {m.key: [a.address for a in m.addresses] for m in members.values()},
            {d.key: [a.address for a in d.addresses] for d in depts.values()},
        )
        items = repo.items_of_round(s, rnd.id)
        public = {i.id: i.public_id or str(i.id) for i in items}
        cons_key = {c.id: c.key for c in rnd.consultations}

        def member_key(pk: int | None) -> str | None:
            return members[pk].key if pk is not None and pk in members else None

        def person(addresses: list[str]) -> dict[str, Any]:
            return {"addresses": addresses} if with_addresses else {}

        def recipients(addrs: list[str]) -> list[str]:
            return list(addrs) if with_addresses else [labels.label(a) for a in addrs]

        decisions = repo.decisions_of_round(s, rnd.id)
        return {
            "format": "mailflow-round-export",
            "version": FORMAT_VERSION,
            "with_addresses": with_addresses,
            "committee": {"id": committee.key, "name": committee.name}
            | ({"address": committee.address} if with_addresses else {}),
            "round": {
                "id": rnd.key,
                "title": rnd.title,
                "fiscal_year": rnd.fiscal_year,
                "notice_date": _iso(rnd.notice_date),
                "state": rnd.state,
                "deadlines": {
                    p.name.lower(): _iso(d) for p, d in rounds_repo.deadlines(rnd).items()
                },
            },
            "consultations": [
                {
                    "key": c.key,
                    "number": c.number,
                    "title": c.title,
                    "departments": [d.key for d in c.departments],
                    "decision": _verdict_of(current_decision(decisions, c.id)),
                }
                for c in rnd.consultations
            ],
            "members": [
                {
                    "id": m.key,
                    "name": m.name,
                    "role": m.role,
                    "active": m.active,
                    "absent": m.id in absent,
                }
                | person([a.address for a in m.addresses])
                for m in sorted(members.values(), key=lambda m: m.id)
            ],
            "departments": [
                {"id": d.key, "name": d.name} | person([a.address for a in d.addresses])
                for d in sorted(depts.values(), key=lambda d: d.id)
            ],
            "items": [
                {
                    "id": public[i.id],
                    "consultation": cons_key.get(i.consultation_id) if i.consultation_id else None,
                    "member": member_key(i.member_id),
                    "phase": i.phase,
                    "kind": i.kind,
                    "text": i.text,
                    "published_text": i.published_text,
                    "reference": i.reference,
                    "follows": public.get(i.parent_item_id) if i.parent_item_id else None,
                    "confidence": i.confidence,
                    "late": i.late,
                    "state": i.state,
                    "moved_to": public.get(i.moved_to_id) if i.moved_to_id else None,
                    "origin": public.get(i.origin_id) if i.origin_id else None,
                    "placed_at": _iso(i.placed_at),
                    "staff_edited": i.staff_edited,
                    "received_at": _iso(i.received_at),
                }
                for i in items
            ],
            "answers": [
                {
                    "item": public.get(a.item_id),
                    "department": depts[a.department_id].key if a.department_id in depts else None,
                    "by_secretariat": a.by_secretariat,
                    "author_label": a.author_label,
                    "phase": a.phase,
                    "text": a.text,
                    "published_text": a.published_text,
                    "state": a.state,
                    "staff_edited": a.staff_edited,
                    "received_at": _iso(a.received_at),
                    "corrected_at": _iso(a.corrected_at),
                }
                for a in repo.answers_of_round(s, rnd.id)
            ],
            "decisions": [
                {
                    "consultation": cons_key.get(d.consultation_id),
                    "verdict": d.verdict,
                    "conditions": d.conditions,
                    "text": d.text,
                    "state": d.state,
                    "decided_by": member_key(d.decided_by_member_id),
                    "received_at": _iso(d.received_at),
                }
                for d in decisions
            ],
            "events": [
                {
                    "at": _iso(e.at),
                    "actor": e.actor,
                    "kind": e.kind,
                    "reason": e.reason if with_addresses else labels.scrub(e.reason),
                    "detail": e.detail if with_addresses else labels.scrub(e.detail),
                }
                for e in repo.events_of_round(s, rnd.id)
            ],
            "outbox": [
                {
                    "kind": o.kind,
                    "recipients": recipients(list(o.recipients)),
                    "subject": o.subject,
                    "message_id": o.message_id,
                    "state": o.state,
                    "attempts": o.attempts,
                    "created_at": _iso(o.created_at),
                    "sent_at": _iso(o.sent_at),
                }
                for o in repo.outbox_of_round(s, rnd.id)
            ],
        }
