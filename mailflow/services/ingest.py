"""Intake of one stored mail: classify → route → parse → records, or quarantine.

The raw bytes are already committed (store first); everything here can be re-run from
them (`mailflow reprocess`). Any failure marks the message `failed` with the error and
returns: one bad mail never stops the daemon.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.orm import Session

from mailflow.domain import ConsultationRef, Role
from mailflow.parsing.mime import decode
from mailflow.parsing.model import DecodedMessage
from mailflow.parsing.pipeline import AuthorRole, parse_text
from mailflow.parsing.quote import extract_new_text
from mailflow.parsing.signature import department_name_forms
from mailflow.routing import (
    AuthPolicy,
    MailKind,
    OutboundRef,
    PartyKind,
    PartyRef,
    Quarantine,
    QuarantineReason,
    Routed,
    RoutingInput,
    TokenClaim,
    classify,
    evaluate,
    extract_tokens,
    find_round_tag,
    read_token,
    route,
    token_from_message_id,
)
from mailflow.services import corrections, floods
from mailflow.services.context import Services
from mailflow.services.db_wait import UNAVAILABLE
from mailflow.services.records import RecordResult, write_records
from mailflow.store import db, events
from mailflow.store import intake as repo
from mailflow.store import rounds as round_repo
from mailflow.store.models import Department, Message, Round

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
    alerts: tuple[str, ...] = field(default=())


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
            refs.append(OutboundRef(claim.round_id, claim.party))
    sec = services.config.security
    auth = evaluate(decoded.headers, sec.trusted_authserv_id, AuthPolicy(sec.auth_failure))
    return RoutingInput(
        message=decoded,
        directory=repo.directory(session, committee_id),
        token_claims=tuple(claims),
        outbound_refs=tuple(refs),
        subject_tag=find_round_tag(decoded.subject),
        auth=auth,
    )


def _author_role(
    rnd: Round, party: PartyRef, received_at: datetime, session: Session
) -> AuthorRole:
    if party.kind is PartyKind.DEPARTMENT:
        return "department"
    if party.kind is PartyKind.CHAIR:
        return "chair"
    # A registered chair (or the delegated deputy) writing after ③ is deciding (④).
    deciders = {
        m.id
        for m in round_repo.members_by_id(session, rnd.committee_id).values()
        if m.role == Role.CHAIR.value
    }
    if rnd.decider_member_id is not None:
        deciders = {rnd.decider_member_id}
    if int(party.id) in deciders and received_at > rnd.further_due:
        return "chair"
    return "member"


def _signer_names(
    services: Services, session: Session, role: AuthorRole, party: PartyRef
) -> tuple[str, ...]:
    """The names the sender signs with: the department's (and its aliases in the config),
    or the member's and surname."""
    if role == "department":
        dept = session.get(Department, int(party.id))
        if dept is None:
            return ()
        conf = services.config.department(dept.key)
        aliases = tuple(a for a in (conf.aliases if conf else ()) if a.strip())
        return (*department_name_forms(dept.name), *aliases)
    name = repo.member_name(session, int(party.id))
    if not name or not name.strip():
        return ()
    # 「青木 和子」 signs 「青木」 as often as the full name.
    surname = name.split()[0]
    return (name, surname) if surname != name.strip() else (name,)


def process(services: Services, message_pk: int, assignment: Assignment | None = None) -> Outcome:
    """Classify, route and parse one stored message; never raises for a bad mail."""
    try:
        with db.transaction(services.sessions) as session:
            outcome = _process(services, session, message_pk, assignment)
            msg = session.get(Message, message_pk)
            if msg is not None and msg.truncated:
                cut = f"message {message_pk} was over the size cap and is stored truncated"
                outcome = replace(outcome, alerts=(*outcome.alerts, cut))
            return outcome
    except UNAVAILABLE:
        raise  # the database, not the mail: it stays `stored` and is processed later
    except Exception as exc:
        # An exception's text may quote the mail: the log names the message and the kind
        # of error; the whole text is kept in the record, the traceback at debug level.
        log.error("message %s failed: %s (see `mailflow quarantine list`)", message_pk,
                  type(exc).__name__)  # fmt: skip
        log.debug("message %s failed", message_pk, exc_info=True)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        with db.transaction(services.sessions) as session:
            msg = session.get(Message, message_pk)
            if msg is None:
                raise
            msg.state, msg.error = "failed", error
            events.record(
                session,
                at=services.clock.now(),
                actor="system",
                kind="message_failed",
                committee_id=msg.committee_id,
                message_id=msg.id,
                reason=error,
            )
        return Outcome(message_pk, "failed", "normal", error)


def _process(
    services: Services, session: Session, message_pk: int, assignment: Assignment | None
) -> Outcome:
    msg = session.get(Message, message_pk)
    if msg is None:
        raise LookupError(f"no message {message_pk}")
    now = services.clock.now()
    committee = repo.committee(session, msg.committee_id)
    decoded = decode(msg.raw)
    cls = classify(msg.raw, decoded, (committee.address,))
    msg.classification = cls.kind.value
    if cls.kind is not MailKind.NORMAL:
        return _machine_mail(session, msg, cls.kind, cls.reason, cls, now)

    if assignment is not None:
        rnd = round_repo.get(session, committee.id, assignment.round_key)
        if rnd is None:
            raise LookupError(f"no round {assignment.round_key!r}")
        outcome: Routed | Quarantine = Routed(str(rnd.id), assignment.party, ())
    else:
        outcome = route(_routing_input(services, decoded, session, committee.id))
    if isinstance(outcome, Quarantine):
        return _quarantine(session, msg, outcome, now)

    rnd = repo.round_with_consultations(session, int(outcome.round_id))
    if rnd is None or rnd.committee_id != committee.id:
        # A genuine token of a round deleted since, or of another committee's round.
        unknown = Quarantine(QuarantineReason.TOKEN_ROUND_UNKNOWN, f"round {outcome.round_id}")
        return _quarantine(session, msg, unknown, now)
    held = floods.over_rate(services, session, msg, outcome.party) if not assignment else None
    if held is not None:
        msg.round_id = rnd.id
        outcome_held = _quarantine(session, msg, held.quarantine, now)
        return replace(outcome_held, alerts=(held.alert,) if held.alert else ())
    role = _author_role(rnd, outcome.party, msg.received_at, session)
    refs = [ConsultationRef(c.key, c.number, c.title) for c in rnd.consultations]
    expected: list[str] = []
    if role == "department":
        expected = repo.department_item_ids(session, rnd.id, int(outcome.party.id))
    signers = _signer_names(services, session, role, outcome.party)
    new_text = extract_new_text(decoded.body, signers)
    if assignment is None:
        echo = floods.receipt_echo(session, msg, decoded, new_text, outcome.party)
        if echo is not None:
            alert = floods.file_echo(session, msg, rnd, echo, outcome.party, now)
            return Outcome(msg.id, "done", MailKind.AUTO_REPLY.value, echo, alerts=(alert,))
    # 訂正/取消 of earlier items go first; what is left of the reply is parsed as usual.
    taken = None
    if role == "member":
        taken = corrections.take(session, msg, rnd, int(outcome.party.id), new_text, now)
    parsed = parse_text(
        taken.remainder if taken else new_text,
        decoded,
        refs,
        role=role,
        expected_ids=expected,
        signer_names=signers,
    )
    msg.round_id = rnd.id
    msg.sender_kind = role
    msg.member_id = int(outcome.party.id) if role != "department" else None
    msg.department_id = int(outcome.party.id) if role == "department" else None
    if taken is not None and taken.alone(parsed):
        result = taken.result(msg)
    else:
        result = write_records(session, services, msg, rnd, parsed)
        if taken is not None:
            taken.merge(result)
        if role == "member":
            corrections.reapply(session, msg)
    msg.state, msg.error = "done", None
    from mailflow.services.notices import queue_receipt_or_alert

    unanswered = queue_receipt_or_alert(services, session, msg, rnd, role, result, now)
    events.record(
        session,
        at=now,
        actor="system",
        kind="message_processed",
        committee_id=committee.id,
        round_id=rnd.id,
        message_id=msg.id,
        role=role,
        evidence=[e.kind.value for e in outcome.evidence],
        flags=list(outcome.flags),
        **result.summary(),
    )
    return Outcome(
        msg.id, "done", "normal", result.describe(), records=result,
        alerts=(*result.alerts, *unanswered),
    )  # fmt: skip


def _quarantine(session: Session, msg: Message, outcome: Quarantine, now: datetime) -> Outcome:
    msg.state, msg.quarantine_reason, msg.error = "quarantined", outcome.reason.value, None
    events.record(
        session,
        at=now,
        actor="system",
        kind="message_quarantined",
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
        alerts=(f"quarantine: message {msg.id}: {outcome.reason.description}",),
    )


def _machine_mail(
    session: Session, msg: Message, kind: MailKind, reason: str, cls: object, now: datetime
) -> Outcome:
    """Auto-replies, bounces and loops: recorded, never answered (no backscatter)."""
    alerts: tuple[str, ...] = ()
    failed: list[str] = []
    report = getattr(cls, "bounce", None)
    if kind is MailKind.BOUNCE and report is not None:
        for address in report.failed:
            repo.add_delivery_failure(
                session,
                msg.committee_id,
                msg.id,
                address,
                address in report.permanent or report.is_permanent,
                now,
            )
            failed.append(address)
        alerts = tuple(f"bounce: delivery to {a} failed (message {msg.id})" for a in failed)
    msg.state, msg.error = "done", None
    events.record(
        session,
        at=now,
        actor="system",
        kind=f"message_{kind.value}",
        committee_id=msg.committee_id,
        message_id=msg.id,
        reason=reason,
        failed=failed,
    )
    return Outcome(msg.id, "done", kind.value, reason, alerts=alerts)
