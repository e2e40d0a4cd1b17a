"""Automated accessibility checks with axe-core on the pages an administrator uses first.

axe-core is vendored in tests/browser/vendor/axe.min.js (MPL-2.0, licence header kept; version
and source in that file's first line, full licence in vendor/axe-core.LICENSE). The app's CSP
forbids inline scripts, so the script is not added as a <script> tag: page.evaluate() runs it
through the DevTools protocol, which the page's CSP does not govern, and the page is checked
under its real policy.

Only violations of impact "serious" or "critical" fail a test; the failure lists each rule with
its selectors and axe's explanation.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from evalapp.demo import DEMO_PASSWORD
from tests.browser.axe import BLOCKING_IMPACTS, axe_violations, describe


def open_login(page: Page, login) -> None:
    page.goto("/login")


def open_login_with_error(page: Page, login) -> None:
    page.goto("/login")
    page.locator("#username").fill("admin")
    page.locator("#password").fill(DEMO_PASSWORD + "-wrong")
    page.locator("#main form [type=submit]").click()
    expect(page.locator("#password-errors")).to_be_visible()


def open_people(page: Page, login) -> None:
    login(page, "admin")
    page.goto("/org/people")
    expect(page.locator("#people-table td.person-name").first).to_be_visible()


def open_new_person(page: Page, login) -> None:
    login(page, "admin")
    page.goto("/org/people/new")
    expect(page.locator("#full_name")).to_be_visible()


def open_new_person_with_errors(page: Page, login) -> None:
    open_new_person(page, login)
    page.locator("#main form [type=submit]").click()
    expect(page.locator("#full_name-errors")).to_be_visible()


def open_units(page: Page, login) -> None:
    login(page, "admin")
    page.goto("/org/units")
    expect(page.locator("#main table a").first).to_be_visible()


def open_import(page: Page, login) -> None:
    login(page, "admin")
    page.goto("/org/people/import")
    expect(page.locator("label.file-picker-button[for=file]")).to_be_visible()


PAGES = {
    "login": open_login,
    "login-error": open_login_with_error,
    "people-list": open_people,
    "person-form": open_new_person,
    "person-form-errors": open_new_person_with_errors,
    "units": open_units,
    "import": open_import,
}


def test_no_serious_accessibility_violations(demo, fresh_context, login):
    # One demo organisation for every page (seeding it is most of the cost); each page in a
    # browser context of its own, so no page inherits another's login. Every page is checked
    # and the failure names each page with its problems.
    found = {}
    for name, open_page in PAGES.items():
        page = fresh_context().new_page()
        open_page(page, login)
        blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            found[name] = f"{name} ({page.url}):\n" + describe(blocking)
        page.context.close()
    assert found == {}, "axe-core found serious or critical problems on\n" + "\n".join(
        found.values())
