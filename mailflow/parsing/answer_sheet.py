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
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from mailflow.domain import ItemId
from mailflow.parsing.attachment_bounds import (
    TEXT_BOUNDS,
    ZIP_BOUNDS,
    AttachmentRefused,
    Refusal,
    TextBounds,
    ZipBounds,
    check_zip_bounds,
)
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


def write_answer_sheet(rows: Iterable[tuple[str, str, str]]) -> bytes:
    """An .xlsx with the header ID / 質問・意見 / 回答 and the rows (id, question, answer)."""
    out = io.BytesIO()
    write_answer_sheet_to(rows, out)
    return out.getvalue()


def write_answer_sheet_to(rows: Iterable[tuple[str, str, str]], out: IO[bytes]) -> None:
    """`write_answer_sheet` into ``out`` (a file: a sheet of thousands of rows is not
    held as bytes).

    Written in openpyxl's write-only mode: each row goes out as it is appended, so a
    sheet of thousands of items is not held as cell objects first, and the cells of a
    column share one style instead of each building its own.
    """
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_TITLE)
    for column, width in _WIDTHS.items():
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_cell(sheet, name, font=bold) for name in HEADER])
    wrapped = Alignment(wrap_text=True, vertical="top")
    # One cell per column, refilled for each row: write-only mode writes a row's cells
    # as it is appended, before the next row changes them.
    cells = [_cell(sheet, "", alignment=wrapped) for _ in HEADER]
    for values in rows:
        for cell, value in zip(cells, values, strict=True):
            cell.value = _ILLEGAL.sub("", value)
            # Members' text is data: 「=HYPERLINK(…)」 must not become a live formula.
            cell.data_type = "s"
        sheet.append(cells)
    book.save(out)


def _cell(sheet: Any, value: str, **style: Any) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    cell.data_type = "s"
    return cell


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


_ROW_TAGS = (b"<row ", b"<row>")
_CELL_TAGS = (b"<c ", b"<c>")
_CHUNK = 1 << 20


def _count_sheet_tags(data: bytes, bounds: TextBounds) -> None:
    """Refuse a workbook whose sheets hold more rows or cells than ``bounds`` allow, by
    counting their tags in the unpacked XML (already capped in size): openpyxl parses
    every row of a sheet, even rows it never hands out (a sheet may number every row 3)."""
    max_rows = bounds.max_rows + 1
    max_cells = max_rows * bounds.max_columns
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            rows = cells = 0
            carry = b""
            with archive.open(name) as member:
                while chunk := member.read(_CHUNK):
                    text = carry + chunk
                    rows += sum(text.count(t) for t in _ROW_TAGS)
                    cells += sum(text.count(t) for t in _CELL_TAGS)
                    # A tag cut at the chunk's end is counted whole in the next one.
                    carry = text[-4:]
                    rows -= sum(carry.count(t) for t in _ROW_TAGS)
                    cells -= sum(carry.count(t) for t in _CELL_TAGS)
            if rows > max_rows or cells > max_cells:
                raise AttachmentRefused(
                    Refusal.TOO_MANY_ROWS,
                    f"{name}: {rows:,} rows and {cells:,} cells, over the {bounds.max_rows:,} "
                    f"rows of {bounds.max_columns} columns allowed",
                )


def _bounded_rows(sheet: Any, bounds: TextBounds) -> list[tuple[object, ...]]:
    """The sheet's rows, refused past ``bounds``: rows beyond the cap that hold a value, a
    cell longer than the cap. Only the first ``max_columns`` columns are read."""
    rows: list[tuple[object, ...]] = []
    # Counted here, not by openpyxl's row numbers: a sheet may repeat one number forever.
    for number, row in enumerate(
        sheet.iter_rows(max_row=bounds.max_rows + 1, max_col=bounds.max_columns, values_only=True),
        start=1,
    ):
        if number > bounds.max_rows:
            if any(v is not None and str(v).strip() for v in row):
                raise AttachmentRefused(
                    Refusal.TOO_MANY_ROWS, f"{sheet.title}: more than {bounds.max_rows:,} rows"
                )
            break
        for column, value in enumerate(row, start=1):
            if isinstance(value, str) and len(value) > bounds.max_cell_chars:
                raise AttachmentRefused(
                    Refusal.CELL_TOO_LONG,
                    f"{sheet.title} row {number} column {column}: {len(value):,} characters, "
                    f"over the {bounds.max_cell_chars:,} allowed",
                )
        rows.append(tuple(row))
    return rows


def read_answer_sheet(
    data: bytes, *, bounds: TextBounds = TEXT_BOUNDS, zip_bounds: ZipBounds = ZIP_BOUNDS
) -> AnswerSheet:
    """The answered rows of every sheet that has an ID and an answer column.

    Rows whose ID is not an item ID or whose answer is empty are skipped; the first
    kind is reported in ``problems`` (an empty answer simply means unanswered). A file
    over a cap of ``zip_bounds`` (checked before openpyxl sees it) or ``bounds``, or not
    an .xlsx at all, raises AttachmentRefused.
    """
    check_zip_bounds(data, zip_bounds)
    try:
        _count_sheet_tags(data, bounds)
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except AttachmentRefused:
        raise
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors alike
        raise AttachmentRefused(
            Refusal.NOT_READABLE, f"not a readable .xlsx file: {type(exc).__name__}"
        ) from None
    out: list[SheetRow] = []
    problems: list[str] = []
    try:
        for sheet in book.worksheets:
            rows = _bounded_rows(sheet, bounds)
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
