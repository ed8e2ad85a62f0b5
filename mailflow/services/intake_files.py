"""`mailflow ingest FILE.eml …` and `reprocess`: intake fed from files or stored bytes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mailflow.domain.states import EventKind, MessageState
from mailflow.errors import InputError, NotFoundError, Refused
from mailflow.services.context import Services
from mailflow.services.ingest import Assignment, Outcome, process, process_stored
from mailflow.services.previews import MailPreview, preview
from mailflow.store import db, events
from mailflow.store import intake as repo
from mailflow.store import messages as raw_store
from mailflow.store.models import Message

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

FILE_MAILBOX = "(file)"


@dataclass(frozen=True)
class FileOutcome:
    path: Path
    stored: bool  # False: the same mail was stored before
    outcome: Outcome | None


# Files stored per durable commit before they are processed: one commit (and its
# fsync) for many files, as the mailbox's fetch stores a batch, while a batch's bytes
# held at once stay bounded.
BATCH_FILES = 64
BATCH_BYTES = 32 << 20


def ingest_files(services: Services, paths: Iterable[Path]) -> list[FileOutcome]:
    """Store the files' bytes first (committed, a batch at a time), then process each in
    the order given (`ingest.process_stored`: a group of mails to a commit); a file
    stored before, or twice in the list, is skipped."""
    services.require_schema()
    max_bytes = services.config.imap.max_message_bytes if services.config.imap else 25 << 20
    results = []
    for batch in _batches(paths):
        with db.transaction(services.sessions) as s:
            committee = services.committee(s)
            now = services.clock.now()
            stored = [
                (path, raw_store.store_raw(s, committee.id, FILE_MAILBOX, None, None, raw, now,
                                           max_bytes))
                for path, raw in batch
            ]  # fmt: skip
        outcomes = process_stored(services, [o.row_id for _, o in stored if o.inserted])
        for path, outcome in stored:
            processed = next(outcomes) if outcome.inserted else None
            results.append(FileOutcome(path, outcome.inserted, processed))
    return results


def _batches(paths: Iterable[Path]) -> Iterator[list[tuple[Path, bytes]]]:
    """The files' bytes in batches of at most `BATCH_FILES` files and, beyond one file,
    `BATCH_BYTES` bytes."""
    batch: list[tuple[Path, bytes]] = []
    size = 0
    for path in paths:
        raw = path.read_bytes()
        if batch and (len(batch) == BATCH_FILES or size + len(raw) > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append((path, raw))
        size += len(raw)
    if batch:
        yield batch


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
        committee = services.committee(s)
        if round_key is None:
            return repo.message_pks(s, committee.id, None)
        rnd = round_repo.get(s, committee.id, round_key)
        return repo.message_pks(s, committee.id, rnd.id) if rnd is not None else []


def _message(s: Session, services: Services, message_pk: int) -> Message:
    """This committee's stored message ``message_pk``; NotFoundError for any other id."""
    committee = services.committee(s)
    msg = s.get(Message, message_pk)
    if msg is None or msg.committee_id != committee.id:
        raise NotFoundError(f"no message {message_pk}")
    return msg


def assign(services: Services, message_pk: int, assignment: Assignment, why: str | None) -> Outcome:
    """Process the mail as routed by staff; a staff mistake (no such message or round)
    raises a staff-input error and leaves the mail as it was."""
    from mailflow.store import rounds as round_repo

    with db.transaction(services.sessions) as s:
        msg = _message(s, services, message_pk)
        if round_repo.get(s, msg.committee_id, assignment.round_key) is None:
            raise NotFoundError(f"--round: no round {assignment.round_key!r}")
        events.record(
            s,
            at=services.clock.now(),
            actor=services.actor,
            kind=EventKind.QUARANTINE_ASSIGNED,
            committee_id=msg.committee_id,
            message_id=msg.id,
            reason=why,
            round=assignment.round_key,
            party=str(assignment.party),
        )
    return process(services, message_pk, assignment)


def discard(services: Services, message_pk: int, why: str) -> None:
    """Set a mail waiting for staff aside; any other mail is refused as it is."""
    with db.transaction(services.sessions) as s:
        msg = _message(s, services, message_pk)
        if msg.state not in repo.AWAITING_STAFF:
            raise Refused(f"message {message_pk} is not waiting for staff (it is {msg.state})")
        msg.state = MessageState.DISCARDED
        events.record(
            s,
            at=services.clock.now(),
            actor=services.actor,
            kind=EventKind.QUARANTINE_DISCARDED,
            committee_id=msg.committee_id,
            message_id=msg.id,
            reason=why,
        )


def quarantined(services: Services) -> list[Message]:
    """Mail waiting for staff: quarantined, or failed in processing (`reprocess` retries)."""
    services.require_schema()
    with db.reading(services.sessions) as s:
        committee = services.committee(s)
        return list(repo.awaiting_staff(s, committee.id))


def failed_pks(services: Services) -> list[int]:
    """Ids of the mails processing failed on, oldest first (`reprocess --failed`)."""
    return [m.id for m in quarantined(services) if m.state == "failed"]


@dataclass(frozen=True)
class WaitingMail:
    """A mail waiting for staff, decoded for reading (never rendered as HTML)."""

    pk: int
    received_at: datetime
    state: str  # quarantined | failed
    reason: str  # the quarantine reason's code, or "failed: <error>"
    words: str  # the reason in the committee's words (`notices.waiting_words`)
    preview: MailPreview


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def waiting_mail(services: Services) -> list[WaitingMail]:
    """Quarantined and failed mail, oldest first, with its reason and decoded text."""
    from mailflow.services.notices import waiting_reason, waiting_words

    language = services.config.committee.language
    return [WaitingMail(m.id, m.received_at, m.state, waiting_reason(m),
                        waiting_words(m, language), preview(m.raw))
            for m in quarantined(services)]  # fmt: skip


def assignment_choices(services: Services) -> tuple[list[Choice], list[Choice]]:
    """The rounds a mail may be assigned to, and the parties it may be from (by id)."""
    from mailflow.store.rounds import list_all

    closed = ("cancelled", "minutes_published")
    with db.reading(services.sessions) as s:
        every = list_all(s, services.committee(s).id)
        rounds = [Choice(r.key, f"{r.key} {r.title}") for r in every if r.state not in closed]
    conf = services.config
    parties = [Choice("chair", next(m.name for m in conf.members if m.role.value == "chair"))]
    parties += [Choice(m.id, m.name) for m in conf.members]
    parties += [Choice(d.id, d.name) for d in conf.departments]
    return rounds, parties


def assign_as(
    services: Services, message_pk: int, round_key: str, party_key: str, why: str | None
) -> Outcome:
    """Process the mail as routed to ``round_key`` from a member id, department id or chair."""
    from mailflow.routing import PartyKind, PartyRef
    from mailflow.store.rounds import departments_by_key, members_by_key

    conf = services.config
    with db.transaction(services.sessions) as s:
        committee = services.committee(s)
        members, depts = members_by_key(s, committee), departments_by_key(s, committee)
        chair = next(m for m in conf.members if m.role.value == "chair")
        if party_key == "chair":
            party = PartyRef(PartyKind.CHAIR, str(members[chair.id].id))
        elif party_key in members:
            party = PartyRef(PartyKind.MEMBER, str(members[party_key].id))
        elif party_key in depts:
            party = PartyRef(PartyKind.DEPARTMENT, str(depts[party_key].id))
        else:
            raise InputError([f"--as: {party_key!r} is no member id, department id or 'chair'"])
    return assign(services, message_pk, Assignment(round_key, party), why)
