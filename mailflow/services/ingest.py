"""Intake of one stored mail: classify → route → parse → records, or quarantine.

The raw bytes are already committed (store first); everything here can be re-run from
them (`mailflow reprocess`). Any failure marks the message `failed` with the error and
returns: one bad mail never stops the daemon.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from mailflow.domain.states import EventKind, MessageState
from mailflow.errors import NotFoundError
from mailflow.outbound.alerts import Intake, StaffLine, intake_line
from mailflow.parsing.model import DecodedMessage
from mailflow.routing import (
    AuthPolicy,
    MailKind,
    OutboundRef,
    PartyKind,
    PartyRef,
    Proof,
    Quarantine,
    QuarantineReason,
    Routed,
    RoutingInput,
    TokenClaim,
    evaluate,
    extract_tokens,
    find_round_tag,
    read_token,
    route,
    token_from_message_id,
)
from mailflow.routing.chain import proof_of
from mailflow.services import confirmations, filing, floods
from mailflow.services.context import Services
from mailflow.services.db_wait import UNAVAILABLE
from mailflow.services.parse_worker import ParseOverBudget
from mailflow.services.records import RecordResult
from mailflow.store import db, events
from mailflow.store import directory as parties
from mailflow.store import intake as repo
from mailflow.store import messages as raw_store
from mailflow.store import pending as pending_repo
from mailflow.store import rounds as round_repo
from mailflow.store.models import Message, Round
from mailflow.workflow.identity import Reply

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_TOKEN_HEADERS = ("to", "cc", "delivered-to", "x-original-to")


@dataclass(frozen=True)
class Assignment:
    """Staff placing a quarantined mail by hand: round key and party."""

    round_key: str
    party: PartyRef


@dataclass(frozen=True)
class Outcome:
    """What became of one message, for the CLI, the logs and the staff digest."""

    message_pk: int
    state: str  # done | quarantined | failed
    kind: str  # normal | auto_reply | bounce | loop
    detail: str
    records: RecordResult | None = None
    alerts: tuple[StaffLine, ...] = field(default=())


def _header_values(decoded: DecodedMessage, names: tuple[str, ...]) -> list[str]:
    return [v for k, v in decoded.headers if k.lower() in names]


def _routing_input(
    services: Services, decoded: DecodedMessage, session: Session, committee_id: int
) -> RoutingInput:
    secret = services.config.security.token_secret.reveal().encode()
    base = services.config.committee.address
    claims: list[TokenClaim] = []
    for token in extract_tokens(_header_values(decoded, _TOKEN_HEADERS), base):
        claim = read_token(secret, token)
        if claim is not None:
            claims.append(claim)
    refs: list[OutboundRef] = []
    for msgid in [decoded.in_reply_to, *reversed(decoded.references)]:
        tok = token_from_message_id(msgid) if msgid else None
        claim = read_token(secret, tok) if tok else None
        if claim is not None:
            refs.append(OutboundRef(claim.round_id, claim.party, claim.ask))
    sec = services.config.security
    auth = evaluate(
        decoded.headers,
        sec.trusted_authserv_id,
        AuthPolicy(sec.auth_failure),
        from_address=decoded.from_address,
        own_received=sec.inner_received_headers,
    )
    return RoutingInput(
        message=decoded,
        directory=repo.directory(session, committee_id),
        token_claims=tuple(claims),
        outbound_refs=tuple(refs),
        subject_tag=find_round_tag(decoded.subject),
        auth=auth,
    )


def process(
    services: Services, message_pk: int, assignment: Assignment | None = None,
    *, durable: bool = True,
) -> Outcome:  # fmt: skip
    """Classify, route and parse one stored message; never raises for a bad mail.

    ``durable=False`` for new mail processed as it arrives: its stored bytes are already
    on disk, and a mail whose processing a power cut undid is still `stored`, so it is
    processed again at the next start (`db.transaction`). Staff's placing or reprocessing
    of a mail is durable: nothing would redo it.
    """
    with db.transaction(services.sessions, durable=durable) as session:
        parties.remember_members(session)
        return _one(services, session, message_pk, assignment)


# New mail is processed several to a unit of work: its commit (and SQLAlchemy's work
# around it) cost as much as the filing's own statements. A group stays short, as the
# SQLite write lock is held for its length and its receipts wait for its commit.
GROUP_MAILS = 32
GROUP_SECONDS = 0.25


class _Again(Exception):
    """A mail of the group failed: the group's unit of work is rolled back and begun
    again, that mail recorded as failed in it instead of processed."""


def process_stored(services: Services, message_pks: Sequence[int]) -> Iterator[Outcome]:
    """Process newly stored mails in order, a group of them to a relaxed commit
    (`process(durable=False)`); each group's outcomes are yielded once it has committed.

    A bad mail is recorded as failed in its group, as `process` records it. No mail has
    a savepoint of its own (one costs as much as a tenth of a reply's filing, and a mail
    fails rarely): when one fails, the group's unit of work is rolled back and done
    again, the mails before it processed anew and the bad one recorded as failed without
    being read again. A group that cannot commit for another reason than an unavailable
    database (which raises: the mails stay `stored`) is processed again one mail to a
    unit of work, so that whatever failed stays the one mail's; a mail whose own unit
    of work fails too is reported failed and stays `stored`.
    """
    start = 0
    bad: dict[int, Exception] = {}  # the mails that failed, with why: not read again
    while start < len(message_pks):
        group: list[Outcome] = []
        tried = 0
        try:
            with db.transaction(services.sessions, durable=False) as session:
                parties.remember_members(session)
                began = time.monotonic()
                for pk in message_pks[start:]:
                    tried += 1
                    group.append(_in_group(services, session, pk, bad))
                    if tried == GROUP_MAILS or time.monotonic() - began >= GROUP_SECONDS:
                        break
        except _Again:
            continue  # rolled back: the same mails again, one more of them known bad
        except UNAVAILABLE:
            raise
        except Exception as exc:
            log.warning("a group of %d mails did not commit (%s): processing them one by one",
                        tried, type(exc).__name__)  # fmt: skip
            group = [_alone(services, pk) for pk in message_pks[start : start + tried]]
        start += tried
        yield from group


def _in_group(
    services: Services, session: Session, message_pk: int, bad: dict[int, Exception]
) -> Outcome:
    """One mail of a group, without a savepoint: a failure rolls the group back (`_Again`)."""
    if message_pk in bad:
        failed = _failed(services, session, message_pk, bad[message_pk])
        session.expunge_all()
        return failed
    try:
        outcome = _processed(services, session, message_pk, None)
        # A group's mails share the session: what one loaded (its bytes, its rows) is
        # not kept for the next.
        session.flush()
        session.expunge_all()
        return outcome
    except UNAVAILABLE:
        raise  # the database, not the mail: it stays `stored` and is processed later
    except Exception as exc:
        _log_failure(message_pk, exc)
        bad[message_pk] = exc
        raise _Again from exc


def _alone(services: Services, message_pk: int) -> Outcome:
    try:
        return process(services, message_pk, durable=False)
    except UNAVAILABLE:
        raise
    except Exception as exc:
        # `process` records a bad mail as failed itself; this is the database failing
        # under it. The mail stays `stored` and is processed again at the next start.
        log.error("message %s: processing did not complete: %s", message_pk,
                  type(exc).__name__)  # fmt: skip
        log.debug("message %s: processing did not complete", message_pk, exc_info=True)
        return Outcome(message_pk, "failed", "normal", type(exc).__name__)


def _one(
    services: Services, session: Session, message_pk: int, assignment: Assignment | None
) -> Outcome:
    """One mail processed in a savepoint; a bad mail's changes undone and its failure
    recorded in their place."""
    try:
        with session.begin_nested():
            return _processed(services, session, message_pk, assignment)
    except UNAVAILABLE:
        raise  # the database, not the mail: it stays `stored` and is processed later
    except Exception as exc:
        _log_failure(message_pk, exc)
        return _failed(services, session, message_pk, exc)


def _processed(
    services: Services, session: Session, message_pk: int, assignment: Assignment | None
) -> Outcome:
    msg = _stored(session, message_pk)
    outcome = _process(services, session, msg, assignment)
    if msg.truncated:
        cut = intake_line(services.config.committee.language, Intake.TRUNCATED, message_pk)
        outcome = replace(outcome, alerts=(*outcome.alerts, cut))
    return outcome


def _stored(session: Session, message_pk: int) -> Message:
    msg = raw_store.get(session, message_pk)
    if msg is None:
        raise LookupError(f"no message {message_pk}")
    return msg


def _log_failure(message_pk: int, exc: Exception) -> None:
    # An exception's text may quote the mail: the log names the message and the kind of
    # error; the whole text is kept in the record, the traceback at debug level.
    log.error("message %s failed: %s (see `mailflow quarantine list`)", message_pk,
              type(exc).__name__)  # fmt: skip
    log.debug("message %s failed", message_pk, exc_info=exc)


def _failed(services: Services, session: Session, message_pk: int, exc: Exception) -> Outcome:
    """The mail's failure recorded, its own changes already undone."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    msg = session.get(Message, message_pk)
    if msg is None:
        raise exc
    # News for staff again, even if the digest listed it before.
    msg.state, msg.error, msg.reported_at = MessageState.FAILED, error, None
    events.record(
        session,
        at=services.clock.now(),
        actor="system",
        kind=EventKind.MESSAGE_FAILED,
        committee_id=msg.committee_id,
        message_id=msg.id,
        reason=error,
    )
    session.flush()
    # Over budget is the mail's doing, not a bug: staff see it (it is not retried).
    alerts = (
        (intake_line(services.config.committee.language, Intake.OVER_BUDGET, message_pk,
                     overrun=exc.overrun, limit=exc.limit, status=exc.status),)
        if isinstance(exc, ParseOverBudget)
        else ()
    )  # fmt: skip
    return Outcome(message_pk, "failed", "normal", error, alerts=alerts)


def _process(
    services: Services, session: Session, msg: Message, assignment: Assignment | None
) -> Outcome:
    now = services.clock.now()
    placed_in = msg.round_id  # before this reading: a mail moved to another round is new there
    committee_id = msg.committee_id
    decoded, cls = services.parser.read(msg.raw, (repo.committee_address(session, committee_id),))
    msg.classification = cls.kind.value
    if cls.kind is not MailKind.NORMAL:
        return _machine_mail(services, session, msg, cls.kind, cls.reason, cls, now)

    # Reads only until the filing: the classification is written with the filing's own
    # changes to the message, in one UPDATE, not flushed by the first look-up.
    with session.no_autoflush:
        early = _route_and_read(services, session, msg, decoded, committee_id, assignment, now)
    if isinstance(early, Outcome):
        return early
    rnd, outcome, reading = early
    if outcome.ask is not None and outcome.proof is Proof.PROVEN:
        answered = confirmations.answer(
            services, session, msg, rnd, outcome.ask, outcome.party, reading.reply(), now
        )
        if answered is not None:
            return _answered(
                services, session, msg, rnd, reading, outcome, answered, now, placed_in
            )
    # A held mail its party has since confirmed by reply is filed as proven.
    with session.no_autoflush:
        held = None if repo.never_read(msg) else pending_repo.for_message(session, msg.id)
    confirmed = held is not None and held.state == "applied"
    proof = Proof.PROVEN if confirmed else outcome.proof
    result, receipt_due = filing.file(services, session, msg, rnd, reading, proof, confirmed, now)
    if (
        outcome.ask is not None
        and outcome.proof is Proof.PROVEN
        and reading.role == "chair"
        and reading.reply() is Reply.OTHER
        and not reading.has_content
    ):
        again = confirmations.ask_again(services, session, msg, rnd, outcome.ask, now)
        result.alerts = (*result.alerts, *again)
    msg.state, msg.error = "done", None
    _first_reading(msg, rnd, placed_in, now)
    if receipt_due:
        filing.receipt(services, session, msg, rnd, result, reading.role, confirmed, now)
    events.record(
        session,
        at=now,
        actor="system",
        kind=EventKind.MESSAGE_PROCESSED,
        committee_id=committee_id,
        round_id=rnd.id,
        message_id=msg.id,
        role=reading.role,
        evidence=[e.kind.value for e in outcome.evidence],
        proof=proof.value,
        flags=list(outcome.flags),
        **result.summary(),
    )
    return Outcome(
        msg.id, "done", "normal", result.describe(), records=result, alerts=result.alerts
    )


def _route_and_read(
    services: Services, session: Session, msg: Message, decoded: DecodedMessage,
    committee_id: int, assignment: Assignment | None, now: datetime,
) -> Outcome | tuple[Round, Routed, filing.Reading]:  # fmt: skip
    """Route the mail and read it as its party writes; an Outcome when that ends it here
    (held, or an echo of our own receipt)."""
    data = _routing_input(services, decoded, session, committee_id)
    if assignment is not None:
        rnd = round_repo.get(session, committee_id, assignment.round_key)
        if rnd is None:
            raise NotFoundError(f"--round: no round {assignment.round_key!r}")
        # Staff place the mail; whether it proves its sender is still the mail's to show.
        outcome: Routed | Quarantine = Routed(
            str(rnd.id), assignment.party, (), proof=proof_of(data, assignment.party)
        )
    else:
        outcome = route(data)
    if isinstance(outcome, Quarantine):
        return _quarantine(services, session, msg, outcome, now)

    rnd = repo.round_row(session, int(outcome.round_id))
    if rnd is None or rnd.committee_id != committee_id:
        # A genuine token of a round deleted since, or of another committee's round.
        unknown = Quarantine(QuarantineReason.TOKEN_ROUND_UNKNOWN, f"round {outcome.round_id}")
        return _quarantine(services, session, msg, unknown, now)
    over_rate = floods.over_rate(services, session, msg, outcome.party) if not assignment else None
    if over_rate is not None:
        msg.round_id = rnd.id
        outcome_held = _quarantine(services, session, msg, over_rate.quarantine, now)
        return replace(outcome_held, alerts=(over_rate.alert,) if over_rate.alert else ())
    reading = filing.read(services, session, msg, decoded, rnd, outcome.party)
    if assignment is None:
        echo = floods.receipt_echo(session, msg, decoded, reading.new_text, outcome.party)
        if echo is not None:
            alert = floods.file_echo(services, session, msg, rnd, echo, outcome.party, now)
            return Outcome(msg.id, "done", MailKind.AUTO_REPLY.value, echo, alerts=(alert,))
    return rnd, outcome, reading


def _first_reading(msg: Message, rnd: Round, placed_in: int | None, now: datetime) -> None:
    """Remember when the mail was first read into its round; a reprocess keeps that, so
    its items do not become new (workflow.facts.ItemFact.recorded_at)."""
    if msg.first_processed_at is None or placed_in != rnd.id:
        msg.first_processed_at = now


def _quarantine(
    services: Services, session: Session, msg: Message, outcome: Quarantine, now: datetime
) -> Outcome:
    msg.state, msg.quarantine_reason, msg.error = "quarantined", outcome.reason.value, None
    events.record(
        session,
        at=now,
        actor="system",
        kind=EventKind.MESSAGE_QUARANTINED,
        committee_id=msg.committee_id,
        message_id=msg.id,
        reason=outcome.reason.value,
        detail_text=outcome.detail,
    )
    return Outcome(
        msg.id,
        "quarantined",
        "normal",
        outcome.detail,
        alerts=(
            intake_line(
                services.config.committee.language, Intake.HELD, msg.id, reason=outcome.reason
            ),
        ),
    )


def _answered(
    services: Services, session: Session, msg: Message, rnd: Round, reading: filing.Reading,
    outcome: Routed, answered: confirmations.Answered, now: datetime, placed_in: int | None,
) -> Outcome:  # fmt: skip
    """A reply to one of our requests: record it, and file the held mail it confirmed."""
    msg.round_id, msg.sender_kind, msg.phase = rnd.id, reading.role, None
    msg.member_id = reading.party_pk if reading.role != "department" else None
    msg.department_id = reading.party_pk if reading.role == "department" else None
    msg.state, msg.error = "done", None
    alerts = list(answered.alerts)
    detail = answered.detail
    if answered.apply is not None:
        source = _process(services, session, _stored(session, answered.apply), None)
        alerts += source.alerts
        detail += f" ({source.detail})"
    _first_reading(msg, rnd, placed_in, now)
    events.record(
        session, at=now, actor="system", kind=EventKind.MESSAGE_PROCESSED,
        committee_id=rnd.committee_id, round_id=rnd.id, message_id=msg.id,
        role=reading.role, evidence=[e.kind.value for e in outcome.evidence],
        proof=outcome.proof.value, request=outcome.ask, answered=detail,
    )  # fmt: skip
    return Outcome(msg.id, "done", "normal", detail, alerts=tuple(alerts))


# A mail written by no person, by what it is (routing.MailKind, NORMAL aside).
_MACHINE_MAIL = {
    MailKind.AUTO_REPLY: EventKind.MESSAGE_AUTO_REPLY,
    MailKind.BOUNCE: EventKind.MESSAGE_BOUNCE,
    MailKind.LOOP: EventKind.MESSAGE_LOOP,
}


def _machine_mail(
    services: Services, session: Session, msg: Message, kind: MailKind, reason: str,
    cls: object, now: datetime,
) -> Outcome:  # fmt: skip
    """Auto-replies, bounces and loops: recorded, never answered (no backscatter)."""
    alerts: list[StaffLine] = []
    failed: list[str] = []
    report = getattr(cls, "bounce", None)
    if kind is MailKind.BOUNCE and report is not None:
        for address in report.failed:
            permanent = address in report.permanent or report.is_permanent
            row = repo.add_delivery_failure(
                session, msg.committee_id, msg.id, address, permanent, now
            )
            failed.append(address)
            party = _registered(row.member_id, row.department_id)
            alerts.append(
                intake_line(
                    services.config.committee.language, Intake.BOUNCE, msg.id,
                    address=address, permanent=permanent,
                    name=floods.party_name(session, party) if party else None,
                    role=party.kind.value if party else None,
                )
            )  # fmt: skip
    msg.state, msg.error = "done", None
    events.record(
        session,
        at=now,
        actor="system",
        kind=_MACHINE_MAIL[kind],
        committee_id=msg.committee_id,
        message_id=msg.id,
        reason=reason,
        failed=failed,
    )
    return Outcome(msg.id, "done", kind.value, reason, alerts=tuple(alerts))


def _registered(member_id: int | None, department_id: int | None) -> PartyRef | None:
    """The member or department a failed address is registered to, if any."""
    if member_id is not None:
        return PartyRef(PartyKind.MEMBER, str(member_id))
    if department_id is not None:
        return PartyRef(PartyKind.DEPARTMENT, str(department_id))
    return None
