"""Answer sheets and other zip-based attachments are bounded before anything parses them."""

from __future__ import annotations

import io
import random
import time
import tracemalloc
import zipfile

import openpyxl
import pytest

from mailflow.parsing.answer_sheet import read_answer_sheet, write_answer_sheet
from mailflow.parsing.answers import parse_answers
from mailflow.parsing.attachment_bounds import (
    AttachmentRefused,
    Refusal,
    TextBounds,
    ZipBounds,
    check_zip_bounds,
)
from mailflow.parsing.model import Attachment
from tests.harness.xlsx_bombs import huge_cell, many_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def refusal(data: bytes, **bounds: int) -> AttachmentRefused:
    with pytest.raises(AttachmentRefused) as caught:
        read_answer_sheet(data, bounds=TextBounds(**bounds))
    return caught.value


def test_a_sheet_within_the_caps_is_read() -> None:
    data = write_answer_sheet([("Q13-01", "質問", "回答")])
    check_zip_bounds(data)
    assert [r.item for r in read_answer_sheet(data, bounds=TextBounds(max_rows=3)).rows] == [
        "Q13-01"
    ]


def test_a_cell_that_unpacks_to_hundreds_of_megabytes_is_refused_unread() -> None:
    data = huge_cell(300)  # 300 MiB in one cell, about 300 KB packed
    assert len(data) < 1_000_000
    tracemalloc.start()
    start = time.perf_counter()
    refused = refusal(data)
    took = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert refused.reason is Refusal.UNPACKS_TOO_LARGE
    assert took < 1.0 and peak < 20 * 1024 * 1024  # generous: it reads the directory only


def test_a_member_compressed_too_far_is_refused() -> None:
    assert refusal(huge_cell(8)).reason is Refusal.COMPRESSED_TOO_FAR


def test_rows_beyond_the_items_asked_are_refused_without_parsing_them() -> None:
    start = time.perf_counter()
    refused = refusal(many_rows(200_000), max_rows=150)
    assert refused.reason is Refusal.TOO_MANY_ROWS
    assert time.perf_counter() - start < 5.0  # generous: tags are counted, not parsed


def test_rows_all_numbered_the_same_are_counted_too() -> None:
    # openpyxl skips a row whose number it has passed without handing it out, but still
    # parses it: 250,000 such rows took 12 s before they were counted.
    rnd = random.Random(7)
    rows = (
        b'<row r="3"><c r="C3" t="inlineStr"><is><t>%d</t></is></c></row>' % rnd.getrandbits(64)
        for _ in range(50_000)
    )
    from tests.harness.xlsx_bombs import _with_sheet_rows

    assert refusal(_with_sheet_rows(rows), max_rows=150).reason is Refusal.TOO_MANY_ROWS


def test_a_cell_over_ten_thousand_characters_is_refused() -> None:
    rnd = random.Random(3)
    long = "".join(rnd.choice("あいうえおかきくけこ") for _ in range(12_000))
    data = write_answer_sheet([("Q13-01", "質問", long)])
    refused = refusal(data)
    assert refused.reason is Refusal.CELL_TOO_LONG
    assert "12,000 characters" in refused.detail


def test_too_many_members_and_too_large_files() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for n in range(30):
            archive.writestr(f"part{n}.xml", b"<x/>")
    with pytest.raises(AttachmentRefused) as caught:
        check_zip_bounds(out.getvalue(), ZipBounds(max_members=20))
    assert caught.value.reason is Refusal.TOO_MANY_PARTS
    with pytest.raises(AttachmentRefused) as caught:
        check_zip_bounds(out.getvalue(), ZipBounds(max_file_bytes=100))
    assert caught.value.reason is Refusal.TOO_LARGE


def test_parse_answers_reports_the_refused_sheet_and_reads_the_body() -> None:
    bomb = huge_cell(300)
    sheet = Attachment("回答票.xlsx", XLSX, len(bomb), bomb)
    parsed = parse_answers("Q13-1：本文で回答します。\n", (sheet,), ("Q13-01",))
    assert [(r.filename, r.reason) for r in parsed.refused] == [
        ("回答票.xlsx", Refusal.UNPACKS_TOO_LARGE)
    ]
    assert parsed.answers[0].text == "本文で回答します。"


def test_the_row_cap_follows_the_items_asked() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ID", "回答"])
    for n in range(1, 131):
        sheet.append([f"Q13-{n:02d}", "回答"])
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    att = Attachment("回答票.xlsx", XLSX, len(data), data)
    # 130 items asked: all rows read; 5 asked: 131 rows is past 5 + the margin of 100.
    asked = [f"Q13-{n:02d}" for n in range(1, 131)]
    assert len(parse_answers("", (att,), asked).answers) == 130
    assert parse_answers("", (att,), asked[:5]).refused[0].reason is Refusal.TOO_MANY_ROWS
