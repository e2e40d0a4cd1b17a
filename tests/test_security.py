"""Safe by default: headers, CSRF, error pages, cookies."""

from evalapp import create_app
from tests.conftest import PASSWORD, TEST_CONFIG


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in response.get_data(as_text=True)


def test_no_page_has_inline_script(client, admin, login_as):
    login_as(admin)
    for url in ["/", "/org/people", "/org/units", "/org/people/import", "/users", "/account",
                "/audit/"]:
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and " on" + "click=" not in html, url


def test_forms_without_a_csrf_token_are_refused(database_url, tmp_path, factory):
    factory.user("quantri")
    guarded = create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": database_url,
                                        "INSTANCE_PATH": str(tmp_path),
                                        "WTF_CSRF_ENABLED": True})
    client = guarded.test_client()
    response = client.post("/login", data={"username": "quantri", "password": PASSWORD})
    assert response.status_code == 400
    assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", data={"username": "quantri", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302


def test_session_cookie_is_http_only_and_same_site(client, admin):
    response = client.post("/login", data={"username": "quantri", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_requires_a_secret_key_and_sets_secure_cookies(monkeypatch, tmp_path):
    import pytest

    from evalapp.config import ConfigError, load_config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("EVALAPP_ENV", "production")
    with pytest.raises(ConfigError):
        load_config(str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("EVALAPP_PUBLIC_BASE_URL", "https://bophieu.tinh.gov.vn/")
    config = load_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]


def test_error_pages_are_in_vietnamese(client, admin, login_as):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.get_data(as_text=True)
    voter_client = login_as(admin)
    assert voter_client.get("/org/people/999999").status_code == 404


def test_sqlite_runs_in_wal_mode_with_foreign_keys(db):
    from sqlalchemy import text

    if db.engine.dialect.name != "sqlite":
        assert db.engine.dialect.name == "postgresql"
        return
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
