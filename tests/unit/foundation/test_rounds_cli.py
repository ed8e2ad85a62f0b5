"""`round import|show|list|set-deadline` on a real SQLite database; bad input writes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

import mailflow.cli.db
import mailflow.cli.rounds
import mailflow.cli.workflow  # noqa: F401  (registers the commands)
from mailflow.cli.app import cli
from mailflow.store.db import make_engine
from mailflow.store.models import Event, Round

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def setup(tmp_path: Path) -> Path:
    """The example committee config, pointed at a fresh data directory; schema upgraded."""
    conf = tmp_path / "committee.toml"
    text = (ROOT / "examples/committee-r2-5.toml").read_text(encoding="utf-8")
    conf.write_text(text.replace('data_dir = "../data/example"', 'data_dir = "data"'), "utf-8")
    shutil.copy(ROOT / "examples/round-r2-5.toml", tmp_path / "round.toml")
    shutil.copytree(ROOT / "examples/documents", tmp_path / "documents", dirs_exist_ok=True)
    code, out, err = run(conf, "db", "upgrade")
    assert code == 0, err
    assert "upgraded from empty" in out
    return conf


def run(conf: Path, *args: str) -> tuple[int, str, str]:
    # Staff act before the round's first deadline.
    argv = ["--config", str(conf), "--now", "2021-01-04T10:00:00+09:00", *args]
    result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def count(conf: Path, model: type) -> int:
    engine = make_engine(f"sqlite:///{conf.parent / 'data' / 'mailflow.db'}")
    with engine.connect() as c:
        return int(c.scalar(select(func.count()).select_from(model)) or 0)


def test_import_and_show_the_seed_round(setup: Path) -> None:
    code, out, err = run(setup, "round", "import", str(setup.parent / "round.toml"))
    assert code == 0, err
    assert "imported round R2-5" in out
    code, out, err = run(setup, "round", "show", "R2-5")
    assert code == 0, err
    for text in (
        "令和2年度第5回個人情報保護運営審議会",
        "令和2年度諮問第13号",
        "子育て応援ギフトセット配布業務委託",
        "子ども保健・給付課",
        "令和2年度諮問第14号",
        "病児保育予約システム使用委託",
        "保育幼稚園課・情報政策課",
        "会長職務代理",
        "1月13日（水）",
        "1月15日（金）",
        "1月20日（水）",
        "1月27日（水）",
        "令和3年1月5日（火）",
    ):
        assert text in out, text
    assert out.count("│ 委員") == 5  # five ordinary members beside chair and deputy
    assert out.count("出席") == 7
    code, out, _ = run(setup, "round", "list")
    assert "R2-5" in out and "draft" in out


def test_set_deadline_is_audited_and_keeps_the_order(setup: Path) -> None:
    run(setup, "round", "import", str(setup.parent / "round.toml"))
    code, out, err = run(
        setup,
        "round",
        "set-deadline",
        "R2-5",
        "answers",
        "2021-01-18T12:00:00+09:00",
        "--why",
        "所管課の依頼により延長",
    )
    assert code == 0, err
    assert "1月15日（金）まで → 1月18日（月）12時00分まで" in out
    engine = make_engine(f"sqlite:///{setup.parent / 'data' / 'mailflow.db'}")
    with engine.connect() as c:
        ev = c.execute(
            select(Event.kind, Event.reason, Event.actor, Event.detail).where(
                Event.kind == "deadline_changed"
            )
        ).one()
    assert ev.reason == "所管課の依頼により延長"
    assert ev.actor.startswith("staff:")
    assert ev.detail["phase"] == 2
    code, _, err = run(
        setup, "round", "set-deadline", "R2-5", "further", "2021-01-10", "--why", "x"
    )
    assert code == 2
    assert "② (answers) must come before ③ (further)" in err
    code, _, err = run(setup, "round", "set-deadline", "R2-5", "fifth", "2021-01-10", "--why", "x")
    assert code == 2 and "unknown phase 'fifth'" in err


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda s: s.replace("questions = 2021-01-13", "questions = 2021-01-16"),
            "deadlines: ① (questions) must come before ② (answers)",
        ),
        (
            lambda s: s.replace('departments = ["kodomo-hoken-kyufu"]', 'departments = ["somu"]'),
            "consultations[0].departments[0]: unknown department 'somu'",
        ),
        (
            lambda s: s.replace("absent = []", 'absent = ["nobody"]'),
            "absent[0]: unknown member 'nobody'",
        ),
        (
            lambda s: s.replace('title = "子育て', 'titel = "子育て'),
            "consultations[0].titel: unknown key",
        ),
        (lambda s: s.replace("fiscal_year = 2020", 'fiscal_year = "R2"'), "fiscal_year:"),
        (
            lambda s: s.replace("questions = 2021-01-13", "questions = 2021-01-13T10:00:00"),
            "deadlines.questions: needs a UTC offset",
        ),
        (lambda s: s.replace("[deadlines]", "[deadlines"), "not valid TOML"),
        (
            lambda s: s.replace("第14号_見本.pdf", "第15号.pdf"),
            "documents[1]: cannot read documents/諮問書_第15号.pdf",
        ),
        (
            lambda s: s.replace("notice_date = 2021-01-05", "notice_date = 2021-01-14"),
            "notice_date: 2021-01-14 is after the ① (questions) deadline 2021-01-13",
        ),
        (
            lambda s: s.replace("fiscal_year = 2020", "fiscal_year = 2021"),
            "fiscal_year: 2021 (令和3年度) does not hold the notice date 2021-01-05, "
            "which falls in 2020 (令和2年度)",
        ),
    ],
    ids=[
        "deadline-order",
        "unknown-department",
        "unknown-absentee",
        "unknown-key",
        "wrong-type",
        "naive-datetime",
        "broken-toml",
        "missing-document",
        "notice-after-first-deadline",
        "fiscal-year-off",
    ],
)
def test_bad_round_file_is_refused_and_nothing_written(
    setup: Path, edit: object, expected: str
) -> None:
    bad = setup.parent / "bad.toml"
    bad.write_text(edit((setup.parent / "round.toml").read_text("utf-8")), "utf-8")  # type: ignore[operator]
    code, _out, err = run(setup, "round", "import", str(bad))
    assert code == 2
    assert expected in err, err
    # One line per problem, each naming the file (a misspelt key is also a missing one).
    assert all(line.startswith(f"error: {bad}: ") for line in err.strip().splitlines())
    assert count(setup, Round) == 0
    assert count(setup, Event) == 0


def test_commands_refuse_an_unmigrated_database(tmp_path: Path) -> None:
    conf = tmp_path / "c.toml"
    text = (ROOT / "examples/committee-r2-5.toml").read_text(encoding="utf-8")
    conf.write_text(text.replace('data_dir = "../data/example"', 'data_dir = "data"'), "utf-8")
    code, _, err = run(conf, "round", "list")
    assert code == 2
    assert "run `mailflow db upgrade`" in err


def run_at(conf: Path, now: str, *args: str) -> tuple[int, str, str]:
    argv = ["--config", str(conf), "--now", now, *args]
    result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_dates_carry_the_year_when_it_is_not_this_one(setup: Path) -> None:
    assert run(setup, "round", "import", str(setup.parent / "round.toml"))[0] == 0
    # In December 2020 the January deadlines are next year's: the year is printed.
    code, out, err = run_at(setup, "2020-12-20T10:00:00+09:00", "round", "show", "R2-5")
    assert code == 0, err
    assert "令和3年1月13日（水）まで" in out
    code, out, err = run_at(
        setup,
        "2020-12-20T10:00:00+09:00",
        "round",
        "set-deadline",
        "R2-5",
        "questions",
        "2021-01-14",
        "--why",
        "年末年始のため",
    )
    assert code == 0, err
    assert "令和3年1月13日（水）まで → 令和3年1月14日（木）まで" in out
    # In January 2021 the same dates go without it.
    code, out, _ = run(setup, "round", "show", "R2-5")
    assert "1月14日（木）まで" in out and "令和3年1月14日" not in out


def test_no_next_deadline_once_the_round_is_cancelled(setup: Path) -> None:
    assert run(setup, "round", "import", str(setup.parent / "round.toml"))[0] == 0
    code, out, _ = run(setup, "round", "list")
    assert "① 1月13日（水）まで" in out
    code, out, _ = run(setup, "status", "R2-5")
    assert "次の期限: ① 質疑・意見の締切 1月13日（水）まで" in out
    code, _, err = run(setup, "round", "cancel", "R2-5", "--why", "中止")
    assert code == 0, err
    code, out, _ = run(setup, "round", "list")
    assert code == 0 and "cancelled" in out
    assert "1月13日" not in out and "①" not in out
    code, out, _ = run(setup, "status", "R2-5")
    assert code == 0 and "次の期限" not in out


def test_round_open_says_in_words_what_was_queued(
    setup: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    assert run(setup, "round", "import", str(setup.parent / "round.toml"))[0] == 0
    code, out, err = run(setup, "round", "open", "R2-5")
    assert code == 0, err
    assert "R2-5: collecting_questions; 7 mail(s) queued" in out
    assert "① 開催通知（質疑・意見の募集）: 委員 7 名" in out
    assert "状態: draft → collecting_questions" in out
    assert "R2-5:call:1" not in out and "transition:" not in out
