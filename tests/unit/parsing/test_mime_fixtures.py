"""Every decode fixture, read as the mail its client sent: headers, body, charset, defects."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from mailflow.parsing.mime import decode

FIXTURES = Path(__file__).parents[2] / "fixtures" / "mail" / "decode"
QUESTION_LINE = "① 諮問書P.3「5(4)」のデータ削除に使うソフトは、市が指定するものですか。"
OPINION_LINE = "・㈱などの受託事業者名は、仕様書に明記してください。"
ANSWER_LINES = (
    "諮問第13号の回答です。",
    "①削除ソフトは事業者が選びます。",
    "②報告書に記載欄を設けます。",
)
OUR_ID = "r25.q.3f9a1c.k7f3q9@city.example.lg.jp"


@dataclass(frozen=True)
class Expect:
    subject: str
    sender: str
    body: tuple[str, ...]  # lines that must appear in the body, in order
    charset: str
    source: str = "text/plain"
    defects: tuple[str, ...] = ()  # substrings, each of some defect; () means none at all
    attachments: tuple[tuple[str, str], ...] = ()  # (file name, content type)


EXPECTED: dict[str, Expect] = {
    "outlook-iso2022jp-plain-reply": Expect(
        "RE: [R2-5] 諮問第13号 質疑及び意見の募集",
        "yamada.taro@example.jp",
        ("お世話になっております。委員の山田です。", QUESTION_LINE),
        "iso-2022-jp",
    ),
    "outlook-iso2022jp-alternative-html": Expect(
        "RE: [R2-5] 諮問第13号", "yamada.taro@example.jp", (QUESTION_LINE,), "iso-2022-jp"
    ),
    "outlook-utf8-alternative-base64": Expect(
        "RE: [R2-5] 諮問第14号", "takahashi@example.jp", (OPINION_LINE, "髙橋"), "utf-8"
    ),
    "outlook-iso2022jp-xlsx-answer": Expect(
        "RE: [R2-5] 質疑の送付（諮問第13号）",
        "kodomo@city.example.lg.jp",
        ("子ども保健・給付課です。回答票を添付します。",),
        "iso-2022-jp",
        attachments=(
            (
                "回答票_諮問第13号.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        ),
    ),
    "outlook-iso2022jp-cp50221-halfwidth-kana": Expect(
        "RE: [R2-5] 確認", "yamada.taro@example.jp", ("ｼｮｳﾁｼﾏｼﾀ。山田",), "iso-2022-jp"
    ),
    "gmail-utf8-alternative-base64": Expect(
        "Re: [R2-5] 令和2年度第5回個人情報保護運営審議会の開催について",
        "hanako.sato.1962@gmail.example.com",
        (QUESTION_LINE,),
        "utf-8",
    ),
    "gmail-utf8-q-encoded-subject": Expect(
        "Re: [R2-5] 質問", "hanako.sato.1962@gmail.example.com", ("特になし",), "utf-8"
    ),
    "gmail-utf8-forwarded-rfc822": Expect(
        "Fwd: 病児保育予約システムの件",
        "hanako.sato.1962@gmail.example.com",
        ("事務局様", "参考までに転送します。"),
        "utf-8",
        attachments=(("病児保育予約システムの件.eml", "message/rfc822"),),
    ),
    "thunderbird-utf8-flowed": Expect(
        "Re: [R2-5] question",
        "suzuki-j@example.jp",
        (
            "Dear secretariat, this is a long English sentence that Thunderbird wrapped at the "
            "margin.",
            "-- ",
            "Jiro Suzuki",
        ),
        "utf-8",
    ),
    "thunderbird-iso2022jp-flowed-delsp": Expect(
        "Re: [R2-5] 諮問第13号",
        "suzuki-j@example.jp",
        (
            "諮問第13号の仕様書について、受託者が作業の記録をどのように残すのかを確認したいので、"
            "作業開始日時と完了日時、作業場所、担当者名を報告書に記載するよう求めます。",
        ),
        "iso-2022-jp",
    ),
    "thunderbird-utf8-attachment-rfc2231": Expect(
        "Re: [R2-5] 資料",
        "suzuki-j@example.jp",
        ("資料を添付します。",),
        "utf-8",
        attachments=(("審議会資料（諮問第14号）修正版.pdf", "application/pdf"),),
    ),
    "thunderbird-utf8-html-only": Expect(
        "Re: [R2-5] 諮問第14号",
        "suzuki-j@example.jp",
        (
            "お世話になります。",
            "委員の佐藤です。",
            "・予約データの保存期間は何日ですか。",
            "・保存先のサーバは国内ですか。",
            "以上です。",
        ),
        "utf-8",
        source="text/html",
    ),
    "iphone-utf8-base64": Expect(
        "Re: [R2-5] 諮問第13号について",
        "ito.saburo@icloud.example.com",
        (QUESTION_LINE, "iPhoneから送信"),
        "utf-8",
    ),
    "iphone-utf8-qp": Expect(
        "Re: [R2-5] 諮問第13号について", "ito.saburo@icloud.example.com", (OPINION_LINE,), "utf-8"
    ),
    "iphone-utf8-alternative-html": Expect(
        "Re: [R2-5] 諮問第13号について", "ito.saburo@icloud.example.com", (QUESTION_LINE,), "utf-8"
    ),
    "iphone-utf8-html-only-list": Expect(
        "Re: [R2-5] 諮問第13号について",
        "ito.saburo@icloud.example.com",
        ("諮問第14号について質問します。", "・予約データの保存期間は何日ですか。"),
        "utf-8",
        source="text/html",
    ),
    "iphone-utf8-inline-image-split": Expect(
        "Re: [R2-5] 諮問第13号について",
        "ito.saburo@icloud.example.com",
        ("写真の前の文です。", "写真の後の文です。"),
        "utf-8",
        attachments=(("IMG_0412.jpeg", "image/jpeg"),),
    ),
    "applemail-utf8-flowed-delsp": Expect(
        "Re: [R2-5] 意見",
        "ito.saburo@icloud.example.com",
        (
            "諮問第13号の仕様書について、受託者が作業の記録をどのように残すのかを確認したいので、"
            "作業開始日時と完了日時、作業場所、担当者名を報告書に記載するよう求めます。",
        ),
        "utf-8",
    ),
    "applemail-iso2022jp-plain": Expect(
        "Re: [R2-5] 意見", "ito.saburo@icloud.example.com", (OPINION_LINE, "髙橋"), "iso-2022-jp"
    ),
    "docomo-sjis-plain-8bit": Expect(
        "Re: [R2-5] 諮問第14号",
        "k.watanabe-0312@docomo.example.ne.jp",
        ("①髙橋委員と同意見です。", "②﨑の字も確認。"),
        "cp932",
    ),
    "docomo-sjis-base64-emoji": Expect(
        "Re: [R2-5]",
        "k.watanabe-0312@docomo.example.ne.jp",
        ("了解しました\ue63e", "渡辺"),
        "cp932",
    ),
    "docomo-sjis-raw-filename": Expect(
        "写真",
        "k.watanabe-0312@docomo.example.ne.jp",
        ("写真を送ります。",),
        "cp932",
        attachments=(("表ソ写真.jpg", "image/jpeg"),),
    ),
    "au-iso2022jp-plain": Expect(
        "Re: [R2-5] 回答",
        "k.watanabe-0312@ezweb.example.ne.jp",
        ("質問はありません。",),
        "iso-2022-jp",
    ),
    "au-sjis-decomail-related": Expect(
        "Re: [R2-5]",
        "k.watanabe-0312@ezweb.example.ne.jp",
        ("デコメで失礼します。", "①賛成です。"),
        "cp932",
        attachments=(("deco01.gif", "image/gif"),),
    ),
    "softbank-utf8-base64": Expect(
        "Re: [R2-5] 諮問第13号", "k.watanabe-0312@i.softbank.example.jp", (QUESTION_LINE,), "utf-8"
    ),
    "softbank-sjis-html-only": Expect(
        "Re: [R2-5]",
        "k.watanabe-0312@softbank.example.ne.jp",
        ("意見です。", "・説明資料は分かりやすかった。", "・特に問題ありません。"),
        "cp932",
        source="text/html",
    ),
    "becky-iso2022jp-plain": Expect(
        "Re: [R2-5] 諮問第13号・第14号",
        "kato@example.jp",
        (QUESTION_LINE, OPINION_LINE),
        "iso-2022-jp",
    ),
    "becky-iso2022jp-split-encoded-word": Expect(
        "Re: [R2-5] 令和2年度第5回個人情報保護運営審議会の開催について",
        "kato@example.jp",
        ("本文",),
        "iso-2022-jp",
    ),
    "activemail-utf8-split-mid-char": Expect(
        "Re: [R2-5] 諮問第13号 子育て応援ギフトセット配布業務委託について",
        "yamada.taro@example.jp",
        (QUESTION_LINE,),
        "utf-8",
    ),
    "javamail-windows31j-alias": Expect(
        "【回答】諮問第14号",
        "hoiku@city.example.lg.jp",
        ("① 保存期間は①年です。", "㈱予約システムが受託します。"),
        "cp932",
    ),
    "mutt-eucjp-plain": Expect(
        "Re: [R2-5] 意見",
        "yoshida@example.jp",
        ("諮問第14号について、特に意見はありません。",),
        "euc-jp",
    ),
    "mutt-eucjp-nocharset": Expect(
        "Re: [R2-5]",
        "yoshida@example.jp",
        ("諮問第13号について、質問はありません。吉田",),
        "euc-jp",
        defects=("no charset declared for 8-bit text, decoded as euc-jp",),
    ),
    "webform-cp932-declared-iso2022jp": Expect(
        "回答",
        "johokokai@city.example.lg.jp",
        ANSWER_LINES,
        "cp932",
        defects=("charset declared 'ISO-2022-JP' but decoded as cp932",),
    ),
    "webform-sjis-declared-utf8": Expect(
        "回答",
        "johokokai@city.example.lg.jp",
        ANSWER_LINES,
        "cp932",
        defects=("charset declared 'UTF-8' but decoded as cp932",),
    ),
    "webform-sjis-nocharset-8bit": Expect(
        "回答",
        "johokokai@city.example.lg.jp",
        ANSWER_LINES,
        "cp932",
        defects=("no charset declared for 8-bit text, decoded as cp932",),
    ),
    "webform-sjis-xsjis-alias": Expect(
        "回答", "johokokai@city.example.lg.jp", ANSWER_LINES, "cp932"
    ),
    "webform-sjis-sjis-alias": Expect(
        "回答", "johokokai@city.example.lg.jp", ANSWER_LINES, "cp932"
    ),
    "webform-utf8-xunknown-charset": Expect(
        "回答",
        "johokokai@city.example.lg.jp",
        ANSWER_LINES,
        "utf-8",
        defects=("unknown charset 'x-unknown'", "declared 'x-unknown' but decoded as utf-8"),
    ),
    "webform-sjis-raw-headers": Expect(
        "【回答】諮問第13号",
        "johokokai@city.example.lg.jp",
        ANSWER_LINES,
        "cp932",
        defects=("header Subject: unencoded non-ASCII", "header From: unencoded non-ASCII"),
    ),
    "webform-utf8-raw-headers": Expect(
        "【回答】諮問第14号",
        "hoiku@city.example.lg.jp",
        ANSWER_LINES,
        "utf-8",
        defects=("header Subject: unencoded non-ASCII header text, read as utf-8",),
    ),
    "webform-utf8-bad-b-padding": Expect(
        "回答の送付R",
        "johokokai@city.example.lg.jp",
        ANSWER_LINES,
        "utf-8",
        defects=("bad base64 padding",),
    ),
    "webform-cp932-missing-charset-word": Expect(
        "回答（諮問第14号）",
        "johokokai@city.example.lg.jp",
        ANSWER_LINES,
        "cp932",
        defects=("encoded word without charset",),
    ),
    "webform-iso2022jp-missing-escape-reset": Expect(
        "回答", "johokokai@city.example.lg.jp", ("①回答します", "Q13-01 OK"), "iso-2022-jp"
    ),
    "webform-utf8-bom": Expect("回答", "johokokai@city.example.lg.jp", ANSWER_LINES, "utf-8"),
    "webform-iso2022jp-missing-boundary": Expect(
        "回答",
        "johokokai@city.example.lg.jp",
        ANSWER_LINES,
        "iso-2022-jp",
        defects=("no boundary in multipart", "boundary repaired"),
        attachments=(("answers.csv", "text/csv"),),
    ),
    "webform-iso2022jp-unterminated-multipart": Expect(
        "回答",
        "johokokai@city.example.lg.jp",
        ANSWER_LINES,
        "iso-2022-jp",
        defects=("close boundary not found",),
    ),
    "webform-iso2022jp-wrong-boundary": Expect(
        "回答",
        "johokokai@city.example.lg.jp",
        ANSWER_LINES,
        "iso-2022-jp",
        defects=("start boundary not found", "boundary repaired"),
    ),
    "webform-utf8-bad-base64": Expect(
        "回答",
        "johokokai@city.example.lg.jp",
        ANSWER_LINES[:2],
        "utf-8",
        defects=("invalid base64",),
    ),
    "webform-utf8-duplicate-headers": Expect(
        "回答（一回目）",
        "johokokai@city.example.lg.jp",
        ANSWER_LINES,
        "utf-8",
        defects=("duplicate header subject (2 times)", "duplicate header from (2 times)"),
    ),
    "webform-utf8-no-message-id": Expect(
        "回答", "johokokai@city.example.lg.jp", ANSWER_LINES, "utf-8"
    ),
    "mfp-ascii-pdf-only": Expect(
        "Scanned document",
        "mfp-2f@city.example.lg.jp",
        (),
        "",
        source="none",
        attachments=(("scan_20210113094107.pdf", "application/pdf"),),
    ),
    "empty-none-zero-bytes": Expect("", "", (), "", source="none", defects=("empty message",)),
}


def test_every_fixture_has_an_expectation() -> None:
    on_disk = {p.stem for p in FIXTURES.glob("*.eml")}
    assert on_disk == set(EXPECTED)
    assert len(on_disk) >= 40


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_decodes_as_its_client_meant(name: str) -> None:
    expect = EXPECTED[name]
    decoded = decode((FIXTURES / f"{name}.eml").read_bytes())

    assert decoded.subject == expect.subject
    assert decoded.from_address == expect.sender
    assert decoded.charset == expect.charset
    assert decoded.body_source == expect.source
    assert "\r" not in decoded.body
    lines = decoded.body.split("\n")
    positions = [lines.index(line) for line in expect.body]
    assert positions == sorted(positions), "body lines out of order"
    if expect.source == "none":
        assert decoded.body == ""
    if expect.defects:
        for wanted in expect.defects:
            assert any(wanted in d for d in decoded.defects), (wanted, decoded.defects)
    else:
        assert decoded.defects == ()
    found = tuple((a.filename, a.content_type) for a in decoded.attachments)
    assert found == expect.attachments
    for attachment in decoded.attachments:
        assert attachment.size == len(attachment.data) > 0


@pytest.mark.parametrize(
    "name",
    [n for n in sorted(EXPECTED) if n.split("-")[0] in {"outlook", "gmail", "iphone", "becky"}],
)
def test_replies_carry_thread_headers(name: str) -> None:
    decoded = decode((FIXTURES / f"{name}.eml").read_bytes())
    assert decoded.in_reply_to == OUR_ID
    assert OUR_ID in decoded.references
    assert decoded.message_id is not None
    assert "<" not in decoded.message_id and ">" not in decoded.message_id
    assert decoded.to and all("+" in a or a.startswith("shingikai@") for a in decoded.to)
