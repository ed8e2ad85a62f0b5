"""`mailflow ingest`, `quarantine` and `reprocess` from real .eml bytes into a real database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

import mailflow.cli.db
import mailflow.cli.intake
import mailflow.cli.rounds  # noqa: F401  (registers the commands)
import mailflow.services.ingest as ingest
from mailflow.cli.app import cli
from mailflow.store.db import make_engine
from mailflow.store.models import Event, Item, Message, Outbox

ROOT = Path(__file__).resolve().parents[2]
MAIL = ROOT / "tests/fixtures/mail/intake"


@pytest.fixture
def conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    path = tmp_path / "committee.toml"
    text = (ROOT / "examples/committee-r2-5.toml").read_text(encoding="utf-8")
    path.write_text(text.replace('data_dir = "../data/example"', 'data_dir = "data"'), "utf-8")
    shutil.copy(ROOT / "examples/round-r2-5.toml", tmp_path / "round.toml")
    shutil.copytree(ROOT / "examples/documents", tmp_path / "documents", dirs_exist_ok=True)
    assert run(path, "db", "upgrade")[0] == 0
    assert run(path, "round", "import", str(tmp_path / "round.toml"))[0] == 0
    return path


def run(conf: Path, *args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(
        cli,
        ["--config", str(conf), "--now", "2021-01-07T10:15:00+09:00", *args],
        catch_exceptions=False,
    )
    return r.exit_code, r.stdout, r.stderr


def rows(conf: Path, stmt):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{conf.parent / 'data' / 'mailflow.db'}")
    with engine.connect() as c:
        return c.execute(stmt).all()


def test_member_reply_becomes_numbered_items_and_a_second_copy_is_skipped(conf: Path) -> None:
    eml = MAIL / "gmail-utf8-subject-tag-two-questions.eml"
    code, out, err = run(conf, "ingest", str(eml))
    assert code == 0, err
    assert "done (normal): items Q13-01 Q13-02" in out
    items = rows(
        conf,
        select(
            Item.public_id, Item.kind, Item.reference, Item.phase, Item.late, Item.text
        ).order_by(Item.id),
    )
    assert [i.public_id for i in items] == ["Q13-01", "Q13-02"]
    assert all(i.kind == "question" and i.phase == 1 and not i.late for i in items)
    assert items[0].text.startswith("諮問書P. 3「5 コンピュータ")
    assert items[1].reference and "P.1" in items[1].reference.replace(" ", "")
    # the same mail again (a client that sent twice) is stored once
    code, out, _ = run(conf, "ingest", str(eml))
    assert "already stored, skipped" in out
    assert len(rows(conf, select(Message.id))) == 1
    # reprocessing keeps the IDs members were told
    code, out, _ = run(conf, "reprocess", "--all")
    assert code == 0 and "items Q13-01 Q13-02" in out
    assert [r.public_id for r in rows(conf, select(Item.public_id).order_by(Item.id))] == [
        "Q13-01",
        "Q13-02",
    ]


def test_unknown_sender_is_quarantined_then_assigned_by_staff(conf: Path) -> None:
    code, out, _ = run(conf, "ingest", str(MAIL / "becky-iso2022jp-unknown-sender.eml"))
    assert code == 0 and "quarantined" in out
    code, out, _ = run(conf, "quarantine", "list")
    assert "unknown_sender" in out
    msg_id = rows(conf, select(Message.id))[0].id
    code, out, _ = run(conf, "quarantine", "show", str(msg_id))
    assert "病児保育の件はどうなりますか。" in out and "someone@example.org" in out
    code, out, err = run(
        conf,
        "quarantine",
        "assign",
        str(msg_id),
        "--round",
        "R2-5",
        "--as",
        "okada",
        "--why",
        "本人から電話で確認",
    )
    assert code == 0, err
    assert "done" in out
    assert rows(conf, select(Message.state)).pop().state == "done"
    kinds = [e.kind for e in rows(conf, select(Event.kind).order_by(Event.id))]
    assert kinds[-3:] == ["message_quarantined", "quarantine_assigned", "message_processed"]


def test_out_of_office_from_a_member_sends_nothing(conf: Path) -> None:
    code, out, _ = run(conf, "ingest", str(MAIL / "outlook-iso2022jp-out-of-office.eml"))
    assert code == 0 and "done (auto_reply)" in out
    assert rows(conf, select(Item.id)) == []
    assert rows(conf, select(Outbox.id)) == []


def test_bad_arguments_are_clear(conf: Path, tmp_path: Path) -> None:
    code, _, err = run(conf, "ingest", str(tmp_path / "missing.eml"))
    assert code == 2 and "missing.eml: file not found" in err
    code, _, err = run(conf, "reprocess")
    assert code == 2 and "exactly one of" in err


def test_many_files_are_stored_a_batch_per_commit_and_processed_in_order(
    conf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mailflow.services.intake_files as intake_files

    monkeypatch.setattr(intake_files, "BATCH_FILES", 2)
    monkeypatch.setattr(ingest, "GROUP_SECONDS", 600.0)  # a slow machine's first mail
    reply = MAIL / "gmail-utf8-subject-tag-two-questions.eml"
    stranger = MAIL / "becky-iso2022jp-unknown-sender.eml"
    away = MAIL / "outlook-iso2022jp-out-of-office.eml"
    copy = tmp_path / "copy-of-reply.eml"
    copy.write_bytes(reply.read_bytes())
    seen: list[str] = []

    def stored(conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO message "):
            seen.append("store")

    def committed(conn):  # type: ignore[no-untyped-def]
        seen.append("commit")

    event.listen(Engine, "before_cursor_execute", stored)
    event.listen(Engine, "commit", committed)
    try:
        # The copy sits in the reply's batch: stored once, found in the same transaction.
        code, out, err = run(conf, "ingest", str(reply), str(copy), str(stranger), str(away))
    finally:
        event.remove(Engine, "before_cursor_execute", stored)
        event.remove(Engine, "commit", committed)
    assert code == 0, err
    # A commit per batch of stored files (the second batch's two in one), then one per
    # group of mails processed (a batch's in one group here).
    assert seen[seen.index("store") :] == [
        "store", "commit", "commit", "store", "store", "commit", "commit",
    ]  # fmt: skip
    lines = out.splitlines()
    assert lines[0].startswith(f"{reply}: message 1 done (normal): items Q13-01 Q13-02")
    assert lines[1] == f"{copy}: already stored, skipped"
    assert lines[2].startswith(f"{stranger}: message 2 quarantined")
    assert lines[3].startswith(f"{away}: message 3 done (auto_reply)")
    assert [r.state for r in rows(conf, select(Message.state).order_by(Message.id))] == [
        "done", "quarantined", "done",
    ]  # fmt: skip


def test_a_batch_is_bounded_by_files_and_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mailflow.services.intake_files as intake_files

    monkeypatch.setattr(intake_files, "BATCH_FILES", 3)
    monkeypatch.setattr(intake_files, "BATCH_BYTES", 100)
    sizes = [10, 10, 10, 10, 60, 50, 200, 1]
    paths = []
    for n, size in enumerate(sizes):
        paths.append(tmp_path / f"{n}.eml")
        paths[-1].write_bytes(b"x" * size)
    batches = [[len(raw) for _, raw in b] for b in intake_files._batches(paths)]
    # three files at most; a file over the bytes left starts a batch, even one alone
    # larger than the bound
    assert batches == [[10, 10, 10], [10, 60], [50], [200], [1]]
    assert [p for b in intake_files._batches(paths) for p, _ in b] == paths
