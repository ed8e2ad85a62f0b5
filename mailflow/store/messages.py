"""Store-first persistence of inbound mail: raw bytes with dedupe, then the server-side step."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from enum import StrEnum
from typing import Literal, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailflow.domain.states import EventKind, MessageState
from mailflow.store import events
from mailflow.store.db import insert_or_nothing
from mailflow.store.models import Message

ACTOR = "mailflow-fetch"
# The dedupe_key column holds 1000 characters; "#sha256:<64 hex>" takes 72 of them.
_MAX_MSGID_IN_KEY = 900
_HEADER_END = re.compile(rb"\r?\n\r?\n")
# The table itself: the batch path uses Core statements, which skip the ORM's per-row
# bookkeeping (a third of the store step's time when measured with the ORM).
_MESSAGE = cast(Table, Message.__table__)


class Outcome(StrEnum):
    """What `store_raw` did with one mail."""

    INSERTED = "inserted"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class StoredOutcome:
    """The result of storing one raw mail: the row it lives in, new or already there."""

    outcome: Outcome
    row_id: int
    dedupe_key: str
    sha256: str
    truncated: bool
    # For a duplicate: what matched ("uid", "message_id" or "sha256").
    matched_on: str | None = None

    @property
    def inserted(self) -> bool:
        return self.outcome is Outcome.INSERTED


_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.I | re.M)
# Header lines as the email package's feed parser accepts them (its headerRE).
_HEADER_LINES = re.compile(rb"(?:(?:[\x21-\x39\x3b-\x7e]*:|[ \t])[^\r\n]*\r?\n)*")


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID header, from the header block only (never the body), or None."""
    found = _HEADER_END.search(raw)
    head = raw[: found.end()] if found else raw[:65536]
    fast = _plain_message_id(head)
    if fast is not False:
        return fast
    # compat32 does no RFC 2047 decoding or folding repair: cheap and lossless here.
    parsed = BytesHeaderParser(policy=compat32).parsebytes(head)
    value = parsed.get("Message-ID")
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _plain_message_id(head: bytes) -> str | Literal[False] | None:
    """The parser's answer for a plain ASCII header block, in a tenth of its time.

    False where the block has anything the parser treats specially (8-bit bytes, bare
    CR, a leading "From " or continuation line, a malformed line before the header):
    the parser then decides, so both paths always agree on the dedupe key.
    """
    if not head.isascii() or head.count(b"\r") != head.count(b"\r\n"):
        return False
    if head.startswith((b"From ", b" ", b"\t")):
        return False
    found = _MESSAGE_ID.search(head)
    if found is None:
        return None  # the parser reads header names at line starts too: none there
    # The parser stops at the first line that is not a header; the ID must come before.
    valid = _HEADER_LINES.match(head, 0, found.start())
    if valid is None or valid.end() != found.start():
        return False
    text = " ".join(found.group(1).decode("ascii").split())
    return text or None


def _dedupe_keys(message_id: str | None, digest: str) -> tuple[str, str]:
    """(primary key, key for a different mail that reuses the same Message-ID)."""
    if message_id is None:
        key = f"sha256:{digest}"
        return key, key
    short = message_id[:_MAX_MSGID_IN_KEY]
    return short, f"{short}#sha256:{digest}"


@dataclass(frozen=True)
class _Stored:
    """What the dedupe needs of a stored mail (not its bytes, which may be megabytes)."""

    id: int
    dedupe_key: str
    sha256: str


_STORED = (Message.id, Message.dedupe_key, Message.sha256)
_BY_KEY = select(*_STORED).where(
    Message.committee_id == bindparam("committee_id"), Message.dedupe_key == bindparam("key")
)
_BY_UID = select(*_STORED).where(
    Message.committee_id == bindparam("committee_id"),
    Message.mailbox == bindparam("mailbox"),
    Message.uidvalidity == bindparam("uidvalidity"),
    Message.uid == bindparam("uid"),
)
_MESSAGE_BY_ID = select(Message).where(Message.id == bindparam("id"))


def get(session: Session, message_pk: int) -> Message | None:
    """The stored message by id (every mail's processing starts here: built once)."""
    return session.scalar(_MESSAGE_BY_ID, {"id": message_pk})


def _find(session: Session, committee_id: int, key: str) -> _Stored | None:
    row = session.execute(_BY_KEY, {"committee_id": committee_id, "key": key}).first()
    return _Stored(*row) if row is not None else None


def _find_uid(
    session: Session, committee_id: int, mailbox: str, uidvalidity: int | None, uid: int | None
) -> _Stored | None:
    if uidvalidity is None or uid is None:  # a mail fed from a file has no IMAP identity
        return None
    params = {"committee_id": committee_id, "mailbox": mailbox, "uidvalidity": uidvalidity}
    row = session.execute(_BY_UID, {**params, "uid": uid}).first()
    return _Stored(*row) if row is not None else None


def store_raw(
    session: Session,
    committee_id: int,
    mailbox: str,
    uidvalidity: int | None,
    uid: int | None,
    raw: bytes,
    received_at: datetime,
    max_bytes: int,
    *,
    size: int | None = None,
) -> StoredOutcome:
    """Store one mail's raw bytes before anything parses it; never loses, never doubles.

    `size` is the mail's full size when the caller fetched only its first `max_bytes`
    (IMAP partial fetch); the mail is then stored truncated, as it is when `raw` itself is
    longer than `max_bytes`. The caller commits. Safe against a concurrent insert of the
    same mail: the insert runs in a SAVEPOINT and a unique-key clash reads the winner.
    """
    full_size = max(size or 0, len(raw))
    truncated = full_size > max_bytes or len(raw) > max_bytes
    kept = raw[:max_bytes]
    digest = hashlib.sha256(kept).hexdigest()
    message_id = message_id_of(kept)
    primary, reused = _dedupe_keys(message_id, digest)

    for attempt in range(2):
        existing, taken = _duplicate_of(
            session, committee_id, mailbox, uidvalidity, uid, primary, digest
        )
        if existing is not None:
            found, matched = existing
            return StoredOutcome(
                Outcome.DUPLICATE, found.id, found.dedupe_key, digest, truncated, matched
            )
        key = reused if taken else primary
        row_id = insert_or_nothing(
            session,
            Message,
            {
                "committee_id": committee_id, "dedupe_key": key,
                "message_id": message_id[:998] if message_id else None, "sha256": digest,
                "mailbox": mailbox, "uidvalidity": uidvalidity, "uid": uid,
                "size": full_size, "raw": kept, "truncated": truncated,
                "received_at": received_at, "state": MessageState.STORED.value,
                "late": False,
            },
        )  # fmt: skip
        if row_id is None:
            # Another poller stored it between our look and our insert: look again.
            if attempt == 0:
                continue
            raise RuntimeError(f"message {key!r}: a unique key clashed twice, and no copy found")
        facts = _Facts(row_id, full_size, len(kept), truncated)
        _record_events(session, committee_id, facts, message_id, key != primary, received_at)
        return StoredOutcome(Outcome.INSERTED, row_id, key, digest, truncated)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class RawMail:
    """One fetched mail handed to `store_batch`."""

    uid: int
    raw: bytes
    received_at: datetime
    size: int | None = None


@dataclass(frozen=True)
class PreparedMail:
    """A fetched mail with its digest and dedupe keys worked out, ready to store."""

    mail: RawMail
    max_bytes: int
    kept: bytes
    digest: str
    message_id: str | None
    primary: str
    reused: str
    size: int
    truncated: bool


def prepare_mail(mail: RawMail, max_bytes: int) -> PreparedMail:
    """sha256 and Message-ID of one mail: no database, so it can run beside a commit."""
    full_size = max(mail.size or 0, len(mail.raw))
    kept = mail.raw[:max_bytes]
    digest = hashlib.sha256(kept).hexdigest()
    message_id = message_id_of(kept)
    primary, reused = _dedupe_keys(message_id, digest)
    return PreparedMail(
        mail, max_bytes, kept, digest, message_id, primary, reused, full_size, full_size > max_bytes
    )


def prepare_mails(mails: Sequence[RawMail], max_bytes: int) -> list[PreparedMail]:
    return [prepare_mail(m, max_bytes) for m in mails]


def store_batch(
    session: Session,
    committee_id: int,
    mailbox: str,
    uidvalidity: int,
    mails: Sequence[RawMail],
    max_bytes: int,
) -> list[StoredOutcome]:
    """`store_raw` for many mails at once: two lookups and one multi-row INSERT.

    Same rules and results as calling `store_raw` for each mail in order; a clash with a
    concurrent writer rolls the batch's SAVEPOINT back and stores them one by one.
    """
    return store_prepared(
        session, committee_id, mailbox, uidvalidity, prepare_mails(mails, max_bytes)
    )


def store_prepared(
    session: Session,
    committee_id: int,
    mailbox: str,
    uidvalidity: int,
    prepared: Sequence[PreparedMail],
) -> list[StoredOutcome]:
    """`store_batch` for mails whose digests `prepare_mails` already worked out."""
    if not prepared:
        return []
    keys = {p.primary for p in prepared} | {p.reused for p in prepared}
    by_key: dict[str, tuple[int, str]] = {}
    for start in range(0, len(keys), 500):
        chunk = sorted(keys)[start : start + 500]
        for row_id, key, digest in session.execute(
            select(Message.id, Message.dedupe_key, Message.sha256).where(
                Message.committee_id == committee_id, Message.dedupe_key.in_(chunk)
            )
        ):
            by_key[key] = (row_id, digest)
    by_uid: dict[int, tuple[int, str]] = {
        uid: (row_id, key)
        for row_id, key, uid in session.execute(
            select(Message.id, Message.dedupe_key, Message.uid).where(
                Message.committee_id == committee_id,
                Message.mailbox == mailbox,
                Message.uidvalidity == uidvalidity,
                Message.uid.in_([p.mail.uid for p in prepared]),
            )
        )
        if uid is not None
    }
    decided: list[StoredOutcome | tuple[PreparedMail, str]] = []
    for p in prepared:
        if p.mail.uid in by_uid:
            row_id, key = by_uid[p.mail.uid]
            decided.append(
                StoredOutcome(Outcome.DUPLICATE, row_id, key, p.digest, p.truncated, "uid")
            )
            continue
        same = by_key.get(p.primary)
        if same is not None and same[1] == p.digest:
            matched = "sha256" if p.primary.startswith("sha256:") else "message_id"
            decided.append(
                StoredOutcome(Outcome.DUPLICATE, same[0], p.primary, p.digest, p.truncated, matched)
            )
            continue
        if same is not None and p.reused in by_key:
            decided.append(
                StoredOutcome(
                    Outcome.DUPLICATE,
                    by_key[p.reused][0],
                    p.reused,
                    p.digest,
                    p.truncated,
                    "sha256",
                )
            )
            continue
        key = p.primary if same is None else p.reused
        by_key[key] = (0, p.digest)  # later mails in this batch see it as taken
        by_uid[p.mail.uid] = (0, key)
        decided.append((p, key))
    fresh = [d for d in decided if isinstance(d, tuple)]
    if not fresh:
        return [d for d in decided if isinstance(d, StoredOutcome)]
    try:
        with session.begin_nested():
            ids = _insert_rows(session, committee_id, mailbox, uidvalidity, fresh)
    except IntegrityError:
        # A concurrent writer got there first: the careful path sorts it out per mail.
        return [
            store_raw(
                session,
                committee_id,
                mailbox,
                uidvalidity,
                p.mail.uid,
                p.mail.raw,
                p.mail.received_at,
                p.max_bytes,
                size=p.mail.size,
            )
            for p in prepared
        ]
    outcomes: list[StoredOutcome] = []
    inserted = iter(ids)
    for d in decided:
        if isinstance(d, StoredOutcome):
            # A duplicate of a mail earlier in this same batch carries no row id yet.
            outcomes.append(d)
            continue
        p, key = d
        row_id = next(inserted)
        outcomes.append(StoredOutcome(Outcome.INSERTED, row_id, key, p.digest, p.truncated))
    outcomes = [_fill_batch_ids(o, outcomes) for o in outcomes]
    for d, o in zip(decided, outcomes, strict=True):
        if isinstance(d, tuple):
            p, key = d
            _record_batch_events(session, committee_id, o.row_id, p, key != p.primary)
    return outcomes


def _fill_batch_ids(outcome: StoredOutcome, outcomes: Sequence[StoredOutcome]) -> StoredOutcome:
    if outcome.row_id != 0:
        return outcome
    twin = next(o for o in outcomes if o.inserted and o.dedupe_key == outcome.dedupe_key)
    return StoredOutcome(
        outcome.outcome,
        twin.row_id,
        twin.dedupe_key,
        outcome.sha256,
        outcome.truncated,
        outcome.matched_on,
    )


def _insert_rows(
    session: Session,
    committee_id: int,
    mailbox: str,
    uidvalidity: int,
    fresh: Sequence[tuple[PreparedMail, str]],
) -> list[int]:
    rows = [
        {
            "committee_id": committee_id,
            "dedupe_key": key,
            "message_id": p.message_id[:998] if p.message_id else None,
            "sha256": p.digest,
            "mailbox": mailbox,
            "uidvalidity": uidvalidity,
            "uid": p.mail.uid,
            "size": p.size,
            "raw": p.kept,
            "truncated": p.truncated,
            "received_at": p.mail.received_at,
            "state": "stored",
        }
        for p, key in fresh
    ]
    # One multi-row INSERT … RETURNING per page of rows (SQLAlchemy's "insertmanyvalues"):
    # a handful of statements per batch rather than one per row, so the worker thread
    # hands the interpreter lock back and forth a few times, not once per mail. Rows
    # come back in no promised order, hence the key beside each id.
    found: dict[str, int] = {
        key: row_id
        for row_id, key in session.execute(
            insert(_MESSAGE).returning(_MESSAGE.c.id, _MESSAGE.c.dedupe_key), rows
        )
    }
    keys = [key for _p, key in fresh]
    return [found[key] for key in keys]


def _record_batch_events(
    session: Session, committee_id: int, row_id: int, p: PreparedMail, reused_id: bool
) -> None:
    _record_events(
        session,
        committee_id,
        _Facts(row_id, p.size, len(p.kept), p.truncated),
        p.message_id,
        reused_id,
        p.mail.received_at,
    )


@dataclass(frozen=True)
class _Facts:
    """What the staff events say about a stored mail."""

    row_id: int
    size: int
    kept: int
    truncated: bool


def _duplicate_of(
    session: Session,
    committee_id: int,
    mailbox: str,
    uidvalidity: int | None,
    uid: int | None,
    primary: str,
    digest: str,
) -> tuple[tuple[_Stored, str] | None, bool]:
    """The stored copy of this mail and how it matched, if any; else whether its primary
    key is taken (by different bytes under the same Message-ID)."""
    by_uid = _find_uid(session, committee_id, mailbox, uidvalidity, uid)
    if by_uid is not None:
        return (by_uid, "uid"), False  # a duplicate: whether its key is taken is moot
    same_key = _find(session, committee_id, primary)
    if same_key is not None and same_key.sha256 == digest:
        return (same_key, "sha256" if primary.startswith("sha256:") else "message_id"), True
    if same_key is not None:
        # The Message-ID is taken by different bytes: this exact mail may be stored already.
        again = _find(session, committee_id, f"{primary}#sha256:{digest}")
        if again is not None:
            return (again, "sha256"), True
    return None, same_key is not None


def _record_events(
    session: Session,
    committee_id: int,
    row: _Facts,
    message_id: str | None,
    reused_id: bool,
    at: datetime,
) -> None:
    if row.truncated:
        events.record(
            session,
            at=at,
            actor=ACTOR,
            kind=EventKind.MESSAGE_TRUNCATED,
            committee_id=committee_id,
            message_id=row.row_id,
            reason="larger than max_message_bytes: stored truncated, staff must look",
            size=row.size,
            kept=row.kept,
        )
    if reused_id:
        events.record(
            session,
            at=at,
            actor=ACTOR,
            kind=EventKind.MESSAGE_ID_REUSED,
            committee_id=committee_id,
            message_id=row.row_id,
            reason="a different mail carries a Message-ID already stored: kept both",
            header_message_id=message_id,
        )


@dataclass(frozen=True)
class ServerAction:
    """A committed mail whose server-side move or flag is still to do."""

    uid: int
    state: str  # the message's processing state: it decides the folder


def pending_server_actions(
    session: Session, committee_id: int, mailbox: str, uidvalidity: int, acted_uid: int
) -> list[ServerAction]:
    """Mails committed but not yet moved or flagged on the server (a crash came between):
    those above the mailbox's `acted_uid` mark."""
    rows = session.execute(
        select(_MESSAGE.c.uid, _MESSAGE.c.state)
        .where(
            _MESSAGE.c.committee_id == committee_id,
            _MESSAGE.c.mailbox == mailbox,
            _MESSAGE.c.uidvalidity == uidvalidity,
            _MESSAGE.c.uid > acted_uid,
        )
        .order_by(_MESSAGE.c.uid)
    )
    return [ServerAction(int(uid), str(state)) for uid, state in rows]


def pending_messages(session: Session, committee_id: int) -> list[int]:
    """Ids of mails stored but never processed (the process stopped in between), oldest first."""
    return list(
        session.scalars(
            select(_MESSAGE.c.id)
            .where(_MESSAGE.c.committee_id == committee_id, _MESSAGE.c.state == "stored")
            .order_by(_MESSAGE.c.id)
        )
    )


def stored_digests(session: Session, committee_id: int) -> Sequence[str]:
    """Every stored mail's sha256, in arrival order (for checks and reports)."""
    return list(
        session.scalars(
            select(Message.sha256).where(Message.committee_id == committee_id).order_by(Message.id)
        )
    )
