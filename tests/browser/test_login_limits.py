"""The login rate limit, against a server running with the production default limits (not the
test suite's raised ones): a hall of delegates logging in correctly from one address is never
refused, while wrong passwords for one account are.

What was decided for the account's owner: a browser where the owner has logged in before keeps
a signed device cookie and is counted on its own, so someone typing wrong passwords for the
owner's account cannot lock the owner out of that phone; any other client (a new device) is
refused, even with the right password, until the window passes.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from limits import parse_many
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from evalapp import create_app
from evalapp.auth.models import Role
from tests.browser.axe import assert_accessible
from tests.browser.test_phone_and_language import assert_no_sideways_scrolling
from tests.conftest import PASSWORD, TEST_CONFIG

CORRECT_LOGINS = 500
DELEGATES = 25  # each logs in 20 times: more than any per-account or per-client allowance
WRONG_PASSWORDS = 20
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture(scope="module")
def production_server(app, database_url) -> Iterator[tuple[str, dict]]:
    """The app on its own port with the login limits it has in production (the test suite's
    LOGIN_* overrides left out), on the test database."""
    config = {key: value for key, value in TEST_CONFIG.items()
              if not key.startswith("LOGIN_")}
    served = create_app(config | {
        "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": app.instance_path,
        "WTF_CSRF_ENABLED": True, "TESTING": False})
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", served.config
    server.shutdown()


def allowance(limit: str) -> int:
    return min(item.amount for item in parse_many(limit))


def test_a_hall_of_correct_logins_from_one_address_is_never_refused(
        production_server, factory, playwright):
    url, config = production_server
    assert allowance(config["LOGIN_RATE_LIMIT"]) < CORRECT_LOGINS // DELEGATES
    assert allowance(config["LOGIN_CLIENT_RATE_LIMIT"]) < CORRECT_LOGINS
    usernames = [f"daibieu{i:02d}" for i in range(DELEGATES)]
    for username in usernames:
        factory.user(username, roles=(Role.VOTER,))

    statuses = []
    for n in range(CORRECT_LOGINS):
        # Each login from a new client with no cookies (a delegate's own phone), all from
        # 127.0.0.1, through the real form with its CSRF token.
        api = playwright.request.new_context(base_url=url)
        form = api.get("/login")
        assert form.status == 200
        token = CSRF.search(form.text()).group(1)
        response = api.post("/login", max_redirects=0, form={
            "csrf_token": token, "username": usernames[n % DELEGATES], "password": PASSWORD})
        statuses.append(response.status)
        if response.status == 302:
            assert api.get("/").status == 200  # really logged in
        api.dispose()
    assert statuses == [302] * CORRECT_LOGINS


def submit(page: Page, username: str, password: str) -> int:
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith("/login")) as answer:
        page.locator("#main form [type=submit]").click()
    page.wait_for_load_state()
    return answer.value.status


def test_wrong_passwords_for_one_account_are_slowed_but_not_its_known_device(
        production_server, factory, browser, translate):
    url, config = production_server
    allowed = allowance(config["LOGIN_RATE_LIMIT"])
    assert allowed < WRONG_PASSWORDS
    factory.user("chutich", roles=(Role.VOTER,))

    # The owner has logged in from this phone before.
    def new_context(**options):
        made = browser.new_context(base_url=url, **options)
        contexts.append(made)
        return made

    contexts = []
    owner_context = new_context()
    owner = owner_context.new_page()
    owner.goto("/login")
    assert submit(owner, "chutich", PASSWORD) == 302
    expect(owner).not_to_have_url(re.compile(r"/login"))
    owner_context.clear_cookies(name="session")  # the session has ended since

    # Someone else tries twenty wrong passwords from another browser (same address).
    attacker = new_context(viewport={"width": 360, "height": 740}).new_page()
    attacker.goto("/login")
    statuses = [submit(attacker, "chutich", f"doan-{n}") for n in range(WRONG_PASSWORDS)]
    assert statuses == [401] * allowed + [429] * (WRONG_PASSWORDS - allowed)
    refusal = attacker.locator("#login-refused")
    expect(refusal).to_have_attribute("role", "alert")
    expected = translate("This account has had too many wrong passwords. To protect it, try "
                         "again in %(seconds)s seconds. If you have forgotten the password, "
                         "ask the personnel office to set a new one.", seconds=0)
    before, after = expected.split("0", 1)
    expect(refusal).to_have_text(re.compile(re.escape(before) + r"\d+" + re.escape(after)))
    expect(attacker.locator("#username")).to_have_value("chutich")
    assert_no_sideways_scrolling(attacker)
    assert_accessible(attacker, "the refused login")

    # A new device is refused even with the right password while the window lasts...
    stranger = new_context().new_page()
    stranger.goto("/login")
    assert submit(stranger, "chutich", PASSWORD) == 429
    expect(stranger.locator("#login-refused")).to_be_visible()
    # ...but the owner's own phone logs in.
    owner.goto("/login")
    assert submit(owner, "chutich", PASSWORD) == 302
    expect(owner).not_to_have_url(re.compile(r"/login"))
    for made in contexts:
        made.close()
