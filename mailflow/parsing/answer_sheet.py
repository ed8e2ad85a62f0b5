"""The answer sheet (回答票, .xlsx) attached to bundles for departments, written and read here.

We write one sheet with a header row ID / 質問・意見 / 回答 and one row per item; the
department fills the answer column and mails the file back. Reading does not trust the
layout we wrote: staff insert title rows, reorder or rename columns, so the header row is
searched for among the first rows by its names (「ID」「番号」「No」 for the ID column,
「回答」 for the answer column) on every sheet of the workbook.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from mailflow.domain import ItemId
from mailflow.parsing.normalize import nfkc

SHEET_TITLE = "回答票"
HEADER = ("ID", "質問・意見", "回答")
_ID_HEADERS = ("id", "番号", "質問番号", "no", "no.", "項番")
_HEADER_SEARCH_ROWS = 15
_ILLEGAL: re.Pattern[str] = ILLEGAL_CHARACTERS_RE  # control characters .xlsx cannot hold
_WIDTHS = {"A": 10, "B": 70, "C": 70}


@dataclass(frozen=True)
class SheetRow:
    """One filled row: the item ID as normalised (``Q13-03``) and the answer as written."""

    item: str
    answer: str


@dataclass(frozen=True)
class AnswerSheet:
    """What a returned sheet held: answered rows and what could not be read."""

    rows: tuple[SheetRow, ...]
    problems: tuple[str, ...]


def write_answer_sheet(rows: Sequence[tuple[str, str, str]]) -> bytes:
    """An .xlsx with the header ID / 質問・意見 / 回答 and the rows (id, question, answer)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    sheet.append(list(HEADER))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c, value=_ILLEGAL.sub("", value))
            # Members' text is data: 「=HYPERLINK(…)」 must not become a live formula.
            cell.data_type = "s"
    for column, width in _WIDTHS.items():
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _find_columns(rows: Sequence[Sequence[object]]) -> tuple[int, int, int] | None:
    """(header row index, ID column, answer column) from the first rows, if named."""
    for r, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        names = [nfkc(_cell_text(v)).lower().replace(" ", "") for v in row]
        id_col = next((c for c, n in enumerate(names) if n in _ID_HEADERS), None)
        answer_col = next((c for c, n in enumerate(names) if "回答" in n and "者" not in n), None)
        if id_col is not None and answer_col is not None:
            return r, id_col, answer_col
    return None


def read_answer_sheet(data: bytes) -> AnswerSheet:
    """The answered rows of every sheet that has an ID and an answer column.

    Rows whose ID is not an item ID or whose answer is empty are skipped; the first
    kind is reported in ``problems`` (an empty answer simply means unanswered).
    """
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors alike
        return AnswerSheet((), (f"not a readable .xlsx file: {type(exc).__name__}",))
    out: list[SheetRow] = []
    problems: list[str] = []
    try:
        for sheet in book.worksheets:
            rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
            found = _find_columns(rows)
            if found is None:
                continue
            header, id_col, answer_col = found
            for number, row in enumerate(rows[header + 1 :], start=header + 2):
                raw_id = _cell_text(row[id_col]) if id_col < len(row) else ""
                answer = _cell_text(row[answer_col]) if answer_col < len(row) else ""
                if not raw_id and not answer:
                    continue
                try:
                    item = str(ItemId.parse(raw_id))
                except ValueError:
                    problems.append(f"{sheet.title} row {number}: not an item ID: {raw_id!r}")
                    continue
                if answer:
                    out.append(SheetRow(item, answer))
    finally:
        book.close()
    if not out and not problems:
        problems.append("no sheet with an ID column and an answer column")
    return AnswerSheet(tuple(out), tuple(problems))
