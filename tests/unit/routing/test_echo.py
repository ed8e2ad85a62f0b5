"""Echoes of our receipts: what counts as nothing new, and what is a person writing."""

from __future__ import annotations

import random
import time

import pytest

from mailflow.routing.echo import EchoReason, echo_reason

RECEIPT = (
    "石田 直樹 様\n\n次のとおり受け付けました。\n\n[Q13-01] 配布の時期はいつごろになるのか。\n"
    "訂正は、このメールに返信してお知らせください。\n"
)
AWAY = "ただいま出張中のため、メールの確認が遅れます。\n1月8日に戻ります。\n"


@pytest.mark.parametrize(
    ("new_text", "earlier", "reason"),
    [
        ("", [], EchoReason.NO_TEXT),
        ("  \n\n", [], EchoReason.NO_TEXT),
        (RECEIPT, [], EchoReason.RECEIPT_LINES),
        ("> 次のとおり受け付けました。\n＞ [Q13-01] 配布の時期はいつごろになるのか。", [],
         EchoReason.RECEIPT_LINES),
        (AWAY, [AWAY.replace("8日", "9日")], EchoReason.SAME_AS_EARLIER),
    ],
)  # fmt: skip
def test_nothing_new_is_an_echo(
    new_text: str, earlier: list[str], reason: EchoReason
) -> None:
    assert echo_reason(new_text, RECEIPT, earlier) == reason


@pytest.mark.parametrize(
    ("new_text", "earlier"),
    [
        ("[Q13-01] の訂正です。時期ではなく場所を伺いたい。", []),
        (AWAY, []),  # the first canned answer reads like a person's
        ("諮問第13号について\n● 配布の場所はどこか。",
         ["諮問第13号について\n● 配布の時期はいつか。"]),
    ],
)  # fmt: skip
def test_something_new_is_no_echo(new_text: str, earlier: list[str]) -> None:
    assert echo_reason(new_text, RECEIPT, earlier) is None


def test_adversarial_text_finishes_quickly() -> None:
    rng = random.Random(5)
    junk = ["".join(rng.choice("ab\n") for _ in range(100_000)) for _ in range(6)]
    started = time.perf_counter()
    echo_reason(junk[0], RECEIPT, junk[1:])
    echo_reason("a" * 1_000_000, RECEIPT, ["a" * 1_000_000] * 5)
    assert time.perf_counter() - started < 5  # a hang would be minutes; measured ~0.1 s
