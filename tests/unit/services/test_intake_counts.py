"""What an intake cycle tells staff about mail the server could not send."""

from __future__ import annotations

from mailflow.outbound.alerts import StaffNotice
from mailflow.services.fetch import FetchCounts
from mailflow.services.intake_loop import _from_fetch


def test_a_mail_passed_over_becomes_a_staff_alert_saying_what_to_do() -> None:
    cycle = _from_fetch(FetchCounts(fetched=5, inserted=5, unreadable=(3, 9)), "INBOX", "ja")
    assert (cycle.fetched, cycle.stored) == (5, 5)
    first, second = cycle.alerts
    assert first.kind is StaffNotice.UNREADABLE and first.message is None
    assert first.text == (
        "メールサーバーがフォルダ「INBOX」の UID 3 のメールを渡しませんでした。メールはサーバーに"
        "残り、mailflow は読んでいません。メールソフトで開いて .eml ファイルに保存し、"
        "mailflow ingest FILE.eml を実行してください"
    )
    assert "UID 9 " in second.text
    english = _from_fetch(FetchCounts(unreadable=(3,)), "INBOX", "en").alerts[0].text
    assert "UID 3 in INBOX" in english and "still there" in english
    assert "mailflow ingest FILE.eml" in english


def test_counts_add_up_the_passed_over_uids() -> None:
    total = FetchCounts(unreadable=(3,)) + FetchCounts(fetched=2) + FetchCounts(unreadable=(7,))
    assert (total.fetched, total.unreadable) == (2, (3, 7))
