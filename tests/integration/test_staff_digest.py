"""The staff digest: in the committee's language, people by name, every line once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.outbound.alerts import Intake, intake_line
from mailflow.parsing.mime import decode
from mailflow.services.context import Services
from mailflow.services.intake_files import ingest_files
from mailflow.services.notices import DIGEST_LINES, send_staff_digest
from mailflow.store import db
from mailflow.store.models import Outbox
from mailflow.workflow.actions import AlertKind, StaffAlert
from tests.harness.seed_round import seed_services

MAIL = Path(__file__).resolve().parents[1] / "fixtures/mail/intake"


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    svc = seed_services(tmp_path / "data")
    yield svc
    svc.engine.dispose()


def test_the_digest_names_people_and_says_each_thing_once(services: Services) -> None:
    [stored] = ingest_files(services, [MAIL / "becky-iso2022jp-unknown-sender.eml"])
    assert stored.outcome is not None and stored.outcome.state == "quarantined"
    intake = [*stored.outcome.alerts, "bounce: delivery to x@example.jp failed (message 9)"]
    silent = StaffAlert(
        "R2-5", AlertKind.MISSING_REPLIES, "1", "① closed without a reply from ishida, ueno",
        ("ishida", "ueno"),
    )  # fmt: skip
    now = datetime(2021, 1, 14, 0, 5, tzinfo=UTC)
    assert send_staff_digest(services, [silent, silent], now, [*intake, *intake])
    with db.transaction(services.sessions) as s:
        [raw] = s.scalars(select(Outbox.raw).where(Outbox.kind == "staff_alert")).all()
    text = decode(raw).body
    assert "・[R2-5] 未返信：①の期限までに返信のなかった委員：石田 直樹、上野 節夫\n" in text
    assert "ishida" not in text and "closed without" not in text
    lines = [line for line in text.splitlines() if line.startswith("・")]
    assert len(lines) == len(set(lines)) == 3  # the alert, the bounce, the waiting mail
    assert "quarantine: message" not in text  # listed once, under 保留メール
    assert sum("#1 " in line for line in lines) == 1


def test_intake_lines_past_the_digests_limit_are_counted_in_japanese(
    services: Services,
) -> None:
    late = [
        intake_line("ja", Intake.UNKNOWN_ANSWER, n, item=f"Q13-{n:02d}")
        for n in range(1, DIGEST_LINES + 5)
    ]
    now = datetime(2021, 1, 15, 1, 0, tzinfo=UTC)
    assert send_staff_digest(services, [], now, late)
    with db.transaction(services.sessions) as s:
        [raw] = s.scalars(select(Outbox.raw).where(Outbox.kind == "staff_alert")).all()
    lines = [line for line in decode(raw).body.splitlines() if line.startswith("・")]
    assert len(lines) == DIGEST_LINES + 1
    assert lines[-1].endswith("：ほか 4 件の受信時の通知があります")
    assert "more" not in decode(raw).body
