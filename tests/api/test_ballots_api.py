"""Confidence rounds through the JSON API only: the same services, permissions and secrecy as
the pages, driven with API tokens."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.auth.services import create_api_token
from evalapp.ballots.builder import KEY_HOLDERS
from evalapp.ballots.models import BallotCandidate, BallotRound, BallotVoter
from evalapp.box.models import BoxBallot, BoxMark, BoxParticipation, BoxReceipt, BoxSealedBallot

ROUNDS = "/api/v1/ballot-rounds"


class Api:
    """The test client with one account's API token."""

    def __init__(self, client, db, user):
        _token, plain = create_api_token(user, "test")
        db.session.commit()
        self.client, self.headers = client, {"Authorization": f"Bearer {plain}"}

    def __getattr__(self, method):
        def send(path, **kwargs):
            return self.client.open(path, method=method.upper(), headers=self.headers, **kwargs)
        return send


@pytest.fixture
def api_as(client, db):
    return lambda user: Api(client, db, user)


def count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def audit_actions(db) -> list[str]:
    return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.seq))
                .scalars())


def box(db) -> tuple[int, ...]:
    """(encrypted ballots, participations); the plain scheme's tables stay empty."""
    assert sum(count(db, m) for m in (BoxBallot, BoxMark, BoxReceipt)) == 0
    return (count(db, BoxSealedBallot), count(db, BoxParticipation))


def set_keys(api, rid):
    """The counting team protects its shares of the round's key (builder.KEY_HOLDERS)."""
    for holder, passphrase in KEY_HOLDERS:
        response = api.post(f"{ROUNDS}/{rid}/keys",
                            json={"holder": holder, "passphrase": passphrase})
        assert response.status_code == 201, response.json


def unlock(api, rid, numbers=(1, 2)):
    for number in numbers:
        response = api.post(f"{ROUNDS}/{rid}/keys/{number}/unlock",
                            json={"passphrase": KEY_HOLDERS[number - 1][1]})
        assert response.status_code == 200, response.json


@pytest.fixture
def hall(factory):
    """A provincial committee: three people to vote on, six members with accounts, officers."""
    province = factory.unit("Tỉnh ủy Hà Nam")
    unit = factory.unit("Ban Tổ chức Tỉnh ủy", parent=province)
    secretary_post = factory.post("Trưởng ban", rank=1)
    deputy_post = factory.post("Phó Trưởng ban", rank=2)
    head = factory.person("Nguyễn Văn Trưởng", unit, post=secretary_post)
    deputy = factory.person("Trần Thị Phó", unit, post=deputy_post)
    retiring = factory.person("Lê Văn Hưu", unit)
    members = [factory.person(f"Phạm Văn Ủy{i}", unit) for i in range(1, 7)]
    return {
        "unit": unit, "province": province, "head": head, "deputy": deputy,
        "retiring": retiring, "members": members,
        "admin": factory.user("tochuc", roles=(Role.ADMIN,), unit=province),
        "secretary": factory.user("thuky", roles=(Role.SECRETARY,)),
        "counter_head": factory.user("kiemphieu1", roles=(Role.COUNTER,)),
        "counter": factory.user("kiemphieu2", roles=(Role.COUNTER,)),
        "voters": [factory.user(f"uy{i}", roles=(Role.VOTER,), person=p)
                   for i, p in enumerate(members, start=1)],
        "evaluee": factory.user("pho", roles=(Role.EVALUEE,), person=deputy),
        "outsider": factory.user("khac", roles=(Role.ADMIN,), unit=factory.unit("Sở Y tế")),
    }


def create(api, unit, **fields):
    body = {"title": "Lấy phiếu tín nhiệm năm 2026", "body_name": "Tỉnh ủy Hà Nam",
            "unit_id": unit.id, "place": "Hội trường A", "meeting_date": "2026-12-01",
            "scale": "three_level", "preset": "party-2023"} | fields
    response = api.post(ROUNDS, json=body)
    assert response.status_code == 201, response.json
    return response.json


def test_a_whole_round_through_the_api(db, hall, api_as):
    admin = api_as(hall["admin"])
    secretary = api_as(hall["secretary"])
    counter = api_as(hall["counter"])
    voters = [api_as(u) for u in hall["voters"]]
    evaluee = api_as(hall["evaluee"])
    outsider = api_as(hall["outsider"])

    # The admin creates and configures the round.
    created = create(admin, hall["unit"])
    rid = created["id"]
    assert created["status"] == "draft" and created["meeting_date"] == "2026-12-01"
    assert created["settings"] == {"base": "collected", "bad_line_voids_ballot": True,
                                   "results_to_candidates": True, "publish_to_voters": False,
                                   "secrecy_threshold": 5, "ballot_kinds": "browser",
                                   "paper_entries": 1, "paper_mode": "ballots",
                                   "percent_places": 2}
    assert created["levels"] == ["high", "confidence", "low"]
    assert admin.get(f"{ROUNDS}/{rid}").json["title"] == "Lấy phiếu tín nhiệm năm 2026"
    assert [r["id"] for r in admin.get(ROUNDS).json["items"]] == [rid]
    patched = admin.patch(f"{ROUNDS}/{rid}", json={"place": "Hội trường B",
                                                   "secrecy_threshold": 6})
    assert patched.status_code == 200
    assert patched.json["place"] == "Hội trường B"
    assert patched.json["settings"]["secrecy_threshold"] == 6
    assert patched.json["title"] == "Lấy phiếu tín nhiệm năm 2026"  # absent: unchanged

    people = [hall["retiring"], hall["deputy"], hall["head"]]
    body = admin.post(f"{ROUNDS}/{rid}/candidates",
                      json={"person_ids": [p.id for p in people]}).json
    # Highest post first, as the admin usually orders them; name, post and unit copied.
    assert [(c["full_name"], c["post_name"], c["position"]) for c in body["candidates"]] == [
        ("Nguyễn Văn Trưởng", "Trưởng ban", 1), ("Trần Thị Phó", "Phó Trưởng ban", 2),
        ("Lê Văn Hưu", None, 3)]
    head_id, deputy_id, retiring_id = (c["id"] for c in body["candidates"])
    body = admin.put(f"{ROUNDS}/{rid}/candidates/order",
                     json={"candidate_ids": [retiring_id, head_id, deputy_id]}).json
    assert [c["id"] for c in body["candidates"]] == [retiring_id, head_id, deputy_id]
    admin.post(f"{ROUNDS}/{rid}/candidates/{retiring_id}/exclusion", json={"reason": "Nghỉ"})
    body = admin.post(f"{ROUNDS}/{rid}/candidates/{retiring_id}/exclusion",
                      json={"reason": None}).json
    assert body["candidates"][0]["excluded"] is False
    body = admin.post(f"{ROUNDS}/{rid}/candidates/{retiring_id}/exclusion",
                      json={"reason": "Đã có thông báo nghỉ hưu"}).json
    assert body["candidates"][0] == {
        "id": retiring_id, "person_id": hall["retiring"].id, "position": 1,
        "full_name": "Lê Văn Hưu", "post_name": None, "unit_name": "Ban Tổ chức Tỉnh ủy",
        "excluded": True, "exclusion_reason": "Đã có thông báo nghỉ hưu"}

    members = hall["members"]
    body = admin.post(f"{ROUNDS}/{rid}/voters",
                      json={"person_ids": [p.id for p in members]}).json
    assert len(body["voters"]) == 6 and not any(v["present"] for v in body["voters"])
    voter_ids = {v["person_id"]: v["id"] for v in body["voters"]}
    body = admin.put(f"{ROUNDS}/{rid}/officers", json={
        "chair_user_id": None, "secretary_user_id": hall["secretary"].id,
        "counter_head_user_id": hall["counter_head"].id,
        "counter_user_ids": [hall["counter"].id]}).json
    assert sorted((o["role"], o["user_id"]) for o in body["officers"]) == sorted([
        ("secretary", hall["secretary"].id), ("counter_head", hall["counter_head"].id),
        ("counter", hall["counter"].id)])
    assert admin.post(f"{ROUNDS}/{rid}/transitions/start-attendance").json["status"] == \
        "attendance"

    # The secretary takes attendance (five of six: quorum) and opens the vote.
    present = [voter_ids[p.id] for p in members[:5]]
    body = secretary.put(f"{ROUNDS}/{rid}/attendance", json={"present_voter_ids": present})
    assert body.status_code == 200
    assert sum(v["present"] for v in body.json["voters"]) == 5
    set_keys(counter, rid)
    assert secretary.post(f"{ROUNDS}/{rid}/transitions/open").json["status"] == "voting"

    # A voter sees the round as on its page (the excluded person marked), not the roll.
    seen = voters[0].get(f"{ROUNDS}/{rid}").json
    assert "voters" not in seen
    assert [(c["id"], c["excluded"]) for c in seen["candidates"]] == [
        (retiring_id, True), (head_id, False), (deputy_id, False)]
    assert seen["you"] == {
        "may_manage": False, "may_run_meeting": False, "may_count": False,
        "may_see_all_results": False, "may_see_own_result": False,
        "voter_id": voter_ids[members[0].id], "present": True, "has_voted": False,
        "candidate_id": None}

    # Five voters cast; one tries twice, one first sends an incomplete ballot.
    marks = [("high", "low"), ("high", "low"), ("confidence", "low"), ("low", "high"),
             ("confidence", "confidence")]
    incomplete = voters[2].post(f"{ROUNDS}/{rid}/ballot",
                                json={"marks": {str(head_id): "high"}})
    assert incomplete.status_code == 422
    excluded = voters[1].post(f"{ROUNDS}/{rid}/ballot", json={"marks": {
        str(head_id): "high", str(deputy_id): "high", str(retiring_id): "low"}})
    assert excluded.status_code == 422
    assert box(db) == (0, 0)
    trackers = []
    for api, (on_head, on_deputy) in zip(voters, marks, strict=False):
        response = api.post(f"{ROUNDS}/{rid}/ballot", json={"marks": {
            str(head_id): on_head, str(deputy_id): on_deputy}})
        assert response.status_code == 201, response.json
        assert set(response.json) == {"round_id", "tracker"}  # the marks are never echoed
        trackers.append(response.json["tracker"])
    again = voters[0].post(f"{ROUNDS}/{rid}/ballot", json={"marks": {
        str(head_id): "low", str(deputy_id): "low"}})
    assert again.status_code == 409
    absent = voters[5].post(f"{ROUNDS}/{rid}/ballot", json={"marks": {
        str(head_id): "low", str(deputy_id): "low"}})
    assert absent.status_code == 403
    assert box(db) == (5, 5)
    assert voters[0].get(f"{ROUNDS}/{rid}").json["you"]["has_voted"] is True

    turnout = secretary.get(f"{ROUNDS}/{rid}/turnout").json
    assert turnout == {"round_id": rid, "status": "voting", "summoned": 6, "present": 5,
                       "voted": 5, "quorum_met": True}
    assert voters[0].get(f"{ROUNDS}/{rid}/turnout").status_code == 403
    assert secretary.get(f"{ROUNDS}/{rid}/results").status_code == 409  # no partial results
    assert voters[0].get(f"{ROUNDS}/{rid}/trackers").status_code == 409

    # The secretary closes; the counting team counts.
    assert counter.post(f"{ROUNDS}/{rid}/transitions/close").status_code == 403
    assert secretary.post(f"{ROUNDS}/{rid}/transitions/close").json["status"] == "closed"
    listed = voters[3].get(f"{ROUNDS}/{rid}/trackers").json
    assert listed["count"] == 5 and sorted(listed["trackers"]) == sorted(trackers)
    assert len(listed["box_digest"]) == 64
    early = counter.post(f"{ROUNDS}/{rid}/transitions/count")
    assert early.status_code == 409 and "2" in early.json["error"]["message"]  # 2 of 3 must unlock
    unlock(counter, rid)
    assert counter.post(f"{ROUNDS}/{rid}/transitions/count").json["status"] == "counted"

    results = counter.get(f"{ROUNDS}/{rid}/results").json
    assert results["scope"] == "all" and results["base"] == "collected"
    assert results["base_value"] == 5
    assert results["counts"] == {"summoned": 6, "present": 5, "issued": 5, "collected": 5,
                                 "valid": 5, "invalid": 0}
    assert results["box_digest"] == listed["box_digest"]
    assert results["secrecy_warning"] is True  # 5 ballots, threshold 6
    assert [(c["full_name"], c["counts"], c["percents"], c["band"])
            for c in results["candidates"]] == [
        ("Nguyễn Văn Trưởng", {"high": 2, "confidence": 2, "low": 1},
         {"high": "40.00", "confidence": "40.00", "low": "20.00"}, None),
        ("Trần Thị Phó", {"high": 1, "confidence": 1, "low": 3},
         {"high": "20.00", "confidence": "20.00", "low": "60.00"}, "over_half"),
    ]

    # Who reads the results: not the voters before publication; the person voted on, only
    # their own line; not an admin of another unit, who does not even see the round.
    assert voters[0].get(f"{ROUNDS}/{rid}/results").status_code == 403
    own = evaluee.get(f"{ROUNDS}/{rid}/results").json
    assert own["scope"] == "own"
    assert [c["candidate_id"] for c in own["candidates"]] == [deputy_id]
    assert own["candidates"][0]["counts"]["low"] == 3
    assert evaluee.get(f"{ROUNDS}/{rid}/trackers").status_code == 403
    assert outsider.get(f"{ROUNDS}/{rid}").status_code == 404
    assert outsider.get(f"{ROUNDS}/{rid}/results").status_code == 404
    assert outsider.get(ROUNDS).json["items"] == []
    assert outsider.post(f"{ROUNDS}/{rid}/transitions/publish").status_code == 404

    assert admin.post(f"{ROUNDS}/{rid}/transitions/publish").status_code == 200
    assert voters[4].get(f"{ROUNDS}/{rid}/results").json["scope"] == "all"
    assert admin.post(f"{ROUNDS}/{rid}/transitions/finalise").json["status"] == "finalised"
    assert admin.post(f"{ROUNDS}/{rid}/transitions/publish").status_code == 409

    actions = audit_actions(db)
    assert actions.count("ballot.cast") == 0  # no entry per ballot: it would give the order
    lifecycle = [a for a in actions if a.startswith("ballot_round.")]
    assert lifecycle == [
        "ballot_round.created", "ballot_round.updated", "ballot_round.candidates_added",
        "ballot_round.candidates_reordered", "ballot_round.candidate_excluded",
        "ballot_round.candidate_included", "ballot_round.candidate_excluded",
        "ballot_round.voters_added", "ballot_round.officers_set",
        "ballot_round.attendance_started", "ballot_round.attendance_recorded",
        *["ballot_round.key_registered"] * 3,
        "ballot_round.voting_opened", "ballot_round.voting_closed",
        *["ballot_round.share_unlocked"] * 2, "ballot_round.counted",
        "ballot_round.published", "ballot_round.finalised"]
    details = " ".join(db.session.execute(select(AuditEntry.details)).scalars())
    assert not any(t in details for t in trackers)


def test_removing_people_and_adding_a_units_voters(db, hall, api_as, factory):
    admin = api_as(hall["admin"])
    rid = create(admin, hall["unit"])["id"]
    body = admin.post(f"{ROUNDS}/{rid}/candidates", json={"person_ids": [hall["head"].id]}).json
    removed = admin.delete(f"{ROUNDS}/{rid}/candidates/{body['candidates'][0]['id']}")
    assert removed.status_code == 200 and removed.json["candidates"] == []
    body = admin.post(f"{ROUNDS}/{rid}/voters", json={"unit_id": hall["unit"].id}).json
    assert len(body["voters"]) == 9  # every active person of the unit
    removed = admin.delete(f"{ROUNDS}/{rid}/voters/{body['voters'][0]['id']}")
    assert removed.status_code == 200 and len(removed.json["voters"]) == 8
    assert admin.delete(f"{ROUNDS}/{rid}/voters/999999").status_code == 404


def test_a_no_confidence_round_on_a_two_level_scale(db, hall, api_as):
    admin = api_as(hall["admin"])
    rid = create(admin, hall["unit"], scale="two_level", preset="assembly-2023")["id"]
    admin.patch(f"{ROUNDS}/{rid}", json={"secrecy_threshold": 1})
    member = hall["members"][0]
    candidate = admin.post(f"{ROUNDS}/{rid}/candidates",
                           json={"person_ids": [hall["deputy"].id]}).json["candidates"][0]
    voter_id = admin.post(f"{ROUNDS}/{rid}/voters",
                          json={"person_ids": [member.id]}).json["voters"][0]["id"]
    admin.post(f"{ROUNDS}/{rid}/transitions/start-attendance")
    admin.put(f"{ROUNDS}/{rid}/attendance", json={"present_voter_ids": [voter_id]})
    set_keys(admin, rid)
    assert admin.post(f"{ROUNDS}/{rid}/transitions/open").json["levels"] == [
        "confidence", "no_confidence"]
    voter = api_as(hall["voters"][0])
    refused = voter.post(f"{ROUNDS}/{rid}/ballot", json={"marks": {str(candidate["id"]): "low"}})
    assert refused.status_code == 422 and box(db) == (0, 0)
    assert voter.post(f"{ROUNDS}/{rid}/ballot", json={
        "marks": {str(candidate["id"]): "no_confidence"}}).status_code == 201
    admin.post(f"{ROUNDS}/{rid}/transitions/close")
    unlock(admin, rid)
    admin.post(f"{ROUNDS}/{rid}/transitions/count")
    results = admin.get(f"{ROUNDS}/{rid}/results").json
    assert results["secrecy_warning"] is False  # one ballot, threshold one
    assert results["candidates"][0]["percents"] == {"confidence": "0.00",
                                                    "no_confidence": "100.00"}
    assert results["candidates"][0]["band"] == "no_confidence"
    # The round's settings publish to voters, but only the publish step does it.
    assert voter.get(f"{ROUNDS}/{rid}/results").status_code == 403


# ---------------------------------------------------------------- bad input changes nothing


@pytest.fixture
def draft(hall, api_as):
    admin = api_as(hall["admin"])
    round_ = create(admin, hall["unit"])
    admin.post(f"{ROUNDS}/{round_['id']}/candidates", json={"person_ids": [hall["head"].id]})
    admin.post(f"{ROUNDS}/{round_['id']}/voters",
               json={"person_ids": [p.id for p in hall["members"]]})
    return admin, round_["id"]


def unchanged(db):
    return (audit_actions(db), count(db, BallotRound), count(db, BallotCandidate),
            count(db, BallotVoter))


@pytest.mark.parametrize("body, status, field", [
    ("{not json", 400, None),
    ("[1, 2]", 400, None),
    ("", 400, None),
    ({"title": 5}, 422, "title"),
    ({"unit_id": "1"}, 422, "unit_id"),
    ({"unit_id": True}, 422, "unit_id"),
    ({"unit_id": 999999}, 422, "unit_id"),
    ({"unit_id": 10**12}, 422, "unit_id"),
    ({"meeting_date": "01/12/2026"}, 422, "meeting_date"),
    ({"meeting_date": "2026-02-30"}, 422, "meeting_date"),
    ({"scale": "four_level"}, 422, "scale"),
    ({"preset": "party-1990"}, 422, None),
    ({"title": "  "}, 422, None),
    ({"title": "x" * 301}, 422, "title"),
    ({"colour": "red"}, 422, "colour"),
])
def test_creating_with_bad_input_changes_nothing(db, hall, api_as, body, status, field):
    admin = api_as(hall["admin"])
    before = unchanged(db)
    if isinstance(body, dict):
        response = admin.post(ROUNDS, json={
            "title": "Lấy phiếu", "body_name": "Tỉnh ủy", "unit_id": hall["unit"].id} | body)
    else:
        response = admin.post(ROUNDS, data=body, content_type="application/json")
    assert response.status_code == status, response.json
    assert response.is_json and response.json["error"]["message"]
    if field:
        assert response.json["error"]["errors"][0]["field"] == field
    assert unchanged(db) == before


def test_missing_fields_are_named(db, hall, api_as):
    response = api_as(hall["admin"]).post(ROUNDS, json={"title": "Lấy phiếu"})
    assert response.status_code == 422
    [error] = response.json["error"]["errors"]
    assert error["field"] == "body_name" and "body_name" in error["message"]


def test_creating_outside_ones_units_is_refused(db, hall, api_as):
    outsider, voter = api_as(hall["outsider"]), api_as(hall["voters"][0])
    before = unchanged(db)
    response = outsider.post(ROUNDS, json={
        "title": "Lấy phiếu", "body_name": "Tỉnh ủy", "unit_id": hall["unit"].id})
    assert response.status_code == 403
    assert voter.post(ROUNDS, json={"title": "x"}).status_code == 403
    assert unchanged(db) == before


@pytest.mark.parametrize("method, path, body, status", [
    ("patch", "", {}, 422),
    ("patch", "", {"scale": "two_level"}, 422),
    ("patch", "", {"base": "everyone"}, 422),
    ("patch", "", {"secrecy_threshold": 5000}, 422),
    ("patch", "", {"secrecy_threshold": "5"}, 422),
    ("patch", "", {"publish_to_voters": "yes"}, 422),
    ("post", "/candidates", {"person_ids": [999999]}, 422),
    ("post", "/candidates", {"person_ids": "1,2"}, 422),
    ("post", "/candidates", {"person_ids": [1.5]}, 422),
    ("post", "/candidates", {"person_ids": [True]}, 422),
    ("post", "/candidates", {"person_ids": []}, 422),
    ("post", "/candidates", {"person_id": [1]}, 422),
    ("put", "/candidates/order", {"candidate_ids": [999999]}, 422),
    ("post", "/candidates/999999/exclusion", {"reason": "Nghỉ hưu"}, 404),
    ("post", "/candidates/{candidate}/exclusion", {"reason": "   "}, 422),
    ("post", "/candidates/{candidate}/exclusion", {}, 422),
    ("post", "/voters", {"person_ids": [999999]}, 422),
    ("post", "/voters", {"unit_id": 999999}, 422),
    ("post", "/voters", {"person_ids": [1], "unit_id": 1}, 422),
    ("put", "/officers", {"chair_user_id": 999999, "secretary_user_id": None,
                          "counter_head_user_id": None, "counter_user_ids": []}, 422),
    ("put", "/officers", {"chair_user_id": None}, 422),
    ("put", "/attendance", {"present_voter_ids": []}, 409),  # not taking attendance yet
    ("post", "/transitions/open", None, 409),
    ("post", "/transitions/sideways", None, 404),
    ("post", "/ballot", {"marks": {}}, 403),  # the admin is nobody's voter
])
def test_bad_changes_to_a_round_change_nothing(db, draft, method, path, body, status):
    admin, rid = draft
    candidate = db.session.execute(select(BallotCandidate.id)).scalar_one()
    before = unchanged(db)
    response = getattr(admin, method)(f"{ROUNDS}/{rid}{path.format(candidate=candidate)}",
                                      json=body)
    assert response.status_code == status, response.json
    assert response.is_json and response.json["error"]["message"]
    assert unchanged(db) == before


def test_a_round_that_left_the_draft_cannot_be_edited(db, hall, draft):
    admin, rid = draft
    admin.post(f"{ROUNDS}/{rid}/transitions/start-attendance")
    before = unchanged(db)
    assert admin.patch(f"{ROUNDS}/{rid}", json={"title": "Khác"}).status_code == 409
    assert admin.post(f"{ROUNDS}/{rid}/candidates",
                      json={"person_ids": [hall["deputy"].id]}).status_code == 409
    response = admin.put(f"{ROUNDS}/{rid}/attendance", json={"present_voter_ids": [999999]})
    assert response.status_code == 422
    assert unchanged(db) == before


@pytest.mark.parametrize("marks", [
    "high",
    ["high"],
    {"abc": "high"},
    {"0": "high"},
    {"{candidate}": 3},
    {"{candidate}": "very_high"},
    {"{candidate}": None},
    {"{candidate}": "high", "999999": "low"},
])
def test_malformed_ballots_put_nothing_in_the_box(db, hall, draft, api_as, marks):
    admin, rid = draft
    candidate = db.session.execute(select(BallotCandidate.id)).scalar_one()
    voter_ids = [v["id"] for v in admin.get(f"{ROUNDS}/{rid}").json["voters"]]
    admin.post(f"{ROUNDS}/{rid}/transitions/start-attendance")
    admin.put(f"{ROUNDS}/{rid}/attendance", json={"present_voter_ids": voter_ids})
    set_keys(admin, rid)
    admin.post(f"{ROUNDS}/{rid}/transitions/open")
    if isinstance(marks, dict):
        marks = {k.format(candidate=candidate): v for k, v in marks.items()}
    voter = api_as(hall["voters"][0])
    before = unchanged(db)
    response = voter.post(f"{ROUNDS}/{rid}/ballot", json={"marks": marks})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "very_high" not in text and response.json["error"]["message"]
    assert box(db) == (0, 0) and unchanged(db) == before
    # The voter corrects the ballot and it goes in.
    assert voter.post(f"{ROUNDS}/{rid}/ballot", data=json.dumps(
        {"marks": {str(candidate): "high"}})).status_code == 201
