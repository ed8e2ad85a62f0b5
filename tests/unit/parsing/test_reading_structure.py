"""How people who never saw our examples structure a reply, each shape in new words:
announcements and courtesy around the points, switches of consultation in running text,
follow-ups line by line, English replies, and replies typed inside the quoted mail."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

import pytest

from mailflow.domain import ConsultationRef, ItemKind
from mailflow.parsing.items import split_reply
from mailflow.parsing.meta import is_meta_line
from mailflow.parsing.pipeline import parse_mail
from mailflow.parsing.references import find_reference

PARK = ConsultationRef("7", "令和5年度諮問第7号", "公園利用者アンケートの集計委託")
BUS = ConsultationRef("8", "令和5年度諮問第8号", "コミュニティバス乗降データの分析")
LIB = ConsultationRef("9", "令和5年度諮問第9号", "図書館利用券の電子化")
THREE = (PARK, BUS, LIB)


def texts(text: str, **kw: object) -> list[tuple[str | None, str]]:
    reply = split_reply(text, THREE, **kw)  # type: ignore[arg-type]
    return [(i.consultation, i.text) for i in reply.items]


@pytest.mark.parametrize(
    "line",
    [
        "各案件について、次のとおり意見を申し述べます。",
        "本日締切とのことで、取り急ぎお送りします。",
        "遅くなってすみません。質問を2点送ります。",
        "資料を拝見しました。以下、気づいた点です。",
        "回答ありがとうございました。さらに意見があります。",
        "下の欄に直接書き込みました。",
        "ご多忙のところ恐れ入りますが、よろしくお願い申し上げます。",
        "Thank you for the papers. Here are my comments.",
    ],
)
def test_sentences_about_the_mail_are_meta(line: str) -> None:
    assert is_meta_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "回答票の保存期間は3か月で足りると思います。",
        "賛成です。",
        "資料の2ページに誤記があります。",
    ],
)
def test_a_short_point_of_substance_is_not_meta(line: str) -> None:
    assert not is_meta_line(line)


def test_announcement_and_courtesy_stay_out_of_the_items() -> None:
    text = (
        "事務局 御中\n\n森です。各案件について、次のとおり意見を申し述べます。\n\n"
        "【第7号】\n● 自由記述欄は集計前に黒塗りすべきである。\n\n"
        "【第9号】\n● 電子化後も紙の利用券を選べるのか。\n\n"
        "ご多忙のところ恐れ入りますが、よろしくお願い申し上げます。\n"
    )
    assert texts(text) == [
        ("7", "自由記述欄は集計前に黒塗りすべきである。"),
        ("9", "電子化後も紙の利用券を選べるのか。"),
    ]


def test_a_switch_of_consultation_in_running_text() -> None:
    text = (
        "第7号について\n・委託先の再委託は認めるのか。\n"
        "なお、第8号については、\n・乗降データの保存期間を伺いたい。\n\n"
        "また、第9号については、読書履歴を残さない設定とすべきだと考えます。\n"
    )
    assert texts(text) == [
        ("7", "委託先の再委託は認めるのか。"),
        ("8", "乗降データの保存期間を伺いたい。"),
        ("9", "読書履歴を残さない設定とすべきだと考えます。"),
    ]


def test_follow_ups_line_by_line_each_with_its_own_id() -> None:
    text = (
        "[Q8-03]について、保存期間1年は長いので半年とすべきである。\n"
        "Ｑ９－０２の回答で、紙の券も残すとあるが、更新手続きも郵送でできるようにしてほしい。\n"
        "7-4の回答について。黒塗りは2人で確認していただきたい。\n"
    )
    reply = split_reply(text, THREE)
    assert [(i.consultation, i.follows, i.kind) for i in reply.items] == [
        ("8", "Q8-03", ItemKind.OPINION),
        ("9", "Q9-02", ItemKind.REQUEST),
        ("7", "Q7-04", ItemKind.REQUEST),
    ]


def test_a_point_naming_its_consultation_carries_on_to_the_next() -> None:
    text = (
        "①第8号の分析では、停留所ごとの人数のみを使うのでしょうか。\n"
        "②分析結果の公表時期も伺います。\n"
        "③第9号について、貸出履歴は返却後に消去すべきだと思います。\n"
    )
    assert [c for c, _ in texts(text)] == ["8", "8", "9"]


def test_labels_before_headings_and_numbers_with_an_ideographic_space() -> None:
    text = (
        "意見1（第7号）\n回答票を集計後に溶解すること。\n\n"
        "意見2（第9号）\n１\u3000利用券番号の桁数を伺う。\n２\u3000紛失時の再発行手続きは。\n"
    )
    assert texts(text) == [
        ("7", "回答票を集計後に溶解すること。"),
        ("9", "利用券番号の桁数を伺う。"),
        ("9", "紛失時の再発行手続きは。"),
    ]


def test_the_subject_names_the_consultation_of_a_one_topic_mail() -> None:
    reply = split_reply(
        "紙の利用券も当分残してください。", THREE, subject="Re: 図書館利用券の電子化"
    )
    assert [(i.consultation, i.kind) for i in reply.items] == [("9", ItemKind.REQUEST)]


def test_an_english_reply() -> None:
    text = (
        "Dear secretariat,\n\nThank you for the papers. Here are my comments.\n\n"
        "No. 8 (bus data)\n"
        "1. Page 3 says the data is kept for a year. Why is a year needed?\n"
        "2. I would like to request that the analysis uses only totals per stop.\n\n"
        "Best regards,\nMaria Lopez\nCommittee member\n"
    )
    reply = split_reply(text, THREE)
    assert [(i.consultation, i.kind, i.reference) for i in reply.items] == [
        ("8", ItemKind.QUESTION, "P.3"),
        ("8", ItemKind.REQUEST, None),
    ]
    assert all("Maria" not in i.text for i in reply.items)


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("別紙2の集計表について", "別紙2"),
        ("別表3の1に記載の項目", "別表3の1"),
        ("諮問書七頁の図", "P.7"),
        ("仕様書(案)11ページの第4項", "P.11"),
    ],
)
def test_references_to_annexes_and_pages(text: str, reference: str) -> None:
    assert find_reference(text) == reference


def _mail(text: str) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "委員 <iin@example.jp>"
    msg["To"] = "shingikai@city.example"
    msg["Subject"] = "Re: [R5-3] 質疑及び意見のお願い"
    msg.set_content(text, charset="utf-8")
    return msg.as_bytes()


def test_a_reply_typed_under_the_quoted_headings_of_the_form() -> None:
    body = (
        "森です。回答欄に書きました。\n\n"
        "2023年5月8日(月) 9:00 事務局 <shingikai@city.example>:\n"
        "> いつもお世話になっております。\n>\n"
        "> ――――― 回答欄（この下にご記入のうえ、そのままご返信ください） ―――――\n"
        "> ■諮問第7号 公園利用者アンケートの集計委託\n\n"
        "集計を委託する前に、回答票の氏名欄を切り離すべきです。\n\n"
        "> （ここにご質問・ご意見をお書きください）\n>\n"
        "> ■諮問第8号 コミュニティバス乗降データの分析\n"
        "> （ここにご質問・ご意見をお書きください）\n>\n"
        "> ■諮問第9号 図書館利用券の電子化\n\n"
        "電子化後の利用券番号は、図書館以外でも使われるのでしょうか。\n\n"
        "> （ここにご質問・ご意見をお書きください）\n"
        "> ――――― 回答欄ここまで ―――――\n"
    )
    reply = parse_mail(_mail(body), THREE).reply
    assert reply is not None
    assert [(i.consultation, i.kind) for i in reply.items] == [
        ("7", ItemKind.OPINION),
        ("9", ItemKind.QUESTION),
    ]


def test_opinions_typed_under_the_quoted_questions_follow_them() -> None:
    body = (
        "下に書きました。\n\n"
        "2023年6月1日(木) 10:00 事務局 <shingikai@city.example>:\n"
        "> ■諮問第8号 コミュニティバス乗降データの分析\n>\n"
        "> [Q8-02]\n> ● 分析の委託先はどう選ぶのか。\n"
        "> - 公募型プロポーザルで選定します。\n\n"
        "選定の評価項目に個人情報の管理体制を入れていただきたい。\n\n"
        "> [Q8-03]\n> ● 乗降データの保存期間は。\n> - 1年間です。\n"
    )
    reply = parse_mail(_mail(body), THREE).reply
    assert reply is not None
    [item] = reply.items
    assert (item.consultation, item.follows, item.kind) == ("8", "Q8-02", ItemKind.REQUEST)


def test_the_form_filled_in_below_an_outlook_reply() -> None:
    body = (
        "事務局様\n\n下の回答欄に記入しました。\n\n森\n\n"
        "________________________________\n"
        "差出人: 事務局 <shingikai@city.example>\n送信日時: 2023年5月8日 9:00\n"
        "件名: [R5-3] 質疑及び意見のお願い\n\n"
        "――――― 回答欄（この下にご記入のうえ、そのままご返信ください） ―――――\n"
        "■諮問第7号 公園利用者アンケートの集計委託\n"
        "（ここにご質問・ご意見をお書きください）\n"
        "・回答票の保管場所は施錠できるのか。\n\n"
        "■諮問第8号 コミュニティバス乗降データの分析\n特になし\n\n"
        "■諮問第9号 図書館利用券の電子化\n"
        "（ここにご質問・ご意見をお書きください）\n\n"
        "※ご質問・ご意見がない場合は「特になし」とお書きください。\n"
        "――――― 回答欄ここまで ―――――\n"
    )
    result = parse_mail(_mail(body), THREE, signer_names=("森",))
    assert result.reply is not None
    assert [(i.consultation, i.text) for i in result.reply.items] == [
        ("7", "回答票の保管場所は施錠できるのか。")
    ]


def test_a_consultation_called_by_a_word_from_inside_its_title() -> None:
    text = (
        "乗降データの件、3点お尋ねします。\n"
        "一、停留所ごとの集計は公開されますか。\n"
        "二、ICカードの番号は分析に使いますか。\n"
        "三、委託先での保存期間は何年ですか。\n\n"
        "利用券の電子化については、特に意見はございません。\n\n"
        "アンケートの集計について\n"
        "→ 自由記述欄の個人名は集計前に消してください。\n"
    )
    assert texts(text) == [
        ("8", "停留所ごとの集計は公開されますか。"),
        ("8", "ICカードの番号は分析に使いますか。"),
        ("8", "委託先での保存期間は何年ですか。"),
        ("7", "自由記述欄の個人名は集計前に消してください。"),
    ]


def test_a_topic_line_inside_a_consultation_is_kept_with_its_item() -> None:
    text = "バス停の位置情報について\n乗降の記録と結び付けて分析するのですか。\n"
    got = texts(text)
    assert len(got) == 1
    assert got[0][1].startswith("バス停の位置情報について")
