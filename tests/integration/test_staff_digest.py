"""The staff digest: in the committee's language, people by name, every line once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.outbound.alerts import Intake, intake_line
from mailflow.parsing.mime import decode
from mailflow.services.context import Services
from mailflow.services.intake_files import ingest_files, reprocess
from mailflow.services.notices import DIGEST_LINES, send_staff_digest
from mailflow.store import db
from mailflow.store.models import Outbox
from mailflow.store.outbox_parts import mail_bytes
from mailflow.workflow.actions import AlertKind, StaffAlert
from tests.harness.seed_round import seed_services

MAIL = Path(__file__).resolve().parents[1] / "fixtures/mail"
# An English phrase, once commands and Message-IDs are taken out.
ENGLISH = re.compile(r"[a-z]{3,} [a-z]{2,}")


def _bounce(tmp_path: Path, address: str) -> Path:
    """Postfix's DSN, reporting ``address`` as the failed recipient."""
    raw = (MAIL / "classify/postfix-ascii-dsn.eml").read_bytes()
    path = tmp_path / f"dsn-{address}.eml"
    path.write_bytes(raw.replace(b"kimura@old.example.jp", address.encode()))
    return path


def _digests(services: Services) -> list[str]:
    with db.transaction(services.sessions) as s:
        rows = s.execute(
            select(Outbox.raw, Outbox.part_id)
            .where(Outbox.kind == "staff_alert")
            .order_by(Outbox.id)
        ).all()
        raws = mail_bytes(s, [(raw, part_id) for raw, part_id in rows])
    return [decode(raw).body for raw in raws]


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", "test-secret-0123456789abcdef-0123456789")
    svc = seed_services(tmp_path / "data")
    yield svc
    svc.engine.dispose()


def test_the_digest_names_people_and_says_each_thing_once(
    services: Services, tmp_path: Path
) -> None:
    [stored] = ingest_files(services, [MAIL / "intake/becky-iso2022jp-unknown-sender.eml"])
    assert stored.outcome is not None and stored.outcome.state == "quarantined"
    bounces = ingest_files(
        services,
        [_bounce(tmp_path, "kimura@ezweb.example.ne.jp"), MAIL / "classify/postfix-ascii-dsn.eml"],
    )
    assert [b.outcome.kind for b in bounces if b.outcome] == ["bounce", "bounce"]
    intake = [a for r in (stored, *bounces) if r.outcome for a in r.outcome.alerts]
    silent = StaffAlert(
        "R2-5", AlertKind.MISSING_REPLIES, "1", "① closed without a reply from ishida, ueno",
        ("ishida", "ueno"),
    )  # fmt: skip
    now = datetime(2021, 1, 14, 0, 5, tzinfo=UTC)
    assert send_staff_digest(services, [silent, silent], now, [*intake, *intake])
    [text] = _digests(services)
    assert "・[R2-5] 未返信：①の期限までに返信のなかった委員：石田 直樹、上野 節夫\n" in text
    assert "ishida" not in text and "closed without" not in text
    lines = [line for line in text.splitlines() if line.startswith("・")]
    # The alert, the two bounces, the waiting mail.
    assert len(lines) == len(set(lines)) == 4
    # Listed once, under 保留メール, by its reason in words: no line says it is held.
    [waiting] = [line for line in lines if line.startswith("・#1 ")]
    assert waiting.endswith("：差出人が委員・所管課として登録されていません。")
    assert "確認待ちとして保留" not in text and "unknown_sender" not in text
    # Bounces under their own heading: a member by name, an address off the roster labelled.
    assert (
        "【配信エラー】\n"
        "・受信メール 2：木村 久雄さん宛て（kimura@ezweb.example.ne.jp）のメールが"
        "届かなかったとの通知です。アドレスが正しいか確認してください\n"
        "・受信メール 3：名簿にないアドレス宛てのメールが届かなかったとの通知です"
        "（通知にあるアドレス：kimura@old.example.jp）。アドレスが正しいか確認してください\n"
    ) in text
    prose = re.sub(r"<[^>]*>|mailflow [a-z /-]+", "", text)
    assert not ENGLISH.search(prose), ENGLISH.findall(prose)


def test_a_held_mail_staff_were_told_of_is_said_held_again_in_words(
    services: Services,
) -> None:
    [stored] = ingest_files(services, [MAIL / "intake/becky-iso2022jp-unknown-sender.eml"])
    assert stored.outcome is not None
    now = datetime(2021, 1, 14, 0, 5, tzinfo=UTC)
    assert send_staff_digest(services, [], now, stored.outcome.alerts)
    # Staff reprocess it; it is held again, and no longer in the list of new waiting mail.
    [again] = reprocess(services, [stored.outcome.message_pk])
    assert again.state == "quarantined"
    assert send_staff_digest(services, [], now + timedelta(minutes=5), again.alerts)
    first, second = _digests(services)
    assert "確認待ちとして保留" not in first
    assert "【保留メール（quarantine）】" not in second
    assert (
        "・受信：受信メール 1：確認待ちとして保留しました：差出人が委員・所管課として"
        "登録されていません。（mailflow quarantine show 1）\n"
    ) in second


def test_a_mail_failing_again_after_staff_were_told_is_told_again(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAILFLOW_TOKEN_SECRET")  # no secret: reading the mail fails, each time
    [stored] = ingest_files(services, [MAIL / "intake/gmail-utf8-subject-tag-two-questions.eml"])
    assert stored.outcome is not None and stored.outcome.state == "failed"
    pk = stored.outcome.message_pk
    now = datetime(2021, 1, 14, 0, 5, tzinfo=UTC)
    assert send_staff_digest(services, [], now)
    assert not send_staff_digest(services, [], now + timedelta(minutes=1))  # told once
    [again] = reprocess(services, [pk])  # staff retry before the cause is fixed
    assert again.state == "failed"
    assert send_staff_digest(services, [], now + timedelta(minutes=2))
    assert not send_staff_digest(services, [], now + timedelta(minutes=3))
    first, second = _digests(services)
    said = f"#{pk} "
    assert said in first and said in second
    assert "エラーの種類：InputError" in second


def test_intake_lines_past_the_digests_limit_are_counted_in_japanese(
    services: Services,
) -> None:
    late = [
        intake_line("ja", Intake.UNKNOWN_ANSWER, n, item=f"Q13-{n:02d}")
        for n in range(1, DIGEST_LINES + 5)
    ]
    now = datetime(2021, 1, 15, 1, 0, tzinfo=UTC)
    assert send_staff_digest(services, [], now, late)
    [text] = _digests(services)
    lines = [line for line in text.splitlines() if line.startswith("・")]
    assert len(lines) == DIGEST_LINES + 1
    assert lines[-1].endswith("：ほか 4 件の受信時の通知があります")
    assert "more" not in text
