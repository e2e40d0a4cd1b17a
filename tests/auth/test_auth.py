from sqlalchemy import select

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.auth.permissions import can_manage_org, has_role, scope_paths
from tests.conftest import PASSWORD


def _last_audit(db):
    return db.session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc())).scalars().first()


def test_login_with_the_right_password_records_one_entry(client, admin, db):
    before = _last_audit(db).seq
    response = client.post("/login", data={"username": "QUANTRI", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    entry = _last_audit(db)
    assert entry.seq == before + 1 and entry.action == "auth.login"
    assert entry.actor_id == admin.id


def test_a_wrong_password_is_refused_in_vietnamese(client, admin, db):
    before = _last_audit(db).seq
    response = client.post("/login", data={"username": "quantri", "password": "wrong-one"})
    assert response.status_code == 401
    assert "không đúng" in response.get_data(as_text=True)
    assert _last_audit(db).seq == before
    assert client.get("/").status_code == 302


def test_inactive_accounts_cannot_log_in(client, factory):
    user = factory.user("nghi", roles=(Role.VOTER,))
    user.active = False
    factory.db.session.commit()
    assert client.post("/login", data={"username": "nghi", "password": PASSWORD}
                       ).status_code == 401


def test_next_redirects_only_within_the_site(client, admin):
    for target, expected in [("/org/people", "/org/people"), ("//evil.example/x", "/"),
                             ("https://evil.example/", "/"), ("/\\evil.example", "/")]:
        client.get("/logout")
        client.post("/logout")
        response = client.post(f"/login?next={target}",
                               data={"username": "quantri", "password": PASSWORD})
        assert response.headers["Location"] == expected, target


def test_logout_ends_the_session(client, admin, login_as, db):
    login_as(admin)
    assert client.post("/logout").status_code == 302
    assert _last_audit(db).action == "auth.logout"
    assert client.get("/").status_code == 302


def test_changing_the_password_ends_other_sessions(app, admin, login_as, db):
    other = app.test_client()
    other.post("/login", data={"username": "quantri", "password": PASSWORD})
    assert other.get("/").status_code == 200
    client = login_as(admin)
    response = client.post("/account/password", data={
        "pw-current_password": PASSWORD, "pw-new_password": "new-password-1",
        "pw-confirm_password": "new-password-1"})
    assert response.status_code == 302
    assert _last_audit(db).action == "auth.password_changed"
    assert client.get("/").status_code == 200  # this session continues
    assert other.get("/").status_code == 302   # the other one has ended
    assert app.test_client().post("/login", data={
        "username": "quantri", "password": "new-password-1"}).status_code == 302


def test_password_change_errors_change_nothing(client, admin, login_as, db):
    login_as(admin)
    before = _last_audit(db).seq
    for data in [
        {"pw-current_password": "wrong", "pw-new_password": "abcdefgh1",
         "pw-confirm_password": "abcdefgh1"},
        {"pw-current_password": PASSWORD, "pw-new_password": "short",
         "pw-confirm_password": "short"},
        {"pw-current_password": PASSWORD, "pw-new_password": "abcdefgh1",
         "pw-confirm_password": "abcdefgh2"},
    ]:
        response = client.post("/account/password", data=data)
        assert response.status_code == 422, data
    assert _last_audit(db).seq == before


def test_roles_are_scoped_to_a_unit_and_its_sub_units(factory):
    province = factory.unit("Tỉnh ủy")
    board = factory.unit("Ban Tổ chức", parent=province)
    office = factory.unit("Phòng Tổ chức", parent=board)
    other = factory.unit("Sở Y tế")
    user = factory.user("pho", roles=(Role.ADMIN, Role.VOTER), unit=board)
    assert has_role(user, Role.ADMIN, board) and has_role(user, Role.ADMIN, office)
    assert not has_role(user, Role.ADMIN, province)
    assert not can_manage_org(user, other)
    assert has_role(user, Role.VOTER) and not has_role(user, Role.SECRETARY)
    assert scope_paths(user, Role.ADMIN) == [board.path]
    everywhere = factory.user("tong", roles=(Role.ADMIN,))
    assert scope_paths(everywhere, Role.ADMIN) is None
    assert can_manage_org(everywhere, other)


def test_admin_creates_an_account_with_several_scoped_roles(client, admin, login_as, factory,
                                                            db):
    unit = factory.unit("Sở Nội vụ")
    person = factory.person("Lê Thị Hoa", unit, staff_code="NV01")
    login_as(admin)
    response = client.post("/users/new", data={
        "username": "lethihoa", "full_name": "Lê Thị Hoa", "password": "mat-khau-123",
        "staff_code": "NV01",
        "grants-0-role": "secretary", "grants-0-unit": str(unit.id),
        "grants-1-role": "voter", "grants-1-unit": "",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    from evalapp.auth.services import find_user

    user = find_user("lethihoa")
    assert user.person_id == person.id
    assert sorted((g.role.value, g.unit_id) for g in user.grants) == [
        ("secretary", unit.id), ("voter", None)]
    entry = _last_audit(db)
    assert entry.action == "account.created" and entry.target_id == str(user.id)


def test_account_errors_show_in_vietnamese_and_create_nothing(client, admin, login_as, db):
    login_as(admin)
    before = _last_audit(db).seq
    for data in [{"username": "quantri", "full_name": "X", "password": "abcdefgh1"},
                 {"username": "bad name!", "full_name": "X", "password": "abcdefgh1"},
                 {"username": "newone", "full_name": "X", "password": "short"},
                 {"username": "newone", "full_name": "X", "password": "abcdefgh1",
                  "staff_code": "NOBODY"}]:
        response = client.post("/users/new", data=data)
        assert 400 <= response.status_code < 500, data
    assert _last_audit(db).seq == before


def test_api_tokens_are_shown_once_and_can_be_revoked(client, admin, login_as, db):
    login_as(admin)
    page = client.post("/account/tokens", data={"tk-name": "Đồng bộ nhân sự"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    token = html.split('id="new-token">')[1].split("<")[0]
    assert token.startswith("eva_")
    api = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200 and api.json["username"] == "quantri"
    from evalapp.auth.models import ApiToken

    stored = db.session.execute(select(ApiToken)).scalar_one()
    assert token not in (stored.token_hash, stored.prefix)
    assert token not in client.get("/account").get_data(as_text=True)
    client.post(f"/account/tokens/{stored.id}/revoke")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 401
