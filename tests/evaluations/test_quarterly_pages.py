"""Quarterly reviews over HTTP: the four quarters beside the year's level on the decision screen
and on the person's own result page, the quarterly decision screen saying it has no quota, the
self-review page on the axes (locked once sent), the axes page while a draft, and the new round
form refusing a quarterly review over the year."""

from __future__ import annotations

import re

from flask_babel import gettext

from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.evaluations import builder, decisions, quarterly, services
from evalapp.evaluations.models import EvaluationForm, EvaluationRound, FormStatus, FormStep
from evalapp.tally.scales import Level
from tests.conftest import PASSWORD
from tests.evaluations.test_quarterly import _decide, quarterly_round


def _client(app, user):
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _quarters_shown(page: str, element_id: str) -> dict[str, str]:
    block = re.search(rf'id="{element_id}">(.*?)</div>', page, re.S)
    assert block, element_id
    return dict(re.findall(r'data-quarter="(Q\d)">[^<]*<strong>([^<]*)</strong>',
                           block.group(1)))


def test_the_four_quarters_appear_beside_the_years_level(db, factory, app):
    dept = builder.department(subunits=1, staff_per_unit=2)
    director = dept.heads[dept.unit.id]
    staff = dept.people[dept.subunits[0].id][1]
    _decide(quarterly_round(dept, "q1"), "htxs")
    _decide(quarterly_round(dept, "q3"), "htt")
    _decide(quarterly_round(dept, "q2"), "kht", release=False)  # not released: not shown
    year_round = builder.round_for(dept)
    db.session.commit()
    rated = {r.person_id: r for r in services.rated_people(year_round)}
    admin = factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit)
    client = _client(app, admin)
    page = client.get(f"/evaluations/{year_round.id}/decision").get_data(as_text=True)
    excellent, good = gettext(Level.EXCELLENT.short), gettext(Level.GOOD.short)
    assert _quarters_shown(page, f"quarters-{rated[director.id].id}") == {
        "Q1": excellent, "Q2": "—", "Q3": good, "Q4": "—"}
    assert _quarters_shown(page, f"quarters-{rated[staff.id].id}") == {
        "Q1": "—", "Q2": "—", "Q3": "—", "Q4": "—"}
    assert 'id="no-quota"' not in page

    # The person's own page once the year's result is released.
    for unit in services.rated_units(year_round):
        unit.proposed_level = Level.GOOD
    for person in services.rated_people(year_round):
        person.proposed_level = Level.GOOD
    db.session.flush()
    decisions.finalise(SYSTEM, year_round, "09/QĐ", year_round.created_at.date())
    decisions.release(SYSTEM, year_round)
    db.session.commit()
    own = _client(app, factory.user("gd", roles=(), person=director))
    page = own.get(f"/evaluations/{year_round.id}/my-result").get_data(as_text=True)
    assert _quarters_shown(page, "my-quarters") == {"Q1": excellent, "Q2": "—", "Q3": good,
                                                    "Q4": "—"}


def test_the_quarterly_decision_screen_says_there_is_no_quota(db, factory, app):
    dept = builder.department(subunits=2, staff_per_unit=1)
    round_ = quarterly_round(dept)
    db.session.commit()
    client = _client(app, factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    page = client.get(f"/evaluations/{round_.id}/decision").get_data(as_text=True)
    assert 'id="no-quota"' in page and 'id="quarters-' not in page
    for rated in services.rated_people(round_):
        assert client.post(f"/evaluations/{round_.id}/decision/propose",
                           data={"rated": f"p-{rated.id}", "level": "htxs"}).status_code == 302
    assert client.post(f"/evaluations/{round_.id}/decision/finalise",
                       data={"number": "3/QĐ", "decided_on": "20/03/2026"}).status_code == 302
    db.session.expire_all()
    assert {r.level for r in services.rated_people(round_)} == {Level.EXCELLENT}


def test_the_self_review_page_is_on_the_axes_and_locks_when_sent(db, factory, app):
    dept = builder.department(subunits=1, staff_per_unit=1)
    round_ = quarterly_round(dept)
    db.session.commit()
    director = dept.heads[dept.unit.id]
    client = _client(app, factory.user("gd", roles=(), person=director))
    url = f"/evaluations/{round_.id}/forms/self"
    page = client.get(url).get_data(as_text=True)
    axes = quarterly.axes_of(round_)
    assert all(a["title"] in page for a in axes)
    assert 'name="comment-T6"' in page and 'name="points-T1"' not in page
    texts = {f"comment-{a['code']}": f"Kết quả {a['code']}" for a in axes}
    missing = {k: v for k, v in texts.items() if k != "comment-T3"}
    refused = client.post(url, data={**missing, "proposed_level": "htt", "action": "send",
                                     "confirm": "yes"})
    assert refused.status_code == 422
    assert db.session.query(EvaluationForm).filter_by(status=FormStatus.SENT).count() == 0
    sent = client.post(url, data={**texts, "proposed_level": "htt", "comment": "Tự đánh giá",
                                  "action": "send", "confirm": "yes"})
    assert sent.status_code == 302
    form = db.session.query(EvaluationForm).filter_by(round_id=round_.id,
                                                      step=FormStep.SELF).one()
    assert form.sent and form.content["comments"]["T3"] == "Kết quả T3"
    again = client.post(url, data={**texts, "proposed_level": "htxs", "action": "send",
                                   "confirm": "yes"})
    assert again.status_code == 409
    db.session.expire_all()
    assert form.proposed_level is Level.GOOD


def test_the_axes_page_edits_the_axes_while_a_draft(db, factory, app):
    dept = builder.department(subunits=1, staff_per_unit=1)
    round_ = quarterly_round(dept, open_=False)
    db.session.commit()
    client = _client(app, factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    url = f"/evaluations/{round_.id}/axes"
    page = client.get(url).get_data(as_text=True)
    assert all(a["title"] in page for a in quarterly.axes_of(round_))
    bad = client.post(url, data={"title-1": "Kinh tế", "points-1": "0"})
    assert bad.status_code == 422
    db.session.expire_all()
    assert len(quarterly.axes_of(round_)) == 6
    saved = client.post(url, data={"title-1": "Kinh tế", "points-1": "50", "title-2": "",
                                   "points-2": "", "title-3": "Chuyển đổi số",
                                   "points-3": "50", "scored": "y"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert [a["title"] for a in quarterly.axes_of(round_)] == ["Kinh tế", "Chuyển đổi số"]
    assert round_.settings["scored"] is True
    services.open_round(SYSTEM, round_)
    db.session.commit()
    assert client.post(url, data={"title-1": "Khác", "points-1": "10"}).status_code == 409
    db.session.expire_all()
    assert len(quarterly.axes_of(round_)) == 2


def test_the_new_round_form_refuses_a_quarterly_review_over_the_year(db, factory, app):
    dept = builder.department(subunits=1, staff_per_unit=1)
    db.session.commit()
    client = _client(app, factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    before = db.session.query(EvaluationRound).count()
    data = {"title": "Đánh giá hằng quý", "unit_id": str(dept.unit.id), "year": "2026",
            "preset": "quarterly-leaders", "period": "year"}
    assert client.post("/evaluations/new", data=data).status_code == 422
    assert db.session.query(EvaluationRound).count() == before
    assert client.post("/evaluations/new", data={**data, "period": "q3"}).status_code == 302
    made = db.session.query(EvaluationRound).order_by(EvaluationRound.id.desc()).first()
    assert made.period == "q3" and quarterly.is_quarterly(made)
    assert set(services.due_dates(made).values()) == {made.created_at.date().replace(
        year=2026, month=9, day=14)}
