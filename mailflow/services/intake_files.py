"""`mailflow ingest FILE.eml …` and `reprocess`: intake fed from files or stored bytes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mailflow.services.context import Services
from mailflow.services.ingest import Assignment, Outcome, process
from mailflow.store import db, events
from mailflow.store import intake as repo
from mailflow.store import messages as raw_store
from mailflow.store.directory import sync_committee
from mailflow.store.models import Message

FILE_MAILBOX = "(file)"


@dataclass(frozen=True)
class FileOutcome:
    path: Path
    stored: bool  # False: the same mail was stored before
    outcome: Outcome | None


def ingest_files(services: Services, paths: Iterable[Path]) -> list[FileOutcome]:
    """Store each file's bytes first (committed), then process it; duplicates are skipped."""
    services.require_schema()
    max_bytes = services.config.imap.max_message_bytes if services.config.imap else 25 << 20
    results = []
    for path in paths:
        raw = path.read_bytes()
        with db.transaction(services.sessions) as s:
            committee = sync_committee(s, services.config)
            stored = raw_store.store_raw(
                s, committee.id, FILE_MAILBOX, None, None, raw, services.clock.now(), max_bytes
            )
        if not stored.inserted:
            results.append(FileOutcome(path, False, None))
            continue
        results.append(FileOutcome(path, True, process(services, stored.row_id)))
    return results


def reprocess(services: Services, message_pks: Iterable[int]) -> list[Outcome]:
    """Re-run classification, routing and parsing from the stored raw bytes."""
    services.require_schema()
    return [process(services, pk) for pk in message_pks]


def message_pks(
    services: Services, *, round_key: str | None = None, all_: bool = False
) -> list[int]:
    from mailflow.store import rounds as round_repo

    if round_key is None and not all_:
        return []
    with db.transaction(services.sessions) as s:
        committee = sync_committee(s, services.config)
        if round_key is None:
            return repo.message_pks(s, committee.id, None)
        rnd = round_repo.get(s, committee.id, round_key)
        return repo.message_pks(s, committee.id, rnd.id) if rnd is not None else []


def assign(services: Services, message_pk: int, assignment: Assignment, why: str | None) -> Outcome:
    with db.transaction(services.sessions) as s:
        msg = s.get(Message, message_pk)
        if msg is None:
            raise LookupError(f"no message {message_pk}")
        events.record(
            s,
            at=services.clock.now(),
            actor=services.actor,
            kind="quarantine_assigned",
            committee_id=msg.committee_id,
            message_id=msg.id,
            reason=why,
            round=assignment.round_key,
            party=str(assignment.party),
        )
    return process(services, message_pk, assignment)


def discard(services: Services, message_pk: int, why: str) -> None:
    with db.transaction(services.sessions) as s:
        msg = s.get(Message, message_pk)
        if msg is None:
            raise LookupError(f"no message {message_pk}")
        msg.state = "discarded"
        events.record(
            s,
            at=services.clock.now(),
            actor=services.actor,
            kind="quarantine_discarded",
            committee_id=msg.committee_id,
            message_id=msg.id,
            reason=why,
        )


def quarantined(services: Services) -> list[Message]:
    """Mail waiting for staff: quarantined, or failed in processing (`reprocess` retries)."""
    services.require_schema()
    with db.transaction(services.sessions) as s:
        committee = sync_committee(s, services.config)
        return list(repo.awaiting_staff(s, committee.id))


def failed_pks(services: Services) -> list[int]:
    """Ids of the mails processing failed on, oldest first (`reprocess --failed`)."""
    return [m.id for m in quarantined(services) if m.state == "failed"]
