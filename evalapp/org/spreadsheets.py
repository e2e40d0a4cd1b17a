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
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from evalapp.core.errors import ValidationFailed
from evalapp.core.spreadsheets import new_workbook, unneutralised, workbook_bytes
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
    "unit_code": (_l("Unit code"), ("ma don vi", "unit code", "unit_code")),
    "unit": (_l("Unit"), ("don vi", "don vi cong tac", "ten don vi", "unit", "unit name")),
    "duty_group": (_l("Duty group"), ("nhom nhiem vu", "nhom", "duty group", "duty_group")),
    "active": (_l("Still working here"), ("dang cong tac", "con cong tac", "active",
                                          "still working here")),
}
REQUIRED_COLUMNS = ("staff_code", "full_name")
UNIT_COLUMNS = ("unit_code", "unit")  # at least one: the unit by its code or by its name
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
    return nfc(unneutralised(str(value)))


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
    if not set(UNIT_COLUMNS) & set(columns.values()):
        missing.append(" / ".join(str(COLUMNS[key][0]) for key in UNIT_COLUMNS))
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


MAX_COLUMN_WIDTH = 60


def _width(values) -> float:
    longest = max((len(str(v)) for v in values if v is not None), default=0)
    return min(MAX_COLUMN_WIDTH, max(8, longest * 1.15 + 2))


def _people_sheet(workbook, rows: list[list[object]]):
    """The first sheet: the import columns' headings (bold, frozen, filterable), the rows, and
    each column as wide as its content."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.active
    sheet.title = str(_l("People"))
    headings = [str(COLUMNS[key][0]) for key in COLUMNS]
    sheet.append(headings)
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(headings))
    sheet.auto_filter.ref = f"A1:{last}{max(1, len(rows)) + 1}"
    for index, heading in enumerate(headings):
        sheet.column_dimensions[get_column_letter(index + 1)].width = _width(
            [heading, *(row[index] for row in rows)])
    return sheet


def _save(workbook) -> bytes:
    return workbook_bytes(workbook)


def write_people_workbook(rows: Iterable[dict[str, object]]) -> bytes:
    """An .xlsx with the import columns (the unit by code and by name), so that an exported
    list reads well and can be edited and imported again."""
    workbook = new_workbook()
    _people_sheet(workbook, [[row.get(key) for key in COLUMNS] for row in rows])
    return _save(workbook)


COLUMN_NOTES = {
    "staff_code": _l("Required. A row whose staff code exists updates that person."),
    "full_name": _l("Required."),
    "gender": _l("Nam or Nữ; may be left empty."),
    "birth_year": _l("Four digits, e.g. 1980; may be left empty."),
    "post": _l("The post's name; a post that does not exist yet is created."),
    "unit_code": _l("The unit's code. Give the code or the name of the unit (or both)."),
    "unit": _l("The unit's name, as in the list of units."),
    "duty_group": _l("May be left empty; a duty group that does not exist yet is created."),
    "active": _l("Có (the default) or Không."),
}


def people_template_workbook(example: dict[str, object]) -> bytes:
    """The file to fill in for an import: the headings and one example row, drop-down lists
    for gender and status, and a second sheet explaining each column (the import reads only
    the first sheet)."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = new_workbook()
    sheet = _people_sheet(workbook, [[example.get(key) for key in COLUMNS]])
    keys = list(COLUMNS)
    for key, values in (("gender", "Nam,Nữ"), ("active", "Có,Không")):
        letter = get_column_letter(keys.index(key) + 1)
        listed = DataValidation(type="list", formula1=f'"{values}"', allow_blank=True)
        listed.add(f"{letter}2:{letter}5000")
        sheet.add_data_validation(listed)
    for key, width in (("gender", 10), ("active", 14)):
        letter = get_column_letter(keys.index(key) + 1)
        sheet.column_dimensions[letter].width = max(width,
                                                    sheet.column_dimensions[letter].width)

    notes = workbook.create_sheet(str(_l("Instructions")))
    notes.append([str(_l("Column")), str(_l("What to write"))])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for key, (label, _aliases) in COLUMNS.items():
        notes.append([str(label), str(COLUMN_NOTES[key])])
    notes.append([])
    notes.append([str(_l("Row 2 is an example: replace it with your people. Only the first "
                         "sheet is imported."))])
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 80
    return _save(workbook)


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
