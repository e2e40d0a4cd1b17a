"""Reading people from .xlsx/.csv files and writing the people list to .xlsx.

Only the file format lives here: turning bytes into header-keyed rows of NFC text, and rows
into a workbook. What a row means (which unit, which post, what is an error) is decided in
org.services.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from evalapp.core.errors import ValidationFailed
from evalapp.core.text import fold_for_search, nfc

# Column key -> (heading written on export, headings accepted on import, folded).
COLUMNS: dict[str, tuple[object, tuple[str, ...]]] = {
    "staff_code": (_l("Staff code"), ("ma can bo", "ma so", "ma nhan vien", "ma cbccvc",
                                       "ma", "staff code", "staff_code")),
    "full_name": (_l("Full name"), ("ho va ten", "ho ten", "full name", "full_name", "name")),
    "gender": (_l("Gender"), ("gioi tinh", "gender")),
    "birth_year": (_l("Year of birth"), ("nam sinh", "year of birth", "birth year",
                                         "birth_year")),
    "post": (_l("Post"), ("chuc vu", "post")),
    "unit": (_l("Unit"), ("don vi", "don vi cong tac", "ma don vi", "unit", "unit code")),
    "duty_group": (_l("Duty group"), ("nhom nhiem vu", "nhom", "duty group", "duty_group")),
    "active": (_l("Still working here"), ("dang cong tac", "con cong tac", "active",
                                          "still working here")),
}
REQUIRED_COLUMNS = ("staff_code", "full_name", "unit")
IGNORED_HEADINGS = ("stt", "tt", "no", "no.", "#")


@dataclass
class SheetRow:
    number: int  # the row number a person sees in the spreadsheet (heading is row 1)
    values: dict[str, str]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def _match_headings(headings: list[str]) -> dict[int, str]:
    aliases = {alias: key for key, (_label, names) in COLUMNS.items() for alias in names}
    columns: dict[int, str] = {}
    unknown: list[str] = []
    for index, heading in enumerate(headings):
        folded = fold_for_search(heading)
        if not folded or folded in IGNORED_HEADINGS:
            continue
        key = aliases.get(folded)
        if key is None:
            unknown.append(heading)
        elif key in columns.values():
            raise ValidationFailed(_l("The column %(name)s appears twice."), name=heading)
        else:
            columns[index] = key
    if unknown:
        raise ValidationFailed(
            _l("Unknown columns: %(names)s. The accepted columns are: %(accepted)s."),
            names=", ".join(unknown), accepted=accepted_headings())
    missing = [str(COLUMNS[key][0]) for key in REQUIRED_COLUMNS if key not in columns.values()]
    if missing:
        raise ValidationFailed(_l("Required columns are missing: %(names)s."),
                               names=", ".join(missing))
    return columns


def accepted_headings() -> str:
    return ", ".join(str(label) for label, _aliases in COLUMNS.values())


def _rows_from_table(table: Iterable[Iterable]) -> list[SheetRow]:
    iterator = iter(table)
    for heading_row in iterator:
        headings = [_cell_text(cell) for cell in heading_row]
        if any(headings):
            break
    else:
        raise ValidationFailed(_l("The file is empty."))
    columns = _match_headings(headings)
    rows: list[SheetRow] = []
    # Row numbers as the spreadsheet shows them: the heading row is row 1 when it comes first.
    for number, cells in enumerate(iterator, start=2):
        cells = list(cells)
        values = {key: _cell_text(cells[i]) if i < len(cells) else ""
                  for i, key in columns.items()}
        if any(values.values()):
            rows.append(SheetRow(number=number, values=values))
    return rows


def _read_xlsx(content: bytes) -> list[SheetRow]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationFailed(_l("The file could not be read as an Excel (.xlsx) workbook."))\
            from exc
    try:
        sheet = workbook.worksheets[0]
        return _rows_from_table(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older Vietnamese Windows exports use code page 1258 (tones as combining marks,
        # which nfc() composes).
        try:
            return content.decode("cp1258")
        except UnicodeDecodeError as exc:
            raise ValidationFailed(_l("The CSV file must be saved as UTF-8.")) from exc


def _read_csv(content: bytes) -> list[SheetRow]:
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    return _rows_from_table(csv.reader(io.StringIO(text), delimiter=delimiter))


def read_people_file(filename: str, content: bytes) -> list[SheetRow]:
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(content)
    if name.endswith(".csv"):
        return _read_csv(content)
    raise ValidationFailed(_l("Upload an Excel (.xlsx) or CSV (.csv) file."))


def write_people_workbook(rows: Iterable[dict[str, object]]) -> bytes:
    """An .xlsx with the import columns, so an exported list can be edited and imported again."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(_l("People")))
    keys = list(COLUMNS)
    sheet.append([str(COLUMNS[key][0]) for key in keys])
    for row in rows:
        sheet.append([row.get(key) for key in keys])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_staff_codes(filename: str, content: bytes) -> list[tuple[int, str]]:
    """(row number, staff code) from the file's "Mã cán bộ" column; other columns are ignored.

    Used for lists of people (a voter roll) where only who, not their details, matters.
    """
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise ValidationFailed(
                _l("The file could not be read as an Excel (.xlsx) workbook.")) from exc
        try:
            table = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
        finally:
            workbook.close()
    elif name.endswith(".csv"):
        text = _decode(content)
        delimiter = max(",;\t", key=text.split("\n", 1)[0].count)
        table = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    else:
        raise ValidationFailed(_l("Upload an Excel (.xlsx) or CSV (.csv) file."))
    aliases = set(COLUMNS["staff_code"][1])
    for index, row in enumerate(table):
        headings = [fold_for_search(_cell_text(cell)) for cell in row]
        if any(headings):
            if not aliases.intersection(headings):
                raise ValidationFailed(_l("The file needs a column headed %(name)s."),
                                       name=str(COLUMNS["staff_code"][0]))
            column = next(i for i, h in enumerate(headings) if h in aliases)
            return [(number, _cell_text(cells[column]))
                    for number, cells in enumerate(table[index + 1:], start=index + 2)
                    if column < len(cells) and _cell_text(cells[column])]
    raise ValidationFailed(_l("The file is empty."))
