"""Names never leak across units (issue 10, fault 7).

A unit-scoped admin of unit A, a draft round of A, and people and accounts of unit B whose names
must appear in no response the admin gets: refusals count the people outside the admin's units
without naming them, the officer picker offers only accounts of the round's scope, and an
account outside it is refused without its name — on the pages and through the API.
"""

from __future__ import annotations

import json

import pytest

from evalapp.auth.models import Role
from evalapp.ballots import builder
from evalapp.ballots.models import BallotRound
from tests.api.test_ballots_api import Api

B_PEOPLE = ["Bùi Thị Bêta", "Kiều Văn Khác", "Quách Thị Ngoài"]
B_ACCOUNTS = ["Đinh Văn Bênngoài", "Tạ Thị Xavời"]


@pytest.fixture
def units(factory, db):
    a, b = factory.unit("Sở Nội vụ A"), factory.unit("Sở Công thương B")
    a_people = [factory.person(f"Nguyễn Văn Anh{i}", a) for i in range(3)]
    b_people = [factory.person(name, b) for name in B_PEOPLE]
    admin = factory.user("quantria", roles=(Role.ADMIN,), unit=a, full_name="Lê Văn Quản")
    a_account = factory.user("canboa", roles=(Role.VOTER,), person=a_people[0],
                             full_name=a_people[0].full_name)
    b_accounts = [factory.user("canbob", roles=(Role.VOTER,), person=b_people[0],
                               full_name=B_ACCOUNTS[0]),
                  factory.user("thukyb", roles=(Role.SECRETARY,), unit=b,
                               full_name=B_ACCOUNTS[1])]
    round_ = builder.create(builder.RoundPlan(unit=a, candidates=a_people[1:2],
                                              voters=a_people[2:]))
    db.session.commit()
    return {"a": a, "b": b, "admin": admin, "round": round_, "a_people": a_people,
            "b_people": b_people, "a_account": a_account, "b_accounts": b_accounts}


def _no_b_names(text: str) -> None:
    for name in (*B_PEOPLE, *B_ACCOUNTS, "Sở Công thương B", "canbob", "thukyb"):
        assert name not in text, name


def _roll(db, round_id: int) -> list[int]:
    db.session.expire_all()
    return sorted(v.person_id for v in db.session.get(BallotRound, round_id).voters)


def test_adding_other_units_people_is_refused_without_their_names(units, client, login_as, db):
    round_id, before = units["round"].id, _roll(db, units["round"].id)
    chosen = [units["a_people"][0].id, *(p.id for p in units["b_people"])]
    login_as(units["admin"])
    page = client.post(f"/ballots/{round_id}/voters", data={"person_id": chosen})
    assert page.status_code == 403
    text = page.get_data(as_text=True)
    assert "3 người được chọn nằm ngoài các đơn vị của bạn" in text
    _no_b_names(text)
    page = client.post(f"/ballots/{round_id}/candidates", data={"person_id": chosen})
    assert page.status_code == 403
    _no_b_names(page.get_data(as_text=True))

    api = Api(client, db, units["admin"])
    for path in ("voters", "candidates"):
        answer = api.post(f"/api/v1/ballot-rounds/{round_id}/{path}",
                          json={"person_ids": chosen})
        assert answer.status_code == 403
        assert "3" in answer.json["error"]["message"]
        _no_b_names(json.dumps(answer.json, ensure_ascii=False))  # not \u-escaped
    assert _roll(db, round_id) == before  # nothing changed


def test_the_officer_picker_offers_only_the_rounds_scope(units, client, login_as, db):
    round_id = units["round"].id
    login_as(units["admin"])
    page = client.get(f"/ballots/{round_id}/officers")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert units["a_account"].full_name in text and "quantria" in text
    _no_b_names(text)

    # An account of B sent anyway: refused on the page (not a choice) and through the API,
    # without its name.
    outsider = units["b_accounts"][0]
    page = client.post(f"/ballots/{round_id}/officers", data={"secretary": str(outsider.id)})
    assert page.status_code == 422
    _no_b_names(page.get_data(as_text=True))
    api = Api(client, db, units["admin"])
    for outsider in units["b_accounts"]:
        answer = api.put(f"/api/v1/ballot-rounds/{round_id}/officers", json={
            "counter_user_ids": [], "chair_user_id": None, "secretary_user_id": outsider.id,
            "counter_head_user_id": None})
        assert answer.status_code == 422
        assert "Sở Nội vụ A" in answer.json["error"]["message"]
        _no_b_names(json.dumps(answer.json, ensure_ascii=False))  # not \u-escaped
    db.session.expire_all()
    assert db.session.get(BallotRound, round_id).officers == []
