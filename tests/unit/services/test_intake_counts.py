"""What an intake cycle tells staff about mail the server could not send."""

from __future__ import annotations

from mailflow.services.fetch import FetchCounts
from mailflow.services.intake_loop import _from_fetch


def test_a_mail_passed_over_becomes_a_staff_alert_saying_what_to_do() -> None:
    cycle = _from_fetch(FetchCounts(fetched=5, inserted=5, unreadable=(3, 9)), "INBOX")
    assert (cycle.fetched, cycle.stored) == (5, 5)
    assert len(cycle.alerts) == 2
    first = cycle.alerts[0]
    assert "UID 3 in INBOX" in first and "still there" in first
    assert "mailflow ingest FILE.eml" in first
    assert "UID 9 in INBOX" in cycle.alerts[1]


def test_counts_add_up_the_passed_over_uids() -> None:
    total = FetchCounts(unreadable=(3,)) + FetchCounts(fetched=2) + FetchCounts(unreadable=(7,))
    assert (total.fetched, total.unreadable) == (2, (3, 7))
