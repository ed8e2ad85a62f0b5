"""A From header alone never speaks for the chair, a member or a department.

Each attack is a mail with a registered address in From: and no reply token, delivered
into the committee mailbox and read by `mailflow fetch`, as it would arrive.
"""

from __future__ import annotations

from mailflow.parsing.mime import decode
from tests.security.world import CONFIRM_WORDS, World, at, forged

CHAIR = "青木 和子 <aoki.kazuko@example.jp>"
ISHIDA = "石田 直樹 <ishida@example.com>"
REJECT_BOTH = "諮問第13号：否\n諮問第14号：否"
Q13_AND_14 = (
    "諮問第13号について\n・配布予測数はいくつか。\n\n諮問第14号について\n・利用登録は必要か。"
)


def _request(w: World, who: str) -> bytes:
    [request] = w.mails(who, "ご本人確認のお願い")
    assert CONFIRM_WORDS in decode(request).body
    return request


def test_a_forged_decision_and_confirmation_decide_nothing(world: World) -> None:
    w = world
    w.to_decision()
    out = w.deliver(forged(CHAIR, "Re: [R2-5] 答申", REJECT_BOTH, at(1, 22)), at(1, 22))
    assert "会長の名義の答申は差出人を確認できない" in out, out  # the staff alert, in Japanese
    assert w.decisions() == [] and w.pending() == [("change", "pending")]
    # the chair is asked at the registered address, and shown what would be decided
    request = _request(w, "aoki")
    assert "諮問第13号：否" in decode(request).body
    # a forged 「確認しました。」 (no reply token, no echo sent) confirms nothing
    w.deliver(forged(CHAIR, "Re: [R2-5] 答申", "確認しました。", at(1, 22, 11)), at(1, 22, 11))
    w.tick(at(1, 23, 9))
    assert w.state() == "awaiting_decision" and w.decisions() == []
    assert not w.mails("kato", "答申")  # no result went to anyone
    # the chair, seeing the request, says it was not them
    out = w.reply("aoki", "このようなメールは送っていません。", at(1, 23, 10), request)
    assert "なりすましの可能性" in out, out  # an alert for staff
    assert w.pending() == [("change", "refused")] and w.events("change_refused")
    w.tick(at(1, 23, 11))
    assert w.decisions() == [] and w.state() == "awaiting_decision"


def test_a_forged_confirmation_before_the_echo_confirms_nothing(world: World) -> None:
    w = world
    digest = w.to_decision()
    w.reply("aoki", "諮問第13号：可\n諮問第14号：可", at(1, 22), digest)
    assert w.decisions() == [("approve", "pending"), ("approve", "pending")]
    w.deliver(forged(CHAIR, "Re: [R2-5] 答申", "確認しました。", at(1, 22, 1)), at(1, 22, 1))
    assert [s for _, s in w.decisions()] == ["pending", "pending"]
    w.tick(at(1, 22, 12))  # the echo goes out; the round waits for its reply
    assert w.state() == "awaiting_decision"
    [echo] = w.mails("aoki", "答申内容のご確認")
    w.reply("aoki", "確認しました。", at(1, 22, 13), echo)
    assert [s for _, s in w.decisions()] == ["confirmed", "confirmed"]
    w.tick(at(1, 22, 14))
    assert w.state() == "decided" and w.mails("kato", "答申")


def test_a_claimed_decision_confirmed_by_reply_is_the_chairs(world: World) -> None:
    w = world
    w.to_decision()
    w.deliver(
        forged(CHAIR, "Re: [R2-5] 答申", "諮問第13号：可\n諮問第14号：可", at(1, 22)), at(1, 22)
    )
    w.reply("aoki", "確認しました。", at(1, 22, 10), _request(w, "aoki"))
    # the request showed the decision as understood: it needs no second echo
    assert w.decisions() == [("approve", "confirmed"), ("approve", "confirmed")]
    assert w.pending() == [("change", "applied")]
    w.tick(at(1, 22, 11))
    assert w.state() == "decided" and not w.mails("aoki", "答申内容のご確認")


def test_forged_corrections_wait_for_the_author(world: World) -> None:
    w = world
    calls = w.opened()
    w.reply("ishida", Q13_AND_14, at(1, 6), calls["ishida"])
    before = w.items()
    attack = "訂正 [Q13-01]\n配布は不要と考える。\n\n取消 [Q14-01]"
    out = w.deliver(forged(ISHIDA, "Re: [R2-5] 訂正", attack, at(1, 7)), at(1, 7))
    assert "委員の名義の訂正・取消は差出人を確認できない" in out, out
    assert w.items() == before and not w.events("item_corrected")
    request = _request(w, "ishida")
    body = decode(request).body
    assert "配布は不要と考える。" in body and "取消 [Q14-01]" in body
    assert not w.mails("ishida", "訂正・取消を受け付けました")
    assert "本人確認待ち request 1: message" in w.run(at(1, 7, 1), "status", "R2-5")
    # the member did write it, and says so by replying to the request
    w.reply("ishida", "確認しました。", at(1, 7, 10), request, "docomo")
    items = w.items()
    assert items["Q13-01"] == ("配布は不要と考える。", "active")
    assert items["Q14-01"][1] == "withdrawn"
    assert set(items) == set(before)  # the confirmation made no item of its own
    assert w.mails("ishida", "訂正・取消を受け付けました")
    assert "本人確認待ち" not in w.run(at(1, 7, 11), "status", "R2-5")
    # replaying every mail changes nothing: no second request, receipt or correction
    sent = len(w.smtp.received)
    w.run(at(1, 7, 12), "reprocess", "--round", "R2-5")
    w.send(at(1, 7, 12))
    assert w.items() == items and w.pending() == [("change", "applied")]
    assert len(w.smtp.received) == sent and len(w.events("item_corrected")) == 1


def test_a_forged_department_answer_waits_for_the_department(world: World) -> None:
    w = world
    calls = w.opened()
    w.reply("ishida", Q13_AND_14, at(1, 6), calls["ishida"])
    w.tick(at(1, 14, 9))
    dept = f"子ども保健・給付課 <{w.addr['kodomo-hoken-kyufu']}>"
    answer = "[Q13-01]\n回答：配布は取りやめる。"
    w.deliver(forged(dept, "Re: [R2-5] 回答", answer, at(1, 14, 15)), at(1, 14, 15))
    assert w.answers() == []
    assert not w.mails("kodomo-hoken-kyufu", "ご回答を受け付けました")
    request = _request(w, "kodomo-hoken-kyufu")
    assert "配布は取りやめる。" in decode(request).body
    w.reply("kodomo-hoken-kyufu", "確認しました", at(1, 14, 16), request)
    assert w.answers() == ["配布は取りやめる。"]
    assert w.mails("kodomo-hoken-kyufu", "ご回答を受け付けました")


def test_new_items_from_a_claimed_member_are_taken_and_the_receipt_goes_home(
    world: World,
) -> None:
    w = world
    w.opened()
    mail = forged(
        ISHIDA,
        "[R2-5] 質問",
        "諮問第13号について\n・委託先はどう選んだのか。",
        at(1, 6),
        headers=(("Reply-To", "collector@attacker.example"),),
    )
    w.deliver(mail, at(1, 6))
    assert w.items()["Q13-01"][1] == "active"
    [receipt] = w.mails("ishida", "受け付け")
    assert "委託先はどう選んだのか" in decode(receipt).body
    assert not any("attacker.example" in r for r in w.all_recipients())


def test_two_from_addresses_or_two_from_headers_are_quarantined(world: World) -> None:
    w = world
    calls = w.opened()
    genuine = calls["ishida"]
    for n, (sender, extra) in enumerate(
        [
            ([ISHIDA, "stranger@attacker.example"], None),
            (ISHIDA, "stranger@attacker.example"),
        ]
    ):
        # a real reply to the call, token and all: only the From is doctored
        reply = decode(genuine)
        to = reply.header("Reply-To") or ""
        mail = forged(sender, "Re: [R2-5] 質問", "特になし", at(1, 6, n), to=to, extra_from=extra)
        out = w.deliver(mail, at(1, 6, n))
        assert "quarantined 1" in out, out
    assert w.items() == {} and not w.mails("ishida", "受け付け")
    reasons = [e.reason for e in w.events("message_quarantined")]
    assert reasons == ["from_not_single", "from_not_single"]
