"""when the staff digest listed a waiting mail: `message.reported_at`

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-11 12:00:00

Until now the digest compared each waiting mail's last `quarantine_reported` event with
its last `message_failed` event. The column is filled here by the same rule: the time of
the last report when it came after the last failure, else NULL. The events stay in the
log as they were.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import mailflow.store.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = mailflow.store.types.UtcDateTime(timezone=True)

EVENT = sa.table(
    "event",
    sa.column("id", sa.Integer),
    sa.column("message_id", sa.Integer),
    sa.column("at", UTC),
    sa.column("kind", sa.String),
)
MESSAGE = sa.table("message", sa.column("id", sa.Integer), sa.column("reported_at", UTC))


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reported_at", UTC, nullable=True))
    _reported(op.get_bind())


def _reported(conn: Any) -> None:
    """One grouped pass over the log (event.message_id has no index of its own), then
    the winning reports' times; ids order the events, as the digest's comparison did."""
    last: dict[tuple[int, str], int] = {}
    for message_id, kind, event_id in conn.execute(
        sa.select(EVENT.c.message_id, EVENT.c.kind, sa.func.max(EVENT.c.id))
        .where(
            EVENT.c.kind.in_(("quarantine_reported", "message_failed")),
            EVENT.c.message_id.is_not(None),
        )
        .group_by(EVENT.c.message_id, EVENT.c.kind)
    ):
        last[(message_id, kind)] = event_id
    told = {
        event_id: message_id
        for (message_id, kind), event_id in last.items()
        if kind == "quarantine_reported" and event_id > last.get((message_id, "message_failed"), 0)
    }
    ids = sorted(told)
    rows = []
    for start in range(0, len(ids), 500):
        for event_id, at in conn.execute(
            sa.select(EVENT.c.id, EVENT.c.at).where(EVENT.c.id.in_(ids[start : start + 500]))
        ):
            rows.append({"pk": told[event_id], "at": at})
    if rows:
        conn.execute(
            MESSAGE.update()
            .where(MESSAGE.c.id == sa.bindparam("pk"))
            .values(reported_at=sa.bindparam("at")),
            rows,
        )


def downgrade() -> None:
    # The events it was filled from are still in the log.
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("reported_at")
