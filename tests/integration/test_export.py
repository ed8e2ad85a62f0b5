"""`mailflow export`: every record of a round as JSON, with addresses only when asked for."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from mailflow.cli import _register
from mailflow.cli.app import cli
from mailflow.domain.states import EventKind
from mailflow.services.context import Services
from mailflow.services.export import export_round
from mailflow.store import db, events
from mailflow.store.models import Committee, Outbox, Round
from tests.harness.seed_round import COMMITTEE_FILE, SEED, build_seed_round, seed_services

_register()
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PEOPLE = (
    "aoki.kazuko@example.jp",
    "ishida@example.com",
    "ueno-s@docomo.example.ne.jp",
    "kato.katsumi@example.com",
    "okada@example.org",
    "hoiku@city.example.jp",
    "joho-kokai@city.example.jp",
    "shingikai+abc123@city.example.jp",
    "stranger@example.org",
    "someone@else.example",
)


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = seed_services(tmp_path / "data")
    build_seed_round(svc)
    at = datetime(2021, 1, 15, 9, 0, tzinfo=UTC)
    with db.transaction(svc.sessions) as s:
        committee = s.scalars(select(Committee)).one()
        rnd = s.scalars(select(Round)).one()
        mails = [
            ("distribution", ["ishida@example.com", "ueno-s@docomo.example.ne.jp"], "sent"),
            ("department_bundle", ["hoiku@city.example.jp"], "sent"),
            ("staff_alert", ["joho-kokai@city.example.jp"], "approved"),
            ("receipt", ["stranger@example.org"], "failed"),
        ]
        for n, (kind, to, state) in enumerate(mails):
            s.add(
                Outbox(
                    committee_id=committee.id,
                    round_id=rnd.id,
                    kind=kind,
                    action_key=f"test:{n}",
                    message_id=f"<r2-5.{n}.abc@city.example.jp>",
                    recipients=to,
                    subject=f"[R2-5] {kind}",
                    raw=b"From: shingikai@city.example.jp\r\n\r\nbody",
                    state=state,
                    created_at=at,
                    sent_at=at if state == "sent" else None,
                )
            )
        events.record(
            s,
            at=at,
            actor="mailflow",
            kind=EventKind.MESSAGE_PROCESSED,
            committee_id=committee.id,
            round_id=rnd.id,
            reason="from kato.katsumi@example.com",
            sender="kato.katsumi@example.com",
            reply_to="shingikai+abc123@city.example.jp",
            seen=["okada@example.org", "someone@else.example"],
            rfc_message_id="<r2-5.0.abc@city.example.jp>",
        )
    yield svc
    svc.engine.dispose()


def seed_counts() -> tuple[int, int]:
    def walk(items):  # type: ignore[no-untyped-def]
        n_items = n_answers = 0
        for i in items:
            a, b = walk(i.follow_ups)
            n_items += 1 + a
            n_answers += len(i.answers) + b
        return n_items, n_answers

    (a13, b13), (a14, b14) = walk(SEED["13"]), walk(SEED["14"])
    return a13 + a14, b13 + b14


def test_every_record_of_the_round_without_addresses(services: Services) -> None:
    data = export_round(services, "R2-5")
    text = json.dumps(data, ensure_ascii=False)  # JSON-serialisable as it is
    assert json.loads(text) == data
    for address in PEOPLE:
        assert address not in text, address
    assert [m for m in ADDRESS.findall(text) if "@city.example.jp" not in m] == []
    assert data["with_addresses"] is False
    assert data["round"]["id"] == "R2-5" and data["round"]["notice_date"] == "2021-01-05"
    assert data["round"]["deadlines"]["questions"].startswith("2021-01-13T14:59")
    assert [c["key"] for c in data["consultations"]] == ["13", "14"]
    assert data["consultations"][1]["departments"] == ["hoiku-yochien", "joho-seisaku"]
    assert {c["decision"] for c in data["consultations"]} == {"approve_with_conditions"}
    assert len(data["members"]) == 7 and all("addresses" not in m for m in data["members"])
    assert {m["role"] for m in data["members"]} == {"chair", "deputy", "member"}
    assert all("addresses" not in d for d in data["departments"])
    n_items, n_answers = seed_counts()
    assert len(data["items"]) == n_items == 45
    assert len(data["answers"]) == n_answers
    follows = {i["id"]: i["follows"] for i in data["items"] if i["follows"]}
    assert follows == {"Q13-26": "Q13-25", "Q13-27": "Q13-25", "Q13-28": "Q13-25"}
    secretariat = [a for a in data["answers"] if a["by_secretariat"]]
    assert [a["author_label"] for a in secretariat] == ["情報公開係長", "情報公開係長"]
    assert all(i["received_at"].endswith("+00:00") for i in data["items"])
    assert [d["conditions"] for d in data["decisions"]] == [
        "仕様書への追記等指摘事項の実施をお願いし"
    ] * 2
    # the outbound mail log says who was written to, not where
    outbox = data["outbox"]
    assert [o["kind"] for o in outbox] == [
        "distribution",
        "department_bundle",
        "staff_alert",
        "receipt",
    ]
    assert outbox[0]["recipients"] == ["member:ishida", "member:ueno"]
    assert outbox[1]["recipients"] == ["department:hoiku-yochien"]
    assert outbox[2]["recipients"] == ["staff"]
    assert outbox[3]["recipients"] == ["other"]
    assert outbox[0]["message_id"] == "<r2-5.0.abc@city.example.jp>"
    assert {o["state"] for o in outbox} == {"sent", "approved", "failed"}
    assert set(outbox[0]) >= {"kind", "recipients", "subject", "message_id", "state"}
    # addresses inside the audit log are replaced the same way
    processed = [e for e in data["events"] if e["kind"] == "message_processed"]
    assert processed[0]["detail"] == {
        "sender": "member:kato",
        "reply_to": "committee",
        "seen": ["member:okada", "other"],
        "rfc_message_id": "<r2-5.0.abc@city.example.jp>",
    }
    assert processed[0]["reason"] == "from member:kato"
    assert any(e["kind"] == "round_imported" for e in data["events"])


def test_with_addresses_keeps_them(services: Services) -> None:
    data = export_round(services, "R2-5", with_addresses=True)
    ueno = next(m for m in data["members"] if m["id"] == "ueno")
    assert ueno["addresses"] == ["ueno.setsuo@example.net", "ueno-s@docomo.example.ne.jp"]
    assert data["outbox"][0]["recipients"] == ["ishida@example.com", "ueno-s@docomo.example.ne.jp"]
    processed = next(e for e in data["events"] if e["kind"] == "message_processed")
    assert processed["detail"]["sender"] == "kato.katsumi@example.com"


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "committee.toml"
    text = COMMITTEE_FILE.read_text(encoding="utf-8")
    path.write_text(text.replace('data_dir = "../data/example"', 'data_dir = "data"'), "utf-8")
    return path


def test_export_and_minutes_commands_write_files(services: Services, tmp_path: Path) -> None:
    conf = config_file(tmp_path)
    out = tmp_path / "out" / "export.json"
    r = CliRunner().invoke(
        cli, ["--config", str(conf), "export", "R2-5", "--format", "json", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["items"]) == 45
    assert not any(a in out.read_text(encoding="utf-8") for a in PEOPLE)
    r = CliRunner().invoke(cli, ["--config", str(conf), "export", "R2-5", "--with-addresses"])
    assert r.exit_code == 0 and "ishida@example.com" in r.stdout
    html = tmp_path / "out" / "minutes.html"
    r = CliRunner().invoke(
        cli, ["--config", str(conf), "minutes", "R2-5", "--format", "html", "-o", str(html)]
    )
    assert r.exit_code == 0, r.output
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    r = CliRunner().invoke(cli, ["--config", str(conf), "minutes", "R2-5", "--format", "txt"])
    assert r.exit_code == 0 and "会議経過" in r.stdout and r.stdout.rstrip().endswith("ため。")
    r = CliRunner().invoke(cli, ["--config", str(conf), "minutes", "R9-9"])
    assert r.exit_code == 2 and "no round 'R9-9'" in r.stderr
    r = CliRunner().invoke(cli, ["--config", str(conf), "minutes", "R2-5", "--format", "pdf"])
    assert r.exit_code == 2
