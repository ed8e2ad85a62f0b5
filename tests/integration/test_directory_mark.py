"""The committee's directory mark: moved by the database on every change routing and
filing read, so what a process keeps of the directory is never stale, on SQLite and
PostgreSQL, whoever makes the change."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, text

from mailflow.services.intake_files import ingest_files
from mailflow.store import db
from mailflow.store import directory as parties
from mailflow.store import intake as intake_repo
from tests.harness.seed_round import build_seed_round, seed_services

# One write per table the directory and a round's consultations are read from; each
# must move the mark. Plain SQL, as staff at a database prompt would write it.
WRITES: dict[str, str] = {
    "member": "UPDATE member SET name = name || '（改）' WHERE id = (SELECT min(id) FROM member)",
    "member_address": (
        "INSERT INTO member_address (committee_id, member_id, address)"
        " SELECT committee_id, id, 'second-desk@example.jp' FROM member"
        " WHERE id = (SELECT min(id) FROM member)"
    ),
    "department": (
        "UPDATE department SET name = '新しい課名' WHERE id = (SELECT min(id) FROM department)"
    ),
    "department_address": (
        "DELETE FROM department_address WHERE id = (SELECT max(id) FROM department_address)"
    ),
    "round": "UPDATE round SET title = title || '（再）'",
    "consultation": (
        "UPDATE consultation SET title = '差し替えた題'"
        " WHERE id = (SELECT min(id) FROM consultation)"
    ),
    "round_absence": (
        "INSERT INTO round_absence (round_id, member_id)"
        " SELECT (SELECT min(id) FROM round), max(id) FROM member"
    ),
    "consultation_department": (
        "DELETE FROM consultation_department"
        " WHERE consultation_id = (SELECT min(id) FROM consultation)"
    ),
}


def _seeded(tmp_path: Path, url: str):  # type: ignore[no-untyped-def]
    os.environ.setdefault("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    services = seed_services(tmp_path / "data", url)
    build_seed_round(services)
    return services


def _mark(engine: Engine) -> int:
    with engine.connect() as conn:
        value = conn.execute(text("SELECT directory_mark FROM committee")).scalar_one()
    return int(value)


def _selects(engine: Engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, params, context, many):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    return seen


@pytest.mark.parametrize("table", sorted(WRITES))
def test_a_change_to_any_source_table_moves_the_mark(
    tmp_path: Path, any_db_url: str, table: str
) -> None:
    services = _seeded(tmp_path, any_db_url)
    before = _mark(services.engine)
    with services.engine.begin() as conn:
        changed = conn.execute(text(WRITES[table])).rowcount
    assert changed >= 1, f"the write to {table} changed no row: the test proves nothing"
    assert _mark(services.engine) != before


def test_filing_a_reply_leaves_the_mark_where_it_was(tmp_path: Path, any_db_url: str) -> None:
    """Intake writes messages, items and the outbox, none of the directory: a busy
    committee's cache stays valid from mail to mail."""
    services = _seeded(tmp_path, any_db_url)
    with db.transaction(services.sessions) as s:
        member = parties.members(s, 1)[0]
    before = _mark(services.engine)
    mail = tmp_path / "reply.eml"
    mail.write_bytes(
        (
            f"From: {member.addresses[0]}\r\nTo: {services.config.committee.address}\r\n"
            "Subject: =?UTF-8?B?6LOq5ZWP?=\r\nMessage-ID: <mark-1@example.jp>\r\n"
            "Date: Tue, 12 Jan 2021 10:00:00 +0900\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "特にありません。\r\n"
        ).encode()
    )
    (result,) = ingest_files(services, [mail])
    assert result.stored and result.outcome is not None
    assert _mark(services.engine) == before


def test_the_directory_is_read_once_and_again_after_another_process_changes_it(
    tmp_path: Path, any_db_url: str
) -> None:
    services = _seeded(tmp_path, any_db_url)
    # Another process: its own engine on the same database.
    other: Engine = create_engine(services.engine.url)
    try:
        first = _routing(services)
        selects = _selects(services.engine)
        again = _routing(services)
        assert again is first  # kept: the same snapshot object
        assert len(selects) == 1 and "directory_mark" in selects[0]

        with other.begin() as conn:
            conn.execute(text(WRITES["member_address"]))
        moved = _routing(services)
        assert moved is not first
        addresses = {a for m in moved.committees[0].members for a in m.addresses}
        assert "second-desk@example.jp" in addresses
        assert "second-desk@example.jp" not in {
            a for m in first.committees[0].members for a in m.addresses
        }
    finally:
        other.dispose()


def test_a_rolled_back_change_is_not_kept_as_the_databases(tmp_path: Path, any_db_url: str) -> None:
    """A unit of work that changed a member and read the directory, then rolled back:
    what it read under the moved mark is never served for the committed state."""
    services = _seeded(tmp_path, any_db_url)
    committed = _names(services)
    with pytest.raises(RuntimeError), db.transaction(services.sessions) as s:
        s.execute(text(WRITES["member"]))
        inside = [m.name for m in parties.members(s, 1)]
        assert inside != committed
        raise RuntimeError("roll back")
    assert _names(services) == committed


def _routing(services):  # type: ignore[no-untyped-def]
    with db.transaction(services.sessions) as s:
        return intake_repo.directory(s, 1)


def _names(services) -> list[str]:  # type: ignore[no-untyped-def]
    with db.transaction(services.sessions) as s:
        return [m.name for m in parties.members(s, 1)]


def test_each_dialect_has_the_triggers_at_the_newest_schema(any_db_url: str) -> None:
    """A later migration that copies one of these tables (SQLite's batch mode) would drop
    its triggers without a word; this names the table that lost them."""
    engine = create_engine(any_db_url)
    try:
        db.upgrade(engine)
        query: Callable[[str], str]
        if engine.dialect.name == "sqlite":
            query = (
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '{}'"
            ).format
            want = 3
        else:
            query = (
                "SELECT count(*) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid"
                " WHERE c.relname = '{}' AND g.tgname = 'directory_mark'"
                " AND c.relnamespace = to_regnamespace(current_schema())"
            ).format
            want = 1
        with engine.connect() as conn:
            found = {t: conn.execute(text(query(t))).scalar_one() for t in WRITES}
        assert found == dict.fromkeys(WRITES, want)
    finally:
        engine.dispose()
