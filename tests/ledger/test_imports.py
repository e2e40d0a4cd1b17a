"""The import pages: the template's heading row is the one the import reads; a file with wrong
rows shows each error (row, column, Vietnamese message) and saves nothing; a good file saves
its items."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from evalapp.core.spreadsheets import new_workbook, workbook_bytes
from evalapp.ledger.models import Item
from tests.ledger.test_services import world


def xlsx(rows) -> bytes:
    workbook = new_workbook()
    for row in rows:
        workbook.active.append(list(row))
    return workbook_bytes(workbook)


def upload(client, url, content, name="theo-doi.xlsx"):
    return client.post(url, data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_items_import_page_shows_errors_row_by_row_and_saves_nothing(
        factory, db, client, login_as):
    w = world(factory, db)
    url = f"/ledger/units/{w.dept.unit.id}/import"
    login_as(w.users["admin"])
    template = client.get(url + "/template.xlsx")
    assert template.status_code == 200
    headings = [c.value for c in next(load_workbook(io.BytesIO(template.data)).active.rows)]
    assert headings == ["Mã cán bộ", "Kỳ", "Sản phẩm", "Mức độ", "Số lượng", "Hạn hoàn thành"]
    code = w.staff.staff_code
    bad = xlsx([headings,
                [code, "03/2026", "Báo cáo chuyên đề", "", "2", "20/03/2026"],
                ["KHONG-CO", "13/2026", "Báo cáo chuyên đề", "", "2", ""],
                [code, "03/2026", "Sản phẩm lạ", "", "-1", "31/02/2026"]])
    page = upload(client, url, bad)
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    rows = text.split('id="import-errors"')[1].split("</table>")[0]
    assert rows.count("<tr>") == 1 + 5     # heading + five errors
    for row, column, message in (
            (3, "Mã cán bộ", "Không có người nào có mã cán bộ này"),
            (3, "Kỳ đánh giá", "Hãy ghi kỳ"),
            (4, "Sản phẩm", "Sản phẩm này không có trong danh mục"),
            (4, "Số lượng", ""),
            (4, "Hạn hoàn thành", "Ghi ngày theo dạng dd/mm/yyyy")):
        assert f"<tr><td>{row}</td><td>{column}</td><td>{message}" in rows, (row, column)
    assert count(db, Item) == 0
    good = xlsx([headings, [code, "03/2026", "Báo cáo chuyên đề", "", "2", "20/03/2026"],
                 [code, "03/2026", "Công văn", "Phức tạp", "10", ""]])
    assert upload(client, url, good).status_code == 200
    assert count(db, Item) == 2
    assert upload(client, url, b"not a file", "x.pdf").status_code == 422
    assert count(db, Item) == 2
