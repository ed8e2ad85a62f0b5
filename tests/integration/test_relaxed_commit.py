"""Which commits wait for the disk: the stored bytes always, the processing of new mail
not (it is redone from them), staff's work always; and a relaxed unit of work never
leaves its level to the next one on the same pooled connection."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text

from mailflow.clock import FixedClock
from mailflow.domain.roundspec import load_round_spec
from mailflow.services.intake_files import ingest_files, reprocess
from mailflow.services.rounds import import_round
from mailflow.store import db
from mailflow.store import directory as parties
from tests.harness.seed_round import ROUND_FILE, build_seed_round, seed_services

INTAKE = Path(__file__).resolve().parents[1] / "fixtures/mail/intake"


def _level(session_or_conn) -> str:  # type: ignore[no-untyped-def]
    dialect = (
        session_or_conn.get_bind().dialect.name
        if hasattr(session_or_conn, "get_bind")
        else session_or_conn.dialect.name
    )
    if dialect == "sqlite":
        value = session_or_conn.execute(text("PRAGMA synchronous")).scalar_one()
        return {1: "relaxed", 2: "durable"}[int(value)]
    value = session_or_conn.execute(text("SHOW synchronous_commit")).scalar_one()
    return {"off": "relaxed", "on": "durable"}[value]


def test_a_relaxed_unit_of_work_leaves_the_next_one_durable(engine: Engine) -> None:
    sessions = db.session_factory(engine)
    with db.transaction(sessions) as s:
        assert _level(s) == "durable"
    with db.transaction(sessions, durable=False) as s:
        assert _level(s) == "relaxed"
    # The same pooled connection, whatever begins on it next.
    for _ in range(3):
        with db.transaction(sessions) as s:
            assert _level(s) == "durable"
        with engine.begin() as conn:
            assert _level(conn) == "durable"
        with db.reading(sessions) as s:
            assert _level(s) == "durable"


def test_new_mail_is_stored_durably_and_processed_relaxed_staff_reprocess_durably(
    tmp_path: Path, any_db_url: str
) -> None:
    os.environ.setdefault("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    services = seed_services(tmp_path / "data", any_db_url)
    build_seed_round(services)
    with db.transaction(services.sessions) as s:
        member = parties.members(s, 1)[0]
    seen: list[tuple[str, str]] = []
    sqlite = services.engine.dialect.name == "sqlite"

    @event.listens_for(services.engine, "before_cursor_execute")
    def _watch(conn, cursor, statement, params, context, many):  # type: ignore[no-untyped-def]
        table = next(
            (
                t
                for t in ("message", "item", "outbox", "event")
                if statement.startswith(f"INSERT INTO {t} ")
            ),
            None,
        )
        if statement.startswith("UPDATE message "):
            table = "message update"
        if table is None:
            return
        query = "PRAGMA synchronous" if sqlite else "SHOW synchronous_commit"
        raw = conn.connection.dbapi_connection
        value = raw.execute(query).fetchone()[0]
        level = "relaxed" if value in (1, "off") else "durable"
        seen.append((table, level))

    mail = tmp_path / "reply.eml"
    mail.write_bytes(
        (
            f"From: {member.addresses[0]}\r\nTo: {services.config.committee.address}\r\n"
            "Subject: =?UTF-8?B?6LOq5ZWP?=\r\nMessage-ID: <relaxed-1@example.jp>\r\n"
            "Date: Tue, 12 Jan 2021 10:00:00 +0900\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "特にありません。\r\n"
        ).encode()
    )
    (result,) = ingest_files(services, [mail])
    assert result.outcome is not None and result.outcome.state == "done"
    stored = [lvl for t, lvl in seen if t == "message"]
    processed = [lvl for t, lvl in seen if t in ("message update", "event", "outbox")]
    assert stored == ["durable"]
    assert processed and set(processed) == {"relaxed"}

    seen.clear()
    reprocess(services, [result.outcome.message_pk])
    assert seen and {lvl for _, lvl in seen} == {"durable"}


def test_a_first_reading_looks_for_no_rows_of_its_mail_and_a_second_one_does(
    tmp_path: Path, any_db_url: str
) -> None:
    """Nothing in the store comes from a mail no processing completed (`never_read`):
    its first reading skips the look-ups a reprocess needs, and gives the same rows."""
    os.environ.setdefault("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    services = seed_services(tmp_path / "data", any_db_url)
    import_round(services, load_round_spec(ROUND_FILE), ROUND_FILE)
    services.clock = FixedClock(datetime(2021, 1, 7, 10, 15, tzinfo=services.config.committee.tz))
    reads: list[str] = []

    @event.listens_for(services.engine, "before_cursor_execute")
    def _watch(conn, cursor, statement, params, context, many):  # type: ignore[no-untyped-def]
        for table in ("pending_change", "item_correction"):
            if statement.startswith("SELECT") and f"FROM {table}" in statement:
                reads.append(table)
        if statement.startswith("SELECT") and "item.source_message_id =" in statement:
            reads.append("items of the mail")

    (result,) = ingest_files(services, [INTAKE / "gmail-utf8-subject-tag-two-questions.eml"])
    assert result.outcome is not None and result.outcome.records is not None
    assert result.outcome.records.items == ["Q13-01", "Q13-02"]
    assert reads == []

    (again,) = reprocess(services, [result.outcome.message_pk])
    assert {"pending_change", "items of the mail", "item_correction"} <= set(reads)
    assert again.records is not None and again.records.items == ["Q13-01", "Q13-02"]
    with db.reading(services.sessions) as s:
        stored = s.execute(text("SELECT count(*) FROM item")).scalar_one()
    assert stored == 2  # re-read in place, not filed twice


@pytest.mark.parametrize("durable", [True, False])
def test_both_kinds_commit_what_they_wrote(engine: Engine, durable: bool) -> None:
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with db.transaction(sessions, durable=durable) as s:
        s.execute(
            text(
                "INSERT INTO committee (key, name, address, language, timezone, directory_mark)"
                " VALUES ('k', 'n', 'a@example.jp', 'ja', 'Asia/Tokyo', 1)"
            )
        )
    with db.reading(sessions) as s:
        assert s.execute(text("SELECT count(*) FROM committee")).scalar_one() == 1
