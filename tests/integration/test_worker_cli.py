"""`mailflow db upgrade` creates the job tables on PostgreSQL once; `worker` refuses SQLite."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

import mailflow.cli.db
import mailflow.cli.worker  # noqa: F401  (registers the commands)
from mailflow.cli.app import cli
from mailflow.store.db import make_engine
from tests.integration.outbox_helpers import SECRET, SECRET_ENV, config_toml


def _run(conf: Path, *args: str) -> tuple[int, str]:
    runner = CliRunner(env={SECRET_ENV: SECRET})
    r = runner.invoke(cli, ["--config", str(conf), *args], catch_exceptions=False)
    return r.exit_code, r.stdout + r.stderr


def test_db_upgrade_creates_the_job_tables_once(postgres_schema_url: str, tmp_path: Path) -> None:
    conf = tmp_path / "config.toml"
    conf.write_text(config_toml(postgres_schema_url, 25), encoding="utf-8")
    code, out = _run(conf, "db", "upgrade")
    assert code == 0 and "task queue tables created (procrastinate)" in out, out
    code, out = _run(conf, "db", "upgrade")
    assert code == 0 and "task queue tables" not in out, out
    engine = make_engine(postgres_schema_url)
    try:
        with engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar() == 0
    finally:
        engine.dispose()


def test_worker_refuses_sqlite(tmp_path: Path) -> None:
    conf = tmp_path / "config.toml"
    conf.write_text(config_toml(f"sqlite:///{tmp_path / 'm.db'}", 25), encoding="utf-8")
    assert _run(conf, "db", "upgrade")[0] == 0
    code, out = _run(conf, "worker")
    assert code == 2 and "needs PostgreSQL" in out, out
