"""Reading people from .xlsx/.csv files and writing the people list to .xlsx.

Only the file format lives here: turning bytes into header-keyed rows of NFC text, and rows
into a workbook. What a row means (which unit, which post, what is an error) is decided in
org.services.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse
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
    "staff_kind": (_l("Kind of staff"), ("loai", "loai can bo", "kind", "kind of staff",
                                         "staff_kind")),
    "manager_code": (_l("Manager's staff code"), ("ma nguoi quan ly", "ma quan ly",
                                                  "manager's staff code", "manager code",
                                                  "manager_code")),
    "started_on": (_l("Started work on"), ("ngay bat dau cong tac", "ngay bat dau",
                                           "started work on", "started_on")),
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
    if isinstance(value, datetime | date):  # a date cell: written as people write it
        return value.strftime("%d/%m/%Y")
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


# ---------------------------------------------------------------- bounded reading
#
# A workbook is a zip of XML: a few kilobytes can declare a million rows (openpyxl pads every
# row to the sheet's declared <dimension>, even in read-only mode) or unpack to gigabytes. So
# before openpyxl sees a file, the zip's declared sizes are checked and each sheet is scanned
# once, as a stream, counting its rows and cells; openpyxl then reads with the declared
# dimension ignored and rows cut at MAX_COLUMNS + 1 cells. The work of reading a file is thus
# bounded by these numbers, whatever the file says about itself. Reading touches no database:
# callers parse before they take SQLite's write lock (core.transactions).

MAX_ROWS = 20_000           # rows of a sheet, the heading and empty rows included
MAX_COLUMNS = 30            # the people file has 9 columns; a number column and notes fit
MAX_CELLS = 400_000         # cells written in a sheet (20,000 rows × 20 columns)
MAX_UNPACKED_BYTES = 32 * 1024 * 1024   # the zip's members together, once unpacked
_SHEET_MEMBER = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)


@dataclass
class ReadCounts:
    """What reading a file visited: rows and cells (for the limits and their tests)."""

    rows: int = 0
    cells: int = 0


def _too_many_rows() -> ValidationFailed:
    return ValidationFailed(_l("The file has more than %(n)s rows. Split it into smaller files "
                               "or delete the empty rows at its end."), n=MAX_ROWS)


def _too_many_columns() -> ValidationFailed:
    return ValidationFailed(_l("The file has more than %(n)s columns. Keep only the columns "
                               "of the list."), n=MAX_COLUMNS)


def _not_a_workbook() -> ValidationFailed:
    return ValidationFailed(_l("The file could not be read as an Excel (.xlsx) workbook."))


def _check_archive(content: bytes, counts: ReadCounts) -> None:
    """The zip's declared sizes (Python's zipfile never unpacks more than a member declares),
    then one streaming pass over each sheet counting rows and cells, before openpyxl."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _not_a_workbook() from exc
    if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
        raise ValidationFailed(_l("The workbook is too large once unpacked (more than %(n)s "
                                  "MB). Save only the list in a new workbook."),
                               n=MAX_UNPACKED_BYTES // (1024 * 1024))
    for member in members:
        if _SHEET_MEMBER.fullmatch(member.filename):
            try:
                with archive.open(member) as stream:
                    _scan_sheet(stream, counts)
            except (ParseError, DefusedXmlException, zipfile.BadZipFile, EOFError, OSError,
                    ValueError) as exc:
                raise _not_a_workbook() from exc


def _column_of(reference: str | None) -> int:
    """The column number of a cell reference ("C7": 3); 0 when there is none."""
    number = 0
    for letter in (reference or "")[:4]:
        if not "A" <= letter <= "Z":
            break
        number = number * 26 + ord(letter) - 64
    return number


def _scan_sheet(stream, counts: ReadCounts) -> None:
    rows = cells = 0
    for _event, element in iterparse(stream, events=("end",)):
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "c":
            cells += 1
            counts.cells += 1
            if cells > MAX_CELLS:
                raise ValidationFailed(_l("The file has more than %(n)s cells. Split it into "
                                          "smaller files."), n=MAX_CELLS)
            if len(element) and _column_of(element.get("r")) > MAX_COLUMNS:
                raise _too_many_columns()  # a value far to the right, past what is read
        elif tag == "row":
            rows += 1
            counts.rows += 1
            if rows > MAX_ROWS:
                raise _too_many_rows()
            element.clear()


def xlsx_rows(content: bytes, counts: ReadCounts | None = None) -> Iterator[tuple]:
    """The first sheet's rows as tuples of values, at most MAX_COLUMNS each; ValidationFailed
    when the file is not a workbook or is beyond the limits."""
    counts = counts if counts is not None else ReadCounts()
    _check_archive(content, counts)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _not_a_workbook() from exc
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # never trust the declared <dimension>
        rows = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
        for read in range(1, MAX_ROWS + 2):
            try:
                row = next(rows)
            except StopIteration:
                return
            except (KeyError, ValueError, TypeError, IndexError, ParseError,
                    DefusedXmlException) as exc:
                raise _not_a_workbook() from exc
            if read > MAX_ROWS:  # rows missing from the XML are filled in by openpyxl
                raise _too_many_rows()
            counts.rows += 1
            counts.cells += len(row)
            if len(row) > MAX_COLUMNS and row[MAX_COLUMNS] is not None:
                raise _too_many_columns()
            yield row[:MAX_COLUMNS]
    finally:
        workbook.close()


def csv_rows(content: bytes, counts: ReadCounts | None = None) -> Iterator[list[str]]:
    """The rows of a CSV file (UTF-8, or Windows code page 1258), within the same limits."""
    counts = counts if counts is not None else ReadCounts()
    text = _decode(content)
    delimiter = max(",;\t", key=text.split("\n", 1)[0].count)
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            counts.rows += 1
            counts.cells += len(row)
            if counts.rows > MAX_ROWS:
                raise _too_many_rows()
            if len(row) > MAX_COLUMNS and any(cell.strip() for cell in row[MAX_COLUMNS:]):
                raise _too_many_columns()
            yield row[:MAX_COLUMNS]
    except csv.Error as exc:
        raise ValidationFailed(_l("The CSV file could not be read: %(reason)s."),
                               reason=str(exc)) from exc


def table_rows(filename: str, content: bytes,
               counts: ReadCounts | None = None) -> Iterator[Iterable]:
    """The rows of an uploaded .xlsx or .csv file, bounded (see above)."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        return xlsx_rows(content, counts)
    if name.endswith(".csv"):
        return csv_rows(content, counts)
    raise ValidationFailed(_l("Upload an Excel (.xlsx) or CSV (.csv) file."))


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


def read_people_file(filename: str, content: bytes,
                     counts: ReadCounts | None = None) -> list[SheetRow]:
    return _rows_from_table(table_rows(filename, content, counts))


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
    "staff_kind": _l("Công chức, viên chức or cán bộ; may be left empty."),
    "manager_code": _l("The staff code of the direct manager, who works in the same unit or "
                       "a unit above it; empty: the head of the unit."),
    "started_on": _l("The day the person started working, as dd/mm/yyyy; may be left empty."),
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
    for key, values in (("gender", "Nam,Nữ"), ("active", "Có,Không"),
                        ("staff_kind", "Công chức,Viên chức,Cán bộ")):
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


def read_staff_codes(filename: str, content: bytes,
                     counts: ReadCounts | None = None) -> list[tuple[int, str]]:
    """(row number, staff code) from the file's "Mã cán bộ" column; other columns are ignored.

    Used for lists of people (a voter roll) where only who, not their details, matters. Only
    the codes are kept, never the other cells of the rows.
    """
    aliases = set(COLUMNS["staff_code"][1])
    column = None
    codes: list[tuple[int, str]] = []
    for number, row in enumerate(table_rows(filename, content, counts), start=1):
        if column is None:
            headings = [fold_for_search(_cell_text(cell)) for cell in row]
            if not any(headings):
                continue
            if not aliases.intersection(headings):
                raise ValidationFailed(_l("The file needs a column headed %(name)s."),
                                       name=str(COLUMNS["staff_code"][0]))
            column = next(i for i, h in enumerate(headings) if h in aliases)
            continue
        cells = list(row)
        code = _cell_text(cells[column]) if column < len(cells) else ""
        if code:
            codes.append((number, code))
    if column is None:
        raise ValidationFailed(_l("The file is empty."))
    return codes
