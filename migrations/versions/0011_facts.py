"""facts in their own columns: when an item was accepted, when a mail was first read,
the members' own corrections

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-11 10:00:00

Until now the engine read these back from the audit log's JSON. They are filled here
from the same events (`item_accepted`, `message_processed`, the members' own
`item_corrected` and `item_withdrawn`), which stay in the log as they were.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import mailflow.store.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = mailflow.store.types.UtcDateTime(timezone=True)
# The values as of this revision (domain/states.py CorrectionAction), written out.
ACTIONS = "action IN ('corrected', 'withdrawn')"

EVENT = sa.table(
    "event",
    sa.column("id", sa.Integer),
    sa.column("round_id", sa.Integer),
    sa.column("message_id", sa.Integer),
    sa.column("at", UTC),
    sa.column("actor", sa.String),
    sa.column("kind", sa.String),
    sa.column("detail", sa.JSON),
)
ITEM = sa.table(
    "item",
    sa.column("id", sa.Integer),
    sa.column("round_id", sa.Integer),
    sa.column("public_id", sa.String),
    sa.column("accepted_at", UTC),
)
CORRECTION = sa.table(
    "item_correction",
    sa.column("item_id", sa.Integer),
    sa.column("message_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("new_text", sa.Text),
    sa.column("at", UTC),
)


def upgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepted_at", UTC, nullable=True))
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_processed_at", UTC, nullable=True))
    op.create_table(
        "item_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("new_text", sa.Text(), nullable=True),
        sa.Column("at", UTC, nullable=False),
        sa.CheckConstraint(ACTIONS, name=op.f("ck_item_correction_action")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_item_correction_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["message.id"], name=op.f("fk_item_correction_message_id_message")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_correction")),
    )
    with op.batch_alter_table("item_correction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_correction_item_id"), ["item_id"], unique=False)
    conn = op.get_bind()
    _accepted(conn)
    _first_processed(conn)
    _corrections(conn)


def _accepted(conn: Any) -> None:
    """Each item's last release by staff. The event names the item by its row
    (`item_pk`) or, in older events, by its public ID or row number (`item`)."""
    events = conn.execute(
        sa.select(EVENT.c.round_id, EVENT.c.detail, EVENT.c.at)
        .where(EVENT.c.kind == "item_accepted", EVENT.c.round_id.is_not(None))
        .order_by(EVENT.c.at, EVENT.c.id)
    ).all()
    if not events:
        return
    rounds = sorted({r.round_id for r in events})
    by_ref: dict[tuple[int, object], int] = {}
    for pk, round_id, public_id in conn.execute(
        sa.select(ITEM.c.id, ITEM.c.round_id, ITEM.c.public_id).where(ITEM.c.round_id.in_(rounds))
    ):
        by_ref[(round_id, pk)] = pk
        if public_id is not None:
            by_ref[(round_id, public_id)] = pk
    accepted: dict[int, Any] = {}
    for round_id, detail, at in events:
        d = detail or {}
        ref = d["item_pk"] if "item_pk" in d else d.get("item")
        found = by_ref.get((round_id, ref)) if isinstance(ref, (int, str)) else None
        if found is not None:
            accepted[found] = at  # the last release wins
    if accepted:
        conn.execute(
            ITEM.update()
            .where(ITEM.c.id == sa.bindparam("pk"))
            .values(accepted_at=sa.bindparam("at")),
            [{"pk": pk, "at": at} for pk, at in accepted.items()],
        )


def _first_processed(conn: Any) -> None:
    """The first `message_processed` of each mail in the round it is in now."""
    conn.execute(
        sa.text(
            "UPDATE message SET first_processed_at = (SELECT MIN(event.at) FROM event "
            "WHERE event.message_id = message.id AND event.round_id = message.round_id "
            "AND event.kind = 'message_processed') WHERE message.round_id IS NOT NULL"
        )
    )


def _corrections(conn: Any) -> None:
    """The members' own corrections, in the order they were applied (staff's withdrawals
    are kept by the item's `staff_edited`, not re-applied)."""
    items = set(conn.execute(sa.select(ITEM.c.id)).scalars())
    rows = []
    for kind, actor, message_id, at, detail in conn.execute(
        sa.select(EVENT.c.kind, EVENT.c.actor, EVENT.c.message_id, EVENT.c.at, EVENT.c.detail)
        .where(EVENT.c.kind.in_(("item_corrected", "item_withdrawn")))
        .order_by(EVENT.c.id)
    ):
        d = detail or {}
        item = d.get("item_pk")
        if not actor.startswith("member:") or message_id is None or item not in items:
            continue
        corrected = kind == "item_corrected"
        rows.append(
            {
                "item_id": item,
                "message_id": message_id,
                "action": "corrected" if corrected else "withdrawn",
                "new_text": str(d["new"]) if corrected else None,
                "at": at,
            }
        )
    if rows:
        conn.execute(CORRECTION.insert(), rows)


def downgrade() -> None:
    # The events they were filled from are still in the log.
    with op.batch_alter_table("item_correction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_correction_item_id"))
    op.drop_table("item_correction")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("first_processed_at")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_column("accepted_at")
