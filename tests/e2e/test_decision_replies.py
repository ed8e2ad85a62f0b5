"""The chair's replies to the echo of the decision, as chairs write them (pymap and aiosmtpd):
「了承しました」 confirms; a reply that neither confirms nor decides is asked again and staff
are told, never ignored; a negated verdict is never echoed as 可."""

from __future__ import annotations

from mailflow.parsing.mime import decode
from tests.security.conftest import make_world, world  # noqa: F401  (fixtures)
from tests.security.world import World, at


def _decide(w: World, text: str) -> bytes:
    digest = w.to_decision()
    w.reply("aoki", text, at(1, 22), digest, "outlook")
    w.tick(at(1, 22, 1))
    [echo] = w.mails("aoki", "答申内容のご確認")
    return echo


def test_ryosho_confirms_the_echo(world: World) -> None:  # noqa: F811
    w = world
    echo = _decide(
        w, "第13号は不承認とします。\n第14号は条件付きで可とする。予約の記録は1年で消去すること。"
    )
    body = decode(echo).body
    assert "諮問第13号：否" in body and "諮問第14号：条件付き可" in body
    w.reply("aoki", "了承しました。", at(1, 22, 2), echo, "outlook")
    assert w.decisions() == [("reject", "confirmed"), ("approve_with_conditions", "confirmed")]
    w.tick(at(1, 22, 3))
    assert w.state() == "decided"


def test_a_reply_that_neither_confirms_nor_decides_is_asked_again(world: World) -> None:  # noqa: F811
    w = world
    echo = _decide(w, "両件とも可とします。")
    out = w.reply("aoki", "拝見しました。少し考えさせてください。", at(1, 22, 2), echo, "gmail")
    assert "確定とも答申とも読めない" in out  # the staff alert of this intake
    [again] = w.mails("aoki", "再度のお願い")
    assert "諮問第13号：可" in decode(again).body
    w.tick(at(1, 22, 3))
    assert w.state() == "awaiting_decision"
    # The echo sent again is still the echo: a reply to it confirms.
    w.reply("aoki", "それで結構です。", at(1, 22, 4), again, "gmail")
    assert w.decisions() == [("approve", "confirmed"), ("approve", "confirmed")]
