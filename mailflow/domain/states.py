"""The states a stored record can be in, one enum each; the store's CHECK constraints
are built from these (a round's states are `workflow.state.RoundState`)."""

from __future__ import annotations

import enum


class MessageState(enum.StrEnum):
    """An inbound mail: stored first, then processed, held for staff, or failed."""

    STORED = "stored"
    DONE = "done"
    QUARANTINED = "quarantined"  # no round or party it could be placed with: staff decide
    FAILED = "failed"  # processing failed on it: `mailflow reprocess` retries
    DISCARDED = "discarded"  # staff set it aside


class ItemState(enum.StrEnum):
    """A member's item (質疑・意見)."""

    ACTIVE = "active"
    HELD = "held"  # waits for staff (late, or not placed)
    REJECTED = "rejected"  # staff did not accept it
    WITHDRAWN = "withdrawn"  # its author took it back, or a later reading dropped it
    CORRECTED = "corrected"
    MOVED = "moved"  # staff filed it under another consultation (a new ID, `moved_to`)
    MERGED = "merged"  # staff joined it into another item (`moved_to`)


class CorrectionAction(enum.StrEnum):
    """What a member's own correction by reply (訂正 / 取消) did to their item."""

    CORRECTED = "corrected"  # 訂正: the item's text replaced
    WITHDRAWN = "withdrawn"  # 取消: the item taken back


class AnswerState(enum.StrEnum):
    """A department's (or the secretariat's) answer to an item."""

    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    REPLACED = "replaced"  # staff put a corrected answer in its place
    REMOVED = "removed"  # staff took it out


class HeldDocumentState(enum.StrEnum):
    """An attached document read as a member's reply that could not be read."""

    WAITING = "waiting"  # staff read it themselves and file its items (`item add`)
    FILED = "filed"  # staff filed what it says (or found nothing to file)


class DecisionState(enum.StrEnum):
    """The chair's 答申 on a consultation."""

    PENDING = "pending"  # awaiting the chair's confirmation of the echo
    CONFIRMED = "confirmed"
    SUPERSEDED = "superseded"


class OutboxState(enum.StrEnum):
    """An outbound mail in the transactional outbox."""

    DRAFT = "draft"  # waits for staff approval
    APPROVED = "approved"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class PendingState(enum.StrEnum):
    """A change awaiting its party's confirmation by reply."""

    PENDING = "pending"
    APPLIED = "applied"
    REFUSED = "refused"
    STALE = "stale"


def check_in(column: str, values: type[enum.StrEnum]) -> str:
    """``state IN ('a', 'b')``: the SQL of a CHECK constraint from an enum."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"
