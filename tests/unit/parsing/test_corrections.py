"""訂正 / 取消 written in replies to a receipt, as mail clients send them, are found exactly."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from mailflow.outbound.compose import compose
from mailflow.outbound.model import OutgoingMail
from mailflow.outbound.render import render_mail
from mailflow.parsing.corrections import (
    Correction,
    CorrectionKind,
    find_corrections,
    remainder,
)
from mailflow.parsing.mime import decode
from mailflow.parsing.quote import extract_new_text
from tests.harness.clients import STYLES
from tests.unit.outbound import seed_views as seed

JST = ZoneInfo("Asia/Tokyo")
WHEN = datetime(2021, 1, 8, 9, 30, tzinfo=JST)
C = CorrectionKind.CORRECT
W = CorrectionKind.WITHDRAW


def _receipt() -> bytes:
    rendered = render_mail(seed.receipt(), "ja", JST)
    return compose(
        OutgoingMail(
            from_name="個人情報保護運営審議会",
            from_address="shingikai@city.example.jp",
            to=(("石田 直樹", "ishida@example.jp"),),
            subject=rendered.subject,
            text=rendered.text,
            message_id="<mf-receipt.1@city.example.jp>",
            date=datetime(2021, 1, 7, 9, 12, tzinfo=JST),
            reply_to="shingikai+tok@city.example.jp",
        )
    )


RECEIPT = _receipt()


def _client_reply(style: str, text: str) -> str:
    """What the member's client sends, read back to the new text as intake reads it."""
    raw = STYLES[style](RECEIPT, "石田 直樹", "ishida@example.jp", text, WHEN)
    return extract_new_text(decode(raw).body)


def _brief(found: tuple[Correction, ...]) -> list[tuple[CorrectionKind, str, str]]:
    return [(c.kind, c.item, c.text) for c in found]


NEW_Q13_01 = (
    "諮問書P. 3「5 コンピュータ・記録媒体の利用、外部接続の有無（4）」で、データの削除に関し"
    "「専用のソフトを使用」とあるが、そのソフトは市が指定するのか。"
)


@pytest.mark.parametrize("style", ["gmail", "outlook", "docomo", "iphone_html", "thunderbird"])
def test_a_correction_on_top_of_the_quoted_receipt(style: str) -> None:
    text = (
        "お世話になっております。石田です。\n\n"
        f"訂正 [Q13-01]\n{NEW_Q13_01}\n\nよろしくお願いいたします。\n石田"
    )
    new = _client_reply(style, text)
    found = find_corrections(new)
    assert _brief(found) == [(C, "Q13-01", NEW_Q13_01)]
    # the receipt's own 「訂正 [Q13-01]」 instructions are quoted, never a command
    assert remainder(new, found).replace("\n", "") in (
        "お世話になっております。石田です。",
        "お世話になっております。石田です。よろしくお願いいたします。石田",
    )


@pytest.mark.parametrize("style", ["gmail", "outlook", "docomo"])
def test_a_withdrawal_in_full_width_and_without_the_zero(style: str) -> None:
    new = _client_reply(style, "取消　Ｑ１４－１\n\n以上です。")
    found = find_corrections(new)
    assert _brief(found) == [(W, "Q14-01", "")]
    assert remainder(new, found) == "以上です。"


def test_the_receipt_instructions_themselves_are_not_commands() -> None:
    body = decode(RECEIPT).body
    assert "「訂正 [Q13-01]」" in body and "「取消 [Q13-01]」" in body
    assert find_corrections(body) == ()


@pytest.mark.parametrize(
    ("line", "kind", "item", "text"),
    [
        (
            "訂正 [Q13-03] 作業場所への私物の持ち込みは禁止か。",
            C,
            "Q13-03",
            "作業場所への私物の持ち込みは禁止か。",
        ),
        (
            "【訂正】Ｑ１３－３：作業場所への私物の持ち込みは禁止か。",
            C,
            "Q13-03",
            "作業場所への私物の持ち込みは禁止か。",
        ),
        (
            "訂正：Q13-3について、作業場所への私物の持ち込みは禁止か。",
            C,
            "Q13-03",
            "作業場所への私物の持ち込みは禁止か。",
        ),
        (
            "・修正 ［Ｑ１３－０３］ 作業場所は施錠されるか。",
            C,
            "Q13-03",
            "作業場所は施錠されるか。",
        ),
        ("[Q13-03]は取り消してください。", W, "Q13-03", ""),
        ("Q13-3を撤回します", W, "Q13-03", ""),
        ("取り消し　[Q13-03]", W, "Q13-03", ""),
        ("[Q13-03]を削除してください", W, "Q13-03", ""),
    ],
)
def test_command_forms(line: str, kind: CorrectionKind, item: str, text: str) -> None:
    assert _brief(find_corrections(line)) == [(kind, item, text)]


def test_id_first_correction_takes_the_lines_below() -> None:
    new = (
        "上野です。\n[Q13-03]を次のとおり訂正します。\n"
        "・作業場所へのスマートフォン等の持ち込みは禁止されているか。\n"
        "また、その確認方法は何か。\n\n以上、よろしくお願いします。\n\n上野"
    )
    assert _brief(find_corrections(new)) == [
        (
            C,
            "Q13-03",
            "作業場所へのスマートフォン等の持ち込みは禁止されているか。\nまた、その確認方法は何か。",
        )
    ]


def test_several_commands_and_new_items_in_one_reply() -> None:
    new = (
        "先ほどの質問を次のとおり訂正します。\n"
        "訂正 [Q13-01]\n市が指定したソフトか。\n"
        "取消 [Q13-02]、[Q14-01]\n"
        "諮問第14号について\n・利用料金はいくらか。\n"
    )
    found = find_corrections(new)
    assert _brief(found) == [
        (C, "Q13-01", "市が指定したソフトか。"),
        (W, "Q13-02", ""),
        (W, "Q14-01", ""),
    ]
    # after a 取消 the reply goes on as usual; the lead-in line is not an item
    assert remainder(new, found) == "諮問第14号について\n・利用料金はいくらか。"


def test_one_text_never_replaces_two_items() -> None:
    assert find_corrections("訂正 [Q13-01] [Q13-02]\n市が指定したソフトか。") == ()


def test_a_correction_without_text_is_reported_empty() -> None:
    assert _brief(find_corrections("訂正 [Q13-01]\n\nよろしくお願いします。")) == [
        (C, "Q13-01", "")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "[Q13-01]について\nデータ消去ソフトの確認は、委託時に必ず行うこと。",  # a ③ follow-up
        "Q13-3の回答を訂正すべきではないか。",
        "・訂正：「訂正 [Q13-01]」と書いた次の行から、正しい文をお書きください。",
        "取消料の規定は仕様書のどこにあるか。",
        "特になし",
    ],
)
def test_what_is_not_a_command(text: str) -> None:
    assert find_corrections(text) == ()


def test_a_short_last_line_is_kept_when_it_is_the_text() -> None:
    new = "訂正 [Q13-04]\n\nギフト引換券に有効期限はあるのか"
    assert _brief(find_corrections(new)) == [(C, "Q13-04", "ギフト引換券に有効期限はあるのか")]
