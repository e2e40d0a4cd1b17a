"""Fuzzing every route: hypothesis draws hostile requests for every row of the access table
(every route of the app, pages and API) as the administrator of the whole organisation, who
gets furthest into each one: missing, extra, wrong-typed, oversized and out-of-range values,
unicode-hostile text (NUL, lone surrogates, bidirectional controls, NFD, combining marks at the
start), deeply nested JSON, ids beyond the database's integers, other rounds' ids. Every answer
is below 500, and a refused request (4xx) changes nothing: the row count of every table and the
audit trail's head stay as they were.

Bounded: a few examples per run (each example sends one request to every route), so the suite
keeps its time budget; the seed changes with every run.
"""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from evalapp.audit.models import AuditHead
from evalapp.extensions import db as _db
from tests.conftest import PASSWORD
from tests.test_access import ADMIN, TABLE, world  # noqa: F401  (world is a fixture)

BIG_IDS = [0, 2**31, 2**31 + 1, 2**63, 2**64, 10**30]
HOSTILE_TEXT = ["\x00", "a\x00b", "\u202eevil", "\u2066x\u2069", "\u0338>name", "e\u0301",
                "\u0301start", "=1+2", "x" * 5000, " ", "", "\ud800", "🗳️" * 50,
                "<script>alert(1)</script>", "${7*7}", "'; DROP TABLE unit; --"]
FIELDS = ["title", "name", "full_name", "username", "password", "new_password", "staff_code",
          "unit_id", "parent_id", "person_id", "person_ids", "candidate_id", "voter_ids",
          "page", "q", "sort", "reason", "code", "body_name", "place", "meeting_date",
          "governing_body_name", "locality", "scale", "preset", "base", "kind", "marks",
          "present", "role", "roles", "slot_id", "rank", "description", "short_name",
          "secrecy_threshold", "chair", "secretary", "counter_head", "counters", "birth_year",
          "gender", "post_id", "duty_group_id", "active", "next", "acknowledged"]
ID_PARAM = re.compile(r"\{(\w+)\}")


def scalar():
    return st.one_of(
        st.sampled_from(HOSTILE_TEXT), st.text(max_size=40),
        st.integers(min_value=-2**70, max_value=2**70), st.sampled_from(BIG_IDS),
        st.floats(allow_nan=True), st.booleans(), st.none())


def json_value():
    return st.recursive(scalar(), lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(FIELDS), inner,
                                                      max_size=4)), max_leaves=12)


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@st.composite
def hostile_request(draw, method: str, url: str, world_ids: dict):
    """(url, form or None, json text or None, query) for one route."""
    # Path ids: the world's own, another round's, or beyond the database's integers.
    def fill(match):
        key = match.group(1)
        choice = draw(st.sampled_from(["own", "other", "big"]))
        if choice == "big":
            return str(draw(st.sampled_from(BIG_IDS)))
        if choice == "other":
            rounds = [v for k, v in world_ids.items() if k.endswith("_round")]
            return str(draw(st.sampled_from(rounds)))
        return str(world_ids.get(key, 1))

    url = ID_PARAM.sub(fill, url)
    url, _sep, fixed = url.partition("?")
    drawn = draw(st.dictionaries(
        st.sampled_from(["page", "q", "sort", "unit", "u", "kind", "acknowledged", "per_page"]),
        st.one_of(st.sampled_from(HOSTILE_TEXT), st.sampled_from([str(i) for i in BIG_IDS])),
        max_size=3))
    query = dict(urllib.parse.parse_qsl(fixed)) | drawn
    form = body = None
    if method != "GET":
        if url.startswith("/api/"):
            kind = draw(st.sampled_from(["value", "deep", "surrogate", "broken"]))
            if kind == "deep":
                body = deep(draw(st.sampled_from([200, 5000, 100_000])))
            elif kind == "surrogate":
                body = '{"title": "\\ud800", "body_name": "\\udfff", "marks": {"1": "\\ud800"}}'
            elif kind == "broken":
                body = draw(st.sampled_from(['{"title":', "null", "[]", '"x"', "1e999999",
                                             '{"unit_id": 1e400}']))
            else:
                body = json.dumps(draw(json_value()))
        else:
            form = draw(st.dictionaries(
                st.sampled_from(FIELDS),
                st.one_of(st.sampled_from(HOSTILE_TEXT), st.sampled_from(
                    [str(i) for i in BIG_IDS]), st.text(max_size=20)), max_size=6))
    return url, form, body, query


def database_state() -> dict:
    """Row counts of every table and the audit trail's head, in one statement."""
    tables = _db.metadata.sorted_tables
    counts = _db.session.execute(select(*(
        select(func.count()).select_from(table).scalar_subquery().label(table.name)
        for table in tables))).one()
    head = _db.session.execute(select(AuditHead.seq, AuditHead.entry_hash)).all()
    return {"rows": dict(zip([t.name for t in tables], counts, strict=True)),
            "audit_head": head}


ROUTES = [(method, url) for method, url, _rule, _expected in TABLE
          if url not in ("/logout",)]
# The routes in shards, so that the test's parts spread over the workers of the run.
SHARDS = 4


@settings(max_examples=3, deadline=None, derandomize=False,
          phases=[Phase.explicit, Phase.generate],  # no shrinking: the list says what failed
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_hostile_request_gives_a_500_or_changes_data_when_refused(app, db, world,  # noqa: F811
                                                                    shard, data):
    from evalapp.auth.services import create_api_token

    admin = world["users"][ADMIN]
    client = app.test_client()
    client.post("/login", data={"username": admin.username, "password": PASSWORD})
    _t, token = create_api_token(admin, "fuzz")
    db.session.commit()
    ids = {k: v for k, v in world.items() if k != "users"}
    problems = []
    for method, template in ROUTES[shard::SHARDS]:
        url, form, body, query = data.draw(hostile_request(method, template, ids),
                                           label=f"{method} {template}")
        before = database_state()
        # Lone surrogates travel as the invalid UTF-8 bytes a client would send (%ED%A0%80).
        headers = {}
        payload = body.encode("utf-8", "surrogatepass") if body is not None else None
        if form is not None:
            payload = urllib.parse.urlencode(form, errors="surrogatepass").encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if url.startswith("/api/"):
            headers["Authorization"] = f"Bearer {token}"
            if body is not None:
                headers["Content-Type"] = "application/json"
        try:
            response = client.open(
                url, method=method, data=payload, headers=headers,
                query_string=urllib.parse.urlencode(query, errors="surrogatepass"))
        except Exception as error:  # noqa: BLE001 - an exception is a 500 too
            problems.append(f"{method} {url}: raised {type(error).__name__}: {error}"[:300])
            db.session.rollback()
            continue
        status = response.status_code
        if status >= 500:
            problems.append(f"{method} {url} ({query}, {str(form or body)[:80]!r}): {status}")
        elif 400 <= status < 500 and database_state() != before:
            problems.append(f"{method} {url}: {status} but the database changed")
        if template == "/logout" or (status == 302 and "/login" in response.headers.get(
                "Location", "") and not url.startswith("/login")):
            client.post("/login", data={"username": admin.username, "password": PASSWORD})
    assert problems == []


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deeply_nested_json_is_a_400(app, db, world, depth):  # noqa: F811
    from evalapp.auth.services import create_api_token

    _t, token = create_api_token(world["users"][ADMIN], "fuzz")
    db.session.commit()
    response = app.test_client().post("/api/v1/ballot-rounds", data=deep(depth), headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
