"""Browser tests: Debian's Chromium driven by Playwright against the live test server.

One headless Chromium per test session (per xdist worker); every test gets fresh browser
contexts, so cookies and sessions never leak from one test to the next. The live server and its
database come from tests/conftest.py; the `db` fixture empties the tables after each test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_babel import force_locale
from flask_babel import gettext as babel_gettext
from playwright.sync_api import BrowserContext, Page, expect

from evalapp.demo import DEMO_PASSWORD, seed_demo

HERE = Path(__file__).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
TIMEOUT_MS = 10_000
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}

expect.set_options(timeout=TIMEOUT_MS)

# Chromium reports CSP violations on the console, but an init script (run by the browser, not
# subject to the page's CSP) also logs them explicitly so that none can slip by unnoticed.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
                + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def pytest_collection_modifyitems(config, items):
    # Hooks in a conftest see every collected item, so mark only the ones in this folder.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": browser_type_launch_args.get("headless", True),  # --headed still works
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Relative URLs in page.goto() go to this worker's live server."""
    return live_server


def _prepare(context: BrowserContext) -> BrowserContext:
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(CSP_REPORTER)
    return context


@pytest.fixture
def context(new_context) -> BrowserContext:
    """A desktop browser context (pytest-playwright's default 1280x720 viewport)."""
    return _prepare(new_context())


@pytest.fixture
def phone_context(new_context) -> BrowserContext:
    return _prepare(new_context(**PHONE))


@pytest.fixture
def phone_page(phone_context) -> Page:
    """A page in a 360x740 touch-screen phone viewport."""
    return phone_context.new_page()


@pytest.fixture
def fresh_context(new_context):
    """fresh_context(phone=False) -> one more browser context with its own cookies (another
    person at another device), prepared like `context`; closed after the test."""

    def make(phone: bool = False) -> BrowserContext:
        return _prepare(new_context(**PHONE) if phone else new_context())

    return make


@pytest.fixture
def watch_errors():
    """watch_errors(page) -> a list that fills with the page's problems: console errors (CSP
    violations included), uncaught exceptions, and responses or requests that failed."""

    def watch(page: Page) -> list[str]:
        errors: list[str] = []

        def on_console(message) -> None:
            # "Failed to load resource" names no URL; on_response below reports it with one.
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                errors.append(f"console: {message.text}")

        def on_response(response) -> None:
            if response.status >= 400:
                errors.append(f"HTTP {response.status}: {response.request.method} {response.url}")

        def on_request_failed(request) -> None:
            if request.failure != "net::ERR_ABORTED":  # cancelled by the next navigation
                errors.append(f"request failed ({request.failure}): {request.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: errors.append(f"exception: {error}"))
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)
        return errors

    return watch


@pytest.fixture
def demo(db):
    """The demo organisation (about sixty people, demo accounts) in the test database."""
    seed_demo()
    db.session.commit()


@pytest.fixture
def login():
    """login(page, username="admin", password=DEMO_PASSWORD): log in through the login form."""

    def log_in(page: Page, username: str = "admin", password: str = DEMO_PASSWORD) -> None:
        page.goto("/login")
        page.locator("#username").fill(username)
        page.locator("#password").fill(password)
        page.locator("#main form [type=submit]").click()
        expect(page).not_to_have_url(re.compile(r"/login(\?|$)"))
        page.wait_for_load_state()  # deferred scripts (Bootstrap) have run

    return log_in


@pytest.fixture
def translate(app):
    """translate(text, locale): the app's translation of a message, as the UI shows it."""

    def gettext(text: str, locale: str = "vi", **params) -> str:
        with app.test_request_context(), force_locale(locale):
            return babel_gettext(text, **params)

    return gettext


def protect_shares(page: Page, round_url: str, holders) -> None:
    """Counting-team members set the passphrases of their shares on the round's key page,
    in turn on `page` (holders: (name, passphrase) pairs)."""
    for holder, passphrase in holders:
        page.goto(f"{round_url}/keys")
        page.locator("#holder").fill(holder)
        page.locator("#passphrase").fill(passphrase)
        page.locator("#confirmation").fill(passphrase)
        page.locator(f'form[action="{round_url}/keys"] [type="submit"]').click()
        expect(page.locator("#key-holders")).to_contain_text(holder)


def unlock_shares(page: Page, round_url: str, shares) -> None:
    """Counting-team members unlock their shares after closing (shares: (number, passphrase)),
    each choosing their name and typing their passphrase on the key page."""
    for number, passphrase in shares:
        page.goto(f"{round_url}/keys")
        page.locator("#number").select_option(str(number))
        page.locator("#passphrase").fill(passphrase)
        page.locator(f'form[action="{round_url}/keys/unlock"] [type="submit"]').click()
        expect(page.locator("#main .alert-success")).to_be_visible()
