"""staff corrections: moved and merged items, replaced and removed answers, held documents

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mailflow.store.types


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values as of this revision, written out (domain/states.py): 0008 made the item
# states' CHECK, this one adds `merged`; the answer states 0008 checks already cover
# what corrections need.
OLD_ITEM_STATES = "state IN ('active', 'held', 'rejected', 'withdrawn', 'corrected', 'moved')"
ITEM_STATES = (
    "state IN ('active', 'held', 'rejected', 'withdrawn', 'corrected', 'moved', 'merged')"
)
DOCUMENT_STATES = "state IN ('waiting', 'filed')"


def upgrade() -> None:
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moved_to_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('origin_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('placed_at', mailflow.store.types.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_item_moved_to_id_item'), 'item', ['moved_to_id'], ['id']
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_item_origin_id_item'), 'item', ['origin_id'], ['id']
        )
        batch_op.drop_constraint(batch_op.f('ck_item_state'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_item_state'), ITEM_STATES)
        batch_op.create_check_constraint(
            batch_op.f('ck_item_moved_to'),
            "moved_to_id IS NOT NULL OR state NOT IN ('moved', 'merged')",
        )
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaced_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                'corrected_at', mailflow.store.types.UtcDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_answer_replaced_by_id_answer'), 'answer', ['replaced_by_id'], ['id']
        )
    op.create_table('held_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', mailflow.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', mailflow.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.CheckConstraint(DOCUMENT_STATES, name=op.f('ck_held_document_state')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_held_document_member_id_member')),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_held_document_message_id_message')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_held_document_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_held_document')),
    sa.UniqueConstraint('message_id', 'filename', name=op.f('uq_held_document_message_id_filename'))
    )
    with op.batch_alter_table('held_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_held_document_round_id'), ['round_id'], unique=False)


def downgrade() -> None:
    # Rows only the new state can describe go back to what 0008 knows: a merged item is
    # withdrawn; replaced and removed answers stay (0008 knows those states) but lose
    # the link to their replacement.
    with op.batch_alter_table('held_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_held_document_round_id'))
    op.drop_table('held_document')
    op.execute("UPDATE item SET state = 'withdrawn' WHERE state = 'merged'")
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_answer_replaced_by_id_answer'), type_='foreignkey')
        batch_op.drop_column('corrected_at')
        batch_op.drop_column('replaced_by_id')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_item_moved_to'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_item_state'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_item_state'), OLD_ITEM_STATES)
        batch_op.drop_constraint(batch_op.f('fk_item_origin_id_item'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_item_moved_to_id_item'), type_='foreignkey')
        batch_op.drop_column('placed_at')
        batch_op.drop_column('origin_id')
        batch_op.drop_column('moved_to_id')
