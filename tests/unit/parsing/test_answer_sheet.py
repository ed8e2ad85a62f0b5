"""Tests that the answer sheet we write is the one we read back."""

from __future__ import annotations

import io

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.parsing.answer_sheet import HEADER, read_answer_sheet, write_answer_sheet
from mailflow.parsing.attachment_bounds import AttachmentRefused, Refusal


def test_written_sheet_has_the_header_and_rows() -> None:
    data = write_answer_sheet([("Q13-01", "諮問書P. 3「5(4)」について伺う。", "")])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADER
    assert rows[1][:2] == ("Q13-01", "諮問書P. 3「5(4)」について伺う。")


def test_a_filled_sheet_reads_back_answered_rows_only() -> None:
    data = write_answer_sheet([("Q13-01", "質問", "回答一"), ("Q13-02", "質問", "")])
    sheet = read_answer_sheet(data)
    assert [(r.item, r.answer) for r in sheet.rows] == [("Q13-01", "回答一")]
    assert sheet.problems == ()


def test_members_text_is_never_a_formula_and_control_characters_go() -> None:
    data = write_answer_sheet([("Q13-01", '=HYPERLINK("http://x.invalid","押す")', "=1+1\x0b")])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["B2"].data_type == "s"
    assert sheet["B2"].value.startswith("=HYPERLINK")
    assert [(r.item, r.answer) for r in read_answer_sheet(data).rows] == [("Q13-01", "=1+1")]


def test_rows_without_an_item_id_are_problems() -> None:
    data = write_answer_sheet([("13-1", "質問", "回答"), ("Q13-02", "質問", "回答二")])
    sheet = read_answer_sheet(data)
    assert [r.item for r in sheet.rows] == ["Q13-02"]
    assert "not an item ID" in sheet.problems[0]


def test_a_workbook_without_the_columns_says_so() -> None:
    book = openpyxl.Workbook()
    book.active.append(["氏名", "意見"])
    out = io.BytesIO()
    book.save(out)
    assert read_answer_sheet(out.getvalue()).problems == (
        "no sheet with an ID column and an answer column",
    )


def test_not_a_workbook_is_refused() -> None:
    with pytest.raises(AttachmentRefused) as refused:
        read_answer_sheet(b"PK\x03\x04 broken")
    assert refused.value.reason is Refusal.NOT_READABLE


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60
).filter(lambda s: s.strip() == s and s.strip() != "")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 99), _TEXT, _TEXT), min_size=1, max_size=8))
def test_what_we_write_we_read(rows: list[tuple[int, str, str]]) -> None:
    written = [(f"Q13-{n:02d}", question, answer) for n, question, answer in rows]
    sheet = read_answer_sheet(write_answer_sheet(written))
    assert [(r.item, r.answer) for r in sheet.rows] == [(i, a) for i, _, a in written]


def test_the_sheet_keeps_its_layout_for_the_departments() -> None:
    # Bold header, wrapped text at the top of each row, wide text columns, the header
    # frozen: what a department sees when it opens the sheet to answer.
    rows = [(f"Q13-{n:02d}", "長い質問文" * 20, "") for n in range(1, 4)]
    sheet = openpyxl.load_workbook(io.BytesIO(write_answer_sheet(rows))).active
    assert sheet.title == "回答票"
    assert [c.font.b for c in sheet[1]] == [True, True, True]
    assert sheet.freeze_panes == "A2"
    assert [sheet.column_dimensions[c].width for c in "ABC"] == [10, 70, 70]
    for row in sheet.iter_rows(min_row=2):
        assert [(c.alignment.wrap_text, c.alignment.vertical) for c in row] == [(True, "top")] * 3
        assert [c.data_type for c in row[:2]] == ["s", "s"]  # the blank answer has no type
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [r[0] for r in rows]
