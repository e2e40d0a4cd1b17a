"""Reading an uploaded spreadsheet is bounded and never holds the write lock (issue 10, fault 2).

A 1.6 KB .xlsx declaring `<dimension ref="A1:XFD1048576"/>` made openpyxl pad every row to
16,384 columns and a million rows (74–93 s in the people import, ≈ 137 GB in the staff-code
reader) while the request held SQLite's write lock, so casting failed with "database is
locked". The hostile files are written here by hand with zipfile; the work of reading them is
measured by counting the rows and cells the reader visits, never by timing.
"""

from __future__ import annotations

import io
import threading
import zipfile

import pytest
from sqlalchemy import func, select

from evalapp.box import services as box
from evalapp.core.errors import ValidationFailed
from evalapp.extensions import db as _db
from evalapp.org import spreadsheets
from evalapp.org.models import Person, UnitKind
from evalapp.org.services import create_unit
from evalapp.tally.scales import Scale
from tests.ballots.conftest import make_people
from tests.box.conftest import open_test_box
from tests.org.test_import import HEADINGS, upload, xlsx

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def hand_made_xlsx(rows_xml: str, dimension: str = "A1:XFD1048576",
                   sheet_padding: int = 0) -> bytes:
    """A workbook written part by part; its one sheet declares `dimension`."""
    sheet = ('<?xml version="1.0" encoding="UTF-8"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<dimension ref="{dimension}"/><sheetData>{rows_xml}</sheetData></worksheet>'
             + " " * sheet_padding)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


HOSTILE = hand_made_xlsx(f'<row r="1">{cell("A1", "Mã cán bộ")}</row>')


def test_the_declared_dimension_is_ignored():
    """The reviewer's 1.6 KB file: one row is read, padded to MAX_COLUMNS + 1 cells at most
    (openpyxl alone padded it to 16,384 cells and a million rows)."""
    assert len(HOSTILE) < 2000
    counts = spreadsheets.ReadCounts()
    assert spreadsheets.read_staff_codes("ma.xlsx", HOSTILE, counts) == []
    # one row and one cell in the scan, one row of MAX_COLUMNS + 1 cells from openpyxl
    assert counts.rows == 2
    assert counts.cells == 1 + spreadsheets.MAX_COLUMNS + 1
    counts = spreadsheets.ReadCounts()
    with pytest.raises(ValidationFailed):  # a heading only: the required columns are missing
        spreadsheets.read_people_file("ds.xlsx", HOSTILE, counts)
    assert counts.rows == 2 and counts.cells <= 1 + spreadsheets.MAX_COLUMNS + 1


def test_a_row_far_below_is_refused_after_the_row_limit():
    """Rows 1 and 1,048,576 only: openpyxl fills in the missing rows; reading stops one row
    past MAX_ROWS with a message."""
    data = hand_made_xlsx(f'<row r="1">{cell("A1", "Mã cán bộ")}</row>'
                          f'<row r="1048576">{cell("A1048576", "X1")}</row>')
    counts = spreadsheets.ReadCounts()
    with pytest.raises(ValidationFailed) as refused:
        spreadsheets.read_staff_codes("ma.xlsx", data, counts)
    assert "20000" in refused.value.text()
    assert counts.rows <= 2 + spreadsheets.MAX_ROWS


def test_a_cell_far_to_the_right_is_refused():
    data = hand_made_xlsx(f'<row r="1">{cell("A1", "Mã cán bộ")}{cell("XFD1", "x")}</row>',
                          dimension="A1")
    counts = spreadsheets.ReadCounts()
    with pytest.raises(ValidationFailed):
        spreadsheets.read_staff_codes("ma.xlsx", data, counts)
    assert counts.cells <= 2 + spreadsheets.MAX_COLUMNS + 1


def test_too_many_cells_are_refused_while_scanning():
    row = "".join(f'<c r="A{n}"/>' for n in range(1, 2))
    rows = "".join(f'<row r="{n}">{row}</row>' for n in range(1, 10))
    many = hand_made_xlsx(rows + '<row r="10">' + '<c/>' * (spreadsheets.MAX_CELLS + 5)
                          + '</row>', dimension="A1")
    counts = spreadsheets.ReadCounts()
    with pytest.raises(ValidationFailed):
        spreadsheets.read_staff_codes("ma.xlsx", many, counts)
    assert counts.cells == spreadsheets.MAX_CELLS + 1  # stopped at the first cell too many


def test_entities_in_a_sheet_are_refused_before_they_expand():
    """The "billion laughs": entities that expand to gigabytes from a few hundred bytes. The
    scan parses with defusedxml, which refuses any entity declaration: nothing expands."""
    laughs = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
              + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                        for i in range(1, 10)) + "]>")
    sheet = ('<?xml version="1.0" encoding="UTF-8"?>' + laughs
             + '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
             '</sheetData></worksheet>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    counts = spreadsheets.ReadCounts()
    with pytest.raises(ValidationFailed):
        spreadsheets.read_staff_codes("ma.xlsx", buffer.getvalue(), counts)
    assert counts.cells == 0


def test_a_zip_bomb_is_refused_from_its_declared_sizes():
    """40 MB of spaces deflate to ≈ 40 KB: refused before a byte is unpacked or parsed."""
    bomb = hand_made_xlsx(f'<row r="1">{cell("A1", "Mã cán bộ")}</row>', dimension="A1",
                          sheet_padding=40 * 1024 * 1024)
    assert len(bomb) < 100_000
    counts = spreadsheets.ReadCounts()
    with pytest.raises(ValidationFailed) as refused:
        spreadsheets.read_people_file("ds.xlsx", bomb, counts)
    assert "MB" in refused.value.text()
    assert counts == spreadsheets.ReadCounts()  # nothing was read


def test_a_csv_is_bounded_in_rows_and_columns():
    wide = ("Mã cán bộ" + ",x" * (spreadsheets.MAX_COLUMNS + 1) + "\n").encode()
    with pytest.raises(ValidationFailed):
        spreadsheets.read_staff_codes("ma.csv", wide)
    long = ("Mã cán bộ\n" + "NV1\n" * (spreadsheets.MAX_ROWS + 5)).encode()
    counts = spreadsheets.ReadCounts()
    with pytest.raises(ValidationFailed):
        spreadsheets.read_staff_codes("ma.csv", long, counts)
    assert counts.rows == spreadsheets.MAX_ROWS + 1


def test_the_hostile_file_gets_a_vietnamese_4xx_on_both_pages(
        client, admin, login_as, db, factory):
    login_as(admin)
    response = upload(client, HOSTILE)
    assert response.status_code == 422
    assert "Thiếu các cột bắt buộc" in response.get_data(as_text=True)
    bomb = hand_made_xlsx("", dimension="A1", sheet_padding=40 * 1024 * 1024)
    response = upload(client, bomb)
    assert response.status_code == 422
    assert "quá lớn" in response.get_data(as_text=True)


@pytest.fixture
def voters(db):
    unit = create_unit(_system(), name="Hội đồng bỏ phiếu", kind=UnitKind.DEPARTMENT,
                       parent=None, code=None)
    _db.session.commit()
    return make_people(unit, 2, prefix="Cử tri")


def _system():
    from evalapp.auth.permissions import SYSTEM
    return SYSTEM


def test_a_ballot_is_cast_while_a_request_reads_a_workbook(
        app, client, admin, login_as, db, voters, monkeypatch):
    """While the people import reads its file, another connection casts a ballot and commits.
    Were the request holding the write lock (BEGIN IMMEDIATE), the cast would wait for it
    until the busy timeout and fail with "database is locked"."""
    opened = open_test_box(Scale.TWO_LEVEL, 1)
    box_id, voter_id = opened.id, voters[0].id
    outcome: dict[str, object] = {}
    real_load_workbook = spreadsheets.load_workbook

    def cast_elsewhere():
        with app.app_context():
            try:
                tracker = box.cast(_db.session.get(box.Box, box_id), box.KnownVoter(voter_id),
                                   box.WrittenBallot(marks={1: "confidence"}))
                _db.session.commit()
                outcome["tracker"] = tracker
            except Exception as error:  # noqa: BLE001 - reported below
                _db.session.rollback()
                outcome["error"] = repr(error)
            finally:
                _db.session.remove()

    def reading_while_someone_casts(*args, **kwargs):
        worker = threading.Thread(target=cast_elsewhere)
        worker.start()
        worker.join()
        return real_load_workbook(*args, **kwargs)

    monkeypatch.setattr(spreadsheets, "load_workbook", reading_while_someone_casts)
    login_as(admin)
    people_before = db.session.execute(select(func.count(Person.id))).scalar_one()
    db.session.commit()  # the test's own transaction (a writer outside requests) ends here
    response = upload(client, xlsx([("NV9", "Nguyễn Văn Chín", "Nam", 1980, "Chuyên viên",
                                     "Hội đồng bỏ phiếu", "")], HEADINGS))
    assert outcome.get("error") is None and outcome.get("tracker")
    assert response.status_code == 200  # the import went on: its preview is shown
    db.session.rollback()
    assert box.trackers(db.session.get(box.Box, box_id)) == [outcome["tracker"]]
    assert db.session.execute(select(func.count(Person.id))).scalar_one() == people_before
