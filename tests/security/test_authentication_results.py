"""Authentication-Results: only our border server's own block counts (RFC 8601 §5).

The committee trusts ``mx.city.example.jp``. The border prepends its results above
its Received line; anything below was written by whoever sent the mail.
"""

from __future__ import annotations

import pytest

from tests.security.conftest import MakeWorld
from tests.security.world import BORDER, World, at, forged

CHAIR = "青木 和子 <aoki.kazuko@example.jp>"
DECISION = "諮問第13号：否\n諮問第14号：否"
RECEIVED = f"from smtp.attacker.example (203.0.113.9) by {BORDER} with ESMTP; Fri, 22 Jan 2021"
PASS = f"{BORDER}; dkim=pass header.d=example.jp; spf=pass; dmarc=pass header.from=example.jp"


@pytest.fixture
def guarded(make_world: MakeWorld) -> World:
    return make_world(f'trusted_authserv_id = "{BORDER}"')


def _decide(w: World, headers: list[tuple[str, str]]) -> str:
    w.to_decision()
    return w.deliver(
        forged(CHAIR, "Re: [R2-5] 答申", DECISION, at(1, 22), headers=headers), at(1, 22)
    )


def test_a_planted_pass_directly_below_the_real_fail_does_not_win(guarded: World) -> None:
    real = (
        f"{BORDER}; dkim=none; spf=fail smtp.mailfrom=example.jp; dmarc=fail header.from=example.jp"
    )
    out = _decide(guarded, [
        ("Authentication-Results", real),
        ("Authentication-Results", PASS),
        ("Received", RECEIVED),
    ])  # fmt: skip
    assert "quarantined 1" in out, out
    assert [e.reason for e in guarded.events("message_quarantined")] == ["auth_failed"]
    assert guarded.decisions() == [] and guarded.pending() == []


def test_a_planted_pass_below_the_received_line_proves_nothing(guarded: World) -> None:
    out = _decide(guarded, [
        ("Authentication-Results", f"{BORDER}; dmarc=none header.from=example.jp"),
        ("Received", RECEIVED),
        ("Authentication-Results", PASS),
    ])  # fmt: skip
    assert "返信での確定を依頼しました" in out, out
    assert guarded.decisions() == [] and guarded.pending() == [("change", "pending")]


def test_a_planted_pass_with_no_results_of_ours_above_proves_nothing(guarded: World) -> None:
    _decide(guarded, [("Received", RECEIVED), ("Authentication-Results", PASS)])
    assert guarded.decisions() == [] and guarded.pending() == [("change", "pending")]


def test_our_border_servers_dmarc_pass_proves_the_chair(guarded: World) -> None:
    _decide(guarded, [("Authentication-Results", PASS), ("Received", RECEIVED)])
    assert guarded.decisions() == [("reject", "pending"), ("reject", "pending")]
    assert guarded.pending() == []
    guarded.tick(at(1, 22, 12))
    assert guarded.mails("aoki", "答申内容のご確認")  # the echo still asks the chair


def test_an_inner_hop_above_the_border_is_skipped_as_configured(make_world: MakeWorld) -> None:
    w = make_world(f'trusted_authserv_id = "{BORDER}"\ninner_received_headers = 1')
    _decide(w, [
        ("Received", f"from {BORDER} by store.city.example.jp with LMTP"),
        ("Authentication-Results", PASS),
        ("Received", RECEIVED),
    ])  # fmt: skip
    assert w.decisions() == [("reject", "pending"), ("reject", "pending")]
