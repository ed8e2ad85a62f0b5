"""server actions recorded as one UID mark per mailbox, not a flag per message

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 19:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mailbox_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("acted_uid", sa.BigInteger(), server_default="0", nullable=False)
        )
    # Everything below the first mail still owed a move is done; with none owed, all is.
    op.execute(
        """
        UPDATE mailbox_state SET acted_uid = COALESCE(
            (SELECT MIN(message.uid) - 1 FROM message
              WHERE message.committee_id = mailbox_state.committee_id
                AND message.mailbox = mailbox_state.mailbox
                AND message.uidvalidity = mailbox_state.uidvalidity
                AND message.uid IS NOT NULL
                AND message.imap_done = false),
            mailbox_state.last_uid)
        """
    )
    _drop_imap_done()


def _drop_imap_done() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.dialect.dbapi.sqlite_version_info >= (3, 35):
        # SQLite's own DROP COLUMN: batch mode would copy every stored mail's bytes
        # into a new table to remove one boolean.
        op.execute("ALTER TABLE message DROP COLUMN imap_done")
        return
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("imap_done")


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("imap_done", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(
        """
        UPDATE message SET imap_done = EXISTS (
            SELECT 1 FROM mailbox_state
             WHERE mailbox_state.committee_id = message.committee_id
               AND mailbox_state.mailbox = message.mailbox
               AND mailbox_state.uidvalidity = message.uidvalidity
               AND message.uid <= mailbox_state.acted_uid)
        """
    )
    with op.batch_alter_table("mailbox_state", schema=None) as batch_op:
        batch_op.drop_column("acted_uid")
