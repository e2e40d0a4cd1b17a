"""/api/v1/openapi.json is generated from the endpoints' declared schemas: every API route is in
it with its request and answer schemas, the answers the API gives match them, and a field's
limit is the one the service's schema declares, on the page form and in the API alike."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator

from evalapp.auth.models import Role
from evalapp.ballots.builder import KEY_HOLDERS
from evalapp.ballots.forms import RoundForm
from evalapp.ballots.schemas import RoundDetails
from evalapp.core.schemas import max_length_of
from tests.api.test_ballots_api import ROUNDS, Api, create

API = "/api/v1"


@pytest.fixture
def document(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.json


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", rule.removeprefix(API))


def api_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(f"{API}/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def resolve(document, schema: dict) -> dict:
    name = schema["$ref"].removeprefix("#/components/schemas/")
    return document["components"]["schemas"][name]


def test_every_api_route_is_in_the_document_with_its_schemas(app, document):
    from evalapp.api.base import OPERATIONS

    assert document["openapi"] == "3.1.0"
    described = {(path, method.upper()) for path, ops in document["paths"].items()
                 for method in ops}
    routed = {(openapi_path(rule.rule), method) for rule, method in api_rules(app)}
    assert described == routed  # nothing missing, nothing described that does not exist
    for rule, method in api_rules(app):
        operation = document["paths"][openapi_path(rule.rule)][method.lower()]
        declared = OPERATIONS[rule.endpoint]
        where = f"{method} {rule.rule}"
        answers = {code: r for code, r in operation["responses"].items() if code < "300"}
        assert answers, where
        for answer in answers.values():
            [(media_type, content)] = answer["content"].items()
            schema = content["schema"]
            if media_type == "application/json" and declared.ok is not None:
                assert resolve(document, schema)["type"] == "object", where
        if method in ("POST", "PUT", "PATCH") and declared.body is not None:
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            assert resolve(document, body)["additionalProperties"] is False, where
        params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert params == set(rule.arguments), where
        if not declared.public:
            assert "401" in operation["responses"], where
    # Only what the document needs, every reference resolving.
    text = str(document)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in document["components"]["schemas"]


def test_the_steps_in_the_document_are_the_lifecycles(document):
    from evalapp.ballots.lifecycle import ROUND_STEPS

    operation = document["paths"]["/ballot-rounds/{round_id}/transitions/{name}"]["post"]
    [name] = [p for p in operation["parameters"] if p["name"] == "name"]
    assert name["schema"]["enum"] == list(ROUND_STEPS.transition_names)


def test_the_answers_match_the_document(db, document, client, factory):
    """A round driven through the API: every answer validates against the schema the
    document gives for its path, method and status."""
    unit = factory.unit("Ban Tổ chức")
    admin = Api(client, db, factory.user("tochuc", roles=(Role.ADMIN,), unit=unit))
    people = [factory.person(f"Trần Văn Ủy{i}", unit) for i in range(3)]
    voter = Api(client, db, factory.user("uy0", roles=(Role.VOTER,), person=people[0]))
    checked = []

    def check(method: str, path: str, response, template: str):
        operation = document["paths"][template][method]
        answer = operation["responses"][str(response.status_code)]
        schema = answer["content"]["application/json"]["schema"]
        Draft202012Validator({**schema, "components": document["components"]}).validate(
            response.json)
        checked.append((method, template, response.status_code))
        return response.json

    created = create(admin, unit, place=None)
    rid = created["id"]
    round_path = f"{ROUNDS}/{rid}"
    R = "/ballot-rounds/{round_id}"
    check("post", ROUNDS, admin.post(ROUNDS, json={
        "title": "Khác", "body_name": "Tỉnh ủy", "unit_id": unit.id}), "/ballot-rounds")
    check("patch", round_path, admin.patch(round_path, json={"locality": "Hà Nam"}), R)
    body = check("post", round_path, admin.post(f"{round_path}/candidates", json={
        "person_ids": [people[2].id]}), R + "/candidates")
    check("post", round_path, admin.post(f"{round_path}/voters", json={
        "person_ids": [p.id for p in people[:2]]}), R + "/voters")
    body = check("post", round_path, admin.post(
        f"{round_path}/transitions/start-attendance"), R + "/transitions/{name}")
    check("put", round_path, admin.put(f"{round_path}/attendance", json={
        "present_voter_ids": [v["id"] for v in body["voters"]]}), R + "/attendance")
    for holder, passphrase in KEY_HOLDERS:
        check("post", round_path, admin.post(f"{round_path}/keys", json={
            "holder": holder, "passphrase": passphrase}), R + "/keys")
    check("post", round_path, admin.post(f"{round_path}/transitions/open"),
          R + "/transitions/{name}")
    check("get", round_path, voter.get(f"{round_path}/box"), R + "/box")
    candidate = body["candidates"][0]["id"]
    check("post", round_path, voter.post(f"{round_path}/ballot", json={
        "marks": {str(candidate): "high"}}), R + "/ballot")
    check("get", round_path, admin.get(f"{round_path}/turnout"), R + "/turnout")
    check("post", round_path, admin.post(f"{round_path}/transitions/close"),
          R + "/transitions/{name}")
    check("get", round_path, voter.get(f"{round_path}/trackers"), R + "/trackers")
    for number in (1, 2):
        check("post", round_path, admin.post(f"{round_path}/keys/{number}/unlock", json={
            "passphrase": KEY_HOLDERS[number - 1][1]}), R + "/keys/{number}/unlock")
    check("post", round_path, admin.post(f"{round_path}/transitions/count"),
          R + "/transitions/{name}")
    check("get", round_path, admin.get(f"{round_path}/results"), R + "/results")
    check("get", round_path, voter.get(round_path), R)
    check("get", ROUNDS, admin.get(ROUNDS), "/ballot-rounds")
    check("get", "/me", admin.get(f"{API}/me"), "/me")
    check("get", "/units", admin.get(f"{API}/units"), "/units")
    check("get", "/people", admin.get(f"{API}/people"), "/people")
    check("get", "/people", admin.get(f"{API}/people/{people[0].id}"), "/people/{person_id}")
    # Refusals match the error schema.
    check("post", round_path, admin.post(f"{round_path}/transitions/open"),
          R + "/transitions/{name}")
    check("post", ROUNDS, admin.post(ROUNDS, json={"title": 5}), "/ballot-rounds")
    assert len(checked) == 27


# ---------------------------------------------------------------- one limit, everywhere


@pytest.mark.parametrize("field", ["title", "body_name", "place", "governing_body_name",
                                   "locality"])
def test_a_limit_is_the_services_on_the_page_and_in_the_api(app, db, factory, document,
                                                            login_as, field):
    limit = max_length_of(RoundDetails, field)
    unit = factory.unit("Ban Tổ chức")
    user = factory.user("tochuc", roles=(Role.ADMIN,), unit=unit)
    # The form and the column take the limit from the service's schema.
    form_limits = [v.max for v in getattr(RoundForm, field).kwargs["validators"]
                   if hasattr(v, "max")]
    assert form_limits == [limit]
    from evalapp.ballots.models import BallotRound

    assert BallotRound.__table__.c[field].type.length == limit
    create_schema = document["components"]["schemas"]["BallotRoundCreate"]["properties"]
    described = create_schema[field]
    assert limit in {described.get("maxLength"),
                     *(s.get("maxLength") for s in described.get("anyOf", []))}

    api = Api(app.test_client(), db, user)
    page = login_as(user)
    base = {"title": "Lấy phiếu", "body_name": "Tỉnh ủy", "unit_id": unit.id}
    too_long, longest = "ư" * (limit + 1), "ư" * limit

    refused = api.post(ROUNDS, json=base | {field: too_long})
    assert refused.status_code == 422
    assert refused.json["error"]["errors"][0]["field"] == field
    assert str(limit) in refused.json["error"]["message"]
    form = {"title": "Lấy phiếu", "body_name": "Tỉnh ủy", "unit_id": str(unit.id),
            "scale": "three_level", "preset": "party-2023"}
    refused_page = page.post("/ballots/new", data=form | {field: too_long})
    assert refused_page.status_code == 422
    assert f"Tối đa {limit} ký tự" in refused_page.get_data(as_text=True)

    # The same request one character shorter goes through both.
    assert api.post(ROUNDS, json=base | {field: longest}).status_code == 201
    assert page.post("/ballots/new", data=form | {field: longest}).status_code == 302


def test_the_service_refuses_what_its_schema_refuses(factory):
    """A caller that skips the form and the API still meets the limit: the service's schema."""
    from pydantic import ValidationError

    unit = factory.unit("Ban Tổ chức")
    with pytest.raises(ValidationError):
        RoundDetails(title="x" * (max_length_of(RoundDetails, "title") + 1),
                     body_name="Tỉnh ủy", unit=unit)


def test_a_confidence_round_takes_only_its_scales_everywhere(app, db, factory, document):
    """The evaluation scale exists (tally.scales) but is not a confidence round's: the OpenAPI
    document lists the two round scales, the API refuses the third naming the two, and so does
    the service; the scale's levels in the document are the round scales' levels."""
    from evalapp.auth.permissions import SYSTEM
    from evalapp.ballots import services
    from evalapp.ballots.schemas import ROUND_SCALES, RoundDetails
    from evalapp.core.errors import ValidationFailed
    from evalapp.tally.scales import Scale, levels_of

    allowed = [scale.value for scale in ROUND_SCALES]
    schemas = document["components"]["schemas"]
    assert schemas["BallotRoundCreate"]["properties"]["scale"]["enum"] == allowed
    levels = schemas["BallotRound"]["properties"]["levels"]["items"]["enum"]
    assert levels == [level.value for level in levels_of(ROUND_SCALES)]
    assert "htxs" not in levels

    unit = factory.unit("Ban Tổ chức")
    user = factory.user("tochuc", roles=(Role.ADMIN,), unit=unit)
    refused = Api(app.test_client(), db, user).post(ROUNDS, json={
        "title": "Lấy phiếu", "body_name": "Tỉnh ủy", "unit_id": unit.id,
        "scale": Scale.EVALUATION.value})
    assert refused.status_code == 422
    assert refused.json["error"]["errors"][0]["field"] == "scale"
    assert "three_level, two_level" in refused.json["error"]["message"]
    with pytest.raises(ValidationFailed):
        services.create_round(SYSTEM, RoundDetails(title="Lấy phiếu", body_name="Tỉnh ủy",
                                                   unit=unit), Scale.EVALUATION, "party-2023")
    db.session.rollback()
    from sqlalchemy import func, select

    from evalapp.ballots.models import BallotRound
    assert db.session.execute(select(func.count()).select_from(BallotRound)).scalar_one() == 0
