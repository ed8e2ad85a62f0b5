"""An answer staff removed as wrong leaves its item owed again (pymap in, aiosmtpd out): the
department is reminded of it, status counts it unanswered, and its new answer is the one
members get in the distribution."""

from __future__ import annotations

from sqlalchemy import select

from mailflow.parsing.mime import decode
from mailflow.store.models import Answer
from tests.security.conftest import make_world, world  # noqa: F401  (fixtures)
from tests.security.world import World, at

DEPT = "kodomo-hoken-kyufu"
WRONG = "引換券は1年間保管します。"
RIGHT = "引換券は3年間保管します。"


def body(raw: bytes) -> str:
    return decode(raw).body


def test_the_department_is_asked_again_for_an_item_whose_answer_staff_removed(
    world: World,  # noqa: F811
) -> None:
    w = world
    calls = w.opened()
    w.reply("ishida", "諮問第13号について\n・引換券の保管期間はどのくらいか。\n", at(1, 6),
            calls["ishida"])  # fmt: skip
    w.reply("ueno", "諮問第14号について\n・予約の取消しは前日の何時までか。\n", at(1, 6, 11),
            calls["ueno"], "thunderbird")  # fmt: skip
    w.tick(at(1, 14, 9))  # ① closed: the bundles go out
    [bundle] = w.mails(DEPT, "回答のお願い")
    w.reply(DEPT, f"[Q13-01]\n回答：{WRONG}\n", at(1, 14, 10), bundle, "thunderbird")
    assert "回答済み 1" in w.run(at(1, 14, 10, 30), "status", "R2-5")

    w.run(at(1, 14, 11), "answer", "remove", "Q13-01", "--why", "所管課の誤回答")
    assert "回答済み 0" in w.run(at(1, 14, 12), "status", "R2-5")

    # A day before ②'s date, every department still owing is reminded: kodomo again.
    w.tick(at(1, 15, 0, 30))
    [reminder] = [m for m in w.mails(DEPT, "回答のお願い") if m != bundle]
    assert "まだいただいておりません" in body(reminder) and "[Q13-01]" in body(reminder)

    # Its new answer counts; Q14-01's departments never answer.
    w.reply(DEPT, f"[Q13-01]\n回答：{RIGHT}\n", at(1, 15, 9), bundle, "thunderbird")
    assert "回答済み 1" in w.run(at(1, 15, 10), "status", "R2-5")
    # The removed answer stays as history (the timing reads when it stood).
    rows = w.rows(select(Answer.text, Answer.state).order_by(Answer.id))
    assert [(r.text, r.state) for r in rows] == [(WRONG, "removed"), (RIGHT, "active")]
    w.tick(at(1, 16, 9))
    distribution = body(w.mails("aoki", "回答の送付")[-1])
    q13 = distribution.split("[Q13-01]", 1)[1].split("[Q14-01]", 1)[0]
    assert RIGHT in q13 and WRONG not in distribution and "回答準備中" not in q13
