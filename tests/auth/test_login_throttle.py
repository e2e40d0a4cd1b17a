"""Failed logins are slowed per account and per client; correct ones never are; the client
address is taken from X-Forwarded-For only behind a configured number of trusted proxies."""

from __future__ import annotations

import pytest

from evalapp import create_app
from evalapp.auth.models import Role
from evalapp.config import ConfigError, load_config
from tests.conftest import PASSWORD, TEST_CONFIG

WRONG = "not-the-password"


@pytest.fixture
def translate(app):
    from flask_babel import force_locale, gettext

    def vietnamese(text: str) -> str:
        with app.test_request_context(), force_locale("vi"):
            return gettext(text)
    return vietnamese


@pytest.fixture
def make_app(database_url, tmp_path):
    def make(**config):
        return create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": database_url,
                                         "INSTANCE_PATH": str(tmp_path)} | config)
    return make


def post_login(client, username, password, **kwargs):
    return client.post("/login", data={"username": username, "password": password}, **kwargs)


def test_only_failed_logins_count_against_an_account(make_app, factory, translate):
    factory.user("chuTK", roles=(Role.VOTER,))
    factory.user("nguoikhac", roles=(Role.VOTER,))
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")

    # Correct logins, far beyond the limit, from new clients: none is refused.
    assert {post_login(app.test_client(), "chutk", PASSWORD).status_code
            for _ in range(12)} == {302}

    # The owner's phone has logged in before; an attacker's browser has not.
    phone, attacker = app.test_client(), app.test_client()
    assert post_login(phone, "chutk", PASSWORD).status_code == 302
    phone.post("/logout")
    statuses = [post_login(attacker, "CHUTK", WRONG).status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]

    refused = post_login(attacker, "chutk", PASSWORD)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    message = translate("This account has had too many wrong passwords. To protect it, try "
                        "again in %(seconds)s seconds. If you have forgotten the password, ask "
                        "the personnel office to set a new one.").split("%")[0]
    assert message in html and 'id="login-refused"' in html and 'name="password"' in html
    assert 'value="chutk"' in html  # the login form, with the username kept
    # Another new device of the owner is refused too while the window lasts...
    assert post_login(app.test_client(), "chutk", PASSWORD).status_code == 429
    # ...but not the phone where the owner has logged in before,
    assert post_login(phone, "chutk", PASSWORD).status_code == 302
    # and not another account from the same address.
    assert post_login(app.test_client(), "nguoikhac", PASSWORD).status_code == 302

    # A known device's own wrong passwords are counted on their own.
    phone.post("/logout")
    assert [post_login(phone, "chutk", WRONG).status_code for _ in range(4)] == [
        401, 401, 401, 429]


def test_failed_logins_from_one_client_are_limited_across_accounts(make_app, factory,
                                                                  translate):
    factory.user("mot", roles=(Role.VOTER,))
    app = make_app(LOGIN_CLIENT_RATE_LIMIT="3 per minute")
    known = app.test_client()
    assert post_login(known, "mot", PASSWORD).status_code == 302
    known.post("/logout")

    sprayer = app.test_client()
    statuses = [post_login(sprayer, f"nguoi{i}", WRONG).status_code for i in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    refused = post_login(app.test_client(), "mot", PASSWORD)
    assert refused.status_code == 429
    assert translate("Too many failed logins have come from this network. Try again in "
                     "%(seconds)s seconds.").split("%")[0] in refused.get_data(as_text=True)
    # Another address is another client; a device that logged in before is not held back.
    assert post_login(app.test_client(), "mot", PASSWORD,
                      environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 302
    assert post_login(known, "mot", PASSWORD).status_code == 302


def spray(client, addresses, proxy="10.0.0.1"):
    """Wrong passwords on different accounts, each with the given X-Forwarded-For."""
    return [post_login(client, f"ai{i}", WRONG, environ_base={"REMOTE_ADDR": proxy},
                       headers={"X-Forwarded-For": address}).status_code
            for i, address in enumerate(addresses)]


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(make_app):
    app = make_app(LOGIN_CLIENT_RATE_LIMIT="3 per minute")
    assert app.config["TRUSTED_PROXIES"] == 0
    # A client cannot become five clients by making up the header.
    addresses = [f"198.51.100.{i}" for i in range(1, 6)]
    assert spray(app.test_client(), addresses) == [401, 401, 401, 429, 429]
    response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_x_forwarded_for_is_honoured_behind_a_trusted_proxy(make_app):
    app = make_app(LOGIN_CLIENT_RATE_LIMIT="3 per minute", TRUSTED_PROXIES=1)
    # Five people behind the proxy are five clients...
    addresses = [f"198.51.100.{i}" for i in range(1, 6)]
    assert spray(app.test_client(), addresses) == [401] * 5
    # ...one of them trying many accounts is one client, whatever it puts in front: only the
    # address the trusted proxy appended counts.
    forged = [f"203.0.113.{i}, 198.51.100.9" for i in range(1, 6)]
    assert spray(app.test_client(), forged) == [401, 401, 401, 429, 429]
    response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"},
                                     environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert "Strict-Transport-Security" in response.headers


def test_trusted_proxies_setting_is_read_and_checked(monkeypatch, tmp_path):
    monkeypatch.setenv("EVALAPP_TRUSTED_PROXIES", "2")
    assert load_config(str(tmp_path))["TRUSTED_PROXIES"] == 2
    monkeypatch.delenv("EVALAPP_TRUSTED_PROXIES")
    assert load_config(str(tmp_path))["TRUSTED_PROXIES"] == 0
    for bad in ("one", "-1"):
        monkeypatch.setenv("EVALAPP_TRUSTED_PROXIES", bad)
        with pytest.raises(ConfigError):
            load_config(str(tmp_path))


def test_only_a_genuine_device_cookie_of_that_account_is_trusted(make_app, factory):
    factory.user("dich", roles=(Role.VOTER,))
    factory.user("khac", roles=(Role.VOTER,))
    app = make_app(LOGIN_RATE_LIMIT="2 per minute")
    assert [post_login(app.test_client(), "dich", WRONG).status_code for _ in range(2)] == [
        401, 401]
    # The account's counter is spent: an untrusted client is refused at once, a trusted one
    # would be counted on its own and told the password is wrong.
    forged = app.test_client()
    forged.set_cookie("evalapp_device", "eyJuIjoieCIsImEiOlsiYWJjIl19.forged", path="/login")
    assert post_login(forged, "dich", WRONG).status_code == 429
    other_account = app.test_client()
    assert post_login(other_account, "khac", PASSWORD).status_code == 302
    other_account.post("/logout")
    assert post_login(other_account, "dich", WRONG).status_code == 429
