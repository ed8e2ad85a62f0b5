"""event kinds: the audit log's kinds are an enum (domain/states.py EventKind), checked

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-11 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The kinds as of this revision, written out: every kind mailflow has ever written (none
# has been retired yet). A new kind needs a revision of its own.
KINDS = (
    "message_processed", "message_quarantined", "message_failed", "message_auto_reply",
    "message_bounce", "message_loop", "message_receipt_echo", "message.truncated",
    "message.message_id_reused", "mailbox.unreadable_mail", "mailbox.uidvalidity_changed",
    "quarantine_assigned", "quarantine_discarded", "quarantine_reported", "receipt_failed",
    "change_held", "change_confirmed", "change_refused", "echo_unread", "echo_stale",
    "decision_confirmed", "item_corrected", "item_withdrawn", "correction_refused",
    "correction_held", "correction_conflict", "item_edited", "item_accepted", "item_rejected",
    "item_placed", "item_moved", "item_split", "item_merged", "item_added", "answer_added",
    "answer_replaced", "answer_removed", "documents_filed", "round_imported",
    "round_transition", "deadline_changed", "phase_closed_early", "decision_delegated",
    "staff_alert", "staff_command", "outbound_queued", "outbound_approved", "outbound_retried",
    "outbound_resumed", "outbound_held", "outbound_sent", "outbound_failed", "staff_added",
    "staff_disabled", "staff_password_set", "login", "login_failed", "login_locked", "logout",
)  # fmt: skip
CHECK = "kind IN (" + ", ".join(repr(k) for k in KINDS) + ")"


def upgrade() -> None:
    unknown = [
        kind
        for (kind,) in op.get_bind().execute(
            sa.text("SELECT DISTINCT kind FROM event WHERE kind NOT IN :kinds").bindparams(
                sa.bindparam("kinds", expanding=True)
            ),
            {"kinds": list(KINDS)},
        )
    ]
    if unknown:
        # Say which, rather than fail on the constraint: they belong in EventKind as legacy.
        raise RuntimeError(f"event kinds this revision does not know: {sorted(unknown)}")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f("ck_event_kind"), CHECK)


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_event_kind"), type_="check")
