"""staff console: accounts, sessions, login attempts, daemon heartbeat

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mailflow.store.types


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = mailflow.store.types.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('staff_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('password_changed_at', UTC, nullable=False),
    sa.CheckConstraint("role IN ('staff', 'auditor')", name=op.f('ck_staff_account_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_account')),
    sa.UniqueConstraint('login', name=op.f('uq_staff_account_login'))
    )
    op.create_table('staff_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('last_seen_at', UTC, nullable=False),
    sa.Column('ended_at', UTC, nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_account.id'], name=op.f('fk_staff_session_staff_id_staff_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_session_token_hash'))
    )
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_session_staff_id'), ['staff_id'], unique=False)
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', UTC, nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_login_at', ['login', 'at'], unique=False)
        batch_op.create_index('ix_login_attempt_address_at', ['address', 'at'], unique=False)
    op.create_table('heartbeat',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('at', UTC, nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_heartbeat'))
    )


def downgrade() -> None:
    op.drop_table('heartbeat')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_address_at')
        batch_op.drop_index('ix_login_attempt_login_at')
    op.drop_table('login_attempt')
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_session_staff_id'))
    op.drop_table('staff_session')
    op.drop_table('staff_account')
