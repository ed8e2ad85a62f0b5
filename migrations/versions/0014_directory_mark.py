"""a mark on the committee that changes with its people, rounds and consultations

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-12 09:00:00

Every mail reads the committee's members, departments, addresses and rounds to route
and file it. A process keeps what it read, keyed on `committee.directory_mark`, and
reads it again only when the mark has moved. The database moves the mark itself, by
triggers on every table those reads come from, so no writer (the config sync, a round
file, the phase machine, staff at a SQL prompt) can forget to.

The mark is set to a random value rather than counted up: a transaction that moved it
and then rolled back, or another database whose committee has the same id, can never
show a value a cache already holds for different rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each table the directory and a round's consultations are read from, and how a row of
# it names its committee (SQL over the row, written as NEW or OLD).
SOURCES: dict[str, str] = {
    "member": "{row}.committee_id",
    "member_address": "{row}.committee_id",
    "department": "{row}.committee_id",
    "department_address": "{row}.committee_id",
    "round": "{row}.committee_id",
    "consultation": "(SELECT committee_id FROM round WHERE id = {row}.round_id)",
    "round_absence": "(SELECT committee_id FROM round WHERE id = {row}.round_id)",
    "consultation_department": (
        "(SELECT rd.committee_id FROM consultation c JOIN round rd ON rd.id = c.round_id"
        " WHERE c.id = {row}.consultation_id)"
    ),
}
# SQLite's random() is a signed 64-bit integer; PostgreSQL's is a double, 52 bits used.
SQLITE_RANDOM = "random()"
PG_RANDOM = "floor(random() * 4503599627370496)::bigint"
PG_FUNCTION = "mailflow_move_directory_mark"


def _sqlite_triggers() -> list[str]:
    out = []
    for table, committee in SOURCES.items():
        for op_name, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            out.append(
                f"CREATE TRIGGER directory_mark_{table}_{op_name.lower()} "
                f"AFTER {op_name} ON {table} FOR EACH ROW BEGIN "
                f"UPDATE committee SET directory_mark = {SQLITE_RANDOM} "
                f"WHERE id = {committee.format(row=row)}; END"
            )
    return out


def _pg_function() -> str:
    branches = []
    for table, committee in SOURCES.items():
        branches.append(
            f"IF TG_TABLE_NAME = '{table}' THEN cid := {committee.format(row='changed')};"
        )
    body = "\n    ELS".join(branches)
    return f"""
CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger AS $$
DECLARE
    changed record;
    cid bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
    {body}
    END IF;
    UPDATE committee SET directory_mark = {PG_RANDOM} WHERE id = cid;
    RETURN NULL;
END
$$ LANGUAGE plpgsql"""


def upgrade() -> None:
    op.add_column(
        "committee",
        sa.Column("directory_mark", sa.BigInteger(), nullable=False, server_default="0"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"UPDATE committee SET directory_mark = {PG_RANDOM}")
        op.execute(_pg_function())
        for table in SOURCES:
            op.execute(
                f"CREATE TRIGGER directory_mark AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
            )
    else:
        op.execute(f"UPDATE committee SET directory_mark = {SQLITE_RANDOM}")
        for statement in _sqlite_triggers():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in SOURCES:
            op.execute(f"DROP TRIGGER IF EXISTS directory_mark ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
    else:
        for table in SOURCES:
            for op_name in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS directory_mark_{table}_{op_name}")
    # Not in batch mode: copying `committee` would have to drop the table the others
    # refer to (SQLite has had DROP COLUMN since 3.35).
    op.execute("ALTER TABLE committee DROP COLUMN directory_mark")
