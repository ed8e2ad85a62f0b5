"""The states a stored record can be in, and the kinds of the audit log, one enum each;
the store's CHECK constraints are built from these (a round's states are
`workflow.state.RoundState`)."""

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


class EventKind(enum.StrEnum):
    """What an audit log entry (the event table) records.

    A kind no longer written stays here, marked legacy, so that the CHECK constraint
    still accepts the rows of older databases; a new kind needs a migration of its own.
    """

    # A stored mail: fetched, processed, set aside (services/fetch, ingest, floods, notices).
    MESSAGE_PROCESSED = "message_processed"
    MESSAGE_QUARANTINED = "message_quarantined"
    MESSAGE_FAILED = "message_failed"
    MESSAGE_AUTO_REPLY = "message_auto_reply"
    MESSAGE_BOUNCE = "message_bounce"
    MESSAGE_LOOP = "message_loop"
    MESSAGE_RECEIPT_ECHO = "message_receipt_echo"
    MESSAGE_TRUNCATED = "message.truncated"
    MESSAGE_ID_REUSED = "message.message_id_reused"
    MAILBOX_UNREADABLE_MAIL = "mailbox.unreadable_mail"
    MAILBOX_UIDVALIDITY_CHANGED = "mailbox.uidvalidity_changed"
    QUARANTINE_ASSIGNED = "quarantine_assigned"
    QUARANTINE_DISCARDED = "quarantine_discarded"
    QUARANTINE_REPORTED = "quarantine_reported"
    RECEIPT_FAILED = "receipt_failed"
    # A change held for its party's confirmation by reply (services/confirmations).
    CHANGE_HELD = "change_held"
    CHANGE_CONFIRMED = "change_confirmed"
    CHANGE_REFUSED = "change_refused"
    ECHO_UNREAD = "echo_unread"
    ECHO_STALE = "echo_stale"
    DECISION_CONFIRMED = "decision_confirmed"
    # A member's own 訂正 / 取消 (services/corrections); ITEM_WITHDRAWN is staff's too.
    ITEM_CORRECTED = "item_corrected"
    ITEM_WITHDRAWN = "item_withdrawn"
    CORRECTION_REFUSED = "correction_refused"
    CORRECTION_HELD = "correction_held"
    CORRECTION_CONFLICT = "correction_conflict"
    # Staff on items and answers (services/items, staff_corrections, records).
    ITEM_EDITED = "item_edited"
    ITEM_ACCEPTED = "item_accepted"
    ITEM_REJECTED = "item_rejected"
    ITEM_PLACED = "item_placed"
    ITEM_MOVED = "item_moved"
    ITEM_SPLIT = "item_split"
    ITEM_MERGED = "item_merged"
    ITEM_ADDED = "item_added"
    ANSWER_ADDED = "answer_added"
    ANSWER_REPLACED = "answer_replaced"
    ANSWER_REMOVED = "answer_removed"
    DOCUMENTS_FILED = "documents_filed"
    # The round (services/rounds, workflow).
    ROUND_IMPORTED = "round_imported"
    ROUND_TRANSITION = "round_transition"
    DEADLINE_CHANGED = "deadline_changed"
    PHASE_CLOSED_EARLY = "phase_closed_early"
    DECISION_DELEGATED = "decision_delegated"
    STAFF_ALERT = "staff_alert"
    STAFF_COMMAND = "staff_command"
    # Outbound mail (services/outbox).
    OUTBOUND_QUEUED = "outbound_queued"
    OUTBOUND_APPROVED = "outbound_approved"
    OUTBOUND_RETRIED = "outbound_retried"
    OUTBOUND_RESUMED = "outbound_resumed"
    OUTBOUND_HELD = "outbound_held"
    OUTBOUND_SENT = "outbound_sent"
    OUTBOUND_FAILED = "outbound_failed"
    # Staff accounts and console logins (services/staff).
    STAFF_ADDED = "staff_added"
    STAFF_DISABLED = "staff_disabled"
    STAFF_PASSWORD_SET = "staff_password_set"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED = "login_locked"
    LOGOUT = "logout"


def check_in(column: str, values: type[enum.StrEnum]) -> str:
    """``state IN ('a', 'b')``: the SQL of a CHECK constraint from an enum."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"
