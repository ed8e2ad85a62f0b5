"""No mail fails out of sight: odd Message-IDs, stale tokens and a lost secret, through IMAP.

Each mail goes into the committee mailbox on a real IMAP server and through the daemon's
own intake pass, tick and outbox send to a real SMTP server. What ends `failed` must show
in `mailflow status`, in `quarantine list` (as "failed: …"), in the staff digest and in
the server's quarantine folder until staff act; what can be filed is filed.
"""

from __future__ import annotations

import asyncio
import re
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

import mailflow.cli.intake
import mailflow.cli.workflow  # noqa: F401  (these register the commands used below)
from mailflow.cli.app import cli
from mailflow.services.intake_files import reprocess
from mailflow.store.models import Event, Item
from tests.harness.committee_mailbox import (
    QUARANTINE,
    SECRET,
    CommitteeMailbox,
    member_mail,
    open_committee,
)
from tests.harness.imap_extra import MailServer, on_pymap
from tests.harness.pymap_server import PymapServer
from tests.harness.smtp_server import SmtpServer

ISHIDA = "ishida@example.com"
QUESTION = "諮問第13号について\n● 配布する品物の選び方を伺いたい。\n"


@pytest.fixture
async def committee(
    pymap_server: PymapServer, smtp_server: SmtpServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> CommitteeMailbox:  # fmt: skip
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("MAILFLOW_IMAP_PASSWORD", pymap_server.endpoint.password)
    return await open_committee(on_pymap(pymap_server), smtp_server, tmp_path)


def _cli(box: CommitteeMailbox, *args: str) -> str:
    env = {"MAILFLOW_CONFIG": str(box.folder / "committee.toml")}
    result = CliRunner().invoke(cli, ["--now", "2021-01-07T10:30:00+09:00", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def _in_reply_to(raw: bytes) -> str | None:
    value = BytesHeaderParser(policy=compat32).parsebytes(raw).get("In-Reply-To")
    return None if value is None else str(value)


UNSAFE_IDS = {
    "non-ascii": "<caf\u00e9-1@example.com>",
    "space": "<two words@example.com>",
    "nul": "<nul\x00byte@example.com>",
    "very-long": "<" + "x" * 995 + "@example.com>",
}


@pytest.mark.parametrize("message_id", UNSAFE_IDS.values(), ids=UNSAFE_IDS.keys())
async def test_a_mail_with_an_unusable_message_id_is_filed_and_answered(
    committee: CommitteeMailbox, message_id: str
) -> None:
    committee.deliver(member_mail(ISHIDA, QUESTION, message_id=message_id))

    counts = await committee.cycle()

    assert (counts.done, counts.failed) == (1, 0)
    [msg] = committee.messages()
    assert msg.state == "done"
    assert msg.message_id is not None and msg.message_id.startswith("<")  # kept as received
    with committee.services.sessions() as s:
        assert s.scalars(select(Item.public_id)).all() == ["Q13-01"]
    [receipt] = committee.sent_to(ISHIDA)
    # Threaded under an ID of our own: the sender's cannot be written into a header.
    assert _in_reply_to(receipt.raw) == f"<mf-in.{msg.sha256[:32]}@city.example.jp>"


async def test_a_receipt_threads_under_the_message_id_with_single_brackets(
    committee: CommitteeMailbox,
) -> None:
    committee.deliver(member_mail(ISHIDA, QUESTION, message_id="<plain-7@example.com>"))

    await committee.cycle()

    [receipt] = committee.sent_to(ISHIDA)
    assert _in_reply_to(receipt.raw) == "<plain-7@example.com>"


async def test_a_token_for_an_unknown_round_is_quarantined_and_reported(
    committee: CommitteeMailbox,
) -> None:
    stale = committee.reply_address("ishida", round_id=9999)
    committee.deliver(member_mail(ISHIDA, QUESTION, to=stale, message_id="<stale@example.com>"))

    counts = await committee.cycle()

    assert (counts.quarantined, counts.failed) == (1, 0)
    [msg] = committee.messages()
    assert (msg.state, msg.quarantine_reason) == ("quarantined", "round_closed")
    [digest] = committee.digests()
    [line] = [line for line in digest.splitlines() if f"#{msg.id} <stale@example.com>" in line]
    # The reason in the committee's words, not its code; and said once.
    assert line.endswith("：返信先の開催回は中止・終了したか、見つかりません。")
    assert "round_closed" not in digest and "確認待ちとして保留" not in digest
    # Staff's own tools show the words beside the code.
    listed = _cli(committee, "quarantine", "list").replace("\n", "").replace(" │ ", "")
    assert "round_closed" in listed and "返信先の開催回は" in listed
    shown = _cli(committee, "quarantine", "show", str(msg.id))
    assert f"message {msg.id}  reason: round_closed\n" in shown
    assert "返信先の開催回は中止・終了したか、見つかりません。\n" in shown
    assert await asyncio.to_thread(committee.folder_count, QUARANTINE) == 1


async def test_a_mail_failed_for_a_lost_secret_stays_visible_until_reprocessed(
    pymap_server: PymapServer, smtp_server: SmtpServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("MAILFLOW_IMAP_PASSWORD", pymap_server.endpoint.password)
    secret = tmp_path / "token-secret"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    secret.chmod(0o600)
    # Relative: read beside the config file, wherever the daemon was started.
    box = await open_committee(
        on_pymap(pymap_server), smtp_server, tmp_path,
        security='[security]\ntoken_secret = { file = "token-secret" }\n',
    )  # fmt: skip
    secret.rename(tmp_path / "token-secret.moved")  # gone while the daemon runs
    box.deliver(member_mail(ISHIDA, QUESTION, message_id="<while-lost@example.com>"))

    counts = await box.cycle()

    assert counts.failed == 1
    [msg] = box.messages()
    assert msg.state == "failed" and msg.error is not None and "token-secret" in msg.error
    listed = _cli(box, "quarantine", "list")
    assert (
        f"failed: InputError: secret file {tmp_path / 'token-secret'}"
        in listed.replace("\n", "").replace(" │ ", "")
        or "failed: InputError" in listed
    )
    assert "処理失敗 1 通" in _cli(box, "status")
    [digest] = box.digests()
    # The digest says so in Japanese, with the error's type as a labelled code and not
    # the error's text (which may quote the mail; `quarantine show` has it).
    [line] = [line for line in digest.splitlines() if f"#{msg.id} <while-lost@example.com>" in line]
    assert line.endswith(
        "：処理中にエラーが発生しました（エラーの種類：InputError）。原因を直した後、"
        "mailflow reprocess --failed を実行してください"
    )
    assert "failed" not in digest.replace("reprocess --failed", "")
    assert "token-secret" not in digest
    assert await asyncio.to_thread(box.folder_count, QUARANTINE) == 1

    # Still there, and not reported twice, after another cycle.
    await box.cycle()
    assert len(box.digests()) == 1
    assert "処理失敗 1 通" in _cli(box, "status")

    (tmp_path / "token-secret.moved").rename(secret)
    assert "done" in _cli(box, "reprocess", "--failed")
    [msg] = box.messages()
    assert msg.state == "done" and msg.error is None
    assert "処理失敗 0 通" in _cli(box, "status")
    assert "while-lost" not in _cli(box, "quarantine", "list")


async def test_failed_mail_goes_to_the_quarantine_folder_on_dovecot_too(
    dovecot_server: object, smtp_server: SmtpServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from tests.harness.dovecot import DovecotServer
    from tests.harness.imap_extra import on_dovecot

    assert isinstance(dovecot_server, DovecotServer)
    server: MailServer = on_dovecot(dovecot_server)
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("MAILFLOW_IMAP_PASSWORD", server.endpoint.password)
    box = await open_committee(server, smtp_server, tmp_path)
    monkeypatch.delenv("MAILFLOW_TOKEN_SECRET")
    box.deliver(member_mail(ISHIDA, QUESTION, message_id="<no-secret@example.com>"))

    counts = await box.intake()

    assert counts.failed == 1
    assert await asyncio.to_thread(box.folder_count, QUARANTINE) == 1
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", SECRET)
    [outcome] = reprocess(box.services, [box.messages()[0].id])
    assert outcome.state == "done"


async def test_a_folder_the_server_refuses_is_told_to_staff_in_japanese(
    dovecot_server: object, smtp_server: SmtpServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from tests.harness.dovecot import DovecotServer
    from tests.harness.imap_extra import on_dovecot

    assert isinstance(dovecot_server, DovecotServer)
    server: MailServer = on_dovecot(dovecot_server)
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("MAILFLOW_IMAP_PASSWORD", server.endpoint.password)
    folder = "x" * 300  # longer than a file name may be: Dovecot cannot create it
    box = await open_committee(server, smtp_server, tmp_path, processed=folder)
    box.deliver(member_mail(ISHIDA, QUESTION, message_id="<kept-in-inbox@example.com>"))

    counts = await box.cycle()

    assert counts.done == 1
    [digest] = box.digests()
    [line] = [line for line in digest.splitlines() if "フォルダ" in line]
    ours, reply = line.split("。メールサーバーの応答：")
    assert f"メールサーバーがフォルダ「{folder}」を作成できませんでした" in ours
    assert "（設定 imap.processed_folder）" in ours
    assert "メールは受信箱に残し、読み込み済みの印を付けます" in ours
    # Our words are Japanese; the server's own, labelled as its reply, are left as it said them.
    assert not re.search(r"[A-Za-z]{2,} [A-Za-z]{2,}", ours), ours
    assert reply.startswith("NO ")
    assert await asyncio.to_thread(box.folder_count, "INBOX") == 1  # left where it was


async def test_a_failure_after_staff_reprocessed_is_reported_again(
    pymap_server: PymapServer, smtp_server: SmtpServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, any_db_url: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("MAILFLOW_IMAP_PASSWORD", pymap_server.endpoint.password)
    committee = await open_committee(
        on_pymap(pymap_server), smtp_server, tmp_path, database_url=any_db_url
    )
    monkeypatch.delenv("MAILFLOW_TOKEN_SECRET")
    committee.deliver(member_mail(ISHIDA, QUESTION, message_id="<twice@example.com>"))
    await committee.cycle()
    [msg] = committee.messages()
    reprocess(committee.services, [msg.id])  # fails again: the secret is still missing
    committee.clock.advance(__import__("datetime").timedelta(minutes=1))
    await committee.cycle()

    assert len(committee.digests()) == 2
    with committee.services.sessions() as s:
        kinds = s.scalars(select(Event.kind).where(Event.message_id == msg.id)).all()
    assert kinds.count("message_failed") == 2 and kinds.count("quarantine_reported") == 2


async def test_a_mail_whose_receipt_cannot_be_queued_is_still_filed(
    committee: CommitteeMailbox,
) -> None:
    # The database refuses the receipt (a real SQLite error), not the items.
    with committee.services.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER refuse_receipts BEFORE INSERT ON outbox "
                "WHEN NEW.kind = 'receipt' BEGIN SELECT RAISE(ABORT, 'no receipts'); END"
            )
        )
    committee.deliver(member_mail(ISHIDA, QUESTION, message_id="<unanswered@example.com>"))

    counts = await committee.cycle()

    assert (counts.done, counts.failed) == (1, 0)
    with committee.services.sessions() as s:
        assert s.scalars(select(Item.public_id)).all() == ["Q13-01"]
        kinds = s.scalars(select(Event.kind)).all()
    assert "receipt_failed" in kinds
    assert committee.sent_to(ISHIDA) == []
    [digest] = committee.digests()
    assert (
        "受信メール 1：登録しましたが受付の返信を送れませんでした"
        "（データベースが保存を拒みました。エラーの種類：IntegrityError）" in digest
    )
