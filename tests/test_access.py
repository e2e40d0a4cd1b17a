"""Who may open what: role × URL → status, for every route of the app.

A new route fails test_every_route_is_in_the_table until it is added here with the status each
role should get.
"""

import pytest

from evalapp.auth.models import Role

ANON, ADMIN, SCOPED_ADMIN, SECRETARY, COUNTER, VOTER, EVALUEE = (
    "anonymous", "admin", "scoped_admin", "secretary", "counter", "voter", "evaluee")
ALL_ROLES = (ANON, ADMIN, SCOPED_ADMIN, SECRETARY, COUNTER, VOTER, EVALUEE)
NON_ADMINS = (SECRETARY, COUNTER, VOTER, EVALUEE)

LOGIN = 302  # pages send anonymous visitors to the login page


def statuses(anonymous, admin, scoped_admin, others, **overrides):
    """Expected status per role; `others` for the non-admin roles unless overridden."""
    table = {ANON: anonymous, ADMIN: admin, SCOPED_ADMIN: scoped_admin}
    table.update({role: others for role in NON_ADMINS})
    table.update(overrides)
    return table


# (method, url template, rule, expected status per role)
TABLE = [
    ("GET", "/", "/", statuses(LOGIN, 200, 200, 200)),
    ("GET", "/healthz", "/healthz", statuses(200, 200, 200, 200)),
    ("GET", "/lang/en", "/lang/<code>", statuses(302, 302, 302, 302)),
    ("GET", "/login", "/login", statuses(200, 302, 302, 302)),
    ("POST", "/login", "/login", statuses(422, 302, 302, 302)),
    ("POST", "/logout", "/logout", statuses(LOGIN, 302, 302, 302)),
    ("GET", "/account", "/account", statuses(LOGIN, 200, 200, 200)),
    ("POST", "/account/password", "/account/password", statuses(LOGIN, 422, 422, 422)),
    ("POST", "/account/tokens", "/account/tokens", statuses(LOGIN, 422, 422, 422)),
    ("POST", "/account/tokens/999/revoke", "/account/tokens/<int:token_id>/revoke",
     statuses(LOGIN, 404, 404, 404)),
    ("GET", "/users", "/users", statuses(LOGIN, 200, 403, 403)),
    ("GET", "/users/new", "/users/new", statuses(LOGIN, 200, 403, 403)),
    ("POST", "/users/new", "/users/new", statuses(LOGIN, 422, 403, 403)),
    ("GET", "/users/{user}", "/users/<int:user_id>", statuses(LOGIN, 200, 403, 403)),
    ("POST", "/users/{user}", "/users/<int:user_id>", statuses(LOGIN, 422, 403, 403)),
    ("POST", "/users/{user}/active", "/users/<int:user_id>/active",
     statuses(LOGIN, 302, 403, 403)),
    ("POST", "/users/{user}/password", "/users/<int:user_id>/password",
     statuses(LOGIN, 422, 403, 403)),
    ("GET", "/audit/", "/audit/", statuses(LOGIN, 200, 403, 403)),
    ("GET", "/org/units", "/org/units", statuses(LOGIN, 200, 200, 403)),
    ("GET", "/org/units/new", "/org/units/new", statuses(LOGIN, 200, 200, 403)),
    ("POST", "/org/units/new", "/org/units/new", statuses(LOGIN, 422, 422, 403)),
    ("GET", "/org/units/{unit}", "/org/units/<int:unit_id>", statuses(LOGIN, 200, 200, 403)),
    ("POST", "/org/units/{unit}", "/org/units/<int:unit_id>", statuses(LOGIN, 422, 422, 403)),
    ("GET", "/org/units/{other_unit}", "/org/units/<int:unit_id>",
     statuses(LOGIN, 200, 403, 403)),
    ("POST", "/org/units/{unit}/active", "/org/units/<int:unit_id>/active",
     statuses(LOGIN, 409, 409, 403)),  # the unit still has people
    ("GET", "/org/posts", "/org/posts", statuses(LOGIN, 200, 200, 403)),
    ("GET", "/org/posts/new", "/org/posts/new", statuses(LOGIN, 200, 403, 403)),
    ("POST", "/org/posts/new", "/org/posts/new", statuses(LOGIN, 422, 403, 403)),
    ("GET", "/org/posts/{post}", "/org/posts/<int:post_id>", statuses(LOGIN, 200, 403, 403)),
    ("POST", "/org/posts/{post}", "/org/posts/<int:post_id>", statuses(LOGIN, 422, 403, 403)),
    ("GET", "/org/duty-groups", "/org/duty-groups", statuses(LOGIN, 200, 200, 403)),
    ("GET", "/org/duty-groups/new", "/org/duty-groups/new", statuses(LOGIN, 200, 403, 403)),
    ("POST", "/org/duty-groups/new", "/org/duty-groups/new", statuses(LOGIN, 422, 403, 403)),
    ("GET", "/org/duty-groups/{group}", "/org/duty-groups/<int:group_id>",
     statuses(LOGIN, 200, 403, 403)),
    ("POST", "/org/duty-groups/{group}", "/org/duty-groups/<int:group_id>",
     statuses(LOGIN, 422, 403, 403)),
    ("GET", "/org/people", "/org/people", statuses(LOGIN, 200, 200, 403)),
    ("GET", "/org/people/new", "/org/people/new", statuses(LOGIN, 200, 200, 403)),
    ("POST", "/org/people/new", "/org/people/new", statuses(LOGIN, 422, 422, 403)),
    ("GET", "/org/people/{person}", "/org/people/<int:person_id>",
     statuses(LOGIN, 200, 200, 403)),
    ("POST", "/org/people/{person}", "/org/people/<int:person_id>",
     statuses(LOGIN, 422, 422, 403)),
    ("GET", "/org/people/{other_person}", "/org/people/<int:person_id>",
     statuses(LOGIN, 200, 403, 403)),
    ("POST", "/org/people/{person}/active", "/org/people/<int:person_id>/active",
     statuses(LOGIN, 302, 302, 403)),
    ("GET", "/org/people/export.xlsx", "/org/people/export.xlsx",
     statuses(LOGIN, 200, 200, 403)),
    ("GET", "/org/people/import", "/org/people/import", statuses(LOGIN, 200, 200, 403)),
    ("GET", "/org/people/import/template.xlsx", "/org/people/import/template.xlsx",
     statuses(LOGIN, 200, 200, 403)),
    ("POST", "/org/people/import", "/org/people/import", statuses(LOGIN, 422, 422, 403)),
    ("POST", "/org/people/import/999/apply", "/org/people/import/<int:import_id>/apply",
     statuses(LOGIN, 404, 404, 403)),
    ("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", statuses(200, 200, 200, 200)),
    ("GET", "/api/v1/me", "/api/v1/me", statuses(401, 200, 200, 200)),
    ("GET", "/api/v1/units", "/api/v1/units", statuses(401, 200, 200, 403)),
    ("GET", "/api/v1/units/{unit}", "/api/v1/units/<int:unit_id>",
     statuses(401, 200, 200, 403)),
    ("GET", "/api/v1/units/{other_unit}", "/api/v1/units/<int:unit_id>",
     statuses(401, 200, 404, 403)),
    ("GET", "/api/v1/people", "/api/v1/people", statuses(401, 200, 200, 403)),
    ("GET", "/api/v1/people/{person}", "/api/v1/people/<int:person_id>",
     statuses(401, 200, 200, 403)),
    ("GET", "/api/v1/people/{other_person}", "/api/v1/people/<int:person_id>",
     statuses(401, 200, 404, 403)),
]


# Rows for other areas live beside their tests and are added here.
from tests.api.ballot_access_rows import ROWS as API_BALLOT_ROWS  # noqa: E402
from tests.ballots.access_rows import ROWS as BALLOT_ROWS  # noqa: E402
from tests.documents.access_rows import ROWS as DOCUMENT_ROWS  # noqa: E402
from tests.documents.signing_access_rows import ROWS as SIGNING_ROWS  # noqa: E402
from tests.evaluations.access_rows import ROWS as EVALUATION_ROWS  # noqa: E402
from tests.evaluations.access_world import evaluation_rounds_for_access  # noqa: E402
from tests.ledger.access_rows import ROWS as LEDGER_ROWS  # noqa: E402

TABLE += BALLOT_ROWS + API_BALLOT_ROWS
TABLE += SIGNING_ROWS
TABLE += DOCUMENT_ROWS
TABLE += EVALUATION_ROWS
TABLE += LEDGER_ROWS


@pytest.fixture
def world(factory):
    from evalapp.auth.permissions import SYSTEM
    from evalapp.org.services import save_duty_group

    unit = factory.unit("Ban Tổ chức")
    sub = factory.unit("Phòng Cán bộ", parent=unit)
    other_unit = factory.unit("Sở Y tế")
    post = factory.post("Trưởng ban")
    group = save_duty_group(SYSTEM, None, name="Lãnh đạo", description=None)
    factory.db.session.commit()
    person = factory.person("Lê Văn Nam", sub)
    other_person = factory.person("Phạm Thị Thu", other_unit)
    evaluee_person = factory.person("Trịnh Văn Được", sub)
    users = {
        ADMIN: factory.user("admin1", roles=(Role.ADMIN,)),
        SCOPED_ADMIN: factory.user("admin2", roles=(Role.ADMIN,), unit=unit),
        SECRETARY: factory.user("sec", roles=(Role.SECRETARY,)),
        COUNTER: factory.user("cnt", roles=(Role.COUNTER,)),
        VOTER: factory.user("vot", roles=(Role.VOTER,), person=person),
        EVALUEE: factory.user("eva", roles=(Role.EVALUEE,), person=evaluee_person),
    }
    target = factory.user("target", roles=(Role.VOTER,))
    rounds = ballot_rounds_for_access(factory, sub, other_unit, users, person, evaluee_person)
    rounds |= evaluation_rounds_for_access(factory, sub, other_unit, person, evaluee_person)
    return {"unit": sub.id, "other_unit": other_unit.id, "person": person.id,
            "other_person": other_person.id, "post": post.id, "group": group.id,
            "user": target.id, "users": users, "evaluee_person": evaluee_person.id, **rounds}


def ballot_rounds_for_access(factory, unit, other_unit, users, voter_person, candidate_person):
    """Rounds in the states the access table needs:
    - draft_round: a draft in `unit`;
    - open_round: voting open in `unit`, the VOTER present on its roll, SECRETARY its secretary,
      COUNTER on its counting team;
    - counted_round: counted in `unit`, the EVALUEE voted on, the VOTER on its roll;
    - other_round: a draft in `other_unit` (outside the scoped admin's units).
    """
    from datetime import date

    from evalapp.ballots import builder
    from evalapp.ballots.models import RoundStatus

    voters = [voter_person] + [factory.person(f"Đào Văn Phiếu{i}", unit) for i in range(2)]

    def make(title, where, candidates, state):
        plan = builder.RoundPlan(unit=where, title=title, body_name="Tỉnh ủy", place="Hội trường",
                                 meeting_date=date(2026, 12, 1))
        if state != RoundStatus.DRAFT:
            plan.candidates, plan.voters = candidates, voters
            plan.secretary, plan.counters = users[SECRETARY], [users[COUNTER]]
        voted = state == RoundStatus.COUNTED
        return builder.build(plan, state, ballots=[(voter, ["high"] * len(candidates))
                                                   for voter in voters] if voted else ()).round

    candidate = factory.person("Hà Văn Ứng", unit)
    return {
        "draft_round": make("Dự thảo", unit, [], RoundStatus.DRAFT).id,
        "open_round": make("Đang bỏ phiếu", unit, [candidate], RoundStatus.VOTING).id,
        "counted_round": make("Đã kiểm phiếu", unit, [candidate, candidate_person],
                              RoundStatus.COUNTED).id,
        "other_round": make("Đơn vị khác", other_unit, [], RoundStatus.DRAFT).id,
    }


def test_every_route_is_in_the_table(app):
    covered = {(method, rule) for method, _url, rule, _table in TABLE}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (method, rule.rule) not in covered:
                missing.append(f"{method} {rule.rule}")
    assert not missing, f"routes missing from the access table: {missing}"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_access_table(app, world, role):
    from evalapp.auth.services import create_api_token
    from evalapp.extensions import db

    client = app.test_client()
    token = None
    if role != ANON:
        user = world["users"][role]
        client.post("/login", data={"username": user.username, "password": "correct-horse-9"})
        _t, token = create_api_token(user, "access test")
        db.session.commit()
    failures = []
    for method, url, _rule, expected in TABLE:
        url = url.format(**{k: v for k, v in world.items() if k != "users"})
        if callable(expected):  # rows that depend on state set up by an earlier row
            expected = expected(world)
        headers = {"Authorization": f"Bearer {token}"} if token and url.startswith("/api/") \
            else {}
        response = client.open(url, method=method, headers=headers)
        if response.status_code != expected[role]:
            failures.append(f"{method} {url}: {response.status_code} != {expected[role]}")
        if url == "/logout" and response.status_code == 302 and role != ANON:
            user = world["users"][role]
            client.post("/login", data={"username": user.username,
                                        "password": "correct-horse-9"})
    assert not failures, "\n".join(failures)
