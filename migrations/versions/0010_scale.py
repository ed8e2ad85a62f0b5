"""scale: indexes for the per-mail and per-tick lookups

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 21:40:00

Every per-mail query reads by key, whatever the committee already stores: the next
item number of a consultation, a sender's recent mail, a round's events of one kind.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_item_round_consultation_seq", "item", ["round_id", "consultation_id", "seq"]),
    ("ix_message_member_received", "message", ["committee_id", "member_id", "received_at"]),
    (
        "ix_message_department_received",
        "message",
        ["committee_id", "department_id", "received_at"],
    ),
    ("ix_event_round_kind", "event", ["round_id", "kind"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
