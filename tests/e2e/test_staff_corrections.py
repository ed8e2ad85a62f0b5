"""Staff put misread replies right, end to end (pymap in, aiosmtpd out): items read with
no consultation are placed, one read as two questions is split, one filed under the wrong
consultation is moved after its bundle went, a wrong answer is replaced after members had
it; each person concerned is told by mail, and the minutes come out as the members meant."""

from __future__ import annotations

from sqlalchemy import select

from mailflow.parsing.mime import decode
from mailflow.store.models import Item
from tests.security.conftest import make_world, world  # noqa: F401  (fixtures)
from tests.security.world import MEMBERS, STAFF, World, at

ISHIDA = (
    "事務局御中\n\n"
    "・委託先の事業者が変わった場合、利用者への周知はどのように行うのか。\n\n"
    "・先日の研修会の資料を郵送していただけますか。\n\n石田"
)
UENO = (
    "諮問第13号について\n"
    "引換券を紛失した場合の再発行の手続きを伺う。また、配送業者の追跡番号は利用者に"
    "知らされるのか。\n\n上野"
)
KATO = "諮問第13号について\n・病児保育の予約の取消しは、前日の何時まで受け付けるのか。\n\n加藤"


def body(raw: bytes) -> str:
    return decode(raw).body


def unplaced(w: World) -> dict[str, int]:
    rows = w.rows(select(Item.id, Item.text).where(Item.consultation_id.is_(None)))
    return {r.text: r.id for r in rows}


def test_misread_replies_are_put_right_and_the_minutes_say_what_was_meant(
    world: World,  # noqa: F811
) -> None:
    w = world
    calls = w.opened()
    w.reply("ishida", ISHIDA, at(1, 6), calls["ishida"])
    w.reply("ueno", UENO, at(1, 6, 11), calls["ueno"], "thunderbird")
    w.reply("kato", KATO, at(1, 7), calls["kato"])
    assert "事務局で確認のうえ" in body(w.mails("ishida", "受け付けました")[-1])
    held = unplaced(w)
    topic = "委託先の事業者が変わった場合、利用者への周知はどのように行うのか。"
    errand = "先日の研修会の資料を郵送していただけますか。"  # an errand, not a question
    assert set(held) == {topic, errand}

    # Staff see them, with whose and what they are, in status; the cycle's digest names
    # whose item by number and quotes no member's text.
    status = w.run(at(1, 7, 12), "status", "R2-5")
    assert f"{held[topic]}  石田 直樹  ①  「{topic}」" in status
    w.tick(at(1, 7, 12))
    digest = body(w.mails(STAFF)[-1])
    assert "案件未定" in digest and "石田 直樹" in digest and f"番号 {held[topic]}" in digest
    assert topic not in digest

    # The question goes to consultation 14, the errand is withdrawn; 石田委員 is told both.
    out = w.run(at(1, 8), "item", "place", str(held[topic]), "--consultation", "14",
                "--why", "病児保育予約システムの委託先の件")  # fmt: skip
    assert "as Q14-01" in out
    w.run(at(1, 8), "item", "withdraw", str(held[errand]),
          "--why", "審議とは別の事務連絡（資料は別途郵送）")  # fmt: skip
    w.run(at(1, 8), "item", "split", "Q13-01", "--at", "また、配送業者", "--why", "二つの質問")
    w.send(at(1, 8))
    told = [body(m) for m in w.mails("ishida", "ご意見等の整理")]
    assert len(told) == 2
    assert "[Q14-01] の番号で受け付けました" in told[0] and "病児保育予約システム" in told[0]
    assert "取り下げとして扱う" in told[1] and errand in told[1]
    (split,) = [body(m) for m in w.mails("ueno", "ご意見等の整理")]
    assert "前半を [Q13-01]、後半を [Q13-03]" in split
    assert "item place" not in w.run(at(1, 8), "status", "R2-5")

    # ① closes: each department gets exactly its items.
    w.tick(at(1, 14, 9))
    kodomo = body(w.mails("kodomo-hoken-kyufu", "回答のお願い")[-1])
    assert "[Q13-01]" in kodomo and "[Q13-02]" in kodomo and "[Q13-03]" in kodomo
    assert "配送業者の追跡番号" in kodomo.split("[Q13-03]")[1]
    hoiku = body(w.mails("hoiku-yochien", "回答のお願い")[-1])
    assert "[Q14-01]" in hoiku and topic in hoiku and errand not in hoiku

    # 加藤委員's question was about consultation 14: moved after the bundles went, it goes
    # to 14's departments in a follow-up, and its old ID says where it went.
    out = w.run(at(1, 14, 10), "item", "move", "Q13-02", "--consultation", "14",
                "--why", "病児保育の質問")  # fmt: skip
    assert "Q13-02 moved to Q14-02" in out
    w.tick(at(1, 14, 11))
    for dept in ("hoiku-yochien", "joho-seisaku"):
        (followup,) = w.mails(dept, "追加の")
        assert "[Q14-02]" in body(followup) and "前日の何時まで" in body(followup)
    assert w.mails("kodomo-hoken-kyufu", "追加の") == []
    (moved,) = [body(m) for m in w.mails("kato", "ご意見等の整理")]
    assert "番号を [Q14-02] に改めました" in moved
    assert "moved to Q14-02" in w.run(at(1, 14, 11), "item", "show", "Q13-02")

    # An answer reaches members in the distribution, then turns out wrong.
    w.run(at(1, 14, 12), "item", "answer", "Q13-01", "--by", "kodomo-hoken-kyufu",
          "--text", "再発行はできません。")  # fmt: skip
    w.run(at(1, 14, 12), "item", "answer", "Q14-01", "--by", "hoiku-yochien",
          "--text", "周知は予定していません。")  # fmt: skip
    w.tick(at(1, 16, 9))
    assert "再発行はできません。" in body(w.mails("aoki", "回答の送付")[-1])
    fixed = "窓口で本人確認のうえ、一度に限り再発行します。"
    out = w.run(at(1, 17), "answer", "replace", "Q13-01", "--text", fixed, "--why", "訂正")
    assert "7 member(s) told" in out
    w.send(at(1, 17))
    w.run(at(1, 17, 1), "answer", "remove", "Q14-01", "--why", "所管課の誤回答")
    w.send(at(1, 17, 1))
    for who in MEMBERS:
        replaced, removed = [body(m) for m in w.mails(who, "回答の訂正のお知らせ")]
        assert "一度に限り再発行します。" in replaced and "再発行はできません。" in replaced
        assert "取り消します" in removed and "周知は予定していません。" in removed

    # Reading the mails again (a parser fix) keeps every correction staff made.
    before = w.items()
    w.run(at(1, 17), "reprocess", "--round", "R2-5")
    assert w.items() == before and unplaced(w) == {errand: held[errand]}

    minutes = w.run(at(1, 17), "minutes", "R2-5", "--format", "md")
    first, second = minutes.split("諮問第14号")[-2:]
    assert "引換券を紛失した場合の再発行の手続きを伺う。" in first
    assert "配送業者の追跡番号は利用者に知らされるのか。" in first
    assert "一度に限り再発行します。" in first and "再発行はできません。" not in minutes
    assert topic in second and "前日の何時まで" in second
    assert "前日の何時まで" not in first and errand not in minutes
    assert "周知は予定していません。" not in minutes


def test_the_old_id_of_a_moved_item_still_reaches_it_for_its_author(
    world: World,  # noqa: F811
) -> None:
    w = world
    calls = w.opened()
    w.reply("kato", KATO, at(1, 7), calls["kato"])
    w.run(at(1, 8), "item", "move", "Q13-01", "--consultation", "14", "--why", "病児保育の質問")
    w.send(at(1, 8))
    receipt = w.mails("kato", "受け付けました")[0]
    # 加藤委員 corrects the item by the ID the receipt gave, before the bundles go.
    new = "病児保育の予約の取消しは、当日の朝でも受け付けるのか。"
    out = w.reply("kato", f"訂正 [Q13-01]\n{new}", at(1, 9), receipt)
    assert "done 1" in out
    assert w.items()["Q14-01"] == (new, "active")
    assert w.items()["Q13-01"][1] == "moved"
    assert "[Q14-01]" in body(w.mails("kato", "受け付けました")[-1])
    w.tick(at(1, 14, 9))
    assert new in body(w.mails("hoiku-yochien", "回答のお願い")[-1])
    assert w.mails("kodomo-hoken-kyufu", "回答のお願い") == []  # nothing of theirs is left


def test_an_unreadable_attachment_waits_in_status_until_staff_file_what_it_says(
    world: World,  # noqa: F811
) -> None:
    from tests.e2e.test_member_documents import _mail

    w = world
    w.opened()
    w.deliver(_mail(w, "ueno", b"PK\x03\x04 torn", "質疑（上野）.docx"), at(1, 8))
    assert w.items() == {}  # nothing could be read
    status = w.run(at(1, 8, 11), "status", "R2-5")
    assert "読み取れない添付（事務局で確認） 1 件" in status
    line = next(x for x in status.splitlines() if "質疑（上野）.docx" in x)
    assert "上野 節夫" in line
    number = line.split()[1]
    # Staff open the file on their own machine and file its one question by hand.
    question = "引換券の再発行に手数料はかかるのか。"
    out = w.run(at(1, 8, 12), "item", "add", number, "--consultation", "13", "--text", question,
                "--why", "添付を事務局で開いて転記")  # fmt: skip
    assert f"mail {number}: Q13-01 filed" in out
    w.send(at(1, 8, 12))
    (told,) = [body(m) for m in w.mails("ueno", "ご意見等の整理")]
    assert "[Q13-01] の番号で受け付けました" in told
    assert "読み取れない添付" not in w.run(at(1, 8, 13), "status", "R2-5")
    w.tick(at(1, 14, 9))
    assert question in body(w.mails("kodomo-hoken-kyufu", "回答のお願い")[-1])
    out = w.run(at(1, 8, 12), "item", "add", "999", "--nothing", "--why", "x", code=2)
    assert out.strip() == "error: no mail 999 from a member in a round"
