"""The general criteria given once a year: until the manager gives the year's points the
months are not fed; once given, the round's year score = year task score from the months + the
year's general points (and follows a change); the person cannot give their own; a Quy chế
scoring them per period refuses the year's form."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from evalapp.audit.models import AuditEntry
from evalapp.auth.permissions import SYSTEM
from evalapp.evaluations import assessments, builder, services
from evalapp.ledger import evidence
from evalapp.ledger import services as ledger
from evalapp.ledger.models import YearGeneral
from tests.ledger.test_services import rated, world


def per_year(w, db):
    old = services.regulation_for_unit(w.dept.unit)
    content = old.content | {"ledger": {"general_per": "year"}}
    services.save_regulation(SYSTEM, w.dept.unit, preset_key="decree-335-2025",
                             title="Quy chế chấm tiêu chí chung theo năm", content=content)
    w.report = ledger.add_product(SYSTEM, w.dept.unit, name="Báo cáo chuyên đề", group="N2",
                                  measure="báo cáo", factor="2")
    db.session.commit()


def confirmed_month(w, db, key, delivered):
    head = w.users["head"]
    period = ledger.period_of(head, w.staff, 2026, key)
    item = ledger.assign_item(head, period, product_id=w.report.id, quantity="2",
                              due_on=date(2026, 12, 31))
    ledger.complete_item(w.users["staff"], item, delivered=delivered,
                         delivered_on=date(2026, 1, 5))
    ledger.confirm(head, period)
    db.session.commit()
    return period


def test_the_years_general_points_reach_the_round(factory, db, client, login_as):
    w = world(factory, db)
    per_year(w, db)
    january = confirmed_month(w, db, "m01", "2")   # a = b = c = 1: 70
    february = confirmed_month(w, db, "m02", "1")  # a = 1/2, b = c = 1: 58.33
    assert (january.score, february.score) == (7000, 5833)   # out of 70
    round_ = builder.round_for(w.dept, year=2026)
    db.session.commit()
    row = rated(round_, w.staff)
    assert row.periods == []                         # no year's general points yet

    url = f"/ledger/people/{w.staff.id}/years/2026/general"
    login_as(w.users["staff"])
    assert client.post(url, data={"general": "30"}).status_code == 403
    assert 'id="year-general-form"' not in client.get(url).get_data(as_text=True)
    client.post("/logout")
    login_as(w.users["head"])
    assert client.post(url, data={"general": "31"}).status_code == 422
    assert client.post(url, data={"general": "abc"}).status_code == 422
    assert db.session.scalar(select(YearGeneral)) is None
    assert client.post(url, data={"general": "27,5"}).status_code == 302
    db.session.refresh(row)
    assert row.periods == [{"period": "m01", "score": "97.50", "source": None},
                           {"period": "m02", "score": "85.83", "source": None}]
    # mean(70, 58.33) = 64.165 → 64.17 (half up) + 27.50
    assert assessments.retained_total(row) == Decimal("91.67")
    page = client.get(url).get_data(as_text=True)
    assert 'id="year-task">64.17<' in page and 'id="year-score">91.67<' in page
    assert client.post(url, data={"general": "20"}).status_code == 302
    db.session.refresh(row)
    assert assessments.retained_total(row) == Decimal("84.17")
    assert db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.action == "ledger_period.year_scored")).all() == [
        "ledger_period.year_scored"] * 2
    assert evidence.year_general(w.staff.id, 2026).general == 2000


def test_a_quy_che_scoring_per_period_refuses_the_years_form(factory, db, client, login_as):
    w = world(factory, db)
    login_as(w.users["head"])
    url = f"/ledger/people/{w.staff.id}/years/2026/general"
    assert 'id="general-per-period"' in client.get(url).get_data(as_text=True)
    assert client.post(url, data={"general": "25"}).status_code == 422
    assert db.session.scalar(select(YearGeneral)) is None
