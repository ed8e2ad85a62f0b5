"""A member's reply sent as an attached Word file or PDF: read within caps, or refused."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage
from email.policy import SMTP

import docx

from mailflow.domain import ConsultationRef
from mailflow.parsing.documents import read_document
from mailflow.parsing.model import Attachment
from mailflow.parsing.pipeline import parse_mail

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PARK = ConsultationRef("7", "令和5年度諮問第7号", "公園利用者アンケートの集計委託")
BUS = ConsultationRef("8", "令和5年度諮問第8号", "コミュニティバス乗降データの分析")


def word_file(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_file(line: str) -> bytes:
    """A one-page PDF with one line of text in Helvetica, written by hand."""
    stream = f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def attachment(name: str, data: bytes, content_type: str = DOCX) -> Attachment:
    return Attachment(name, content_type, len(data), data)


def test_a_word_file_is_read() -> None:
    read = read_document(
        attachment("意見.docx", word_file("諮問第7号", "1　回答票は何年保存するのか。"))
    )
    assert read.refusal is None and read.text is not None
    assert "回答票は何年保存するのか" in read.text


def test_a_pdf_is_read() -> None:
    read = read_document(
        attachment("q.pdf", pdf_file("No. 7: Is the data kept in Japan?"), "application/pdf")
    )
    assert read.text is not None and "kept in Japan" in read.text


def test_a_zip_bomb_dressed_as_a_word_file_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<" + b"a" * 60_000_000 + b">")
    read = read_document(attachment("bomb.docx", out.getvalue()))
    assert read.text is None and read.refusal is not None


def test_a_damaged_file_is_refused_not_raised() -> None:
    read = read_document(attachment("broken.docx", b"PK\x03\x04 not really"))
    assert read.text is None and read.refusal == "not_readable"


def _mail(body: str, name: str, data: bytes) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "委員 <iin@example.jp>"
    msg["To"] = "shingikai@city.example"
    msg["Subject"] = "質疑及び意見の提出"
    msg.set_content(body, charset="utf-8")
    msg.add_attachment(data, maintype="application", subtype=DOCX.split("/")[1], filename=name)
    return msg.as_bytes()


def test_a_reply_that_only_points_to_its_attachment_is_read_from_it() -> None:
    data = word_file(
        "第3回審議会 質疑及び意見",
        "委員 山本",
        "諮問第7号",
        "1　自由記述欄に書かれた個人名はどう扱うのか。",
        "諮問第8号",
        "1　乗降データは個人を特定しない形で集計すべきである。",
    )
    body = (
        "事務局御中\n\n山本です。質疑及び意見を添付のとおり提出します。\nよろしくお願いします。\n"
    )
    result = parse_mail(_mail(body, "意見（山本）.docx", data), (PARK, BUS), signer_names=("山本",))
    assert result.reply is not None and result.reply.items == ()
    [document] = result.reply.documents
    assert document.refusal is None
    assert [(i.consultation, i.kind.value) for i in document.items] == [
        ("7", "question"),
        ("8", "opinion"),
    ]
    assert "山本" not in "".join(i.text for i in result.reply.all_items)


def test_a_reply_with_items_of_its_own_does_not_read_its_attachment() -> None:
    body = "諮問第7号について\n・集計の委託先はどこか。\n（参考資料を添付します）\n"
    result = parse_mail(_mail(body, "参考.docx", word_file("諮問第8号", "1　別件")), (PARK, BUS))
    assert result.reply is not None and len(result.reply.items) == 1
    assert result.reply.documents == ()
