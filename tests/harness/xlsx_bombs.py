"""Hostile answer sheets: real .xlsx files that unpack to far more than they weigh."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from mailflow.parsing.answer_sheet import write_answer_sheet

_SHEET = "xl/worksheets/sheet1.xml"


def _with_sheet_rows(rows: Iterator[bytes]) -> bytes:
    """Our own answer sheet (header and one item) with ``rows`` streamed into its sheet."""
    base = zipfile.ZipFile(io.BytesIO(write_answer_sheet([("Q13-01", "質問", "")])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in base.infolist():
            data = base.read(info.filename)
            if info.filename != _SHEET:
                archive.writestr(info, data)
                continue
            head, tail = data.split(b"</sheetData>")
            member = zipfile.ZipInfo(_SHEET)
            member.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(member, "w", force_zip64=True) as w:
                w.write(head)
                for row in rows:
                    w.write(row)
                w.write(b"</sheetData>" + tail)
    return out.getvalue()


def huge_cell(megabytes: int) -> bytes:
    """An answer sheet whose answer cell holds ``megabytes`` MiB of one letter."""

    def rows() -> Iterator[bytes]:
        yield b'<row r="3"><c r="A3" t="inlineStr"><is><t>Q13-01</t></is></c>'
        yield b'<c r="C3" t="inlineStr"><is><t>'
        chunk = b"a" * (1 << 20)
        for _ in range(megabytes):
            yield chunk
        yield b"</t></is></c></row>"

    return _with_sheet_rows(rows())


def many_rows(count: int, *, number: bool = True) -> bytes:
    """An answer sheet with ``count`` more rows, each an ID and an answer; with
    ``number=False`` every row claims to be row 3 (openpyxl then never counts past it)."""

    def rows() -> Iterator[bytes]:
        for n in range(3, count + 3):
            r = str(n if number else 3).encode()
            yield (
                b'<row r="' + r + b'"><c r="A' + r + b'" t="inlineStr"><is><t>Q13-01</t></is></c>'
                b'<c r="C' + r + b'" t="inlineStr"><is><t>x</t></is></c></row>'
            )

    return _with_sheet_rows(rows())
