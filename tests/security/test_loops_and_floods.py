"""Loops and floods, through IMAP and SMTP: an auto-responder with no RFC 3834 headers
answering every receipt, and a burst of hundreds of mails from one member.

Neither may turn into a receipt per mail or an item per mail: echoes of our receipts
are filed unanswered, a sender over its hourly rate is held for staff, and staff are
told of both in the digest.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailflow.parsing.mime import decode
from mailflow.routing import PartyKind, PartyRef
from mailflow.services.ingest import Assignment
from mailflow.services.intake_files import assign, reprocess
from mailflow.store.models import Item, Message
from tests.harness.committee_mailbox import (
    QUARANTINE,
    SECRET,
    CommitteeMailbox,
    member_mail,
    open_committee,
)
from tests.harness.imap_extra import on_pymap
from tests.harness.pymap_server import PymapServer
from tests.harness.smtp_server import SmtpServer

ISHIDA = "ishida@example.com"
AWAY = "ただいま出張中のため、メールの確認が遅れます。\n急ぎの用件は課の代表番号へお願いします。\n"


async def _committee(
    pymap_server: PymapServer, smtp_server: SmtpServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, policy: str = "", database_url: str | None = None,
) -> CommitteeMailbox:  # fmt: skip
    monkeypatch.setenv("MAILFLOW_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("MAILFLOW_IMAP_PASSWORD", pymap_server.endpoint.password)
    return await open_committee(
        on_pymap(pymap_server), smtp_server, tmp_path, policy=policy, database_url=database_url
    )


def _responder_reply(receipt: bytes, n: int, *, pasted: bool) -> bytes:
    """What a header-less auto-responder sends back: canned words and the receipt.

    `pasted`: the receipt's text unquoted and nothing else (some forwarders do that);
    otherwise the canned words above the receipt quoted with "> ".
    """
    head = BytesHeaderParser(policy=compat32).parsebytes(receipt)
    text = decode(receipt).body
    body = text if pasted else AWAY + "\n" + "\n".join(f"> {line}" for line in text.splitlines())
    return member_mail(
        ISHIDA,
        body,
        to=str(head["Reply-To"]),
        subject="Re: " + str(decode(receipt).subject),
        message_id=f"<away-{n}@example.com>",
        headers=f"In-Reply-To: {head['Message-ID']}\nReferences: {head['Message-ID']}\n",
    )


def _items(box: CommitteeMailbox) -> int:
    with box.services.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Item)) or 0)


@pytest.mark.parametrize("pasted", [False, True], ids=["canned-words", "receipt-pasted"])
async def test_an_auto_responder_without_rfc3834_headers_does_not_loop(
    pymap_server: PymapServer, smtp_server: SmtpServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, pasted: bool,
) -> None:  # fmt: skip
    box = await _committee(pymap_server, smtp_server, tmp_path, monkeypatch)
    question = "諮問第13号について\n● 配布の時期はいつごろになるのか。\n"
    box.deliver(member_mail(ISHIDA, question, message_id="<first-question@example.com>"))
    await box.cycle()
    assert len(box.sent_to(ISHIDA)) == 1

    for n in range(25):  # the responder answers every receipt it gets, at once
        receipts = box.sent_to(ISHIDA)
        box.deliver(_responder_reply(receipts[-1].raw, n, pasted=pasted))
        box.clock.advance(timedelta(seconds=30))
        await box.cycle()
        if len(box.sent_to(ISHIDA)) == len(receipts):
            break  # no new receipt: the loop is broken

    # The question's receipt, and at most one for the responder's first canned words
    # (nothing tells them from a person's yet); the echo after that is recognised.
    assert len(box.sent_to(ISHIDA)) <= (1 if pasted else 2)
    assert _items(box) <= (1 if pasted else 2)
    echoes = [m for m in box.messages() if m.classification == "auto_reply"]
    assert len(echoes) == 1 and echoes[0].state == "done"
    digests = "\n".join(box.digests())
    why = "受付確認の文面だけです" if pasted else "直前のメールと同じ文面です"
    assert (
        f"・受信：受信メール {echoes[0].id}：石田 直樹さんからの受付確認への返信に新しい内容が"
        f"ありません（{why}）。自動応答とみて保存のみとし、読み込みも返信もしていません\n"
    ) in digests
    assert "loop" not in digests and "receipt" not in digests
    # Replaying the stored mail decides the same way.
    [again] = reprocess(box.services, [echoes[0].id])
    assert (again.state, again.kind) == ("done", "auto_reply")


async def test_a_burst_of_500_mails_from_one_member_makes_20_items_and_holds_the_rest(
    pymap_server: PymapServer, smtp_server: SmtpServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    box = await _committee(pymap_server, smtp_server, tmp_path, monkeypatch)
    burst = [
        member_mail(
            ISHIDA,
            f"諮問第13号について\n● 確認したい点その{n}について伺う。\n",
            message_id=f"<burst-{n}@example.com>",
        )
        for n in range(500)
    ]
    await asyncio.to_thread(box.deliver, *burst)

    counts = await box.cycle()

    assert (counts.done, counts.quarantined, counts.failed) == (20, 480, 0)
    assert _items(box) == 20
    held = [m for m in box.messages() if m.state == "quarantined"]
    assert {m.quarantine_reason for m in held} == {"sender_over_rate"}
    assert await asyncio.to_thread(box.folder_count, QUARANTINE) == 480
    assert len(box.sent_to(ISHIDA)) == 20  # a receipt for each mail read, none for the held
    [digest] = box.digests()
    first_held = min(m.id for m in held)
    assert digest.count("1時間に 20 通を超えるメールが届きました") == 1
    assert (
        f"・受信：受信メール {first_held}：石田 直樹さんから1時間に 20 通を超えるメールが"
        "届きました。このメールから後は読み込まずに保留します（mailflow quarantine list で一覧、"
        "quarantine assign で振り分け、discard で除外）\n"
    ) in digest
    assert "ほか 450 通のメールが確認を待っています（mailflow quarantine list）" in digest
    # Each waiting mail by its reason in words, never the code; no line says it again.
    over = "：同じ差出人から1時間の上限を超えるメールが届きました（自動応答の連鎖など）。\n"
    assert digest.count(over) == 30
    assert "sender_over_rate" not in digest and "確認待ちとして保留" not in digest
    assert "flood" not in digest and "member" not in digest

    # Staff release one by hand; the rate does not apply to what staff place.
    with box.services.sessions() as s:
        ishida = s.scalars(select(Message.member_id).where(Message.state == "done")).first()
    party = PartyRef(PartyKind.MEMBER, str(ishida))
    released = assign(box.services, held[0].id, Assignment("R2-5", party), "checked by staff")
    assert released.state == "done" and _items(box) == 21

    # An hour later the member is read as usual again.
    box.clock.advance(timedelta(hours=1, minutes=1))
    later_question = "諮問第14号について\n● 予約の締切はいつか。\n"
    box.deliver(member_mail(ISHIDA, later_question, message_id="<later@x.jp>"))
    later = await box.cycle()
    last = box.messages()[-1]
    assert (last.state, last.quarantine_reason) == ("done", None), last.error
    assert later.done == 1 and _items(box) == 22


async def test_the_rate_is_set_in_the_policy(
    pymap_server: PymapServer, smtp_server: SmtpServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, any_db_url: str,
) -> None:  # fmt: skip
    box = await _committee(
        pymap_server, smtp_server, tmp_path, monkeypatch,
        policy="mails_per_sender_per_hour = 3", database_url=any_db_url,
    )  # fmt: skip
    box.deliver(
        *(
            member_mail(ISHIDA, f"諮問第13号について\n● 点{n}を伺う。\n", message_id=f"<r{n}@x.jp>")
            for n in range(5)
        )
    )

    counts = await box.cycle()

    assert (counts.done, counts.quarantined) == (3, 2)
    assert [m.state for m in box.messages()] == ["done"] * 3 + ["quarantined"] * 2
