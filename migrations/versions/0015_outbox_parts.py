"""shared outbox bytes: `outbox_part` (by SHA-256, in chunks) and `outbox.part_id`

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 03:30:00

A distribution to every member is one long body after a short greeting: its tail is
stored once in `outbox_part`/`outbox_part_chunk`, and each outbox row keeps only its
own bytes and names the part that follows them. Rows written before have no part:
their `raw` is the whole mail, as it was.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTBOX = sa.table(
    "outbox",
    sa.column("id", sa.Integer),
    sa.column("raw", sa.LargeBinary),
    sa.column("part_id", sa.Integer),
)
CHUNK = sa.table(
    "outbox_part_chunk",
    sa.column("part_id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("data", sa.LargeBinary),
)


def upgrade() -> None:
    op.create_table(
        "outbox_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("size >= 0", name=op.f("ck_outbox_part_size")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_part")),
        sa.UniqueConstraint("sha256", name=op.f("uq_outbox_part_sha256")),
    )
    op.create_table(
        "outbox_part_chunk",
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["outbox_part.id"],
            name=op.f("fk_outbox_part_chunk_part_id_outbox_part"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("part_id", "seq", name=op.f("pk_outbox_part_chunk")),
    )
    # A plain ADD COLUMN, also on SQLite (which allows a REFERENCES clause on a column
    # added NULL, where Alembic would copy the table): no copy of an outbox that may
    # hold gigabytes.
    fk = op.f("fk_outbox_part_id_outbox_part")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE outbox ADD COLUMN part_id INTEGER CONSTRAINT {fk} "
            "REFERENCES outbox_part (id)"
        )
    else:
        op.add_column(
            "outbox",
            sa.Column("part_id", sa.Integer(), sa.ForeignKey("outbox_part.id", name=fk)),
        )
    op.create_index(op.f("ix_outbox_part_id"), "outbox", ["part_id"], unique=False)


def downgrade() -> None:
    # Each row that names a part gets the part's bytes back in `raw`, one row at a time.
    conn = op.get_bind()
    ids = conn.execute(sa.select(OUTBOX.c.id).where(OUTBOX.c.part_id.is_not(None))).scalars()
    for row_id in ids.all():
        raw, part_id = conn.execute(
            sa.select(OUTBOX.c.raw, OUTBOX.c.part_id).where(OUTBOX.c.id == row_id)
        ).one()
        tail = conn.execute(
            sa.select(CHUNK.c.data).where(CHUNK.c.part_id == part_id).order_by(CHUNK.c.seq)
        ).scalars()
        conn.execute(
            OUTBOX.update()
            .where(OUTBOX.c.id == row_id)
            .values(raw=raw + b"".join(tail), part_id=None)
        )
    op.drop_index(op.f("ix_outbox_part_id"), table_name="outbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("part_id")
    op.drop_table("outbox_part_chunk")
    op.drop_table("outbox_part")
