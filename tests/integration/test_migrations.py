"""Migrations build exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailflow.store import db
from mailflow.store.models import Answer, Base, Committee, Item, ItemCorrection, Message, Round


def test_upgrade_from_empty_matches_the_models(engine: Engine) -> None:
    assert db.current_revision(engine) is None
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)


def test_upgrade_is_idempotent_and_downgrade_round_trips(engine: Engine) -> None:
    db.upgrade(engine)
    db.upgrade(engine)  # already at head: nothing to do, nothing broken
    cfg = db.alembic_config(engine.url.render_as_string(hide_password=False))
    from alembic import command

    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert db.current_revision(engine) is None
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()


def test_constraints_keep_data_sound(engine: Engine) -> None:
    db.upgrade(engine)
    now = datetime(2021, 1, 5, tzinfo=UTC)
    sessions = db.session_factory(engine)
    with sessions.begin() as s:
        c = Committee(key="c", name="審議会", address="s@example.jp")
        s.add(c)
        s.flush()
        r = Round(
            committee_id=c.id,
            key="R2-5",
            title="t",
            fiscal_year=2020,
            notice_date=date(2021, 1, 5),
            questions_due=now,
            answers_due=now,
            further_due=now,
            decision_due=now,
            created_at=now,
        )
        s.add(r)
        s.flush()
        s.add(
            Item(
                round_id=r.id,
                phase=1,
                public_id="Q13-01",
                kind="question",
                text="…",
                received_at=now,
            )
        )
        round_id = r.id

    def fails(obj: object) -> None:
        with pytest.raises(IntegrityError), sessions.begin() as s2:
            s2.add(obj)

    # unique item IDs per round
    fails(
        Item(
            round_id=round_id,
            phase=1,
            public_id="Q13-01",
            kind="opinion",
            text="x",
            received_at=now,
        )
    )
    # no orphan answers
    fails(
        Answer(
            item_id=999_999,
            department_id=None,
            by_secretariat=True,
            phase=2,
            text="x",
            received_at=now,
        )
    )
    # an answer has an author
    with Session(engine) as s3:
        item_id = s3.query(Item.id).scalar()
    fails(
        Answer(
            item_id=item_id,
            department_id=None,
            by_secretariat=False,
            phase=2,
            text="x",
            received_at=now,
        )
    )
    # kinds are the three the domain knows
    fails(Item(round_id=round_id, phase=1, kind="rant", text="x", received_at=now))
    # datetimes come back aware, in UTC
    with Session(engine) as s4:
        got = s4.query(Round.questions_due).scalar()
    assert got == now and got.tzinfo is not None


def test_an_older_database_with_data_upgrades_in_place(engine: Engine) -> None:
    from sqlalchemy import text

    db.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO committee (id, key, name, address, language, timezone) "
                "VALUES (1, 'c', '審議会', 's@example.jp', 'ja', 'Asia/Tokyo')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO round (id, committee_id, key, title, fiscal_year, notice_date, "
                "state, questions_due, answers_due, further_due, decision_due, created_at) "
                "VALUES (1, 1, 'R2-5', 't', 2020, '2021-01-05', 'draft', :d, :d, :d, :d, :d)"
            ),
            {"d": datetime(2021, 1, 13, tzinfo=UTC)},
        )
    db.upgrade(engine)
    with Session(engine) as s:
        rnd = s.get(Round, 1)
        assert rnd is not None
        assert rnd.closed_early == {} and rnd.responses_due is None
        assert rnd.title == "t"


def test_0005_turns_per_message_server_flags_into_one_mark_and_back(engine: Engine) -> None:
    from alembic import command
    from sqlalchemy import text

    db.upgrade(engine, "0004")
    at = datetime(2021, 1, 13, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO committee (id, key, name, address, language, timezone) "
                "VALUES (1, 'c', '審議会', 's@example.jp', 'ja', 'Asia/Tokyo')"
            )
        )
        # INBOX: UIDs 1-2 moved, 3-4 committed but a crash came before their move.
        # Archive: all moved. Both had a mail of an older UIDVALIDITY, long moved.
        for box, validity, uid, done in [
            ("INBOX", 7, 1, True),
            ("INBOX", 7, 2, True),
            ("INBOX", 7, 3, False),
            ("INBOX", 7, 4, False),
            ("INBOX", 6, 9, False),
            ("Archive", 7, 5, True),
        ]:
            conn.execute(
                text(
                    "INSERT INTO message (committee_id, dedupe_key, sha256, mailbox, "
                    "uidvalidity, uid, size, raw, truncated, received_at, state, late, "
                    "imap_done) VALUES (1, :key, 'x', :box, :v, :uid, 1, :raw, false, :at, "
                    "'stored', false, :done)"
                ),
                {"key": f"{box}{validity}-{uid}", "box": box, "v": validity, "uid": uid,
                 "raw": b"x", "at": at, "done": done},
            )  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO mailbox_state (committee_id, mailbox, uidvalidity, last_uid) "
                "VALUES (1, 'INBOX', 7, 4), (1, 'Archive', 7, 5)"
            )
        )
    db.upgrade(engine)
    with engine.connect() as conn:
        marks = dict(conn.execute(text("SELECT mailbox, acted_uid FROM mailbox_state")).all())
        columns = {c["name"] for c in inspect(conn).get_columns("message")}
    assert marks == {"INBOX": 2, "Archive": 5}
    assert "imap_done" not in columns

    cfg = db.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    with engine.connect() as conn:
        query = text("SELECT dedupe_key, imap_done FROM message WHERE uidvalidity = 7")
        done = {key: flag for key, flag in conn.execute(query)}
    assert {key: bool(flag) for key, flag in done.items()} == {
        "INBOX7-1": True,
        "INBOX7-2": True,
        "INBOX7-3": False,
        "INBOX7-4": False,
        "Archive7-5": True,
    }


def _round_with_a_mail(engine: Engine, at: datetime) -> None:
    """Committee 1, round 1 (R2-5) and one stored mail (message 1), in plain SQL."""
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO committee (id, key, name, address, language, timezone) "
                "VALUES (1, 'c', '審議会', 's@example.jp', 'ja', 'Asia/Tokyo')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO round (id, committee_id, key, title, fiscal_year, notice_date, "
                "state, questions_due, answers_due, further_due, decision_due, created_at) "
                "VALUES (1, 1, 'R2-5', 't', 2020, '2021-01-05', 'draft', :d, :d, :d, :d, :d)"
            ),
            {"d": at},
        )
        conn.execute(
            text(
                "INSERT INTO message (id, committee_id, dedupe_key, sha256, mailbox, size, raw, "
                "truncated, received_at, state, late) VALUES (1, 1, 'k', 'x', 'INBOX', 1, :raw, "
                "false, :at, 'done', false)"
            ),
            {"raw": b"x", "at": at},
        )


def test_0006_pending_changes_keep_one_request_per_mail_and_per_echo(engine: Engine) -> None:
    from sqlalchemy import text

    db.upgrade(engine, "0005")
    at = datetime(2021, 1, 13, tzinfo=UTC)
    _round_with_a_mail(engine, at)
    db.upgrade(engine)
    insert = text(
        "INSERT INTO pending_change (committee_id, round_id, kind, party_kind, message_id, "
        "echo_key, changes, state, created_at) VALUES (1, 1, :kind, 'member', :msg, :echo, "
        "'[]', :state, :at)"
    )
    ok = {"kind": "change", "msg": 1, "echo": None, "state": "pending", "at": at}
    with engine.begin() as conn:
        conn.execute(insert, ok)
        conn.execute(insert, {**ok, "kind": "decision_echo", "msg": None, "echo": "R2-5:echo"})
    for bad in (
        ok,  # a second request for the same mail
        {**ok, "kind": "decision_echo", "msg": None, "echo": "R2-5:echo"},  # the same echo
        {**ok, "msg": None},  # a change without its mail
        {**ok, "state": "maybe"},
        {**ok, "kind": "other", "msg": None},
    ):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert, bad)


def test_0009_keeps_moved_and_merged_items_sound_and_downgrades(engine: Engine) -> None:
    from alembic import command
    from sqlalchemy import text

    db.upgrade(engine, "0007")
    at = datetime(2021, 1, 13, tzinfo=UTC)
    _round_with_a_mail(engine, at)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO item (id, round_id, phase, kind, text, confidence, late, state, "
                "staff_edited, position, received_at) VALUES (1, 1, 1, 'question', '駐輪場は', "
                "1.0, false, 'active', false, 0, :at)"
            ),
            {"at": at},
        )
        conn.execute(  # rows pointing at the item: SQLite rebuilds its table around them
            text(
                "INSERT INTO answer (id, item_id, by_secretariat, phase, text, state, "
                "staff_edited, received_at) VALUES (9, 1, true, 2, '回答', 'active', false, :at)"
            ),
            {"at": at},
        )
    db.upgrade(engine)
    item = text(
        "INSERT INTO item (id, round_id, phase, kind, text, confidence, late, state, "
        "staff_edited, position, received_at, moved_to_id) VALUES (:id, 1, 1, 'question', "
        "'街灯は', 1.0, false, :state, false, 0, :at, :to)"
    )
    answer = text(
        "INSERT INTO answer (id, item_id, by_secretariat, phase, text, state, staff_edited, "
        "received_at) VALUES (:id, 1, true, 2, '回答', :state, false, :at)"
    )
    with engine.begin() as conn:
        conn.execute(item, {"id": 2, "state": "merged", "at": at, "to": 1})
        conn.execute(item, {"id": 4, "state": "moved", "at": at, "to": 1})
        conn.execute(answer, {"id": 1, "state": "replaced", "at": at})
        conn.execute(answer, {"id": 2, "state": "active", "at": at})
    document = text(
        "INSERT INTO held_document (round_id, message_id, filename, reason, state, created_at) "
        "VALUES (1, 1, :name, 'unreadable', :state, :at)"
    )
    with engine.begin() as conn:
        conn.execute(document, {"name": "意見.docx", "state": "waiting", "at": at})
    for statement, bad in (
        (document, {"name": "意見.docx", "state": "waiting", "at": at}),  # held twice
        (document, {"name": "別紙.pdf", "state": "lost", "at": at}),
        (item, {"id": 3, "state": "moved", "at": at, "to": None}),  # moved to nowhere
        (item, {"id": 3, "state": "merged", "at": at, "to": None}),
        (item, {"id": 3, "state": "lost", "at": at, "to": None}),
        (answer, {"id": 3, "state": "forgotten", "at": at}),
    ):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(statement, bad)

    cfg = db.alembic_config(engine.url.render_as_string(hide_password=False))
    with db.migration_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
    with engine.connect() as conn:
        states = dict(conn.execute(text("SELECT id, state FROM item")).all())
        answers = [r[0] for r in conn.execute(text("SELECT id FROM answer"))]
    assert states == {1: "active", 2: "withdrawn", 4: "moved"}  # 0008 knows `moved`
    assert sorted(answers) == [1, 2, 9]  # and replaced answers


def _migration(name: str) -> Any:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / f"migrations/versions/{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def test_0008_checks_every_state_against_its_enum(engine: Engine) -> None:
    from alembic import command
    from sqlalchemy import text

    from mailflow.domain.states import AnswerState, DecisionState, ItemState, MessageState, check_in
    from mailflow.workflow.state import RoundState

    # The migrations' frozen SQL is what the enums say today (0009 added `merged`).
    checks = {**_migration("0008_rules").CHECKS, "item": _migration("0009_corrections").ITEM_STATES}
    enums = {"round": RoundState, "message": MessageState, "item": ItemState,
             "answer": AnswerState, "decision": DecisionState}  # fmt: skip
    assert {t: check_in("state", e) for t, e in enums.items()} == checks

    db.upgrade(engine)
    now = datetime(2021, 1, 5, tzinfo=UTC)
    with db.session_factory(engine).begin() as s:
        c = Committee(key="c", name="審議会", address="s@example.jp")
        s.add(c)
        s.flush()
        s.add(Round(committee_id=c.id, key="R2-5", title="t", fiscal_year=2020,
                    notice_date=date(2021, 1, 5), questions_due=now, answers_due=now,
                    further_due=now, decision_due=now, created_at=now))  # fmt: skip
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE round SET state = 'decidd'"))
    cfg = db.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
    with engine.begin() as conn:  # without the check, any text went in
        conn.execute(text("UPDATE round SET state = 'anything'"))
        conn.execute(text("UPDATE round SET state = 'decided'"))
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT state FROM round")).scalar() == "decided"


def test_the_head_read_from_the_scripts_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    assert db.head_revision() == scripts.get_current_head()


def test_0011_fills_the_facts_from_the_audit_log_and_downgrades(engine: Engine) -> None:
    import sqlalchemy as sa
    from alembic import command

    from mailflow.domain.states import CorrectionAction, check_in

    assert check_in("action", CorrectionAction) == _migration("0011_facts").ACTIONS
    db.upgrade(engine, "0010")
    t = [datetime(2021, 1, 14, h, tzinfo=UTC) for h in range(8)]
    _round_with_a_mail(engine, t[0])
    event = sa.table(
        "event", *(sa.column(n) for n in ("round_id", "message_id", "at", "actor", "kind")),
        sa.column("detail", sa.JSON),
    )  # fmt: skip
    rows = [
        # item 1 accepted twice: the later acceptance counts, whatever the row order
        (1, None, t[5], "suzuki", "item_accepted", {"item_pk": 1, "item": "Q13-01"}),
        (1, None, t[3], "suzuki", "item_accepted", {"item_pk": 1, "item": "Q13-01"}),
        # older events: by public ID, by row number; and Q13-01 of round 2 is not round 1's
        (1, None, t[4], "suzuki", "item_accepted", {"item": "Q13-02"}),
        (1, None, t[4], "suzuki", "item_accepted", {"item": 4}),
        (2, None, t[6], "suzuki", "item_accepted", {"item": "Q13-01"}),
        # mail 1 read twice in round 1 (the first counts), and once before in round 2
        (1, 1, t[2], "system", "message_processed", {"role": "member"}),
        (1, 1, t[1], "system", "message_processed", {"role": "member"}),
        (2, 1, t[0], "system", "message_processed", {"role": "member"}),
        (1, 2, t[3], "system", "message_failed", {}),
        # the member's own corrections, in order; staff's withdrawal and a held one are not
        (1, 2, t[2], "member:ishida", "item_corrected",
         {"item_pk": 1, "item": "Q13-01", "old": "駐輪場は", "new": "駐輪場の台数は"}),
        (1, 2, t[2], "member:ishida", "item_withdrawn", {"item_pk": 3, "item": "Q14-01"}),
        (1, 2, t[3], "member:ishida", "item_corrected",
         {"item_pk": 1, "item": "Q13-01", "old": "駐輪場の台数は", "new": "台数は"}),
        (1, None, t[3], "suzuki", "item_withdrawn", {"item_pk": 2, "by_staff": True}),
        (1, 2, t[3], "member:ishida", "correction_held", {"item_pk": 2, "new": "x"}),
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO round (id, committee_id, key, title, fiscal_year, notice_date, "
                "state, questions_due, answers_due, further_due, decision_due, created_at) "
                "VALUES (2, 1, 'R2-6', 't', 2020, '2021-01-05', 'draft', :d, :d, :d, :d, :d)"
            ),
            {"d": t[0]},
        )
        conn.execute(sa.text("UPDATE message SET round_id = 1"))
        conn.execute(
            sa.text(
                "INSERT INTO message (id, committee_id, dedupe_key, sha256, size, raw, "
                "truncated, received_at, state, late, round_id) VALUES (:id, 1, :key, 'x', 1, "
                ":raw, false, :at, 'done', false, :round)"
            ),
            [{"id": 2, "key": "k2", "raw": b"x", "at": t[0], "round": 1},
             {"id": 3, "key": "k3", "raw": b"x", "at": t[0], "round": None}],
        )  # fmt: skip
        conn.execute(
            sa.text(
                "INSERT INTO item (id, round_id, public_id, phase, kind, text, confidence, "
                "late, state, staff_edited, position, received_at, source_message_id) VALUES "
                "(:id, :round, :pid, 1, 'question', '駐輪場は', 1.0, true, 'active', false, 0, "
                ":at, 1)"
            ),
            [{"id": 1, "round": 1, "pid": "Q13-01", "at": t[0]},
             {"id": 2, "round": 1, "pid": "Q13-02", "at": t[0]},
             {"id": 3, "round": 1, "pid": "Q14-01", "at": t[0]},
             {"id": 4, "round": 1, "pid": None, "at": t[0]},
             {"id": 5, "round": 2, "pid": "Q13-01", "at": t[0]},
             {"id": 6, "round": 1, "pid": "Q13-03", "at": t[0]}],
        )  # fmt: skip
        conn.execute(
            event.insert(),
            [dict(zip(("round_id", "message_id", "at", "actor", "kind", "detail"), r, strict=True))
             for r in rows],
        )  # fmt: skip
    db.upgrade(engine)

    with Session(engine) as s:
        accepted = {r[0]: r[1] for r in s.execute(sa.select(Item.id, Item.accepted_at))}
        assert accepted == {1: t[5], 2: t[4], 3: None, 4: t[4], 5: t[6], 6: None}
        read = {r[0]: r[1] for r in s.execute(sa.select(Message.id, Message.first_processed_at))}
        assert read == {1: t[1], 2: None, 3: None}
        done = [tuple(r) for r in s.execute(
            sa.select(
                ItemCorrection.item_id, ItemCorrection.message_id, ItemCorrection.action,
                ItemCorrection.new_text, ItemCorrection.at,
            ).order_by(ItemCorrection.id)
        )]  # fmt: skip
    assert done == [
        (1, 2, "corrected", "駐輪場の台数は", t[2]),
        (3, 2, "withdrawn", None, t[2]),
        (1, 2, "corrected", "台数は", t[3]),
    ]
    bad = sa.text(
        "INSERT INTO item_correction (item_id, message_id, action, at) VALUES (1, 2, :a, :at)"
    )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(bad, {"a": "edited", "at": t[0]})

    cfg = db.alembic_config(engine.url.render_as_string(hide_password=False))
    with db.migration_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    with engine.connect() as conn:
        inspector = inspect(conn)
        assert "item_correction" not in inspector.get_table_names()
        assert "accepted_at" not in {c["name"] for c in inspector.get_columns("item")}
        assert "first_processed_at" not in {c["name"] for c in inspector.get_columns("message")}
        assert conn.execute(sa.text("SELECT COUNT(*) FROM event")).scalar() == len(rows)
    db.upgrade(engine)  # and up again, from the same events
    with Session(engine) as s:
        assert s.scalar(sa.select(sa.func.count(ItemCorrection.id))) == 3


def test_0012_checks_every_event_kind_against_its_enum(engine: Engine) -> None:
    from alembic import command
    from sqlalchemy import text

    from mailflow.domain.states import EventKind, check_in
    from mailflow.store import events

    # The migration's frozen list is what the enum says today.
    assert check_in("kind", EventKind) == _migration("0012_event_kinds").CHECK
    assert len(EventKind.__members__) == len(EventKind)  # no two names for one kind

    db.upgrade(engine, "0011")
    at = datetime(2021, 1, 13, tzinfo=UTC)
    insert = text("INSERT INTO event (at, actor, kind, detail) VALUES (:at, 'system', :k, '{}')")
    with engine.begin() as conn:  # rows of an older database, written before the check
        conn.execute(insert, {"at": at, "k": "message_processed"})
    db.upgrade(engine)
    with db.session_factory(engine).begin() as s:  # every kind goes in, through the writer
        for kind in EventKind:
            events.record(s, at=at, actor="system", kind=kind, why=kind.value)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT kind FROM event ORDER BY id")).scalars().all()
    assert stored == ["message_processed", *EventKind]
    for bad in ("message_procesed", "", "MESSAGE_PROCESSED"):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert, {"at": at, "k": bad})

    cfg = db.alembic_config(engine.url.render_as_string(hide_password=False))
    with db.migration_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011")
    with engine.begin() as conn:  # without the check, any text went in
        conn.execute(insert, {"at": at, "k": "retired_kind"})
    with pytest.raises(RuntimeError, match="retired_kind"):  # and upgrading says which
        db.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM event WHERE kind = 'retired_kind'"))
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()


def test_0013_fills_reported_at_from_the_digests_events_and_downgrades(engine: Engine) -> None:
    import sqlalchemy as sa
    from alembic import command

    db.upgrade(engine, "0012")
    t = [datetime(2021, 1, 14, h, tzinfo=UTC) for h in range(8)]
    _round_with_a_mail(engine, t[0])
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO message (id, committee_id, dedupe_key, sha256, size, raw, "
                "truncated, received_at, state, late) VALUES (:id, 1, :key, 'x', 1, :raw, "
                "false, :at, :state, false)"
            ),
            [{"id": n, "key": f"k{n}", "raw": b"x", "at": t[0], "state": state}
             for n, state in ((2, "failed"), (3, "quarantined"), (4, "quarantined"),
                              (5, "failed"))],
        )  # fmt: skip
        # In id order, as they were written.
        rows = [
            (1, t[1], "message_failed"),
            (1, t[2], "quarantine_reported"),  # told after it failed
            (1, t[4], "quarantine_reported"),  # and again: the last report counts
            (2, t[1], "message_failed"),
            (2, t[2], "quarantine_reported"),
            (2, t[3], "message_failed"),  # failed again since: not told
            (3, t[2], "quarantine_reported"),  # held and told; never failed
            (3, t[3], "message_quarantined"),  # held again: still told, as before
            (5, t[3], "message_failed"),  # failed and not yet told
            (None, t[5], "quarantine_reported"),  # no mail named
        ]
        conn.execute(
            sa.text(
                "INSERT INTO event (message_id, at, actor, kind, detail) "
                "VALUES (:m, :at, 'system', :k, '{}')"
            ),
            [{"m": m, "at": at, "k": kind} for m, at, kind in rows],
        )
    db.upgrade(engine)

    with Session(engine) as s:
        told = {r[0]: r[1] for r in s.execute(sa.select(Message.id, Message.reported_at))}
    assert told == {1: t[4], 2: None, 3: t[2], 4: None, 5: None}

    cfg = db.alembic_config(engine.url.render_as_string(hide_password=False))
    with db.migration_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0012")
    with engine.connect() as conn:
        assert "reported_at" not in {c["name"] for c in inspect(conn).get_columns("message")}
        assert conn.execute(sa.text("SELECT COUNT(*) FROM event")).scalar() == len(rows)
    db.upgrade(engine)  # and up again, from the same events
    with Session(engine) as s:
        assert s.scalar(sa.select(Message.reported_at).where(Message.id == 1)) == t[4]


def test_0015_keeps_older_outbox_rows_whole_and_downgrades_parts_into_them(
    engine: Engine,
) -> None:
    import sqlalchemy as sa
    from alembic import command

    from mailflow.outbound.model import SharedTail
    from mailflow.store import outbox_parts
    from mailflow.store.models import Outbox

    db.upgrade(engine, "0014")
    at = datetime(2021, 1, 14, 1, tzinfo=UTC)
    _round_with_a_mail(engine, at)
    insert = sa.text(
        "INSERT INTO outbox (id, committee_id, round_id, kind, message_id, recipients, "
        "subject, raw, state, attempts, created_at) VALUES (:id, 1, 1, 'distribution', "
        ":mid, '[\"a@example.jp\"]', 's', :raw, 'sent', 1, :at)"
    )
    with engine.begin() as conn:
        conn.execute(insert, {"id": 1, "mid": "<old@x>", "raw": b"old whole mail\r\n", "at": at})
    db.upgrade(engine)

    tail = SharedTail.of(b"T" * (outbox_parts.CHUNK + 10))
    with Session(engine) as s, s.begin():
        # An older row is read as it was: no part; a new one names its part.
        assert s.scalar(sa.select(Outbox.part_id).where(Outbox.id == 1)) is None
        assert outbox_parts.mail_bytes(s, [(b"old whole mail\r\n", None)])[0].startswith(b"old")
        part_id = outbox_parts.put(s, tail)
        s.execute(insert, {"id": 2, "mid": "<new@x>", "raw": b"head\r\n", "at": at})
        s.execute(sa.update(Outbox).where(Outbox.id == 2).values(part_id=part_id))

    cfg = db.alembic_config(engine.url.render_as_string(hide_password=False))
    with db.migration_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0014")
    with engine.connect() as conn:
        assert "part_id" not in {c["name"] for c in inspect(conn).get_columns("outbox")}
        assert not inspect(conn).has_table("outbox_part")
        raws = conn.execute(sa.text("SELECT raw FROM outbox ORDER BY id")).scalars().all()
    assert raws == [b"old whole mail\r\n", b"head\r\n" + tail.data]  # every mail whole again
    db.upgrade(engine)
