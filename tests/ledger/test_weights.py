"""Source weights: set on the Quy chế editor (each save a new version; bad weights refused with
nothing saved), they change the score the ledger feeds the round by the exact hundredths of
the rule; a source without a weight is evidence only and changes nothing."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from evalapp.auth.permissions import SYSTEM
from evalapp.evaluations import assessments, builder, services
from evalapp.evaluations.models import Regulation
from evalapp.ledger import services as ledger
from tests.evaluations.test_setup_regulations import _form
from tests.ledger.test_imports import xlsx
from tests.ledger.test_services import rated, world

HEAD = ["Mã cán bộ", "Kỳ", "Nguồn", "Điểm", "Ghi chú"]


def test_a_weighted_source_changes_the_fed_score_by_the_expected_hundredths(
        factory, db, client, login_as):
    w = world(factory, db)
    unit = w.dept.unit
    login_as(w.users["admin"])
    url = f"/evaluations/regulations/{unit.id}/edit"
    content = services.latest_regulation(unit).content
    versions = db.session.scalar(select(func.count()).select_from(Regulation))
    bad = _form(content, **{"source-0-name": "Sát hạch năng lực", "source-0-weight": "31"})
    page = client.post(url, data=bad)
    assert page.status_code == 422 and 'id="problems-sources"' in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Regulation)) == versions
    good = _form(content, **{"source-0-name": "Sát hạch năng lực", "source-0-weight": "6"})
    assert client.post(url, data=good).status_code == 302
    regulation = services.latest_regulation(unit)
    assert regulation.content["sources"] == {"Sát hạch năng lực": "6"}
    editor = client.get(url).get_data(as_text=True)
    assert 'value="Sát hạch năng lực"' in editor

    ledger.carry_catalogue(SYSTEM, unit, regulation)
    report = next(p for p in ledger.catalogue(unit) if p.name == "Báo cáo chuyên đề")
    head = w.users["head"]
    january = ledger.period_of(head, w.staff, 2026, "m01")
    assert january.regulation_id == regulation.id
    item = ledger.assign_item(head, january, product_id=report.id, quantity="2",
                              due_on=date(2026, 1, 31))
    ledger.complete_item(w.users["staff"], item, delivered="2", delivered_on=date(2026, 1, 5))
    ledger.score_period(head, january, general="27")
    ledger.confirm(head, january)
    db.session.commit()
    round_ = builder.round_for(w.dept, year=2026)
    db.session.commit()
    row = rated(round_, w.staff)
    assert row.periods[0]["score"] == "97.00"          # 70 + 27: no score from the source yet

    def send(rows):
        response = client.post(f"/ledger/units/{unit.id}/scores", data={
            "file": (io.BytesIO(xlsx([HEAD, *rows])), "diem.xlsx")},
            content_type="multipart/form-data")
        assert response.status_code == 200
        db.session.refresh(row)

    send([[w.staff.staff_code, "01/2026", "KPI", "10", ""]])      # not weighted: evidence only
    assert row.periods[0]["score"] == "97.00"
    send([[w.staff.staff_code, "2026", "Sát hạch năng lực", "85", ""]])
    # general: 27 × 24/30 + 6 × 0.85 = 21.60 + 5.10 = 26.70 → 70 + 26.70
    assert row.periods[0]["score"] == "96.70"
    assert assessments.retained_total(row) == Decimal("96.70")
    assert db.session.get(type(january), january.id).score == 9700   # the kept score stays


def test_the_publics_ratings_are_a_source_a_weight_can_count(factory, db, client, login_as):
    """Public ratings weigh as their mean face × 20, under the name the Quy chế editor gives."""
    from evalapp.ledger import ratings

    w = world(factory, db)
    unit = w.dept.unit
    login_as(w.users["admin"])
    url = f"/evaluations/regulations/{unit.id}/edit"
    name = ratings.source_name()
    assert name in client.get(url).get_data(as_text=True)
    content = services.latest_regulation(unit).content
    good = _form(content, **{"source-0-name": name, "source-0-weight": "3"})
    assert client.post(url, data=good).status_code == 302
    regulation = services.latest_regulation(unit)
    ledger.carry_catalogue(SYSTEM, unit, regulation)
    report = next(p for p in ledger.catalogue(unit) if p.name == "Báo cáo chuyên đề")
    desk = ratings.set_desk(SYSTEM, w.staff, True)
    for n, face in enumerate([5, 4, 3]):   # mean 4 → 80 of 100
        ratings.rate(desk, device_id=f"phone-{n}", choice=face, comment=None,
                     day=date(2026, 1, 12))
    ratings.rate(desk, device_id="phone-x", choice=1, comment=None, day=date(2026, 2, 2))
    head = w.users["head"]
    january = ledger.period_of(head, w.staff, 2026, "m01")
    item = ledger.assign_item(head, january, product_id=report.id, quantity="2",
                              due_on=date(2026, 1, 31))
    ledger.complete_item(w.users["staff"], item, delivered="2", delivered_on=date(2026, 1, 5))
    ledger.score_period(head, january, general="27")
    ledger.confirm(head, january)
    db.session.commit()
    round_ = builder.round_for(w.dept, year=2026)
    db.session.commit()
    row = rated(round_, w.staff)
    # general: 27 × 27/30 + 3 × 0.80 = 24.30 + 2.40 = 26.70 (January's ratings only)
    assert row.periods[0]["score"] == "96.70"
    assert db.session.get(type(january), january.id).score == 9700
