"""Numbered points announced by an item belong under it: the seed's demands (1)–(3)."""

from mailflow.domain import ConsultationRef
from mailflow.parsing.items import split_reply
from mailflow.parsing.nesting import parents

REFS = [ConsultationRef("13", "令和2年度諮問第13号", "子育て応援ギフトセット配布業務委託")]


def test_the_seed_demands_sit_under_the_item_that_announces_them() -> None:
    text = (
        "ゆえに、仕様書は、できるだけ詳しく、丁寧に作成することを求めるとともに、"
        "次の(1)から(3)までのことについて仕様書への追記等を求める。\n"
        "(1)「簡易書留郵便等の複写禁止」を仕様書に記載すること。\n"
        "(2)「情報バックアップ体制の注意：紛失・誤記録・誤削除に十分注意すること」に関し、"
        "仕様書に記載すること。\n"
        "(3)印刷ミスや貼り付けミスをしたシールの取り扱いについて、シュレッダーで"
        "読み取り・復元できないよう廃棄処分すること。\n"
    )
    reply = split_reply(text, REFS)
    assert len(reply.items) == 4
    assert parents(reply.items) == (None, 0, 0, 0)


def test_numbered_items_without_an_announcement_stand_alone() -> None:
    text = "(1)引換券に有効期限はあるか。\n(2)配布の時期はいつか。\n"
    reply = split_reply(text, REFS)
    assert parents(reply.items) == (None, None)


def test_the_run_stops_at_the_announced_end_and_at_a_gap() -> None:
    text = "次の①から②について伺う。\n①期限はあるか。\n②場所はどこか。\n③時期はいつか。\n"
    reply = split_reply(text, REFS)
    assert parents(reply.items) == (None, 0, 0, None)
