"""The export's second sheet (the rated units) and the deadline for sending the results upward
(NĐ 233/2026 Điều 18.1b: 5 days after the result), read back with openpyxl."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from openpyxl import load_workbook

from evalapp.auth.permissions import SYSTEM
from evalapp.evaluations import decisions, export, services
from tests.evaluations.test_decisions import scored_round


def _sheets(round_):
    book = load_workbook(io.BytesIO(export.results_workbook(SYSTEM, round_)))
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def test_the_export_lists_the_units_and_the_deadline_upward(app, db, factory, client, login_as):
    dept, round_ = scored_round(db, 2, 1)
    dept.unit.code = "SNV-01"
    before = _sheets(round_)
    people_sheet, units_sheet, upward_sheet = before.values()
    assert len(people_sheet) == 1 + len(services.rated_people(round_, included=True))
    # Before the decision: computed levels, no decided level, nothing to send yet.
    assert len(units_sheet) == 1 + len(services.rated_units(round_)) == 4
    assert all(row[4] and not row[5] for row in units_sheet[1:])
    assert dict(upward_sheet)["Tình trạng"].startswith("Chưa")
    decisions.finalise(SYSTEM, round_, "31/QĐ-SNV", date(2026, 12, 21))
    db.session.commit()
    _, units_sheet, upward_sheet = _sheets(round_).values()
    assert units_sheet[0] == ("Mã đơn vị", "Đơn vị", "Kỳ đánh giá", "Điểm",
                              "Mức xếp loại theo tính toán", "Mức xếp loại được quyết định",
                              "Số quyết định", "Ngày quyết định")
    top = next(row for row in units_sheet if row[0] == "SNV-01")
    assert top[1] == dept.unit.name and str(round_.year) in top[2] and top[3] == 85
    assert top[4] == top[5] == "Hoàn thành tốt nhiệm vụ"
    assert top[6] == "31/QĐ-SNV" and top[7].date() == date(2026, 12, 21)
    assert {row[1] for row in units_sheet[1:]} == {u.name for u in services.rated_units(round_)}
    deadline = export.upward_deadline(round_)
    info = dict(upward_sheet)
    assert info["Hạn gửi kết quả lên cấp trên"].date() == deadline.due
    assert (deadline.due - deadline.result_on).days == 5
    assert info["Tình trạng"] == "Đúng hạn"  # finalised today
    # The fifth day is still on time; the sixth is late.
    assert not export.upward_deadline(round_, today=deadline.due).late
    assert export.upward_deadline(round_, today=date.fromordinal(
        deadline.due.toordinal() + 1)).late
    # Finalised long ago: shown late in the workbook and on the round's pages.
    round_.finalised_at = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    db.session.commit()
    info = dict(_sheets(round_)["Gửi kết quả lên cấp trên"])
    assert info["Hạn gửi kết quả lên cấp trên"].date() == date(2026, 1, 10)
    assert info["Tình trạng"] == "Quá hạn"
    login_as(factory.user("quantri-xk"))
    for url in (f"/evaluations/{round_.id}", f"/evaluations/{round_.id}/decision"):
        html = client.get(url).get_data(as_text=True)
        assert 'id="upward-deadline"' in html and "10/01/2026" in html
        assert 'id="upward-late"' in html
