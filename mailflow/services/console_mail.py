"""A round's stored mail for the console: each decoded, beside what was read from it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from mailflow.errors import NotFoundError
from mailflow.services.context import Services
from mailflow.services.previews import MailPreview, preview
from mailflow.store import console as repo
from mailflow.store import db
from mailflow.store import rounds as round_repo


@dataclass(frozen=True)
class MailRecord:
    """One thing read from a mail: an item, an answer or a decision, and its state."""

    kind: str  # item | answer | decision
    label: str  # Q13-03, the answered ID, or the verdict
    text: str
    state: str


@dataclass(frozen=True)
class StoredMail:
    pk: int
    received_at: datetime
    state: str  # stored | done | quarantined | failed | discarded …
    classification: str | None
    sender_kind: str | None
    phase: int | None
    late: bool
    error: str | None
    preview: MailPreview
    records: tuple[MailRecord, ...]


def round_mail(services: Services, key: str) -> list[StoredMail]:
    """Every stored mail of the round, oldest first, with the records filed from it."""
    services.require_schema()
    with db.reading(services.sessions) as s:
        committee = services.committee(s)
        rnd = round_repo.get(s, committee.id, key)
        if rnd is None:
            raise NotFoundError(f"no round {key!r}")
        messages = repo.messages_of_round(s, rnd.id)
        found = repo.records_of_round_mail(s, rnd.id)
        public = {i.id: i.public_id or str(i.id) for i in found.items}
        cons = {c.id: c.number for c in rnd.consultations}
        records: dict[int, list[MailRecord]] = defaultdict(list)
        for i in found.items:
            records[i.source_message_id or 0].append(
                MailRecord("item", i.public_id or f"#{i.id}", i.text, i.state)
            )
        for a in found.answers:
            records[a.source_message_id or 0].append(
                MailRecord("answer", public.get(a.item_id, f"#{a.item_id}"), a.text, a.state)
            )
        for d in found.decisions:
            records[d.source_message_id or 0].append(MailRecord(
                "decision", f"{cons.get(d.consultation_id, '?')}: {d.verdict}",
                d.conditions or "", d.state))  # fmt: skip
        return [
            StoredMail(m.id, m.received_at, m.state, m.classification, m.sender_kind, m.phase,
                       m.late, m.error, preview(m.raw), tuple(records.get(m.id, ())))
            for m in messages
        ]  # fmt: skip
