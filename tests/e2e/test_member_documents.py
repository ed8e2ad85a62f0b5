"""A member who sends the questions as an attached Word file (pymap in, aiosmtpd out): the
items come from the file and the receipt says so; a file that cannot be read is told to
the member and to staff, never dropped."""

from __future__ import annotations

import io
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

import docx

from mailflow.parsing.mime import decode
from tests.security.conftest import make_world, world  # noqa: F401  (fixtures)
from tests.security.world import COMMITTEE, World, at

WORD = "vnd.openxmlformats-officedocument.wordprocessingml.document"


def _word(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _mail(w: World, who: str, data: bytes, name: str) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{w.names[who]} <{w.addr[who]}>"
    msg["To"] = COMMITTEE
    msg["Subject"] = "[R2-5] 質疑及び意見"
    msg["Date"] = format_datetime(at(1, 8))
    msg["Message-ID"] = make_msgid(domain="example.jp")
    msg.set_content("事務局御中\n\n質疑及び意見を添付ファイルのとおり提出いたします。\n")
    msg.add_attachment(data, maintype="application", subtype=WORD, filename=name)
    return bytes(msg)


def test_items_from_an_attached_word_file(world: World) -> None:  # noqa: F811
    w = world
    w.opened()
    data = _word("諮問第13号", "1　引換券の有効期限はどう決めるのか。", "諮問第14号", "特になし")
    out = w.deliver(_mail(w, "ishida", data, "質疑（石田）.docx"), at(1, 8))
    assert "done 1" in out
    assert [text for text, _ in w.items().values()] == ["引換券の有効期限はどう決めるのか。"]
    receipt = decode(w.mails("ishida", "受け付けました")[-1]).body
    assert "質疑（石田）.docx" in receipt and "読み取り" in receipt


def test_an_unreadable_attachment_goes_to_staff_and_the_member_is_told(world: World) -> None:  # noqa: F811
    w = world
    w.opened()
    out = w.deliver(_mail(w, "ueno", b"PK\x03\x04 damaged", "意見.docx"), at(1, 8))
    assert "を読めませんでした" in out  # the staff alert of this intake
    assert w.items() == {}
    receipt = decode(w.mails("ueno", "受け付けました")[-1]).body
    assert "読み取ることが" in receipt and "意見.docx" in receipt
