"""A whole year rated from the scores of its periods (NĐ 233 Điều 12.5, 15.1a): the manager
enters each quarter's (or month's) score, a transferred person's periods from the old unit
included; the year's score follows the Quy chế's rule and is the score the decision retains
unless the personnel office sends its own."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from evalapp.audit.models import AuditEntry
from evalapp.auth.permissions import SYSTEM
from evalapp.core.errors import NotAllowed, ValidationFailed
from evalapp.evaluations import assessments, decisions, services
from evalapp.evaluations.models import FormStep
from evalapp.tally.scales import Level
from tests.evaluations.forms_world import forms_world, full_points


@pytest.fixture
def w(factory, db):
    return forms_world(factory, db, preset="decree-233-2026")  # tracked by quarter


def test_the_year_is_the_mean_of_the_quarters_and_the_decision_retains_it(w, db):
    assert assessments.period_keys(w.round) == ["q1", "q2", "q3", "q4"]
    year = assessments.set_periods(
        w.users["head"], w.round, w.staff, {"q1": "92", "q2": "88,5", "q3": "90", "q4": ""},
        {"q1": "Phòng Kế hoạch (đơn vị cũ)"})
    db.session.commit()
    assert year == Decimal("90.17")  # (92 + 88.5 + 90) / 3, half up; Q4 not worked
    assert w.staff.periods[0] == {"period": "q1", "score": "92.00",
                                  "source": "Phòng Kế hoạch (đơn vị cũ)"}
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.action == "evaluation_person.periods_set" and "92" not in entry.details
    # The self-assessment says 70; the tracked year wins over it (and over the manager's).
    forms_points = full_points(w.staff, lambda item: (item.max * Decimal("0.7")).quantize(
        Decimal("0.01"), rounding="ROUND_DOWN"))
    assessments.fill_form(w.users["staff"], w.round, w.staff, FormStep.SELF,
                          assessments.Entry(points=forms_points, comments={},
                                            proposed_level="htt", comment="Tự đánh giá"),
                          send=True)
    db.session.commit()
    line = decisions.picture(w.round).line(w.staff)
    assert line.score == Decimal("90.17")
    assert assessments.person_outcome(w.staff).level is Level.EXCELLENT


def test_the_quy_che_can_take_the_last_or_lowest_period(w, db):
    w.round.settings = {**w.round.settings, "year_from": "min"}
    assessments.set_periods(SYSTEM, w.round, w.staff, {"q1": "95", "q2": "68", "q3": "91"})
    assert assessments.tracked_score(w.round, w.staff) == Decimal("68.00")
    assert assessments.person_outcome(w.staff).level is Level.COMPLETED


@pytest.mark.parametrize("bad", ["101", "-1", "9.999", "abc", "NaN"])
def test_a_bad_score_is_refused_and_nothing_changes(w, db, bad):
    assessments.set_periods(SYSTEM, w.round, w.staff, {"q1": "80"})
    db.session.commit()
    with pytest.raises(ValidationFailed):
        assessments.set_periods(SYSTEM, w.round, w.staff, {"q1": "85", "q2": bad})
    db.session.rollback()
    assert w.staff.period_scores == [Decimal("80.00")]


def test_only_the_manager_or_an_admin_enters_them(w, db):
    for who in ("staff", "colleague", "secretary", "outsider"):
        with pytest.raises(NotAllowed):
            assessments.set_periods(w.users[who], w.round, w.staff, {"q1": "99"})
    assessments.set_periods(w.users["admin"], w.round, w.staff, {"q1": "99"})
    assert services.rated_person(w.round, w.staff.id).period_scores == [Decimal("99.00")]


def test_the_manager_enters_them_on_the_page(w, db, client, login_as):
    login_as(w.users["head"])
    url = f"/evaluations/{w.round.id}/people/{w.staff.id}/periods"
    page = client.get(url)
    assert page.status_code == 200 and page.get_data(as_text=True).count('name="period-q') == 4
    refused = client.post(url, data={"period-q1": "120", "period-q2": "80"})
    assert refused.status_code == 422 and 'id="form-error"' in refused.get_data(as_text=True)
    assert services.rated_person(w.round, w.staff.id).periods == []
    saved = client.post(url, data={"period-q1": "80", "period-q2": "90,5"})
    assert saved.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "85,25" in html  # the year's score, in Vietnamese notation
    assert client.get(f"/evaluations/{w.round.id}/people/{w.staff.id}/manager").get_data(
        as_text=True).count('id="periods-link"') == 1
    client.post("/logout")
    login_as(w.users["staff"])
    assert client.get(url).status_code == 403
