"""Staff-input errors: exit 2 with one clear line, no traceback, and no mail changes state."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from mailflow.cli import _register
from mailflow.cli.app import cli
from mailflow.errors import InputError, NotFoundError, Refused, StaffInputError
from mailflow.services.workflow import WorkflowRefused
from mailflow.store.db import make_engine
from mailflow.store.models import Event, Message

ROOT = Path(__file__).resolve().parents[3]
MAIL = ROOT / "tests/fixtures/mail/intake"

_register()


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


def messages(conf: Path) -> list[tuple[int, str]]:
    engine = make_engine(f"sqlite:///{conf.parent / 'data' / 'mailflow.db'}")
    with engine.connect() as c:
        return [(r.id, r.state) for r in c.execute(select(Message.id, Message.state))]


def event_kinds(conf: Path) -> list[str]:
    engine = make_engine(f"sqlite:///{conf.parent / 'data' / 'mailflow.db'}")
    with engine.connect() as c:
        return [r.kind for r in c.execute(select(Event.kind).order_by(Event.id))]


def refused(conf: Path, *args: str) -> str:
    """The one error line of a staff-input error (exit 2, nothing else on stderr)."""
    code, _, err = run(conf, *args)
    lines = err.splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_the_family() -> None:
    for cls in (InputError, NotFoundError, Refused, WorkflowRefused):
        assert issubclass(cls, StaffInputError)
        assert cls.exit_code == 2


def test_assign_to_an_unknown_round_leaves_the_mail_in_quarantine(conf: Path) -> None:
    assert run(conf, "ingest", str(MAIL / "becky-iso2022jp-unknown-sender.eml"))[0] == 0
    [(pk, state)] = messages(conf)
    assert state == "quarantined"
    before = event_kinds(conf)
    line = refused(conf, "quarantine", "assign", str(pk), "--round", "R2-X", "--as", "okada")
    assert "no round 'R2-X'" in line
    assert messages(conf) == [(pk, "quarantined")]
    assert event_kinds(conf) == before  # neither an assignment nor a failure recorded
    code, out, _ = run(conf, "quarantine", "list")
    assert code == 0 and "unknown_sender" in out and "failed" not in out
    # the same mail, assigned right, is processed
    code, out, err = run(conf, "quarantine", "assign", str(pk), "--round", "R2-5", "--as", "okada")
    assert code == 0, err
    assert messages(conf) == [(pk, "done")]


def test_unknown_party_and_message_ids(conf: Path) -> None:
    assert run(conf, "ingest", str(MAIL / "becky-iso2022jp-unknown-sender.eml"))[0] == 0
    [(pk, _)] = messages(conf)
    assert "'nobody' is no member id" in refused(
        conf, "quarantine", "assign", str(pk), "--round", "R2-5", "--as", "nobody"
    )
    assert refused(conf, "quarantine", "discard", "999", "--why", "typo") == (
        "error: no message 999"
    )
    assert "no message 998" in refused(
        conf, "quarantine", "assign", "998", "--round", "R2-5", "--as", "okada"
    )
    assert messages(conf) == [(pk, "quarantined")]


def test_discarding_a_mail_that_is_not_waiting_is_refused(conf: Path) -> None:
    assert run(conf, "ingest", str(MAIL / "gmail-utf8-subject-tag-two-questions.eml"))[0] == 0
    [(pk, state)] = messages(conf)
    assert state == "done"
    assert "not waiting for staff" in refused(conf, "quarantine", "discard", str(pk), "--why", "x")
    assert messages(conf) == [(pk, "done")]


def test_unknown_round_and_item_and_a_phase_refusal(conf: Path) -> None:
    assert "no round 'R9-9'" in refused(conf, "round", "show", "R9-9")
    assert "no round 'R9-9'" in refused(conf, "status", "R9-9")
    assert "no item Q99-01" in refused(conf, "item", "show", "Q99-01")
    assert run(conf, "round", "open", "R2-5")[0] == 0
    assert "R2-5" in refused(conf, "round", "open", "R2-5")
