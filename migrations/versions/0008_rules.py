"""rules: the states of rounds, messages, items, answers and decisions are enums, checked

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 22:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values as of this revision, written out (domain/states.py, workflow/state.py): a
# later change of an enum needs a revision of its own.
CHECKS = {
    "round": (
        "state IN ('draft', 'collecting_questions', 'answering', 'distributed', "
        "'collecting_further', 'responding', 'awaiting_decision', 'decided', "
        "'minutes_published', 'cancelled')"
    ),
    "message": "state IN ('stored', 'done', 'quarantined', 'failed', 'discarded')",
    "item": "state IN ('active', 'held', 'rejected', 'withdrawn', 'corrected', 'moved')",
    "answer": "state IN ('active', 'withdrawn', 'replaced', 'removed')",
    "decision": "state IN ('pending', 'confirmed', 'superseded')",
}


def upgrade() -> None:
    for table, sql in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            batch.create_check_constraint(op.f(f"ck_{table}_state"), sql)


def downgrade() -> None:
    for table in CHECKS:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_state"), type_="check")
