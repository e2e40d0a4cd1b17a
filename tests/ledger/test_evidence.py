"""Scores imported from other sources: errors row by row with nothing saved, a good file saved
per person, period and source (a re-import replaces), shown on the ledger's period page and,
as evidence beside the general criteria, on the manager's form of the evaluation round."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from evalapp.audit.models import AuditEntry
from evalapp.evaluations import builder, period_sources
from evalapp.ledger import evidence
from evalapp.ledger.models import ImportedScore
from tests.ledger.test_imports import upload, xlsx
from tests.ledger.test_services import rated, world

HEAD = ["Mã cán bộ", "Kỳ", "Nguồn", "Điểm", "Ghi chú"]


def count(db):
    return db.session.scalar(select(func.count()).select_from(ImportedScore))


def test_imported_scores_errors_row_by_row_nothing_saved_then_shown(
        factory, db, client, login_as):
    w = world(factory, db)
    code = w.staff.staff_code
    url = f"/ledger/units/{w.dept.unit.id}/scores"
    login_as(w.users["head"])
    assert client.get(url).status_code == 403      # a manager, not the personnel office
    client.post("/logout")
    login_as(w.users["admin"])
    template = client.get(url + "/template.xlsx")
    assert template.status_code == 200
    bad = xlsx([HEAD,
                [code, "2026", "Sát hạch năng lực", "85", "Đạt"],
                ["KHONG-CO", "13/2026", "", "abc", ""],
                [code, "Q2/2026", "KPI", "1000.5", ""],
                [code, "2026", "Sát hạch năng lực", "80", ""]])
    page = upload(client, url, bad)
    assert page.status_code == 422
    rows = page.get_data(as_text=True).split('id="import-errors"')[1].split("</table>")[0]
    cells = [r.split("</td>")[0:2] for r in rows.split("<tr><td>")[1:]]
    found = [(int(r[0]), r[1].removeprefix("<td>")) for r in cells]
    assert found == [(3, "Mã cán bộ"), (3, "Kỳ hoặc năm"), (3, "Nguồn"), (3, "Điểm"),
                     (4, "Điểm"), (5, "Nguồn")]
    assert count(db) == 0
    good = xlsx([HEAD, [code, "2026", "Sát hạch năng lực", "85", "Đạt"],
                 [code, "03/2026", "KPI", "92,5", ""]])
    assert upload(client, url, good).status_code == 200
    assert count(db) == 2
    again = xlsx([HEAD, [code, "2026", "Sát hạch năng lực", "88", "Phúc khảo"]])
    assert upload(client, url, again).status_code == 200
    assert count(db) == 2
    assert db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.action == "ledger_period.scores_imported")).all() == [
        "ledger_period.scores_imported"] * 2
    client.post("/logout")

    login_as(w.users["head"])
    march = client.get(f"/ledger/people/{w.staff.id}/2026/m03").get_data(as_text=True)
    table = march.split('id="imported-scores"')[1].split("</table>")[0]
    assert "Sát hạch năng lực" in table and "88.0" in table and "92.5" in table
    april = client.get(f"/ledger/people/{w.staff.id}/2026/m04").get_data(as_text=True)
    assert "92.5" not in april.split('id="imported-scores"')[1].split("</table>")[0]

    round_ = builder.round_for(w.dept, year=2026)
    db.session.commit()
    row = rated(round_, w.staff)
    entries = period_sources.collect_evidence([w.staff.id], 2026)[w.staff.id]
    assert entries == [
        period_sources.EvidenceEntry("KPI", "m03", 1, Decimal("92.50"), None),
        period_sources.EvidenceEntry("Sát hạch năng lực", evidence.YEAR, 1, Decimal("88.00"),
                                     "Phúc khảo")]
    form = client.get(f"/evaluations/{round_.id}/people/{row.id}/manager")
    assert form.status_code == 200
    box = form.get_data(as_text=True).split('id="evidence"')[1].split("</section>")[0]
    assert "Sát hạch năng lực" in box and "88,00" in box and "Phúc khảo" in box
