"""Staff read why intake refused or held something in Japanese words, from reason codes.

Each mail goes the real way (pymap in, `mailflow fetch`, aiosmtpd out); the line staff
get names people, item IDs and file names, and gives the reason in the committee's
language, with no English reason text inside the Japanese parentheses.
"""

from __future__ import annotations

import io
import re
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pypdf

from mailflow.parsing.mime import decode
from tests.security.conftest import make_world, world  # noqa: F401  (fixtures)
from tests.security.world import COMMITTEE, STAFF, World, at

WORD = "vnd.openxmlformats-officedocument.wordprocessingml.document"
MAIL = Path(__file__).resolve().parents[1] / "fixtures/mail"


def _alerts(out: str) -> list[str]:
    return [line.split("alert: ", 1)[1] for line in out.splitlines() if "alert: " in line]


def _no_english_inside(line: str) -> None:
    """Nothing in 「（…）」 is an English phrase (a file name, an ID or a command may hold
    Latin letters)."""
    for inside in re.findall(r"（([^（）]*)）", line):
        if inside.startswith("mailflow "):
            continue
        assert not re.search(r"[A-Za-z]+ [A-Za-z]+", inside), line


def _blank_pdf() -> bytes:
    """What a scanner without text recognition mails: a page with nothing to read."""
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _with_attachment(w: World, who: str, data: bytes, name: str, subtype: str) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{w.names[who]} <{w.addr[who]}>"
    msg["To"] = COMMITTEE
    msg["Subject"] = "[R2-5] 質疑及び意見"
    msg["Date"] = format_datetime(at(1, 8))
    msg["Message-ID"] = make_msgid(domain="example.jp")
    msg.set_content("事務局御中\n\n添付ファイルのとおり提出いたします。\n")
    msg.add_attachment(data, maintype="application", subtype=subtype, filename=name)
    return bytes(msg)


def test_a_scanned_pdf_and_a_damaged_word_file_are_explained_in_japanese(world: World) -> None:  # noqa: F811
    w = world
    w.opened()
    scan = _with_attachment(w, "ueno", _blank_pdf(), "スキャン.pdf", "pdf")
    [line] = _alerts(w.deliver(scan, at(1, 8)))
    assert line == (
        f"受信メール 1：{w.names['ueno']}さんの添付ファイル「スキャン.pdf」を読めませんでした"
        "（文字が含まれていません（画像だけのPDFなど））。内容を確認し、手作業で登録してください"
        "（mailflow item add）"
    )
    broken = _with_attachment(w, "eto", b"PK\x03\x04 torn", "意見.docx", WORD)
    [line] = _alerts(w.deliver(broken, at(1, 8, 11)))
    assert "「意見.docx」を読めませんでした（この種類のファイルとして開けません）" in line
    _no_english_inside(line)


def test_refused_and_held_corrections_say_why_in_japanese(world: World) -> None:  # noqa: F811
    w = world
    calls = w.opened()
    w.reply("ishida", "諮問第13号について\n● 配布予測数はいくつか。", at(1, 6), calls["ishida"])
    w.send(at(1, 6, 1))
    [ishida_receipt] = w.mails("ishida", "受け付け")
    w.reply("ueno", "諮問第14号について\n● 登録は必要か。", at(1, 6, 2), calls["ueno"])
    [ueno_receipt] = w.mails("ueno", "受け付け")

    # someone else's item
    out = w.reply("ueno", "訂正 [Q13-01]\n別の問い。", at(1, 7), ueno_receipt)
    assert _alerts(out) == [
        f"受信メール 3：Q13-01の訂正を受け付けませんでした"
        f"（{w.names['ueno']}さんの質疑・意見ではありません）"
    ]
    # an ID the round does not have
    [line] = _alerts(w.reply("ishida", "取消 [Q13-09]", at(1, 7, 1), ishida_receipt))
    assert line == (
        "受信メール 4：Q13-09の取消を受け付けませんでした"
        "（この回にその番号の質疑・意見はありません）"
    )
    # after the departments have the item
    w.tick(at(1, 14, 9))
    [line] = _alerts(
        w.reply("ishida", "訂正 [Q13-01]\n直した問い。", at(1, 14, 10), ishida_receipt)
    )
    assert line == "受信メール 5：Q13-01の訂正を保留しました（所管課へ送付済みです）"
    _no_english_inside(line)


def test_a_stranger_and_a_bounce_are_told_in_japanese_by_name(world: World) -> None:  # noqa: F811
    w = world
    w.opened()
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "Someone <someone@elsewhere.example>"
    msg["To"] = COMMITTEE
    msg["Subject"] = "[R2-5] 質問"
    msg["Date"] = format_datetime(at(1, 8))
    msg["Message-ID"] = make_msgid(domain="elsewhere.example")
    msg.set_content("諮問第13号について\n● 保管場所はどこか。\n")
    [held] = _alerts(w.deliver(bytes(msg), at(1, 8)))
    number = held.split("：", 1)[0].removeprefix("受信メール ")
    assert held == (
        f"受信メール {number}：確認待ちとして保留しました：差出人が委員・所管課として"
        f"登録されていません。（mailflow quarantine show {number}）"
    )
    dsn = (MAIL / "classify/postfix-ascii-dsn.eml").read_bytes()
    dsn = dsn.replace(b"kimura@old.example.jp", w.addr["ueno"].encode())
    [bounce] = _alerts(w.deliver(dsn, at(1, 8, 11)))
    assert bounce.endswith(
        f"：{w.names['ueno']}さん宛て（{w.addr['ueno']}）のメールが届かなかったとの通知です。"
        "アドレスが正しいか確認してください"
    )
    # The next digest lists the waiting mail by its reason in words, never its code.
    w.tick(at(1, 8, 12))
    digest = decode(w.mails(STAFF)[-1]).body
    [line] = [line for line in digest.splitlines() if line.startswith(f"・#{number} ")]
    assert line.endswith(" Someone：差出人が委員・所管課として登録されていません。")
    assert "unknown_sender" not in digest
