"""Applying a member's 訂正 / 取消 to stored items, before the reply's new items are made.

Only the item's author may correct or withdraw it, and only until the bundle of its
phase has gone to the departments (after that the departments already hold the old
text): anything else changes nothing and alerts staff. An item staff have edited is
never overwritten (a conflict for staff). The old text stays in the audit log
(`item_corrected` with old and new); each applied correction is kept as a row
(`item_correction`), and a reprocessed original mail gets the correction back
(:func:`reapply`), so IDs and texts members were told stay true.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from mailflow.domain import Phase
from mailflow.domain.states import CorrectionAction, EventKind
from mailflow.outbound.alerts import CorrectionReason, Intake, StaffLine, intake_line
from mailflow.parsing.corrections import Correction, CorrectionKind, find_corrections, remainder
from mailflow.parsing.kinds import classify
from mailflow.parsing.pipeline import MailParse
from mailflow.parsing.references import find_reference
from mailflow.services.records import RecordResult
from mailflow.store import directory as directory_repo
from mailflow.store import events
from mailflow.store import intake as repo
from mailflow.store.corrections import (
    member_corrections,
    message_items_corrected,
    record_member_correction,
    resolve,
)
from mailflow.store.models import Item, Member, Message, Round
from mailflow.store.workflow import round_facts
from mailflow.workflow.facts import RoundFacts
from mailflow.workflow.filing import correctable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Taken:
    """What the commands of one reply did, and the reply's text without them."""

    remainder: str
    corrected: tuple[str, ...]
    withdrawn: tuple[str, ...]
    held: tuple[str, ...]  # kept for staff: the bundle went out, or staff edited the item
    phase: int | None  # the phase of the items the reply changed or asked to change
    alerts: tuple[StaffLine, ...]

    def alone(self, parsed: MailParse) -> bool:
        """True when the reply holds nothing but commands: then it makes no new items."""
        reply = parsed.reply
        return reply is None or (not reply.all_items and not reply.responded_nothing)

    def result(self, msg: Message) -> RecordResult:
        """The record of a reply that was only commands; its receipt is for the commands."""
        msg.phase, msg.late = self.phase, False
        res = RecordResult()
        self.merge(res)
        return res

    def merge(self, res: RecordResult) -> None:
        res.corrected = list(self.corrected)
        res.withdrawn = list(self.withdrawn)
        res.held_corrections = list(self.held)
        res.alerts = (*res.alerts, *self.alerts)


class _Apply:
    """One reply's commands against the store, with the audit trail of each."""

    def __init__(
        self, session: Session, msg: Message, rnd: Round, author: Member, now: datetime
    ) -> None:
        self.session, self.msg, self.rnd, self.author, self.now = session, msg, rnd, author, now
        self.corrected: list[str] = []
        self.withdrawn: list[str] = []
        self.held: list[str] = []
        self.alerts: list[StaffLine] = []
        self.phase: int | None = None
        self._facts: RoundFacts | None = None

    @property
    def facts(self) -> RoundFacts:
        if self._facts is None:
            self._facts = round_facts(self.session, self.rnd)
        return self._facts

    def _consultation_key(self, item: Item) -> str | None:
        rows = repo.consultation_rows(self.session, self.rnd)
        return next((c.key for c in rows if c.id == item.consultation_id), None)

    def event(
        self, kind: EventKind, item: Item | None, reason: str | None, **detail: object
    ) -> None:
        events.record(
            self.session, at=self.now, actor=f"member:{self.author.key}", kind=kind,
            committee_id=self.rnd.committee_id, round_id=self.rnd.id, message_id=self.msg.id,
            reason=reason, item=item.public_id if item else None,
            item_pk=item.id if item else None, **detail,
        )  # fmt: skip

    def line(self, kind: Intake, c: Correction, why: CorrectionReason) -> StaffLine:
        language = directory_repo.committee_language(self.session, self.rnd.committee_id)
        return intake_line(
            language, kind, self.msg.id, action=c.kind.value, item=c.item, why=why,
            author=self.author.name,
        )  # fmt: skip

    def refuse(self, c: Correction, item: Item | None, why: CorrectionReason) -> None:
        self.event(
            EventKind.CORRECTION_REFUSED, item, why.value, action=c.kind.value, item_id=c.item
        )
        self.alerts.append(self.line(Intake.CORRECTION_REFUSED, c, why))

    def hold(self, c: Correction, item: Item, why: CorrectionReason) -> None:
        self.phase = self.phase or item.phase
        self.held.append(c.item)
        conflict = why is CorrectionReason.STAFF_EDITED
        kind = EventKind.CORRECTION_CONFLICT if conflict else EventKind.CORRECTION_HELD
        self.event(kind, item, why.value, action=c.kind.value, new=c.text)
        self.alerts.append(self.line(Intake.CORRECTION_HELD, c, why))

    def one(self, c: Correction) -> None:
        item = repo.item_by_public_id(self.session, self.rnd.id, c.item)
        if item is not None:  # an item staff moved or merged is corrected where it is now
            item = resolve(self.session, item)
        if item is None or item.state not in ("active", "held", "withdrawn"):
            return self.refuse(c, item, CorrectionReason.UNKNOWN_ITEM)
        if item.member_id != self.author.id:
            return self.refuse(c, item, CorrectionReason.NOT_AUTHOR)
        done = (
            item.state == "withdrawn" if c.kind is CorrectionKind.WITHDRAW else item.text == c.text
        )
        if done:  # reprocessing this reply: it was applied before
            self.phase = self.phase or item.phase
            done_list = self.withdrawn if c.kind is CorrectionKind.WITHDRAW else self.corrected
            done_list.append(item.public_id or c.item)
            return None
        if c.kind is CorrectionKind.CORRECT and not c.text:
            return self.refuse(c, item, CorrectionReason.NO_TEXT)
        if item.staff_edited:
            return self.hold(c, item, CorrectionReason.STAFF_EDITED)
        if not correctable(self.facts, Phase(item.phase), self._consultation_key(item)):
            return self.hold(c, item, CorrectionReason.BUNDLE_SENT)
        self.phase = self.phase or item.phase
        if c.kind is CorrectionKind.WITHDRAW:
            item.state = "withdrawn"
            self.withdrawn.append(item.public_id or c.item)  # where it lives now, if moved
            self.event(EventKind.ITEM_WITHDRAWN, item, None)
            self.keep(item, CorrectionAction.WITHDRAWN, None)
            return None
        old = item.text
        item.text, item.kind = c.text, classify(c.text).value
        item.reference = find_reference(c.text)
        self.corrected.append(item.public_id or c.item)
        self.event(EventKind.ITEM_CORRECTED, item, None, old=old, new=c.text)
        self.keep(item, CorrectionAction.CORRECTED, c.text)
        return None

    def keep(self, item: Item, action: CorrectionAction, new_text: str | None) -> None:
        record_member_correction(self.session, item, self.msg.id, action, new_text, self.now)


def take(
    session: Session,
    msg: Message,
    rnd: Round,
    author_pk: int,
    new_text: str,
    now: datetime,
    found: tuple[Correction, ...] | None = None,
) -> Taken | None:
    """Apply the 訂正/取消 commands of a member's reply (``found`` in it already, or
    looked for here); None when it has none."""
    found = find_corrections(new_text) if found is None else found
    author = session.get(Member, author_pk)
    if not found or author is None:
        return None
    run = _Apply(session, msg, rnd, author, now)
    for c in found:
        run.one(c)
    session.flush()
    return Taken(
        remainder(new_text, found), tuple(run.corrected), tuple(run.withdrawn),
        tuple(run.held), run.phase, tuple(run.alerts),
    )  # fmt: skip


def reapply(session: Session, msg: Message) -> None:
    """After a reprocessed mail rewrote its items, put the authors' corrections back."""
    if repo.never_read(msg) or not message_items_corrected(session, msg.id):
        return
    items = {i.id: i for i in repo.items_from_message(session, msg.id)}
    if not items:
        return
    for done in member_corrections(session, items):
        item = items[done.item_id]
        if done.action == CorrectionAction.WITHDRAWN:
            item.state = "withdrawn"
        elif not item.staff_edited and done.new_text is not None:
            new = done.new_text
            item.text, item.kind, item.reference = new, classify(new).value, find_reference(new)
