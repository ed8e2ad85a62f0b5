"""An answer members had, withdrawn by staff and given anew by the department, reaches them
in a supplement (pymap in, aiosmtpd out); a distribution written only after such a removal
shows the item 「回答準備中」, never bare."""

from __future__ import annotations

from mailflow.parsing.mime import decode
from tests.security.conftest import make_world, world  # noqa: F401  (fixtures)
from tests.security.world import World, at

KODOMO = "kodomo-hoken-kyufu"
HOIKU = "hoiku-yochien"
DISTRIBUTION = "質疑及び意見と回答の送付"
SUPPLEMENT = "回答の追加送付"
MISTAKEN = "受託者の事務所で紙の台帳に記録します。"
CORRECTED = "市の業務端末にのみ記録し、受託者は閲覧できません。"
HOIKU_ANSWER = "予約の取消しは前日の正午まで受け付けます。"


def body(raw: bytes) -> str:
    return decode(raw).body


def _answered(w: World, kodomo_at: tuple[int, ...], hoiku_at: tuple[int, ...]) -> bytes:
    """Both items asked, bundled and answered; kodomo's answer is the mistaken one.
    Returns kodomo's bundle."""
    calls = w.opened()
    w.reply("ishida", "諮問第13号について\n・申請者の連絡先はどこに記録するのか。\n", at(1, 6),
            calls["ishida"])  # fmt: skip
    w.reply("ueno", "諮問第14号について\n・予約の取消しは前日の何時までか。\n", at(1, 6, 11),
            calls["ueno"], "thunderbird")  # fmt: skip
    w.tick(at(1, 14, 9))  # ① closed: the bundles go out
    [bundle] = w.mails(KODOMO, "回答のお願い")
    [hoiku] = w.mails(HOIKU, "回答のお願い")
    w.reply(KODOMO, f"[Q13-01]\n回答：{MISTAKEN}\n", at(*kodomo_at), bundle, "thunderbird")
    w.reply(HOIKU, f"[Q14-01]\n回答：{HOIKU_ANSWER}\n", at(*hoiku_at), hoiku, "outlook")
    return bundle


def test_a_new_answer_after_a_withdrawn_one_reaches_members_once(world: World) -> None:  # noqa: F811
    w = world
    bundle = _answered(w, (1, 14, 10), (1, 14, 11))
    w.tick(at(1, 14, 12))  # every answer is in: ② goes at once
    [dist] = w.mails("kato", DISTRIBUTION)
    assert MISTAKEN in body(dist) and "回答準備中" not in body(dist)

    w.run(at(1, 15, 10), "answer", "remove", "Q13-01", "--why", "記録場所の説明が誤り")
    w.send(at(1, 15, 10))
    [withdrawn] = w.mails("kato", "回答の訂正")
    assert "取り消します" in body(withdrawn) and MISTAKEN in body(withdrawn)
    w.tick(at(1, 15, 11))
    assert w.mails("kato", SUPPLEMENT) == []  # nothing to add while it is owed

    w.reply(KODOMO, f"[Q13-01]\n回答：{CORRECTED}\n", at(1, 18, 10), bundle, "thunderbird")
    w.tick(at(1, 18, 11))
    w.tick(at(1, 18, 12))  # a second tick adds nothing
    for who in ("aoki", "ishida", "kato"):
        [supplement] = w.mails(who, SUPPLEMENT)
    text = body(supplement)
    assert "回答を取り消した次の項目について" in text and "\n[Q13-01]\n" in text
    assert CORRECTED in text and MISTAKEN not in text
    assert "[Q14-01]" not in text and HOIKU_ANSWER not in text
    assert "「回答準備中」としていた" not in text


def test_a_distribution_written_after_a_removal_marks_the_item_pending(world: World) -> None:  # noqa: F811
    w = world
    bundle = _answered(w, (1, 14, 10), (1, 14, 11))
    # ② closed at 11:00 with every answer in, but no tick ran before staff removed one.
    w.run(at(1, 14, 13), "answer", "remove", "Q13-01", "--why", "記録場所の説明が誤り")
    w.tick(at(1, 14, 14))
    assert w.mails("kato", "回答の訂正") == []  # members never had the answer
    [dist] = w.mails("kato", DISTRIBUTION)
    text = body(dist)
    q13 = text.split("\n[Q13-01]\n", 1)[1].split("■", 1)[0]
    assert "回答準備中" in q13 and MISTAKEN not in text
    assert "「回答準備中」の項目は、回答がそろい次第" in text
    assert HOIKU_ANSWER in text

    w.reply(KODOMO, f"[Q13-01]\n回答：{CORRECTED}\n", at(1, 15, 9), bundle, "thunderbird")
    w.tick(at(1, 15, 10))
    [supplement] = w.mails("kato", SUPPLEMENT)
    text = body(supplement)
    assert "「回答準備中」としていた項目について" in text and "取り消した" not in text
    assert CORRECTED in text and MISTAKEN not in text
