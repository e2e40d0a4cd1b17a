"""Bad input is a 4xx with a clear message and changes nothing (issue 10, fault 11).

Numbers beyond the database's integer range (2^31 on PostgreSQL, 2^63 on SQLite) in every URL
of the app's map, in query strings and in form fields; NUL characters and lone surrogates;
JSON nested too deeply; a staff code already linked to another account. Each runs on the
database of the suite's pass (SQLite, then PostgreSQL).
"""

from __future__ import annotations

import re
import tempfile

import pytest
from sqlalchemy import func, select, text

from evalapp import create_app
from evalapp.auth.models import Role, User
from evalapp.auth.services import create_api_token
from evalapp.ballots.models import RoundStatus
from evalapp.core.web import IdConverter
from evalapp.extensions import db as _db
from tests.conftest import PASSWORD
from tests.documents.helpers import build_round

HUGE = (2**31, 2**63, 2**64)  # beyond PostgreSQL's integer, SQLite's, and any 64-bit one
NUL_MESSAGE = "ký tự không thể lưu trữ"


def _rules():
    """(rule, method) of every route taking an id, from the app's own URL map."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "INSTANCE_PATH": tempfile.mkdtemp(prefix="evalapp-rules-")})
    found = []
    for rule in app.url_map.iter_rules():
        if any(isinstance(c, IdConverter) for c in rule._converters.values()):
            found += [(rule.rule, method) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(found)


ID_RULES = _rules()
_PART = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def _path(rule: str, target: str | None, value: int, fill: int = 1) -> str:
    """The rule with `target` set to `value`, other ids to `fill`, other parts to a valid
    choice."""
    def part(match):
        converter, args, name = match.groups()
        if converter == "int":
            return str(value if name == target else fill)
        if converter == "any":
            return args.split(",")[0].strip("'\" ")
        return "x"
    return _PART.sub(part, rule)


def counts() -> dict[str, int]:
    """Rows of every table (the audit trail among them): what a refused request must leave."""
    rows = {table.name: _db.session.scalar(select(func.count()).select_from(table))
            for table in _db.metadata.sorted_tables}
    _db.session.rollback()  # outside a request every transaction writes: free the lock
    return rows


@pytest.fixture
def staff(factory, client):
    """An organisation-wide admin logged in on the test client, and a bearer token of theirs."""
    user = factory.user("quantri", roles=(Role.ADMIN,))
    _token, plain = create_api_token(user, "bad input")
    _db.session.commit()
    assert client.post("/login", data={"username": "quantri", "password": PASSWORD}) \
        .status_code == 302
    return {"Authorization": f"Bearer {plain}"}


def _send(client, method: str, path: str, staff: dict, **kw):
    if path.startswith("/api/"):
        return client.open(path, method=method, headers=staff,
                           json=kw.get("json", {}) if method != "GET" else None)
    return client.open(path, method=method, data=kw.get("data", {}) if method != "GET" else None)


@pytest.mark.parametrize(("rule", "method"), ID_RULES, ids=[f"{m} {r}" for r, m in ID_RULES])
def test_ids_beyond_the_integer_range_are_404_in_every_url(client, staff, rule, method):
    names = [name for converter, _a, name in _PART.findall(rule) if converter == "int"]
    before = counts()
    for name in names:
        for value in HUGE:
            response = _send(client, method, _path(rule, name, value), staff)
            # 405 where a rule of the same shape takes other methods (werkzeug checks the
            # method before the converter): a 4xx all the same, never reaching a view.
            assert response.status_code in (404, 405), (name, value, response.status_code)
    assert counts() == before


@pytest.fixture
def round_world(staff):
    built = build_round(state=RoundStatus.VOTING)
    _db.session.commit()
    return built


QUERY = {name: str(value) for value in (2**63,) for name in (
    "page", "unit", "unit_id", "round", "person", "person_id", "candidate", "candidate_id",
    "voter_id", "batch", "limit", "offset", "size")}
FORM = QUERY | {"present": str(2**63), "person_ids": str(2**63), "slot_id": str(2**63),
                "owner": str(2**63), "parent_id": str(2**63), "post_id": str(2**63),
                "duty_group_id": str(2**63), "grants-0-role": "admin",
                "grants-0-unit": str(2**63)}


def _all_rules(method: str):
    return [(rule, m) for rule, m in ID_RULES if m == method] + [
        (rule.rule, method) for rule in _app_rules() if method in rule.methods
        and not rule.arguments]


def _app_rules():
    from flask import current_app

    return list(current_app.url_map.iter_rules())


def test_ids_beyond_the_range_in_query_strings_are_never_a_server_error(client, staff,
                                                                         round_world):
    """Every GET page and API read, the ids in its path those of a real round, every id or
    page parameter of the app set beyond the range: a page (the parameter ignored or clamped)
    or a 4xx, never a 500, and nothing changed."""
    round_id = round_world.round.id
    before = counts()
    for rule, _method in _all_rules("GET"):
        if rule.startswith("/static/") or rule == "/logout":
            continue
        path = _path(rule, None, 0, fill=round_id)
        response = client.get(path, query_string=QUERY,
                              headers=staff if path.startswith("/api/") else None)
        assert response.status_code < 500, (path, response.status_code)
    assert counts() == before


def test_ids_beyond_the_range_in_form_fields_are_never_a_server_error(client, staff,
                                                                       round_world):
    """Every form and API write, the ids in its path those of a real round (open for voting),
    every id field of the app's forms and bodies set beyond the range: never a 500."""
    round_id = round_world.round.id
    for rule, method in _all_rules("POST") + _all_rules("PATCH") + _all_rules("PUT"):
        if rule in ("/logout", "/login"):
            continue
        path = _path(rule, None, 0, fill=round_id)
        if path.startswith("/api/"):
            response = client.open(path, method=method, headers=staff,
                                   json={k: 2**63 for k in FORM})
        else:
            response = client.open(path, method=method, data=FORM)
        assert response.status_code < 500, (method, path, response.status_code)
        assert client.get("/account").status_code == 200  # still logged in


# ---------------------------------------------------------------- text that cannot be stored


def test_nul_characters_are_refused_on_entry(client, factory, round_world, staff):
    """Logins, searches and text fields, pages and API alike (the NUL as sent by a browser, %00,
    or in JSON, \\u0000): 400 with a message, and nothing changed. PostgreSQL's text cannot hold
    a NUL; before, these were 500s there, the error page included."""
    unit = factory.unit("Phòng Tổ chức")
    before = counts()
    anonymous = client.application.test_client()
    refused = [
        anonymous.post("/login", data={"username": "quantri\x00", "password": PASSWORD}),
        anonymous.post("/login", data={"username": "quantri", "password": "x\x00y"}),
        client.get("/org/people", query_string={"q": "Nguyễn\x00"}),
        client.get("/users", query_string={"q": "\x00"}),
        client.post("/org/units/new", data={"name": "Phòng\x00", "kind": "department"}),
        client.post(f"/org/units/{unit.id}", data={"name": "A\x00B", "kind": "department"}),
        client.post("/account/password", data={"current": PASSWORD, "new": "a\x00" * 8}),
        client.get("/documents/verify/ab\x00cd"),
        client.post("/api/v1/ballot-rounds", headers=staff, data=(
            '{"title": "L\\u1ea5y phi\\u1ebfu\\u0000", "body_name": "T", "unit_id": '
            f'{unit.id}}}'), content_type="application/json"),
        client.get("/api/v1/people", headers=staff, query_string={"q": "a\x00"}),
    ]
    for response in refused:
        assert response.status_code == 400, response.request.path
        body = response.get_data(as_text=True)
        assert NUL_MESSAGE in body or NUL_MESSAGE in response.json["error"]["message"]
    assert counts() == before


def test_lone_surrogates_in_json_text_fields_are_refused(client, factory, staff):
    unit = factory.unit("Phòng Tổ chức")
    before = counts()
    for raw in ('{"title": "\\ud800", "body_name": "T", "unit_id": %d}',
                '{"title": "Lấy phiếu", "body_name": "T\\udfff x", "unit_id": %d}',
                '{"title": "Lấy phiếu", "body_name": "T", "unit_id": %d, "\\ud800": 1}'):
        response = client.post("/api/v1/ballot-rounds", headers=staff,
                               data=(raw % unit.id).encode(), content_type="application/json")
        assert response.status_code == 400, raw
        assert NUL_MESSAGE in response.json["error"]["message"]
    assert counts() == before


@pytest.mark.parametrize("depth", [33, 10_000, 200_000])
def test_deeply_nested_json_is_refused(client, factory, staff, depth):
    """Python's parser recurses per level (RecursionError, a 500, at about a thousand); the
    API answers 400 for anything nested deeper than its bodies ever are."""
    unit = factory.unit("Phòng Tổ chức")
    before = counts()
    nested = "[" * depth + "]" * depth
    raw = f'{{"title": "Lấy phiếu", "body_name": "T", "unit_id": {unit.id}, "x": {nested}}}'
    for path in ("/api/v1/ballot-rounds", "/login"):
        response = client.post(path, headers=staff, data=raw.encode(),
                               content_type="application/json")
        assert response.status_code == 400, path
    assert "lồng nhau quá nhiều cấp" in response.get_data(as_text=True)
    assert counts() == before


# ---------------------------------------------------------------- one account per person


def test_a_staff_code_linked_to_another_account_is_a_409_that_changes_nothing(
        client, factory, staff):
    person = factory.person("Trần Thị Hoa", staff_code="HOA001")
    factory.user("hoa", roles=(Role.VOTER,), person=person)
    other = factory.user("khac", roles=(Role.VOTER,))
    before = counts()
    audit_head = _db.session.execute(text("SELECT max(id) FROM audit_entry")).scalar()
    _db.session.rollback()
    edited = client.post(f"/users/{other.id}", data={"username": "khac",
                                                     "full_name": "Người Khác",
                                                     "staff_code": "HOA001",
                                                     "grants-0-role": "voter"})
    created = client.post("/users/new", data={"username": "moi", "full_name": "Người Mới",
                                              "password": "mat-khau-dai-9", "staff_code":
                                              "HOA001", "grants-0-role": "voter"})
    for response in (edited, created):
        assert response.status_code == 409
        assert "Mã cán bộ này đã được gắn với một tài khoản khác" in \
            response.get_data(as_text=True)
    assert counts() == before
    assert _db.session.execute(text("SELECT max(id) FROM audit_entry")).scalar() == audit_head
    assert _db.session.get(User, other.id).person_id is None
