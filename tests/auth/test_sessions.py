"""Sessions and tokens end when they should (issue 10, fault 8), tried as the review did: a
cookie captured before logout is replayed after it, with the real test client."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from evalapp.audit.models import AuditEntry
from evalapp.auth import remember
from evalapp.auth.models import ApiToken
from evalapp.auth.services import create_api_token
from evalapp.core.time import utcnow
from tests.conftest import PASSWORD


def _login(app, username="quantri", password=PASSWORD, **extra):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password,
                                           **extra})
    assert response.status_code == 302
    return client, response


def _replay(app, **cookies) -> int:
    """The status of the home page for a new browser holding only these cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client.get("/").status_code


def test_a_session_cookie_captured_before_logout_fails_after_it(app, admin):
    client, _ = _login(app)
    captured = client.get_cookie("session").value
    elsewhere, _ = _login(app)  # the same account on another device
    assert _replay(app, session=captured) == 200
    assert client.post("/logout").status_code == 302
    assert _replay(app, session=captured) == 302
    assert elsewhere.get("/").status_code == 302  # logout ends every session of the account


def test_remember_me_is_opt_in(app, admin):
    _client, response = _login(app)
    assert remember.COOKIE not in response.headers.get("Set-Cookie", "")
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    assert 'name="remember"' in html and "checked" not in html.split('name="remember"')[1][:40]


def test_remember_me_is_bounded_rotating_and_ends_at_logout(app, admin):
    client, response = _login(app, remember="y")
    first = client.get_cookie(remember.COOKIE)
    assert first is not None
    days = app.config["REMEMBER_ME_DAYS"]
    assert days == 14
    assert 0 < int(first.max_age or 0) <= days * 86400  # not a year
    # Each login gives a new value …
    again, _ = _login(app, remember="y")
    assert again.get_cookie(remember.COOKIE).value != first.value
    # … and so does each use: a browser holding only the cookie gets a session and a new value.
    browser = app.test_client()
    browser.set_cookie(remember.COOKIE, first.value)
    assert browser.get("/").status_code == 200
    rotated = browser.get_cookie(remember.COOKIE).value
    assert rotated != first.value
    # Logout on any device ends every remember-me cookie of the account.
    assert client.post("/logout").status_code == 302
    assert client.get_cookie(remember.COOKIE) is None
    for value in (first.value, rotated, again.get_cookie(remember.COOKIE).value):
        assert _replay(app, **{remember.COOKIE: value}) == 302


def test_a_remember_me_cookie_past_its_end_is_refused(app, admin):
    with app.test_request_context():
        serializer = remember._serializer()
        past = serializer.dumps({"u": admin.id, "v": admin.session_version,
                                 "e": int(time.time()) - 1, "n": "x"})
        valid = serializer.dumps({"u": admin.id, "v": admin.session_version,
                                  "e": int(time.time()) + 3600, "n": "y"})
    assert _replay(app, **{remember.COOKIE: valid}) == 200
    assert _replay(app, **{remember.COOKIE: past}) == 302
    assert _replay(app, **{remember.COOKIE: valid[:-2] + "xx"}) == 302  # not our signature


def test_a_password_change_ends_earlier_sessions_and_remember_me_cookies(app, admin):
    client, _ = _login(app, remember="y")
    session_cookie = client.get_cookie("session").value
    remember_cookie = client.get_cookie(remember.COOKIE).value
    response = client.post("/account/password", data={
        "pw-current_password": PASSWORD, "pw-new_password": "new-password-1",
        "pw-confirm_password": "new-password-1"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session continues
    assert _replay(app, session=session_cookie) == 302
    assert _replay(app, **{remember.COOKIE: remember_cookie}) == 302


def test_a_password_reset_ends_sessions_and_revokes_api_tokens(app, db, factory, admin):
    user = factory.user("canbo")
    _token, plain = create_api_token(user, "đồng bộ")
    db.session.commit()
    client, _ = _login(app, "canbo", remember="y")
    session_cookie = client.get_cookie("session").value
    remember_cookie = client.get_cookie(remember.COOKIE).value
    api = app.test_client()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}
                   ).status_code == 200
    admin_client, _ = _login(app)
    assert admin_client.post(f"/users/{user.id}/password",
                             data={"reset-new_password": "mat-khau-moi-1"}).status_code == 302
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}
                   ).status_code == 401
    assert _replay(app, session=session_cookie) == 302
    assert _replay(app, **{remember.COOKIE: remember_cookie}) == 302
    entry = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "account.password_reset")).scalar_one()
    assert '"tokens_revoked":1' in entry.details


def test_the_csrf_token_changes_at_login(app, admin):
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        session["csrf_token"] = "read-before-login"
    client.post("/login", data={"username": "quantri", "password": PASSWORD})
    with client.session_transaction() as session:
        assert session.get("csrf_token") != "read-before-login"


def test_api_tokens_expire_at_the_lifetime_chosen(app, db, admin, login_as, client):
    login_as(admin)
    html = client.get("/account").get_data(as_text=True)
    assert 'name="tk-days"' in html and '<option selected value="90">' in html
    assert client.post("/account/tokens", data={"tk-name": "tạm", "tk-days": "7"}
                       ).status_code == 200
    token = db.session.execute(select(ApiToken)).scalar_one()
    lifetime = token.expires_at - token.created_at
    assert timedelta(days=7) - timedelta(minutes=1) < lifetime <= timedelta(days=7)
    _token, plain = create_api_token(admin, "mặc định")
    assert _token.expires_at - _token.created_at > timedelta(days=89)
    db.session.commit()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    assert api.get("/api/v1/me", headers=headers).status_code == 200
    _token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert api.get("/api/v1/me", headers=headers).status_code == 401
    assert "Hết hạn" in client.get("/account").get_data(as_text=True)
