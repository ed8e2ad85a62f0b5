"""A department's later mails to the same bundle: a new answer replaces the old one, 「補足」
adds to it, and 「確認中のため後日回答」 leaves the item open (through pymap and aiosmtpd)."""

from __future__ import annotations

from mailflow.parsing.mime import decode
from tests.security.conftest import make_world, world  # noqa: F401  (fixtures)
from tests.security.world import World, at

QUESTIONS = (
    "諮問第13号について\n・引換券の保管期間はどのくらいか。\n・配送業者の選定方法を伺いたい。\n"
)
DEPT = "kodomo-hoken-kyufu"


def test_later_answers_replace_add_and_defer(world: World) -> None:  # noqa: F811
    w = world
    calls = w.opened()
    w.reply("ishida", QUESTIONS, at(1, 6), calls["ishida"])
    w.tick(at(1, 14, 9))
    bundle = w.mails(DEPT, "回答のお願い")[0]
    first = (
        "[Q13-01]\n回答：1年間保管します。\n\n"
        "[Q13-02]\n回答：\n（契約担当と調整中のため、後日回答します）\n"
    )
    w.reply(DEPT, first, at(1, 14, 10), bundle, "thunderbird")
    assert w.answers() == ["1年間保管します。"]
    receipt = decode(w.mails(DEPT, "ご回答を受け付けました")[-1]).body
    assert "確認中（後日回答）" in receipt and "[Q13-02]" in receipt

    # The department corrects itself: the new answer replaces the old one.
    w.reply(DEPT, "[Q13-01]\n回答：3年間保管します。\n", at(1, 14, 11), bundle, "thunderbird")
    assert w.answers() == ["3年間保管します。"]
    replaced = w.events("answer_replaced")
    assert len(replaced) == 1 and "1年間保管します。" in str(replaced[0].detail)

    # 「補足」 adds, and the deferred item gets its answer.
    more = (
        "[Q13-01]\n回答：補足です。保管場所は施錠できる書庫です。\n\n"
        "[Q13-02]\n回答：入札で選定します。\n"
    )
    w.reply(DEPT, more, at(1, 14, 12), bundle, "thunderbird")
    assert sorted(w.answers()) == sorted(
        ["3年間保管します。", "補足です。保管場所は施錠できる書庫です。", "入札で選定します。"]
    )
