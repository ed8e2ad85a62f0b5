"""decode() on structure: attachments intact, forwarded mail apart, sizes bounded, headers kept."""

from __future__ import annotations

import base64
import io
import time
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

from openpyxl import load_workbook

from mailflow.parsing.mime import decode

FIXTURES = Path(__file__).parents[2] / "fixtures" / "mail" / "decode"


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.eml").read_bytes()


def test_xlsx_answer_sheet_comes_through_byte_for_byte() -> None:
    raw = fixture("outlook-iso2022jp-xlsx-answer")
    (sheet,) = decode(raw).attachments
    # The same bytes the sender base64-encoded: read them back from the raw mail.
    encoded = raw.split(b'filename="=?iso-2022-jp?B?')[1].split(b"\r\n\r\n", 1)[1]
    assert sheet.data == base64.b64decode(encoded.split(b"\r\n--")[0])
    book = load_workbook(io.BytesIO(sheet.data))
    rows = list(book["回答票"].iter_rows(values_only=True))
    assert rows[1] == ("Q13-01", "事業者が任意で選択することを想定しています。")
    assert sheet.size == len(sheet.data)


def test_forwarded_mail_is_an_attachment_not_the_body() -> None:
    decoded = decode(fixture("gmail-utf8-forwarded-rfc822"))
    assert "転送元の本文" not in decoded.body
    (forwarded,) = decoded.attachments
    inner = decode(forwarded.data)
    assert inner.subject == "病児保育予約システムの件"
    assert inner.from_address == "joho@city.example.lg.jp"
    assert inner.body == "転送元の本文です。この文は本文に入ってはいけません。\n"


def test_headers_are_all_kept_decoded_and_in_order() -> None:
    decoded = decode(fixture("outlook-iso2022jp-plain-reply"))
    names = [name for name, _ in decoded.headers]
    assert names[:5] == ["From", "To", "References", "In-Reply-To", "Subject"]
    assert decoded.header("from") == "山田 太郎 <yamada.taro@example.jp>"
    assert decoded.header("x-mailer") == "Microsoft Outlook 16.0"
    assert decoded.header("content-type") == 'text/plain;\tcharset="iso-2022-jp"'
    assert decoded.date == "Wed, 13 Jan 2021 09:41:07 +0900"
    assert decoded.from_name == "山田 太郎"


def test_duplicate_headers_use_the_first() -> None:
    decoded = decode(fixture("webform-utf8-duplicate-headers"))
    assert decoded.from_address == "johokokai@city.example.lg.jp"
    subjects = [v for k, v in decoded.headers if k == "Subject"]
    assert subjects == ["回答（一回目）", "回答（二回目）"]


def test_nec_characters_of_an_iso2022jp_body() -> None:
    raw = (
        b"From: a@example.jp\r\nSubject: x\r\nContent-Type: text/plain; charset=iso-2022-jp\r\n\r\n"
        b'\x1b$B-!-"-#\x1b(B \x1b$B-5-6\x1b(B \x1b$B-j\x1b(B\r\n'
    )
    decoded = decode(raw)
    assert decoded.body == "①②③ ⅠⅡ ㈱\n"
    assert decoded.defects == ()


def test_max_body_chars_truncates_and_says_so() -> None:
    text = "質問です。" * 10_000
    raw = (
        b"From: a@example.jp\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(text.encode())
    )
    decoded = decode(raw, max_body_chars=1000)
    assert len(decoded.body) == 1000
    assert decoded.body.startswith("質問です。質問です。")
    assert any("text cut to 8000 characters" in d for d in decoded.defects)
    assert any("body truncated to 1000 of" in d for d in decoded.defects)
    assert decode(raw).body == text + "\n"


def test_thirty_megabyte_attachment(tmp_path: Path) -> None:
    payload = bytes(range(256)) * (30 * 1024 * 1024 // 256)
    path = tmp_path / "big.eml"
    with path.open("wb") as out:
        out.write(
            b"From: kodomo@city.example.lg.jp\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="BIG"\r\n\r\n--BIG\r\n'
            b"Content-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n--BIG\r\n"
            b'Content-Type: application/octet-stream; name="scan.bin"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n"
        )
        out.write(base64.encodebytes(payload).replace(b"\n", b"\r\n"))
        out.write(b"--BIG--\r\n")
    started = time.perf_counter()
    decoded = decode(path.read_bytes(), max_body_chars=100_000)
    elapsed = time.perf_counter() - started
    assert decoded.body == "see attached\n"
    (blob,) = decoded.attachments
    assert blob.size == len(payload) and blob.data == payload
    assert elapsed < 60


def test_html_only_mail_turns_breaks_and_items_into_lines() -> None:
    html = (
        "<html><body><p>諮問第13号について</p><div>一行目<br>二行目</div>"
        "<ul><li>・箇条その一</li><li>箇条その二</li></ul>"
        "<ol><li>(1) 番号つき</li></ol></body></html>"
    )
    raw = b"From: a@example.jp\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html.encode()
    decoded = decode(raw)
    assert decoded.body_source == "text/html"
    lines = decoded.body.split("\n")
    for expected in ("諮問第13号について", "一行目", "二行目", "・箇条その一", "* 箇条その二"):
        assert expected in lines
    assert "(1) 番号つき" in lines


def test_empty_text_plain_gives_way_to_html() -> None:
    raw = (
        b'From: a@example.jp\r\nContent-Type: multipart/alternative; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\r\n"
        b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>\xe5\x86\x85\xe5\xae\xb9</p>\r\n"
        b"--b--\r\n"
    )
    decoded = decode(raw)
    assert decoded.body == "内容\n"
    assert decoded.body_source == "text/html"


def test_mail_with_no_text_part() -> None:
    decoded = decode(fixture("mfp-ascii-pdf-only"))
    assert (decoded.body, decoded.body_source, decoded.charset) == ("", "none", "")
    assert decoded.attachments[0].data.startswith(b"%PDF-1.4")


def test_missing_message_id_is_none_and_raw_bytes_still_parse_the_same() -> None:
    raw = fixture("webform-utf8-no-message-id")
    assert decode(raw).message_id is None
    # The fixture is well-formed for the standard parser too: only our reading differs.
    assert BytesParser(policy=compat32).parsebytes(raw).defects == []


def test_bad_base64_keeps_what_decodes() -> None:
    decoded = decode(fixture("webform-utf8-bad-base64"))
    assert decoded.body.startswith("諮問第13号の回答です。")
    assert decoded.body_source == "text/plain"


def test_huge_html_is_cut_before_conversion() -> None:
    html = "<p>" + "意見" * 2_000_000 + "</p>"
    raw = b"From: a@example.jp\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html.encode()
    started = time.perf_counter()
    decoded = decode(raw, max_body_chars=5000)
    assert time.perf_counter() - started < 20
    assert len(decoded.body) == 5000
    assert any("text cut to 40000 characters" in d for d in decoded.defects)
