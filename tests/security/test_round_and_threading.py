"""A token for a cancelled round files nothing there; receipts thread under the mail."""

from __future__ import annotations

from email import message_from_bytes

from mailflow.parsing.mime import decode
from tests.harness.clients import gmail
from tests.security.world import World, at


def test_a_valid_token_for_a_cancelled_round_is_held_for_staff(world: World) -> None:
    w = world
    calls = w.opened()
    w.run(at(1, 7), "round", "cancel", "R2-5", "--why", "諮問の取下げ")
    out = w.reply("ishida", "諮問第13号について\n・委託先を伺う。", at(1, 8), calls["ishida"])
    assert "quarantined 1" in out, out
    [held] = w.events("message_quarantined")
    assert held.reason == "round_closed" and "R2-5 cancelled" in held.detail["detail_text"]
    assert w.items() == {} and not w.mails("ishida", "受け付け")


def test_a_receipt_threads_under_the_reply_with_one_pair_of_brackets(world: World) -> None:
    w = world
    calls = w.opened()
    raw = gmail(calls["ishida"], w.names["ishida"], w.addr["ishida"], "特になし", at(1, 6))
    ours = decode(raw).message_id
    w.deliver(raw, at(1, 6))
    [receipt] = w.mails("ishida", "受け付け")
    headers = message_from_bytes(receipt)
    assert ours and str(headers["In-Reply-To"]) == f"<{ours}>"
    assert str(headers["References"]) == f"<{ours}>"
