"""Console logins: argon2 hashes, lockout per login and per address, sessions that end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from mailflow.cli import _register
from mailflow.cli.app import cli
from mailflow.clock import FixedClock
from mailflow.errors import InputError
from mailflow.services import staff
from mailflow.services.context import Services
from mailflow.store import db
from mailflow.store.models import Event, StaffAccount
from tests.harness.seed_round import COMMITTEE_FILE, seed_services

_register()
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    monkeypatch.setenv("MAILFLOW_STAFF", "narumi")


@pytest.fixture
def services(tmp_path: Path, any_db_url: str) -> Iterator[Services]:
    svc = seed_services(tmp_path / "data", any_db_url)
    yield svc
    svc.engine.dispose()


def kinds(services: Services) -> list[str]:
    with db.transaction(services.sessions) as s:
        return list(s.scalars(select(Event.kind).order_by(Event.id)))


def test_password_is_stored_as_argon2id_and_checked(services: Services) -> None:
    staff.add_account(services, "sato", "staff", PASSWORD)
    with db.transaction(services.sessions) as s:
        row = s.scalars(select(StaffAccount)).one()
        assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    ok = staff.log_in(services, "sato", PASSWORD, "127.0.0.1")
    assert ok.result is staff.LoginResult.OK and ok.token
    signed = staff.resume(services, ok.token)
    assert signed is not None and signed.role is staff.StaffRole.STAFF and signed.csrf_token
    assert staff.log_in(services, "sato", "wrong password", "127.0.0.1").token is None
    assert kinds(services) == ["staff_added", "login", "login_failed"]


def test_bad_input_is_named(services: Services) -> None:
    with pytest.raises(InputError, match="at least 10"):
        staff.add_account(services, "sato", "staff", "short")
    with pytest.raises(InputError, match="not staff or auditor"):
        staff.add_account(services, "sato", "admin", PASSWORD)
    with pytest.raises(InputError, match="LOGIN"):
        staff.add_account(services, "Sato San", "staff", PASSWORD)
    staff.add_account(services, "sato", "staff", PASSWORD)
    with pytest.raises(InputError, match="exists already"):
        staff.add_account(services, "sato", "auditor", PASSWORD)


def test_sixth_attempt_is_locked_even_with_the_right_password(services: Services) -> None:
    staff.add_account(services, "sato", "staff", PASSWORD)
    for _ in range(5):
        assert staff.log_in(services, "sato", "nope nope nope", "10.1.2.3").result == "failed"
    sixth = staff.log_in(services, "sato", PASSWORD, "10.1.2.3")
    assert sixth.result is staff.LoginResult.LOCKED and sixth.token is None
    # per login: another address is locked out of this login too
    assert staff.log_in(services, "sato", PASSWORD, "10.9.9.9").result == "locked"
    assert kinds(services).count("login_locked") == 2
    # after the lockout time the right password works again
    assert isinstance(services.clock, FixedClock)
    services.clock.advance(timedelta(minutes=16))
    assert staff.log_in(services, "sato", PASSWORD, "10.1.2.3").result == "ok"


def test_one_address_trying_many_logins_is_locked(services: Services) -> None:
    staff.add_account(services, "sato", "staff", PASSWORD)
    for n in range(5):
        staff.log_in(services, f"guess{n}", "whatever password", "10.6.6.6")
    assert staff.log_in(services, "sato", PASSWORD, "10.6.6.6").result == "locked"
    assert staff.log_in(services, "sato", PASSWORD, "10.1.1.1").result == "ok"


def test_logout_idle_and_disable_end_sessions(services: Services) -> None:
    staff.add_account(services, "sato", "staff", PASSWORD)
    first = staff.log_in(services, "sato", PASSWORD, "127.0.0.1").token
    assert first and staff.resume(services, first)
    staff.log_out(services, first)
    assert staff.resume(services, first) is None

    idle = staff.log_in(services, "sato", PASSWORD, "127.0.0.1").token
    assert idle and isinstance(services.clock, FixedClock)
    services.clock.advance(timedelta(minutes=31))
    assert staff.resume(services, idle) is None

    live = staff.log_in(services, "sato", PASSWORD, "127.0.0.1").token
    assert live and staff.resume(services, live)
    staff.disable(services, "sato", "moved to another section")
    assert staff.resume(services, live) is None
    assert staff.log_in(services, "sato", PASSWORD, "127.0.0.1").result == "failed"
    staff.set_password(services, "sato", "a brand new passphrase")
    assert staff.log_in(services, "sato", "a brand new passphrase", "127.0.0.1").result == "ok"


def test_cli_adds_lists_disables_and_sets_passwords(tmp_path: Path, services: Services) -> None:
    conf = tmp_path / "committee.toml"
    text = COMMITTEE_FILE.read_text(encoding="utf-8")
    url = services.engine.url.render_as_string(hide_password=False)
    conf.write_text(
        text.replace('data_dir = "../data/example"', 'data_dir = "data"')
        + f'\n[database]\nurl = "{url}"\n',
        "utf-8",
    )
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n", "utf-8")

    def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
        r = CliRunner().invoke(cli, ["--config", str(conf), *args], input=stdin)
        return r.exit_code, r.output

    assert run("staff", "add", "sato", "--role", "staff", "--password-file", str(pw))[0] == 0
    code, out = run("staff", "add", "kudo", "--role", "auditor",
                    stdin=f"{PASSWORD}x\n{PASSWORD}x\n")  # fmt: skip
    assert code == 0 and "kudo added (auditor)" in out
    code, out = run("staff", "list")
    assert code == 0 and "sato" in out and "auditor" in out
    code, out = run("staff", "disable", "kudo")
    assert code == 2 and "--why" in out
    assert run("staff", "disable", "kudo", "--why", "left the section")[0] == 0
    assert run("staff", "passwd", "nobody", "--password-file", str(pw))[0] == 2
    assert run("staff", "passwd", "kudo", "--password-file", str(pw))[0] == 0
    with db.transaction(services.sessions) as s:
        actors = set(s.scalars(select(Event.actor).where(Event.kind.like("staff_%"))))
    assert actors == {"staff:narumi"}
