import pytest

from evalapp.auth.models import Role
from evalapp.auth.services import create_api_token


@pytest.fixture
def token_for(db):
    def make(user):
        _token, plain = create_api_token(user, "test")
        db.session.commit()
        return {"Authorization": f"Bearer {plain}"}

    return make


def test_requests_without_a_valid_token_get_401_in_json(client):
    for headers in [{}, {"Authorization": "Bearer eva_nope"}, {"Authorization": "Basic x"}]:
        response = client.get("/api/v1/people", headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["status"] == 401
        assert "Bearer" in response.headers["WWW-Authenticate"]


def test_people_are_listed_in_vietnamese_order_with_filters(client, admin, factory, token_for):
    unit = factory.unit("Văn phòng")
    sub = factory.unit("Phòng Hành chính", parent=unit)
    factory.person("Trần Văn Đạt", unit, staff_code="P1")
    factory.person("Lê Thị Ánh", sub, staff_code="P2")
    factory.person("Phạm Văn An", factory.unit("Khác"), staff_code="P3")
    headers = token_for(admin)
    body = client.get("/api/v1/people", headers=headers).json
    assert [p["full_name"] for p in body["items"]] == ["Phạm Văn An", "Lê Thị Ánh",
                                                        "Trần Văn Đạt"]
    assert body["total"] == 3
    body = client.get(f"/api/v1/people?unit={unit.id}", headers=headers).json
    assert [p["staff_code"] for p in body["items"]] == ["P2", "P1"]
    body = client.get("/api/v1/people?q=anh&per_page=1", headers=headers).json
    assert body["total"] == 1 and body["items"][0]["unit"]["name"] == "Phòng Hành chính"
    assert client.get("/api/v1/people?status=bogus", headers=headers).status_code == 400


def test_units_and_people_respect_the_token_owners_scope(client, factory, token_for):
    board = factory.unit("Ban Dân vận")
    other = factory.unit("Sở Xây dựng")
    inside = factory.person("Cao Văn Tú", board)
    outside = factory.person("Mai Thị Hoa", other)
    scoped = factory.user("scoped", roles=(Role.ADMIN,), unit=board)
    headers = token_for(scoped)
    assert [u["name"] for u in client.get("/api/v1/units", headers=headers).json["items"]] == [
        "Ban Dân vận"]
    assert client.get(f"/api/v1/people/{inside.id}", headers=headers).json["full_name"] == \
        "Cao Văn Tú"
    assert client.get(f"/api/v1/people/{outside.id}", headers=headers).status_code == 404
    voter = factory.user("voter", roles=(Role.VOTER,))
    assert client.get("/api/v1/people", headers=token_for(voter)).status_code == 403
    assert client.get("/api/v1/me", headers=token_for(voter)).json["roles"] == ["voter"]


def test_the_openapi_document_describes_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    described = {(path, method.upper()) for path, ops in document["paths"].items()
                 for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule.removeprefix("/api/v1")
        for converter in ("int:", "string:"):
            path = path.replace("<" + converter, "<")
        path = path.replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in described, f"{method} {path} is not in openapi.json"


def test_api_errors_are_json_not_html(client, admin, token_for):
    response = client.get("/api/v1/people/999999", headers=token_for(admin))
    assert response.status_code == 404
    assert response.is_json and response.json["error"]["message"]
