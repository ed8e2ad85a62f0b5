"""New mail is processed a group to a commit (`ingest.process_stored`), each mail in a
savepoint of its own: a mail the database refuses fails alone, a group that cannot
commit is done again one mail at a time, and nothing is filed or receipted twice."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, select, text

import mailflow.services.ingest as ingest
from mailflow.clock import FixedClock
from mailflow.domain.roundspec import load_round_spec
from mailflow.outbound.alerts import Intake
from mailflow.services.context import Services
from mailflow.services.intake_files import FileOutcome, ingest_files
from mailflow.services.rounds import import_round
from mailflow.store import db
from mailflow.store import directory as parties
from mailflow.store.models import Event, Item, Message, Outbox
from tests.harness.seed_round import ROUND_FILE, seed_services

# The database refuses items holding this phrase (a trigger set up by the test).
REFUSED = "試験用の拒否語"

_SQLITE_REFUSAL = f"""
CREATE TRIGGER refuse_item BEFORE INSERT ON item WHEN NEW.text LIKE '%{REFUSED}%'
BEGIN SELECT RAISE(ABORT, 'item refused by the test'); END
"""
_PG_REFUSAL = (
    f"""
CREATE FUNCTION refuse_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.text LIKE '%{REFUSED}%' THEN
    RAISE EXCEPTION 'item refused by the test' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$
""",
    "CREATE TRIGGER refuse_item BEFORE INSERT ON item FOR EACH ROW EXECUTE FUNCTION refuse_item()",
)


def _install(services: Services, statements: tuple[str, ...]) -> None:
    with services.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def _refusing_items(services: Services) -> None:
    """The database refuses items holding `REFUSED` from now on."""
    sqlite = services.engine.dialect.name == "sqlite"
    _install(services, (_SQLITE_REFUSAL,) if sqlite else _PG_REFUSAL)


def _services(tmp_path: Path, url: str) -> Services:
    os.environ.setdefault("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    services = seed_services(tmp_path / "data", url)
    import_round(services, load_round_spec(ROUND_FILE), ROUND_FILE)
    services.clock = FixedClock(datetime(2021, 1, 7, 10, 15, tzinfo=services.config.committee.tz))
    return services


def _mails(services: Services, tmp_path: Path, bodies: list[str]) -> list[Path]:
    with db.transaction(services.sessions) as s:
        members = [m for m in parties.members(s, 1) if m.role != "chair"]
    paths = []
    for n, body in enumerate(bodies):
        path = tmp_path / f"reply-{n}.eml"
        path.write_bytes(
            (
                f"From: {members[n].addresses[0]}\r\nTo: {services.config.committee.address}\r\n"
                "Subject: Re: [R2-5] =?UTF-8?B?5oSP6KaL?=\r\n"
                f"Message-ID: <group-{n}@example.jp>\r\n"
                "Date: Thu, 7 Jan 2021 10:00:00 +0900\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n"
                f"\r\n{body}\r\n"
            ).encode()
        )
        paths.append(path)
    return paths


_BODIES = [
    "●公園の遊具の点検は年に何回行っていますか。",
    f"●{REFUSED}を含む質問です。図書館の開館時間は延びますか。",
    "●駅前の駐輪場の台数は足りていますか。",
]


def _commits(engine: Engine, seen: list[str]) -> None:
    @event.listens_for(engine, "commit")
    def _commit(conn):  # type: ignore[no-untyped-def]
        seen.append("commit")

    @event.listens_for(engine, "before_cursor_execute")
    def _store(conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO message "):
            seen.append("store")


def _states(services: Services) -> list[str]:
    with db.reading(services.sessions) as s:
        return list(s.scalars(select(Message.state).order_by(Message.id)))


def _done(results: list[FileOutcome]) -> list[str]:
    return [r.outcome.state if r.outcome else "skipped" for r in results]


def test_a_group_is_one_commit_and_a_mail_the_database_refuses_fails_alone(
    tmp_path: Path, any_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "GROUP_SECONDS", 600.0)  # a slow machine's first mail
    services = _services(tmp_path, any_db_url)
    _refusing_items(services)
    seen: list[str] = []
    _commits(services.engine, seen)
    results = ingest_files(services, _mails(services, tmp_path, _BODIES))

    assert _done(results) == ["done", "failed", "done"]
    # One commit stores the three, one processes them.
    assert seen[seen.index("store") :] == ["store", "store", "store", "commit", "commit"]
    failed = results[1].outcome
    assert failed is not None and "item refused by the test" in failed.detail
    assert _states(services) == ["done", "failed", "done"]
    with db.reading(services.sessions) as s:
        texts = list(s.scalars(select(Item.text).order_by(Item.id)))
        receipts = s.scalars(select(Outbox.action_key).where(Outbox.kind == "receipt")).all()
        kinds = [(e.message_id, e.kind) for e in s.scalars(select(Event).order_by(Event.id))]
    # The refused mail left nothing of its own but the failure; its neighbours all.
    assert len(texts) == 2 and not any(REFUSED in t for t in texts)
    pks = [r.outcome.message_pk for r in results if r.outcome]
    assert sorted(k or "" for k in receipts) == [f"c1:receipt:{pks[0]}", f"c1:receipt:{pks[2]}"]
    assert [k for k in kinds if k[0] in pks] == [
        (pks[0], "message_processed"), (pks[1], "message_failed"), (pks[2], "message_processed"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("mails", "seconds", "commits"),
    [(2, 600.0, 2), (32, 0.0, 3)],
    ids=["by-number-of-mails", "by-time"],
)
def test_a_group_is_bounded_by_its_number_of_mails_and_its_time(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
    mails: int, seconds: float, commits: int,
) -> None:  # fmt: skip
    monkeypatch.setattr(ingest, "GROUP_MAILS", mails)
    monkeypatch.setattr(ingest, "GROUP_SECONDS", seconds)
    services = _services(tmp_path, sqlite_url)
    seen: list[str] = []
    _commits(services.engine, seen)
    bodies = [_BODIES[0], _BODIES[2], "●市民課の窓口の待ち時間を教えてください。"]
    results = ingest_files(services, _mails(services, tmp_path, bodies))
    assert _done(results) == ["done", "done", "done"]
    assert seen[seen.index("store") :] == ["store"] * 3 + ["commit"] * (1 + commits)


def test_a_group_that_cannot_commit_is_done_again_one_mail_at_a_time(
    tmp_path: Path, postgres_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "GROUP_SECONDS", 600.0)
    # PostgreSQL checks a deferred constraint trigger at the commit: the group's commit
    # fails, not any one mail's statements.
    services = _services(tmp_path, postgres_schema_url)
    with services.engine.begin() as conn:
        conn.execute(text(_PG_REFUSAL[0]))
        conn.execute(
            text(
                "CREATE CONSTRAINT TRIGGER refuse_item AFTER INSERT ON item "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_item()"
            )
        )
    results = ingest_files(services, _mails(services, tmp_path, _BODIES))

    assert _done(results) == ["done", "failed", "done"]
    refused = results[1].outcome
    assert refused is not None and refused.detail == "IntegrityError"
    # Its processing never committed: it is still waiting to be processed.
    assert _states(services) == ["done", "stored", "done"]
    with db.reading(services.sessions) as s:
        receipts = s.scalars(select(Outbox.action_key).where(Outbox.kind == "receipt")).all()
        items = s.scalar(select(Item.id).where(Item.text.contains(REFUSED)))
    pks = [r.outcome.message_pk for r in results if r.outcome]
    assert sorted(k or "" for k in receipts) == [f"c1:receipt:{pks[0]}", f"c1:receipt:{pks[2]}"]
    assert items is None


def test_a_failed_mail_rolls_its_group_back_and_is_not_read_again(
    tmp_path: Path, any_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No mail has a savepoint: the refused one (second of four) has the group done
    # again, the first processed anew, the refused one recorded without its bytes
    # being read a second time, and the group still commits once.
    monkeypatch.setattr(ingest, "GROUP_SECONDS", 600.0)
    services = _services(tmp_path, any_db_url)
    _refusing_items(services)
    reads: list[bytes] = []
    parser = services.parser
    real_read = parser.read

    def read(raw: bytes, *args: object) -> object:
        reads.append(raw)
        return real_read(raw, *args)

    monkeypatch.setattr(parser, "read", read)
    seen: list[str] = []
    _commits(services.engine, seen)
    bodies = [*_BODIES, "●市民課の窓口の待ち時間を教えてください。"]
    paths = _mails(services, tmp_path, bodies)
    results = ingest_files(services, paths)

    assert _done(results) == ["done", "failed", "done", "done"]
    assert seen[seen.index("store") :] == ["store"] * 4 + ["commit", "commit"]
    raws = [p.read_bytes() for p in paths]
    assert [raws.index(r) for r in reads] == [0, 1, 0, 2, 3]
    with db.reading(services.sessions) as s:
        texts = list(s.scalars(select(Item.text).order_by(Item.id)))
        failures = s.scalars(select(Event.message_id).where(Event.kind == "message_failed")).all()
    assert len(texts) == 3 and not any(REFUSED in t for t in texts)
    assert failures == [results[1].outcome.message_pk if results[1].outcome else None]


def test_a_receipt_the_database_refuses_leaves_its_mail_filed_and_the_group_whole(
    tmp_path: Path, any_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL aborts a transaction at a failed statement: the receipt's own savepoint
    # keeps the group's unit of work going past it.
    monkeypatch.setattr(ingest, "GROUP_SECONDS", 600.0)
    services = _services(tmp_path, any_db_url)
    refuse = (
        ("CREATE TRIGGER refuse_receipt BEFORE INSERT ON outbox WHEN NEW.kind = 'receipt' "
         "AND NEW.action_key LIKE '%:receipt:2' BEGIN SELECT RAISE(ABORT, 'no receipt'); END",)
        if services.engine.dialect.name == "sqlite"
        else (
            "CREATE FUNCTION refuse_receipt() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.kind = 'receipt' AND NEW.action_key LIKE '%:receipt:2' THEN "
            "RAISE EXCEPTION 'no receipt' USING ERRCODE = 'check_violation'; END IF; "
            "RETURN NEW; END $$",
            "CREATE TRIGGER refuse_receipt BEFORE INSERT ON outbox FOR EACH ROW "
            "EXECUTE FUNCTION refuse_receipt()",
        )
    )  # fmt: skip
    _install(services, refuse)
    bodies = [_BODIES[0], _BODIES[2], "●市民課の窓口の待ち時間を教えてください。"]
    paths = _mails(services, tmp_path, bodies)
    seen: list[str] = []
    _commits(services.engine, seen)
    results = ingest_files(services, paths)

    assert _done(results) == ["done", "done", "done"]
    assert seen[seen.index("store") :] == ["store"] * 3 + ["commit", "commit"]
    pks = [r.outcome.message_pk for r in results if r.outcome]
    assert pks[1] == 2  # the one whose receipt the trigger refuses
    with db.reading(services.sessions) as s:
        items = s.scalars(select(Item.source_message_id).order_by(Item.id)).all()
        receipts = s.scalars(select(Outbox.action_key).where(Outbox.kind == "receipt")).all()
        refused = s.scalars(select(Event.message_id).where(Event.kind == "receipt_failed")).all()
    assert items == pks
    assert sorted(k or "" for k in receipts) == [f"c1:receipt:{pks[0]}", f"c1:receipt:{pks[2]}"]
    assert refused == [pks[1]]
    outcome = results[1].outcome
    assert outcome is not None
    assert Intake.NO_RECEIPT in [a.kind for a in outcome.alerts]
