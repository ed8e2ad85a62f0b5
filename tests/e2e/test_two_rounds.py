"""Two rounds open side by side, and two committees in one database: mail finds its round."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailflow.parsing.mime import decode
from mailflow.store.models import Committee, Event, Item, Message, Round
from tests.e2e.test_seed_round_e2e import ROOT, Round25
from tests.harness.clients import gmail
from tests.harness.smtp_server import SmtpServer

JST = ZoneInfo("Asia/Tokyo")


def _second_round(tmp: Path) -> Path:
    text = (ROOT / "examples/round-r2-5.toml").read_text("utf-8")
    text = text.replace('id = "R2-5"', 'id = "R2-6"').replace("第5回", "第6回")
    text = text.replace('key = "13"', 'key = "15"').replace("第13号", "第15号")
    text = text.replace('key = "14"', 'key = "16"').replace("第14号", "第16号")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("documents"))
    path = tmp / "round-r2-6.toml"
    shutil.copytree(ROOT / "examples/documents", tmp / "documents", dirs_exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def test_replies_go_to_the_round_they_answer(
    tmp_path: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", "two-rounds-secret-0123456789-0123456789")
    w = Round25(tmp_path, smtp_server)
    t0 = datetime(2021, 1, 5, 10, tzinfo=JST)
    w.run(t0, "db", "upgrade")
    w.run(t0, "round", "import", str(ROOT / "examples/round-r2-5.toml"))
    w.run(t0, "round", "import", str(_second_round(tmp_path)))
    w.run(t0, "round", "open", "R2-5")
    w.run(t0, "round", "open", "R2-6")
    w.run(t0, "outbox", "send")
    calls = {decode(m).subject.split("]")[0][1:]: m for m in w.inbox("ishida")}
    assert set(calls) == {"R2-5", "R2-6"}
    # The same member answers both calls; the token in each reply address places it.
    for tag, key in (("R2-6", "16"), ("R2-5", "13")):
        raw = gmail(calls[tag], "石田 直樹", "ishida@example.com",
                    f"諮問第{key}号について\n● 委託先の選定方法を伺う。", t0)  # fmt: skip
        assert "done (normal)" in w.ingest(raw, t0)
    rows = w.rows(select(Round.key, Item.public_id).join(Item, Item.round_id == Round.id))
    assert sorted(rows) == [("R2-5", "Q13-01"), ("R2-6", "Q16-01")]
    evidence = [
        e.detail["evidence"][0]
        for e in w.rows(select(Event.detail).where(Event.kind == "message_processed"))
    ]
    assert evidence == ["token", "token"]
    out = w.run(datetime(2021, 1, 14, 9, tzinfo=JST), "tick")
    assert "R2-5: answering" in out and "R2-6: answering" in out
    assert len(w.rows(select(Committee.id))) == 1


def test_a_mail_is_new_to_a_round_staff_move_it_to(
    tmp_path: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # When mailflow first read a mail into its round is kept across reprocessing (its
    # items do not become new); staff placing it in another round make it new there.
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", "two-rounds-secret-0123456789-0123456789")
    w = Round25(tmp_path, smtp_server)
    t0 = datetime(2021, 1, 5, 10, tzinfo=JST)
    w.run(t0, "db", "upgrade")
    w.run(t0, "round", "import", str(ROOT / "examples/round-r2-5.toml"))
    w.run(t0, "round", "import", str(_second_round(tmp_path)))
    w.run(t0, "round", "open", "R2-5")
    w.run(t0, "round", "open", "R2-6")
    w.run(t0, "outbox", "send")
    [call] = [m for m in w.inbox("ishida") if "[R2-5]" in decode(m).subject]
    raw = gmail(call, "石田 直樹", "ishida@example.com", "諮問第16号について\n● 委託先は。", t0)
    assert "done (normal)" in w.ingest(raw, datetime(2021, 1, 6, 9, tzinfo=JST))
    read = select(Message.id, Round.key, Message.first_processed_at).join(
        Round, Round.id == Message.round_id
    )
    [(pk, key, at)] = w.rows(read)
    assert (key, at) == ("R2-5", datetime(2021, 1, 6, 9, tzinfo=JST))
    w.run(datetime(2021, 1, 7, 9, tzinfo=JST), "reprocess", "--round", "R2-5")
    assert w.rows(read)[0][1:] == ("R2-5", datetime(2021, 1, 6, 9, tzinfo=JST))
    moved = datetime(2021, 1, 8, 9, tzinfo=JST)
    w.run(moved, "quarantine", "assign", str(pk), "--round", "R2-6", "--as", "ishida")
    assert w.rows(read)[0][1:] == ("R2-6", moved)
