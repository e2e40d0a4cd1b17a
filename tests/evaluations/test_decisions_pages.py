"""The decision pages over HTTP: the decision screen names every broken rule and the people;
before release nobody but the round's admins sees a level; after it each person sees only
their own; a petition through the page; the export downloads as .xlsx."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from evalapp.auth.models import Role
from evalapp.evaluations import decisions
from evalapp.evaluations.models import Petition
from evalapp.tally.scales import Level
from tests.conftest import PASSWORD
from tests.evaluations.test_decisions import _break_head, person, scored_round


def _client(app, user):
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_the_decision_screen_lists_breaches_and_the_my_result_page_waits_for_release(
        db, factory, app):
    dept, round_ = scored_round(db, 1, 3)
    _break_head(round_, dept)
    db.session.commit()
    admin = factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit)
    head = person(round_, dept, 0, 0)
    client = admin_client = _client(app, admin)
    page = client.get(f"/evaluations/{round_.id}/decision").get_data(as_text=True)
    assert str(decisions.RULE_LABELS["head_above_unit"]) in page and head.full_name in page
    refused = client.post(f"/evaluations/{round_.id}/decision/finalise",
                          data={"number": "5/QĐ", "decided_on": "20/12/2026"})
    assert refused.status_code == 422
    assert str(decisions.RULE_LABELS["head_above_unit"]) in refused.get_data(as_text=True)
    assert client.post(f"/evaluations/{round_.id}/decision/propose",
                       data={"rated": f"p-{head.id}", "level": "htnv"}).status_code == 302
    assert client.post(f"/evaluations/{round_.id}/decision/finalise",
                       data={"number": "5/QĐ", "decided_on": "20/12/2026"}).status_code == 302
    db.session.expire_all()
    assert round_.decision_date == date(2026, 12, 20)

    one, two = person(round_, dept, 0, 1), person(round_, dept, 0, 2)
    user_one = factory.user("mot", roles=(), person=one.person)
    client = _client(app, user_one)
    page = client.get(f"/evaluations/{round_.id}/my-result").get_data(as_text=True)
    label = decisions.level_label(Level.GOOD)
    assert 'id="my-level"' not in page and label not in page  # not released
    assert client.get(f"/evaluations/{round_.id}/decision").status_code == 403
    assert client.get(f"/evaluations/{round_.id}/export.xlsx").status_code == 403
    assert admin_client.post(f"/evaluations/{round_.id}/decision/release").status_code == 302
    page = client.get(f"/evaluations/{round_.id}/my-result").get_data(as_text=True)
    assert 'id="my-level"' in page and one.full_name in page and two.full_name not in page
    assert client.post(f"/evaluations/{round_.id}/my-result/petition",
                       data={"text": "Đề nghị xem xét lại"}).status_code == 302
    assert db.session.query(Petition).filter_by(rated_person_id=one.id).count() == 1
    client = admin_client
    response = client.get(f"/evaluations/{round_.id}/export.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 5 and rows[1][9] == "5/QĐ"
    page = client.get(f"/evaluations/{round_.id}/petitions").get_data(as_text=True)
    assert "Đề nghị xem xét lại" in page
    item = db.session.query(Petition).one()
    assert client.post(f"/evaluations/{round_.id}/petitions/{item.id}/accept",
                       data={"level": "htnv", "reason": "Xem xét lại", "number": "6/QĐ",
                             "decided_on": "28/12/2026"}).status_code == 302
    db.session.expire_all()
    assert decisions.current_decision(one).number == "6/QĐ" and one.level is Level.COMPLETED
