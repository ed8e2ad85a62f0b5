"""Replies as real mail clients write them: top-posted over a quoted copy of our mail.

Used by the end-to-end tests and the demo's simulated participants. Each style produces
the bytes that client sends (charset, transfer encoding, quote style, signature).
"""

from __future__ import annotations

import base64
import io
import quopri
from collections.abc import Callable
from datetime import datetime
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid

import openpyxl

from mailflow.parsing.mime import decode


def _quoted(body: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in body.splitlines())


def _addr(name: str, addr: str, charset: str) -> str:
    return f"{Header(name, charset).encode()} <{addr}>"


def _headers(
    original: bytes, name: str, addr: str, when: datetime, charset: str, mailer: str
) -> tuple[list[str], str]:
    d = decode(original)
    to = d.header("Reply-To") or d.header("From") or ""
    subject = d.subject if d.subject.lower().startswith("re:") else f"Re: {d.subject}"
    msgid = f"<{d.message_id}>" if d.message_id else ""
    lines = [
        f"From: {_addr(name, addr, charset)}",
        f"To: {to}",
        f"Subject: {Header(subject, charset).encode()}",
        f"Date: {format_datetime(when)}",
        f"Message-ID: {make_msgid(domain=addr.split('@')[1])}",
        f"In-Reply-To: {msgid}",
        f"References: {msgid}",
        "MIME-Version: 1.0",
        mailer,
    ]
    return lines, d.body


def gmail(original: bytes, name: str, addr: str, text: str, when: datetime) -> bytes:
    """Gmail: UTF-8 base64, 「2021年1月6日(水) 10:00 … <addr>:」 and > quotes."""
    head, body = _headers(original, name, addr, when, "utf-8", "X-Mailer: Gmail")
    src = decode(original)
    weekday = "月火水木金土日"[when.weekday()]
    attribution = (
        f"{when:%Y年%-m月%-d日}({weekday}) {when:%H:%M} {src.from_name} <{src.from_address}>:"
    )
    full = f"{text}\n\n{attribution}\n\n{_quoted(body)}\n"
    payload = base64.encodebytes(full.encode("utf-8")).decode()
    return _join(
        [*head, 'Content-Type: text/plain; charset="UTF-8"', "Content-Transfer-Encoding: base64"],
        payload,
    )


def outlook(original: bytes, name: str, addr: str, text: str, when: datetime) -> bytes:
    """Outlook desktop: ISO-2022-JP, 「-----Original Message-----」 and 差出人/送信日時 lines."""
    head, body = _headers(
        original, name, addr, when, "iso-2022-jp", "X-Mailer: Microsoft Outlook 16.0"
    )
    src = decode(original)
    full = (
        f"{text}\n\n-----Original Message-----\n差出人: {src.from_name} <{src.from_address}>\n"
        f"送信日時: {when:%Y年%-m月%-d日} {when:%H:%M}\n宛先: {name}\n"
        f"件名: {src.subject}\n\n{body}\n"
    )
    return _join(
        [*head, "Content-Type: text/plain; charset=iso-2022-jp", "Content-Transfer-Encoding: 7bit"],
        cp50220(full),
    )


def cp50220(text: str) -> str:
    """ISO-2022-JP as Windows writes it (CP50220): NEC row 13 (①, ㈱) as JIS pairs.

    Python has no encoder for it; Outlook and Becky! send exactly this.
    """
    out, kanji = [], False
    for ch in text:
        if ord(ch) < 0x80:
            if kanji:
                out.append("\x1b(B")
                kanji = False
            out.append(ch)
            continue
        sj = ch.encode("cp932")
        if len(sj) != 2:
            raise ValueError(f"no JIS code for {ch!r}")
        if not kanji:
            out.append("\x1b$B")
            kanji = True
        out.append(_sjis_to_jis(sj[0], sj[1]))
    if kanji:
        out.append("\x1b(B")
    return "".join(out)


def _sjis_to_jis(b1: int, b2: int) -> str:
    row = (b1 - (0x70 if b1 < 0xA0 else 0xB0)) * 2
    if b2 < 0x9F:
        row -= 1
        col = b2 - (0x20 if b2 >= 0x80 else 0x1F)
    else:
        col = b2 - 0x7E
    return chr(row) + chr(col)


def docomo(original: bytes, name: str, addr: str, text: str, when: datetime) -> bytes:
    """Carrier mail: Shift_JIS 8bit, > quotes, the carrier's footer."""
    head, body = _headers(original, name, addr, when, "iso-2022-jp", "X-Mailer: docomo")
    full = f"{text}\n\nドコモメールから送信\n\n{_quoted(body)}\n"
    raw = _join(
        [*head, "Content-Type: text/plain; charset=Shift_JIS", "Content-Transfer-Encoding: 8bit"],
        "",
    )
    return raw + full.replace("\n", "\r\n").encode("cp932", errors="replace")


def iphone_html(original: bytes, name: str, addr: str, text: str, when: datetime) -> bytes:
    """iPhone Mail, HTML only: quoted-printable UTF-8, the original in a <blockquote>."""
    head, body = _headers(original, name, addr, when, "utf-8", "X-Mailer: iPhone Mail (18D52)")
    paras = "".join(f"<div>{line or '<br>'}</div>" for line in text.splitlines())
    quoted = "<br>".join(body.splitlines())
    html = (
        f'<html><head><meta charset="utf-8"></head><body dir="auto">{paras}'
        f'<div><br></div><div>iPhoneから送信</div><blockquote type="cite">{quoted}'
        "</blockquote></body></html>"
    )
    qp = quopri.encodestring(html.encode("utf-8")).decode("ascii")
    return _join(
        [
            *head,
            'Content-Type: text/html; charset="utf-8"',
            "Content-Transfer-Encoding: quoted-printable",
        ],
        qp,
    )


def thunderbird(original: bytes, name: str, addr: str, text: str, when: datetime) -> bytes:
    """Thunderbird: UTF-8 8bit format=flowed, 「… さんは書きました:」 and > quotes."""
    head, body = _headers(
        original, name, addr, when, "utf-8", "User-Agent: Mozilla/5.0 Thunderbird/115.6.0"
    )
    src = decode(original)
    full = f"{text}\n\n{when:%Y/%m/%d %H:%M}, {src.from_name} さんは書きました:\n{_quoted(body)}\n"
    raw = _join(
        [
            *head,
            "Content-Type: text/plain; charset=UTF-8; format=flowed",
            "Content-Transfer-Encoding: 8bit",
        ],
        "",
    )
    return raw + full.replace("\n", "\r\n").encode("utf-8")


def _join(headers: list[str], body: str) -> bytes:
    return (
        "\r\n".join(h for h in headers if h)
        + "\r\n\r\n"
        + body.replace("\r\n", "\n").replace("\n", "\r\n")
    ).encode("ascii")


Style = Callable[[bytes, str, str, str, datetime], bytes]
STYLES: dict[str, Style] = {
    "gmail": gmail,
    "outlook": outlook,
    "docomo": docomo,
    "iphone_html": iphone_html,
    "thunderbird": thunderbird,
}


def xlsx_answer(
    bundle: bytes, name: str, address: str, answers: dict[str, str], when: datetime
) -> bytes:
    """A department fills the bundle's .xlsx answer sheet and sends it back attached."""
    orig = decode(bundle)
    sheet = next(a for a in orig.attachments if (a.filename or "").endswith(".xlsx"))
    wb = openpyxl.load_workbook(io.BytesIO(sheet.data))
    ws = wb.active
    if ws is None:
        raise ValueError("the answer sheet has no worksheet")
    header = next(
        r
        for r in range(1, 10)
        if any(str(ws.cell(r, c).value or "").strip() in ("ID", "番号") for c in range(1, 6))
    )
    cols = {str(ws.cell(header, c).value or "").strip(): c for c in range(1, 10)}
    id_col = cols.get("ID") or cols["番号"]
    answer_col = next(c for k, c in cols.items() if "回答" in k)
    for r in range(header + 1, ws.max_row + 1):
        key = str(ws.cell(r, id_col).value or "")
        if key in answers:
            ws.cell(r, answer_col).value = answers[key]
    buf = io.BytesIO()
    wb.save(buf)
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = f"{name} <{address}>"
    msg["To"] = orig.header("Reply-To") or ""
    msg["Subject"] = f"RE: {orig.subject}"
    msg["In-Reply-To"] = f"<{orig.message_id}>"
    msg["References"] = f"<{orig.message_id}>"
    msg["Message-ID"] = make_msgid(domain=address.split("@")[1])
    msg["Date"] = format_datetime(when)
    msg.set_content(f"回答を添付のとおりお送りします。\n{name}\n", charset="utf-8")
    msg.add_attachment(
        buf.getvalue(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename="回答票.xlsx",
    )
    return bytes(msg)
