"""Intake of bad input, bounces and spoofing, from real bytes through the real pipeline."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.clock import FixedClock
from mailflow.config import load_config
from mailflow.domain.roundspec import load_round_spec
from mailflow.outbound.alerts import Intake
from mailflow.routing import PartyKind, PartyRef, make_token, plus_address
from mailflow.services.context import Services
from mailflow.services.intake_files import ingest_files
from mailflow.services.rounds import import_round
from mailflow.store import db
from mailflow.store.models import DeliveryFailure, Member, Message, Outbox, Round
from mailflow.wiring import PORTS

ROOT = Path(__file__).resolve().parents[2]
MAIL = ROOT / "tests/fixtures/mail"
SECRET = "edge-secret-0123456789abcdef-0123456789"


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Services:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", SECRET)
    conf_path = tmp_path / "committee.toml"
    text = (ROOT / "examples/committee-r2-5.toml").read_text("utf-8")
    conf_path.write_text(text.replace('data_dir = "../data/example"', 'data_dir = "data"'), "utf-8")
    shutil.copy(ROOT / "examples/round-r2-5.toml", tmp_path / "round.toml")
    shutil.copytree(ROOT / "examples/documents", tmp_path / "documents", dirs_exist_ok=True)
    clock = FixedClock(datetime(2021, 1, 7, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")))
    svc = Services(config=load_config(conf_path), clock=clock, ports=PORTS)
    db.upgrade(svc.engine)
    import_round(svc, load_round_spec(tmp_path / "round.toml"), tmp_path / "round.toml")
    return svc


BAD = sorted((MAIL / "decode").glob("*.eml"))


def test_every_bad_or_odd_mail_ends_stored_with_a_clear_state(services: Services) -> None:
    results = ingest_files(services, BAD)
    assert len(results) == len(BAD)
    with db.transaction(services.sessions) as s:
        rows = s.execute(select(Message.state, Message.error, Message.size)).all()
    # Stored, once each (some fixtures are the same mail in other clothes: deduplicated).
    assert 0 < len(rows) <= len(BAD)
    assert {r.state for r in rows} <= {"done", "quarantined", "failed"}
    for r in rows:
        if r.state == "failed":
            assert r.error, "a failed mail says why"
    zero = [r for r in results if r.path.name == "empty-none-zero-bytes.eml"]
    assert zero and zero[0].outcome is not None and zero[0].outcome.state in (
        "quarantined", "failed")  # fmt: skip


def test_a_dsn_marks_the_member_whose_address_failed(services: Services, tmp_path: Path) -> None:
    raw = (MAIL / "classify/postfix-ascii-dsn.eml").read_bytes()
    raw = raw.replace(b"kimura@old.example.jp", b"kimura@ezweb.example.ne.jp")
    path = tmp_path / "dsn.eml"
    path.write_bytes(raw)
    [result] = ingest_files(services, [path])
    assert result.outcome is not None and result.outcome.kind == "bounce"
    with db.transaction(services.sessions) as s:
        failure = s.execute(
            select(DeliveryFailure.address, DeliveryFailure.permanent, Member.key).join(
                Member, Member.id == DeliveryFailure.member_id
            )
        ).one()
        assert s.scalars(select(Outbox.id)).all() == []  # no backscatter
    assert failure.key == "kimura" and failure.permanent
    [alert] = result.outcome.alerts
    assert (alert.kind, alert.message) == (Intake.BOUNCE, result.outcome.message_pk)
    assert alert.text == (
        f"受信メール {alert.message}：木村 久雄さん宛て（kimura@ezweb.example.ne.jp）のメールが"
        "届かなかったとの通知です。アドレスが正しいか確認してください"
    )


def test_a_token_used_from_another_address_is_quarantined(
    services: Services, tmp_path: Path
) -> None:
    with db.transaction(services.sessions) as s:
        round_pk = s.scalar(select(Round.id))
        ishida = s.scalar(select(Member.id).where(Member.key == "ishida"))
    token = make_token(SECRET.encode(), str(round_pk), PartyRef(PartyKind.MEMBER, str(ishida)))
    to = plus_address("shingikai@city.example.jp", token)
    raw = (
        "From: =?UTF-8?B?5bKh55Sw?= <okada@example.org>\r\n"
        f"To: {to}\r\n"
        "Subject: Re: [R2-5] =?UTF-8?B?6LOq55aR?=\r\n"
        "Date: Thu, 7 Jan 2021 10:00:00 +0900\r\n"
        "Message-ID: <spoof-1@example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        "諮問第13号について\r\n● 委託先はどこか。\r\n"
    ).encode()
    path = tmp_path / "spoof.eml"
    path.write_bytes(raw)
    [result] = ingest_files(services, [path])
    assert result.outcome is not None and result.outcome.state == "quarantined"
    with db.transaction(services.sessions) as s:
        reason = s.scalar(select(Message.quarantine_reason))
        assert s.scalars(select(Outbox.id)).all() == []
    assert reason == "token_sender_mismatch"
