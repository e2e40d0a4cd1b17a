import io
import unicodedata

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from evalapp.audit.models import AuditEntry
from evalapp.org.models import Person, Post

HEADINGS = ["Mã cán bộ", "Họ và tên", "Giới tính", "Năm sinh", "Chức vụ", "Đơn vị",
            "Nhóm nhiệm vụ"]


def xlsx(rows, headings=HEADINGS) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Danh sách")
    sheet.append(headings)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def people_count(db) -> int:
    return db.session.execute(select(func.count(Person.id))).scalar_one()


def audit_count(db) -> int:
    return db.session.execute(select(func.count(AuditEntry.id))).scalar_one()


def upload(client, content: bytes, name="danh-sach.xlsx"):
    return client.post("/org/people/import",
                       data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def staged_id(response) -> int:
    html = response.get_data(as_text=True)
    return int(html.split("/org/people/import/")[1].split("/apply")[0])


@pytest.fixture
def units(factory):
    return {"ubnd": factory.unit("UBND tỉnh", code="UBND"),
            "snv": factory.unit("Sở Nội vụ", code="SNV"),
            "stc": factory.unit("Sở Tài chính")}


def test_ten_thousand_rows_import_through_the_page(client, admin, login_as, units, db):
    rows = [(f"NV{i:05d}", f"Nguyễn Văn Người {i}", "Nam" if i % 2 else "Nữ", 1960 + i % 40,
             ["Chuyên viên", "Trưởng phòng", "Phó Trưởng phòng"][i % 3],
             "SNV" if i % 2 else "Sở Tài chính", "Chuyên viên") for i in range(10_000)]
    login_as(admin)
    before = audit_count(db)
    preview = upload(client, xlsx(rows))
    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    assert "10.000" in text  # rows read, with Vietnamese thousands separator
    assert people_count(db) == 0  # a preview writes no people

    response = client.post(f"/org/people/import/{staged_id(preview)}/apply")
    assert response.status_code == 302
    assert people_count(db) == 10_000
    assert audit_count(db) == before + 2  # staged, applied
    entry = db.session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc())).scalars().first()
    assert entry.action == "people_import.applied" and '"created":10000' in entry.details
    assert {p.name for p in db.session.execute(select(Post)).scalars()} == {
        "Chuyên viên", "Trưởng phòng", "Phó Trưởng phòng"}
    person = db.session.execute(select(Person).where(Person.staff_code == "NV00007")).scalar_one()
    assert person.unit.code == "SNV" and person.birth_year == 1967 and person.post.name == \
        "Trưởng phòng"

    # The same file again changes nothing; the confirm button cannot be replayed.
    assert client.post(f"/org/people/import/{staged_id(preview)}/apply").status_code == 409
    again = upload(client, xlsx(rows))
    summary = again.get_data(as_text=True).split('id="import-summary"')[1].split("</ul>")[0]
    assert summary.count("10.000") == 2  # rows read, unchanged
    assert ": 0</li>" in summary  # no new people


def test_re_import_updates_by_staff_code_without_duplicates(client, admin, login_as, units, db):
    login_as(admin)
    first = [("A1", "Lê Văn Một", "Nam", 1970, "Chuyên viên", "SNV", ""),
             ("A2", "Lê Thị Hai", "Nữ", 1980, "", "SNV", "")]
    client.post(f"/org/people/import/{staged_id(upload(client, xlsx(first)))}/apply")
    second = [("A1", "Lê Văn Một", "Nam", 1971, "Trưởng phòng", "UBND", "Lãnh đạo"),
              ("A2", "Lê Thị Hai", "Nữ", 1980, "", "SNV", ""),
              ("A3", "Phan Văn Ba", "Nam", 1990, "", "SNV", "")]
    preview = upload(client, xlsx(second))
    assert preview.status_code == 200
    client.post(f"/org/people/import/{staged_id(preview)}/apply")
    assert people_count(db) == 3
    one = db.session.execute(select(Person).where(Person.staff_code == "A1")).scalar_one()
    assert (one.birth_year, one.post.name, one.unit.code, one.duty_group.name) == (
        1971, "Trưởng phòng", "UBND", "Lãnh đạo")
    entry = db.session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc())).scalars().first()
    assert '"created":1' in entry.details and '"updated":1' in entry.details
    assert '"unchanged":1' in entry.details


def test_malformed_rows_are_listed_and_nothing_is_written(client, admin, login_as, units, db):
    rows = [
        ("B1", "Trần Văn Đúng", "Nam", 1975, "", "SNV", ""),
        ("B2", "", "Nam", 1975, "", "SNV", ""),                 # row 3: empty name
        ("B3", "Ngô Văn Năm", "Nam", "một chín", "", "SNV", ""),  # row 4: not a year
        ("B4", "Ngô Văn Sáu", "Nam", 1800, "", "SNV", ""),      # row 5: year out of range
        ("B1", "Đỗ Thị Bảy", "Nữ", 1990, "", "SNV", ""),        # row 6: duplicate code
        ("B8", "Vũ Văn Tám", "X", 1990, "", "SNV", ""),         # row 7: bad gender
        ("B9", "Hà Văn Chín", "Nam", 1990, "", "Sở Không Có", ""),  # row 8: unknown unit
        ("", "Lý Văn Mười", "Nam", 1990, "", "SNV", ""),         # row 9: no staff code
    ]
    login_as(admin)
    before_people, before_audit = people_count(db), audit_count(db)
    response = upload(client, xlsx(rows))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    table = html.split('id="import-errors"')[1].split("</table>")[0]
    error_rows = [int(cell.split("<td>")[1].split("<")[0])
                  for cell in table.split("<tr>")[2:]]
    assert error_rows == [3, 4, 5, 6, 7, 8, 9]
    assert "B1" in table and "Sở Không Có" in table
    assert people_count(db) == before_people and audit_count(db) == before_audit


def test_wrong_columns_are_refused_before_any_row(client, admin, login_as, units, db):
    login_as(admin)
    response = upload(client, xlsx([("1", "Lê Văn A", "SNV")],
                                   headings=["Mã", "Tên", "Phòng ban"]))
    assert response.status_code == 422
    assert "Phòng ban" in response.get_data(as_text=True)
    response = upload(client, xlsx([("Lê Văn A",)], headings=["Họ và tên"]))
    assert response.status_code == 422
    assert people_count(db) == 0


def test_not_a_spreadsheet_is_refused(client, admin, login_as, units, db):
    login_as(admin)
    assert upload(client, b"not a zip", "x.xlsx").status_code == 422
    assert upload(client, b"MZ\x00", "virus.exe").status_code == 422
    assert people_count(db) == 0


def test_decomposed_text_is_stored_composed(client, admin, login_as, units, db):
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết")
    unit_nfd = unicodedata.normalize("NFD", "Sở Tài chính")
    post_nfd = unicodedata.normalize("NFD", "Phó Giám đốc Sở")
    login_as(admin)
    preview = upload(client, xlsx([("C1", nfd, "Nữ", 1988, post_nfd, unit_nfd, "")]))
    assert preview.status_code == 200
    client.post(f"/org/people/import/{staged_id(preview)}/apply")
    person = db.session.execute(select(Person)).scalar_one()
    assert person.full_name == "Nguyễn Thị Ánh Tuyết"
    assert person.unit.name == "Sở Tài chính"
    assert unicodedata.is_normalized("NFC", person.post.name)


def test_csv_files_with_semicolons_import(client, admin, login_as, units, db):
    content = ("Mã cán bộ;Họ và tên;Đơn vị;Năm sinh\n"
               "D1;Bùi Thị Dung;SNV;1991\nD2;Đinh Văn Đông;SNV;\n").encode("utf-8-sig")
    login_as(admin)
    preview = upload(client, content, "ds.csv")
    assert preview.status_code == 200
    client.post(f"/org/people/import/{staged_id(preview)}/apply")
    assert sorted(p.full_name for p in db.session.execute(select(Person)).scalars()) == [
        "Bùi Thị Dung", "Đinh Văn Đông"]


def test_export_round_trips_through_import(client, admin, login_as, factory, units, db):
    post = factory.post("Giám đốc Sở")
    factory.person("Trần Văn Đạt", units["snv"], staff_code="E1", post=post)
    factory.person("Lê Thị Ánh", units["snv"], staff_code="E2")
    factory.person("Phạm Văn An", units["stc"], staff_code="E3")
    login_as(admin)
    response = client.get("/org/people/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][:7]) == ["Mã cán bộ", "Họ và tên", "Giới tính", "Năm sinh", "Chức vụ",
                                 "Mã đơn vị", "Đơn vị"]
    assert [r[1] for r in rows[1:]] == ["Phạm Văn An", "Lê Thị Ánh", "Trần Văn Đạt"]
    assert rows[3][4] == "Giám đốc Sở"
    # The unit by its code and by its name (a unit without a code: by its name alone).
    assert rows[3][5:7] == ("SNV", "Sở Nội vụ") and rows[1][5:7] == (None, "Sở Tài chính")
    # Columns as wide as their content, the headings kept in view.
    assert sheet.column_dimensions["B"].width >= len("Trần Văn Đạt")
    assert sheet.column_dimensions["G"].width >= len("Sở Tài chính")
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    preview = upload(client, response.data, "export.xlsx")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert ": 3</li>" in html.split("import-summary")[1].split("</ul>")[0].split("<li>")[4]


def test_cli_import_people(app, admin, units, db, tmp_path):
    path = tmp_path / "people.xlsx"
    path.write_bytes(xlsx([("F1", "Hoàng Văn Phúc", "Nam", 1970, "", "SNV", "")]))
    result = app.test_cli_runner().invoke(args=["import-people", str(path), "--as", "quantri"])
    assert result.exit_code == 0, result.output
    assert people_count(db) == 1
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([("F2", "", "Nam", 1970, "", "SNV", "")]))
    result = app.test_cli_runner().invoke(args=["import-people", str(bad), "--as", "quantri"])
    assert result.exit_code != 0 and "2" in result.output
    assert people_count(db) == 1


# ---------------------------------------------------------------- the template; unit columns

UNIT_HEADINGS = ["Mã cán bộ", "Họ và tên", "Mã đơn vị", "Đơn vị"]


def test_the_import_page_offers_a_template_that_imports(client, admin, login_as, units, db):
    login_as(admin)
    page = client.get("/org/people/import").get_data(as_text=True)
    assert 'href="/org/people/import/template.xlsx"' in page
    response = client.get("/org/people/import/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "mau-nhap-can-bo.xlsx" in response.headers["Content-Disposition"]

    workbook = load_workbook(io.BytesIO(response.data))
    sheet, notes = workbook.worksheets
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == ["Mã cán bộ", "Họ và tên", "Giới tính", "Năm sinh", "Chức vụ",
                             "Mã đơn vị", "Đơn vị", "Nhóm nhiệm vụ", "Đang công tác", "Loại",
                             "Mã người quản lý", "Ngày bắt đầu công tác"]
    assert len(rows) == 2 and rows[1][1] == "Nguyễn Văn An"
    # Drop-down lists for the columns with fixed words.
    lists = {v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists == {'"Nam,Nữ"', '"Có,Không"', '"Công chức,Viên chức,Cán bộ"'}
    # The second sheet explains every column.
    explained = [r[0] for r in notes.iter_rows(min_row=2, values_only=True) if r and r[0]]
    assert explained[:12] == list(rows[0])

    # The example row, as downloaded, passes the checks (one new person in a unit of ours).
    preview = upload(client, response.data, "mau-nhap-can-bo.xlsx")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html[html.find("import-errors"):][:600]
    assert "Nguyễn Văn An" in html
    client.post(f"/org/people/import/{staged_id(preview)}/apply")
    assert people_count(db) == 1


def test_units_by_code_by_name_or_both(client, admin, login_as, units, db):
    login_as(admin)
    good = xlsx([("K1", "Lê Văn Mã", "SNV", ""), ("K2", "Lê Văn Tên", "", "Sở Tài chính"),
                 ("K3", "Lê Văn Cả", "snv", "Sở Nội vụ")], headings=UNIT_HEADINGS)
    preview = upload(client, good)
    assert preview.status_code == 200
    client.post(f"/org/people/import/{staged_id(preview)}/apply")
    assert people_count(db) == 3

    bad = xlsx([("K4", "Lê Văn Sai", "SNV", "Sở Tài chính"),
                ("K5", "Lê Văn Lạ", "KHONGCO", ""), ("K6", "Lê Văn Thiếu", "", "")],
               headings=UNIT_HEADINGS)
    response = upload(client, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Mã đơn vị SNV là Sở Nội vụ, không phải Sở Tài chính" in html
    assert "Không có đơn vị nào có mã KHONGCO" in html
    assert people_count(db) == 3

    # Without either unit column the file is refused before any row.
    refused = upload(client, xlsx([("K7", "Lê Văn Bảy")], headings=["Mã cán bộ", "Họ và tên"]))
    assert refused.status_code == 422
    assert "Mã đơn vị / Đơn vị" in refused.get_data(as_text=True)


@pytest.mark.only_on("sqlite")
def test_cli_import_reads_the_file_before_taking_the_write_lock(app, admin, units, db,
                                                                tmp_path):
    """As on the page: the command parses the file in a reader transaction and takes SQLite's
    write lock only after (a long file never stops voting); a refused file never takes it."""
    from sqlalchemy import event

    sent: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        sent.append(statement.split()[0].upper() + (" IMMEDIATE" if "IMMEDIATE" in statement
                                                     else ""))

    path = tmp_path / "people.xlsx"
    path.write_bytes(xlsx([("F1", "Hoàng Văn Phúc", "Nam", 1970, "", "SNV", "")]))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK not a workbook")
    db.session.commit()
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        result = app.test_cli_runner().invoke(args=["import-people", str(path), "--as",
                                                    "quantri"])
        assert result.exit_code == 0, result.output
        good = list(sent)
        sent.clear()
        result = app.test_cli_runner().invoke(args=["import-people", str(bad), "--as",
                                                    "quantri"])
        assert result.exit_code != 0
        refused = list(sent)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert good[0] == "BEGIN" and "BEGIN IMMEDIATE" in good
    assert good.index("BEGIN IMMEDIATE") > good.index("SELECT")  # the reads came first
    assert "BEGIN IMMEDIATE" not in refused and "INSERT" not in refused
