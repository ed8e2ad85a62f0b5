"""Turning one parsed mail into item, answer and decision rows — replaceable on reprocess.

Re-running a message updates the rows it produced before, position by position, so the
IDs members already received in a receipt ([Q13-03]) never change; rows staff edited
are left alone and reported as conflicts.

A new item is filed by `workflow.judge_arrival` (on time, late and accepted, or held
for staff); re-running keeps what the first filing or staff decided (an item staff
accepted or rejected is never put back on hold).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from mailflow.domain import ItemId, Phase
from mailflow.domain.states import AnswerState, EventKind
from mailflow.outbound.alerts import Intake, StaffLine, intake_line
from mailflow.parsing import nesting
from mailflow.parsing.model import ParsedItem
from mailflow.parsing.pipeline import MailParse
from mailflow.services.policy import policy_of
from mailflow.store import directory as directory_repo
from mailflow.store import events
from mailflow.store import intake as repo
from mailflow.store.corrections import hold_document, kept_by_staff, resolve
from mailflow.store.models import Answer, Decision, Item, Message, Round
from mailflow.store.workflow import deadlines_of, round_facts
from mailflow.workflow import Arrival
from mailflow.workflow.filing import ReplyFiling, file_reply

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mailflow.services.context import Services

LOW_CONFIDENCE = 0.6


@dataclass
class RecordResult:
    """What one message produced: IDs of items, answers and decisions, and what staff must see."""

    items: list[str] = field(default_factory=list)
    unplaced_items: int = 0
    answers: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    # 「確認中のため後日回答」: unanswered, with an answer promised
    deferred: list[str] = field(default_factory=list)
    # earlier answers of the same department this mail replaced (not 「追加で」)
    replaced: list[str] = field(default_factory=list)
    unknown_answers: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    empty_reply: bool = False
    late: bool = False
    conflicts: list[str] = field(default_factory=list)
    # 訂正 / 取消 of earlier items (mailflow.services.corrections)
    corrected: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    held_corrections: list[str] = field(default_factory=list)
    # changes kept until the party confirms by reply (workflow.identity)
    awaiting_confirmation: list[str] = field(default_factory=list)
    # attached documents read as the reply, and those that could not be: (name, why)
    documents_read: list[str] = field(default_factory=list)
    documents_unread: list[tuple[str, str]] = field(default_factory=list)
    # Answer sheets not read (over a cap, or not an .xlsx): (file name, Refusal value)
    refused_sheets: list[tuple[str, str]] = field(default_factory=list)
    alerts: tuple[StaffLine, ...] = ()

    def summary(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "unplaced_items": self.unplaced_items,
            "answers": self.answers,
            "unanswered": self.unanswered,
            "deferred": self.deferred,
            "replaced": self.replaced,
            "decisions": self.decisions,
            "empty_reply": self.empty_reply,
            "late": self.late,
            "conflicts": self.conflicts,
            "corrected": self.corrected,
            "withdrawn": self.withdrawn,
            "held_corrections": self.held_corrections,
            "awaiting_confirmation": self.awaiting_confirmation,
            "refused_sheets": [name for name, _ in self.refused_sheets],
            "documents_read": self.documents_read,
            "documents_unread": [name for name, _ in self.documents_unread],
        }

    def describe(self) -> str:
        parts = []
        if self.empty_reply:
            parts.append("no questions (特になし)")
        if self.items:
            parts.append("items " + " ".join(self.items))
        if self.unplaced_items:
            parts.append(f"{self.unplaced_items} item(s) without consultation")
        if self.answers:
            parts.append("answers to " + " ".join(self.answers))
        if self.decisions:
            parts.append("decisions " + " ".join(self.decisions))
        if self.corrected:
            parts.append("corrected " + " ".join(self.corrected))
        if self.withdrawn:
            parts.append("withdrawn " + " ".join(self.withdrawn))
        if self.held_corrections:
            parts.append("corrections held for staff " + " ".join(self.held_corrections))
        if self.awaiting_confirmation:
            parts.append("awaiting confirmation: " + " ".join(self.awaiting_confirmation))
        if self.late:
            parts.append("late")
        return "; ".join(parts) or "nothing recognised"


def _language(session: Session, rnd: Round) -> str:
    return directory_repo.committee_language(session, rnd.committee_id)


def write_records(
    session: Session,
    services: Services,
    msg: Message,
    rnd: Round,
    parsed: MailParse,
    *,
    confirmed: bool = False,
) -> RecordResult:
    """The rows of one parsed mail; ``confirmed`` files its decisions as confirmed."""
    if parsed.reply is not None:
        return _items(session, services, msg, rnd, parsed)
    if parsed.answers is not None:
        return _answers(session, msg, rnd, parsed)
    return _decisions(session, msg, rnd, parsed, confirmed)


def _items(
    session: Session, services: Services, msg: Message, rnd: Round, parsed: MailParse
) -> RecordResult:
    assert parsed.reply is not None
    reply = parsed.reply
    found = reply.all_items  # the mail's, then those of documents read as the reply
    by_key = {c.key: c for c in repo.consultation_rows(session, rnd)}
    deadlines = deadlines_of(rnd, services.config.policy.grace_period)
    placed = tuple(pi.consultation if pi.consultation in by_key else None for pi in found)
    filed = file_reply(
        partial(round_facts, session, rnd), deadlines, policy_of(services.config), placed,
        msg.received_at,
    )  # fmt: skip
    phase, late = filed.phase.value, filed.late
    msg.phase, msg.late = phase, late
    res = RecordResult(empty_reply=reply.responded_nothing, late=late)
    filing = _Filing(filed)
    existing = [] if repo.never_read(msg) else list(repo.items_from_message(session, msg.id))
    alerts: list[StaffLine] = []
    rows: list[Item | None] = []
    for document in reply.documents:
        if document.refusal is None:
            res.documents_read.append(document.filename)
        else:
            res.documents_unread.append((document.filename, document.refusal))
            hold_document(session, rnd.id, msg.id, msg.member_id, document.filename,
                          document.refusal, msg.received_at)  # fmt: skip
            who = repo.member_name(session, msg.member_id) if msg.member_id else None
            alerts.append(
                intake_line(
                    _language(session, rnd), Intake.DOCUMENT_UNREAD, msg.id,
                    filename=document.filename, who=who, reason=document.refusal,
                )
            )  # fmt: skip
    # Each consultation's last number, for all the mail's items in one read; counted on
    # from there (`_next_seq`).
    named = {by_key[pi.consultation].id for pi in found if pi.consultation in by_key}
    # Not flushed first: the session holds no new item (`_NewItems` inserts them), and
    # the message's row is written once, when its reading ends.
    with session.no_autoflush:
        seqs = repo.last_seqs(session, rnd.id, named) if not existing else {}
    # 「次の(1)から(3)まで…」 then (1), (2), (3): the numbered points sit under their item,
    # which comes before them.
    parents = nesting.parents(found)
    new_items = _NewItems(session, {p for p in parents if p is not None})
    for pos, pi in enumerate(found):
        parent = parents[pos]
        above = rows[parent] if parent is not None else None
        with session.no_autoflush:  # a half-changed earlier row must not be flushed by a query
            rows.append(
                _fill_item(
                    session, res, alerts, msg, rnd, pos, pi, existing, by_key, phase, late,
                    filing, seqs, above, new_items,
                )
            )  # fmt: skip
    new_items.write()
    for surplus in existing[len(found) :]:
        if kept_by_staff(surplus):
            res.conflicts.append(surplus.public_id or f"item {surplus.id}")
        else:
            surplus.state = "withdrawn"
    if late:
        alerts.append(
            intake_line(
                _language(session, rnd), Intake.LATE_REPLY, msg.id,
                mark=Phase(phase).mark, followup=list(filing.followup),
            )
        )  # fmt: skip
    res.alerts = tuple(alerts)
    return res


@dataclass
class _Filing:
    """How the reply's items were filed (workflow.filing), and which went to a follow-up."""

    filed: ReplyFiling
    followup: list[str] = field(default_factory=list)

    def state(self, pos: int) -> str:
        """The state of a newly filed item: held for staff, or active."""
        return "held" if self.filed.arrivals[pos].held else "active"

    def note(self, pos: int, row: Item) -> None:
        """A newly filed item that went to a follow-up is named in the late alert."""
        if self.filed.arrivals[pos] is Arrival.LATE_FOLLOWUP:
            self.followup.append(row.public_id or f"item {row.id}")


class _NewItems:
    """A mail's new items (never added to the session), inserted together in one
    statement at the end — unless one's id is wanted sooner (points are numbered under
    it, or it has no public ID to be named by): that one is inserted at once, and
    before it those waiting, as before any read of the items table."""

    def __init__(self, session: Session, parents: set[int]) -> None:
        self.session, self.parents = session, parents
        self.waiting: list[dict[str, Any]] = []

    def add(self, pos: int, row: Item) -> None:
        """``row``, at ``pos`` in the mail, with the columns it was given (the others
        their defaults)."""
        values = {k: v for k, v in row.__dict__.items() if not k.startswith("_sa_")}
        if pos not in self.parents and row.public_id is not None:
            self.waiting.append(values)
            return
        self.write()
        row.id = repo.insert_item(self.session, values)

    def write(self) -> None:
        """Insert the items waiting, in their order."""
        waiting, self.waiting = self.waiting, []
        repo.insert_items(self.session, waiting)


def _fill_item(
    session: Session,
    res: RecordResult,
    alerts: list[StaffLine],
    msg: Message,
    rnd: Round,
    pos: int,
    pi: ParsedItem,
    existing: list[Item],
    by_key: dict[str, repo.ConsultationRow],
    phase: int,
    late: bool,
    filing: _Filing,
    seqs: dict[int, int],
    above: Item | None,
    new_items: _NewItems,
) -> Item | None:
    """The item at ``pos``: the earlier reading's row there updated, or a new one given
    to ``new_items``; None where staff kept the earlier one. ``above``: the row of the
    item it is numbered under in this mail, if any."""
    cons = by_key.get(pi.consultation) if pi.consultation else None
    row = existing[pos] if pos < len(existing) else None
    if row is not None and kept_by_staff(row):
        res.conflicts.append(row.public_id or f"item {row.id}")
        return None
    # A new row, or one a shorter earlier reading withdrew, is filed now; any other
    # keeps its state: staff may have accepted or rejected it since.
    refile = row is None or row.state == "withdrawn"
    new = row is None
    if row is None:
        row = Item(
            round_id=rnd.id, source_message_id=msg.id, position=pos, received_at=msg.received_at
        )
    if cons is not None and (row.consultation_id != cons.id or row.public_id is None):
        _renumbered(seqs, row)
        row.consultation_id = cons.id
        if cons.id not in seqs:
            new_items.write()  # the table's last number counts the items waiting
        row.seq = _next_seq(session, seqs, rnd.id, cons.id)
        row.public_id = str(ItemId(cons.key, row.seq))
    elif cons is None:
        _renumbered(seqs, row)
        row.consultation_id, row.seq, row.public_id = None, None, None
    row.member_id = msg.member_id
    row.phase = phase
    row.kind = pi.kind.value
    row.text = pi.text
    row.reference = pi.reference
    row.confidence = pi.confidence
    row.late = late
    row.parent_item_id = None
    if pi.follows and pi.follows != "previous":
        # The item it follows may be an earlier one of this very mail.
        new_items.write()
        session.flush()
        parent = repo.item_by_public_id(session, rnd.id, pi.follows)
        # A follow-up of an item staff moved or merged follows where it lives now.
        row.parent_item_id = resolve(session, parent).id if parent is not None else None
    if above is not None and row.parent_item_id is None:
        row.parent_item_id = above.id
    if refile:
        row.state = filing.state(pos)
    if new:
        new_items.add(pos, row)
    if refile:
        filing.note(pos, row)
    if row.public_id:
        res.items.append(row.public_id)
    else:
        # Staff hear of it from the scheduler, once, with whose it is and how it begins
        # (`staff_corrections.unplaced_alerts`), and place it with `mailflow item place`.
        res.unplaced_items += 1
    if pi.confidence < LOW_CONFIDENCE:
        alerts.append(
            intake_line(
                _language(session, rnd), Intake.LOW_CONFIDENCE, msg.id,
                item=row.public_id or "—",
            )
        )  # fmt: skip
    return row


def _next_seq(session: Session, seqs: dict[int, int], round_id: int, consultation_id: int) -> int:
    """The consultation's next item number: read once per mail, then counted on, as each
    new row is flushed before the next is numbered (`seqs`: the last number given)."""
    last = seqs.get(consultation_id)
    seq = repo.next_seq(session, round_id, consultation_id) if last is None else last + 1
    seqs[consultation_id] = seq
    return seq


def _renumbered(seqs: dict[int, int], row: Item) -> None:
    """An earlier reading's row leaves its number: its consultation is read again."""
    if row.consultation_id is not None:
        seqs.pop(row.consultation_id, None)


def _answers(session: Session, msg: Message, rnd: Round, parsed: MailParse) -> RecordResult:
    assert parsed.answers is not None
    res = RecordResult(
        unanswered=list(parsed.answers.unanswered), deferred=list(parsed.answers.deferred)
    )
    for old in () if repo.never_read(msg) else repo.answers_from_message(session, msg.id):
        # One staff edited, replaced or removed stays: a reprocess must not undo them,
        # and the round's timing reads when a removed answer was in force.
        if old.staff_edited or old.state != AnswerState.ACTIVE.value:
            res.conflicts.append(f"answer {old.id}")
        else:
            session.delete(old)
    session.flush()
    alerts = []
    for pa in parsed.answers.answers:
        item = repo.item_by_public_id(session, rnd.id, pa.item)
        item = resolve(session, item) if item is not None else None  # moved or merged
        if item is None:
            alerts.append(
                intake_line(_language(session, rnd), Intake.UNKNOWN_ANSWER, msg.id, item=pa.item)
            )
            res.unknown_answers.append(pa.item)
            continue
        if not pa.adds:
            # A later answer of the department replaces its earlier one (the old text stays
            # in the audit log); 「追加で」「補足」 adds to it instead.
            for old in repo.earlier_answers(session, item.id, msg.department_id, msg.id):
                if old.staff_edited:
                    res.conflicts.append(f"answer {old.id}")
                    continue
                events.record(
                    session,
                    at=msg.received_at,
                    actor="system",
                    kind=EventKind.ANSWER_REPLACED,
                    committee_id=rnd.committee_id,
                    round_id=rnd.id,
                    message_id=msg.id,
                    item=pa.item,
                    old_text=old.text,
                    old_message=old.source_message_id,
                )
                session.delete(old)
                if pa.item not in res.replaced:
                    res.replaced.append(pa.item)
        session.add(
            Answer(
                item_id=item.id,
                department_id=msg.department_id,
                phase=2 if item.phase == 1 else 3,
                text=pa.text,
                source_message_id=msg.id,
                received_at=msg.received_at,
            )
        )
        res.answers.append(pa.item)
    for refused in parsed.answers.refused:
        # The name is the sender's words: one line, and not a page of them.
        name = " ".join(refused.filename.split())[:120] or "(no name)"
        res.refused_sheets.append((name, refused.reason.value))
        alerts.append(
            intake_line(
                _language(session, rnd), Intake.SHEET_REFUSED, msg.id,
                filename=refused.filename, reason=refused.reason,
            )
        )  # fmt: skip
    msg.phase = 2
    res.alerts = tuple(alerts)
    return res


def _decisions(
    session: Session, msg: Message, rnd: Round, parsed: MailParse, confirmed: bool
) -> RecordResult:
    # 「確認しました」 confirms only as a reply to the echo (services.confirmations):
    # here it decides nothing, and an earlier decision keeps its state.
    assert parsed.decisions is not None
    res = RecordResult()
    msg.phase = 4
    for old in () if repo.never_read(msg) else repo.decisions_from_message(session, msg.id):
        session.delete(old)
    session.flush()
    by_key = {c.key: c for c in repo.consultation_rows(session, rnd)}
    # A reply that answers only what was asked again names one consultation; the others,
    # not mentioned at all, keep the decision an earlier mail gave them.
    decided_before = repo.consultations_decided_elsewhere(session, rnd.id, msg.id)
    alerts = []
    for d in parsed.decisions:
        cons = by_key.get(d.consultation) if d.consultation else None
        if cons is None:
            alerts.append(intake_line(_language(session, rnd), Intake.DECISION_UNNAMED, msg.id))
            continue
        if d.verdict.value == "unclear" and not d.text.strip() and cons.id in decided_before:
            continue
        session.add(
            Decision(
                round_id=rnd.id,
                consultation_id=cons.id,
                verdict=d.verdict.value,
                conditions=d.conditions,
                text=d.text,
                state="confirmed" if confirmed and d.verdict.value != "unclear" else "pending",
                decided_by_member_id=msg.member_id,
                source_message_id=msg.id,
                received_at=msg.received_at,
            )
        )
        res.decisions.append(f"{cons.key}:{d.verdict.value}")
        if d.verdict.value == "unclear":
            alerts.append(
                intake_line(
                    _language(session, rnd), Intake.DECISION_UNCLEAR, msg.id,
                    consultation=cons.number,
                )
            )  # fmt: skip
    msg.phase = 4
    res.alerts = tuple(alerts)
    return res
