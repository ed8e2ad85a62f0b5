"""Config validation: every problem named with its key path, secrets never printed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import mailflow.cli.config_cmd  # noqa: F401  (registers check-config)
from mailflow.cli.app import cli
from mailflow.config import load_config
from mailflow.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
ROOT = EXAMPLES.parent


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(body, encoding="utf-8")
    return p


BASE = """
[committee]
id = "c1"
name = "審議会"
address = "shingikai@city.example.jp"
staff_alerts = ["staff@city.example.jp"]

[[members]]
id = "a"
name = "会長"
role = "chair"
addresses = ["a@example.jp"]

[[members]]
id = "b"
name = "委員"
addresses = ["b@example.jp"]

[[departments]]
id = "d"
name = "課"
addresses = ["d@city.example.jp"]

[security]
token_secret = { env = "MAILFLOW_TOKEN_SECRET" }
"""


@pytest.mark.parametrize("path", ["config.example.toml", "examples/committee-r2-5.toml"])
def test_shipped_configs_are_valid(path: str) -> None:
    conf = load_config(ROOT / path)
    assert conf.committee.timezone == "Asia/Tokyo"
    assert sum(m.role == "chair" for m in conf.members) == 1


def test_example_committee_matches_the_seed_shape() -> None:
    conf = load_config(EXAMPLES / "committee-r2-5.toml")
    assert len(conf.members) == 7
    assert [m.role.value for m in conf.members].count("deputy") == 1
    assert {d.name for d in conf.departments} == {
        "子ども保健・給付課",
        "保育幼稚園課",
        "情報政策課",
    }


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda s: s.replace('addresses = ["b@example.jp"]', 'addresses = ["b at example"]'),
            "members[1].addresses[0]: not an email address",
        ),
        (
            lambda s: s.replace('name = "課"', 'name = "課"\ncolour = "red"'),
            "departments[0].colour: unknown key",
        ),
        (lambda s: s.replace('role = "chair"', "role = 3"), "members[0].role:"),
        (
            lambda s: s.replace('addresses = ["b@example.jp"]', 'addresses = ["A@example.jp"]'),
            "members[1].addresses[0]: duplicate address, also at members[0].addresses[0]",
        ),
        (
            lambda s: (
                s + '\n[imap]\nhost = "mail.example.jp"\ntls = "none"\nuser = "u"\n'
                'password = { env = "P" }\n'
            ),
            "imap: tls = 'none' is allowed only for a loopback host",
        ),
        (
            lambda s: s.replace('role = "chair"', 'role = "member"'),
            "members: exactly one member needs role = 'chair' (found 0)",
        ),
        (lambda s: s.replace("[committee]", "[committee\n"), "not valid TOML"),
        (
            lambda s: s.replace('{ env = "MAILFLOW_TOKEN_SECRET" }', '"hunter2"'),
            "security.token_secret: a secret is never written in the config file: give the "
            'name of an environment variable that holds it, { env = "VAR" }, or a file that '
            'holds it, { file = "path" }',
        ),
        (
            lambda s: s + '\n[imap]\nhost = "imap.example.jp"\nuser = "u"\npassword = "hunter2"\n',
            "imap.password: a secret is never written in the config file",
        ),
    ],
    ids=[
        "bad-address",
        "unknown-key",
        "wrong-type",
        "duplicate-address",
        "plain-remote-imap",
        "no-chair",
        "broken-toml",
        "literal-secret",
        "literal-imap-password",
    ],
)
def test_bad_config_is_one_clear_line_with_its_location(
    tmp_path: Path, edit: object, expected: str
) -> None:
    path = write(tmp_path, edit(BASE))  # type: ignore[operator]
    code, out, err = run("--config", str(path), "check-config")
    assert code == 2
    assert expected in err, err
    assert out == ""
    assert "hunter2" not in err


def test_broken_toml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace('name = "委員"', 'name = "委員'))
    with pytest.raises(InputError) as exc:
        load_config(path)
    assert "(at line 16, column 11)" in exc.value.problems[0]


def test_check_config_never_prints_secrets(tmp_path: Path) -> None:
    secret_file = tmp_path / "imap.secret"
    secret_file.write_text("imap-s3cret\n")
    secret_file.chmod(0o600)
    body = (
        BASE
        + f"""
[database]
url = {{ env = "DB_URL" }}

[imap]
host = "imap.example.jp"
user = "shingikai"
password = {{ file = "{secret_file}" }}
"""
    )
    path = write(tmp_path, body)
    code, out, err = run(
        "--config", str(path), "check-config",
        env={
            "MAILFLOW_TOKEN_SECRET": "tok-s3cret-of-thirty-two-bytes-or-more",
            "DB_URL": "postgresql+psycopg://mf:db-s3cret@db.example.jp/mailflow",
        },
    )  # fmt: skip
    assert code == 0, err
    assert "imap.example.jp:993 tls=implicit" in out
    for secret in ("imap-s3cret", "db-s3cret", "tok-s3cret"):
        assert secret not in out + err


def test_secret_sources_resolve_and_name_what_is_missing(tmp_path: Path) -> None:
    conf = load_config(write(tmp_path, BASE))
    os.environ.pop("MAILFLOW_TOKEN_SECRET", None)
    with pytest.raises(InputError, match="environment variable MAILFLOW_TOKEN_SECRET is not set"):
        conf.security.token_secret.reveal()
    os.environ["MAILFLOW_TOKEN_SECRET"] = "x" * 32
    try:
        assert conf.security.token_secret.reveal() == "x" * 32
    finally:
        del os.environ["MAILFLOW_TOKEN_SECRET"]


def test_missing_config_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("--config", str(tmp_path / "nope.toml"), "check-config")
    assert code == 2
    assert "nope.toml: file not found" in err
    code, _, err = run("check-config", env={"MAILFLOW_CONFIG": ""})
    assert code == 2
    assert "no configuration" in err


def test_ca_file_is_resolved_beside_the_config_and_must_hold_certificates(tmp_path: Path) -> None:
    from tests.harness.certs import LoopbackCa

    (tmp_path / "tls").mkdir()
    (tmp_path / "tls" / "city-ca.pem").write_bytes(LoopbackCa().ca_pem())
    servers = """
[imap]
host = "imap.city.example.jp"
user = "shingikai"
password = { env = "MAILFLOW_IMAP_PASSWORD" }
ca_file = "tls/city-ca.pem"

[smtp]
host = "smtp.city.example.jp"
ca_file = "%s"
"""
    conf = load_config(write(tmp_path, BASE + servers % "tls/city-ca.pem"))
    assert conf.imap is not None and conf.smtp is not None
    assert conf.imap.ca_file == conf.smtp.ca_file == tmp_path / "tls" / "city-ca.pem"

    (tmp_path / "tls" / "broken.pem").write_text("-----BEGIN CERTIFICATE-----\nnope\n")
    body = BASE + servers.replace("tls/city-ca.pem", "gone.pem") % "tls/broken.pem"
    with pytest.raises(InputError) as bad:
        load_config(write(tmp_path, body))
    source = tmp_path / "config.toml"
    imap_problem, smtp_problem = bad.value.problems
    assert imap_problem == f"{source}: imap.ca_file: no such file: {tmp_path / 'gone.pem'}"
    assert smtp_problem.startswith(f"{source}: smtp.ca_file: not PEM certificates:")


def test_ca_file_without_tls_is_refused(tmp_path: Path) -> None:
    body = BASE + '\n[smtp]\nhost = "127.0.0.1"\ntls = "none"\nca_file = "ca.pem"\n'
    with pytest.raises(InputError, match=r"smtp: ca_file is given but tls = 'none'"):
        load_config(write(tmp_path, body))


def test_check_config_fails_while_a_secret_does_not_resolve(tmp_path: Path) -> None:
    body = BASE + '\n[smtp]\nhost = "smtp.example.jp"\nuser = "u"\npassword = { env = "SMTP_PW" }\n'
    path = write(tmp_path, body)
    env = {"MAILFLOW_TOKEN_SECRET": "tok-s3cret-of-thirty-two-bytes-or-more"}
    code, out, err = run("--config", str(path), "check-config", env=env)
    assert code == 2 and out == ""
    assert err.splitlines() == ["error: smtp.password: environment variable SMTP_PW is not set"]
    code, out, err = run(
        "--config", str(path), "check-config", env={**env, "SMTP_PW": "smtp-s3cret"}
    )
    assert code == 0, err
    assert out.startswith("ok: ") and "smtp-s3cret" not in out + err
