"""The evaluation rounds' API: create, take people and units (safely repeated), open, read."""

from __future__ import annotations

from evalapp.auth.services import create_api_token
from evalapp.evaluations import builder
from evalapp.evaluations.models import EvaluationRound, RatedPerson, RoundStatus


def _token(db, user) -> dict:
    _t, token = create_api_token(user, "test")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_an_admin_builds_and_opens_a_round_through_the_api(client, db, admin):
    dept = builder.department(subunits=2, staff_per_unit=2)
    db.session.commit()
    headers = _token(db, admin)
    created = client.post("/api/v1/evaluation-rounds", headers=headers, json={
        "unit_id": dept.unit.id, "title": "Đánh giá năm 2026", "year": 2026,
        "preset": "decree-233-2026"})
    assert created.status_code == 201, created.get_json()
    round_id = created.get_json()["id"]
    assert created.headers["Location"].endswith(f"/evaluation-rounds/{round_id}")
    assert created.get_json()["settings"]["quota_share"] == "1/5"
    taken = client.post(f"/api/v1/evaluation-rounds/{round_id}/people", headers=headers,
                        json={"unit_id": dept.unit.id})
    assert taken.get_json() == {"added": 7, "already": 0, "not_eligible": []}
    again = client.post(f"/api/v1/evaluation-rounds/{round_id}/people", headers=headers,
                        json={"unit_id": dept.unit.id})
    assert again.get_json()["already"] == 7 and again.get_json()["added"] == 0
    assert db.session.query(RatedPerson).count() == 7
    units = client.post(f"/api/v1/evaluation-rounds/{round_id}/units", headers=headers,
                        json={"unit_id": dept.unit.id})
    assert units.get_json() == {"added": 3}
    opened = client.post(f"/api/v1/evaluation-rounds/{round_id}/open", headers=headers)
    assert opened.status_code == 200 and opened.get_json()["status"] == "open"
    assert db.session.get(EvaluationRound, round_id).status == RoundStatus.OPEN
    listed = client.get(f"/api/v1/evaluation-rounds/{round_id}/rated-people?per_page=3",
                        headers=headers).get_json()
    assert listed["total"] == 7 and len(listed["items"]) == 3
    assert client.post(f"/api/v1/evaluation-rounds/{round_id}/open",
                       headers=headers).status_code == 409


def test_bad_bodies_are_refused_and_change_nothing(client, db, admin):
    dept = builder.department(subunits=1, staff_per_unit=1)
    db.session.commit()
    headers = _token(db, admin)
    for bad in ({"unit_id": dept.unit.id, "title": "x", "year": 1999, "preset": "decree-233-2026"},
                {"unit_id": dept.unit.id, "title": "x", "year": 2026, "preset": "nope"},
                {"unit_id": 999999, "title": "x", "year": 2026, "preset": "decree-233-2026"},
                {"unit_id": dept.unit.id, "title": " ", "year": 2026,
                 "preset": "decree-233-2026"}):
        answer = client.post("/api/v1/evaluation-rounds", headers=headers, json=bad)
        assert answer.status_code == 422, (bad, answer.get_json())
    assert db.session.query(EvaluationRound).count() == 0
