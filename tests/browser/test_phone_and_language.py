"""A phone-sized screen, the language switch, and a failed login, in a real browser."""

from __future__ import annotations

import re
import unicodedata

from playwright.sync_api import Page, expect

from evalapp.demo import DEMO_PASSWORD


def assert_no_sideways_scrolling(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]}px wide on a {width[1]}px screen"


def unaccented(name: str) -> str:
    """What someone types on a phone keyboard: 'Nguyễn Văn Đức' -> 'nguyen van duc'."""
    decomposed = unicodedata.normalize("NFD", name.lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def test_phone_menu_and_people_list(demo, phone_page: Page, login, watch_errors):
    page = phone_page
    errors = watch_errors(page)
    login(page, "admin")
    assert page.viewport_size == {"width": 360, "height": 740}

    # The navbar is collapsed behind the menu button; Bootstrap's script, served by the app
    # itself (the CSP allows no other origin), opens it.
    expect(page.locator('script[src="/static/vendor/bootstrap/bootstrap.bundle.min.js"]')) \
        .to_have_count(1)
    assert page.evaluate("() => typeof window.bootstrap?.Collapse") == "function"
    toggler = page.locator("nav .navbar-toggler")
    menu = page.locator("#nav")
    people_link = menu.locator('a[href="/org/people"]')
    expect(toggler).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(people_link).to_be_hidden()
    toggler.tap()
    expect(menu).to_have_class(re.compile(r"\bshow\b"))
    expect(toggler).to_have_attribute("aria-expanded", "true")
    # People sit in the Organisation group, which opens in place on a phone.
    expect(people_link).to_be_hidden()
    menu.locator("#menu-org").tap()
    expect(menu.locator("#menu-org")).to_have_attribute("aria-expanded", "true")
    expect(people_link).to_be_visible()
    assert_no_sideways_scrolling(page)
    people_link.tap()
    expect(page).to_have_url(re.compile(r"/org/people$"))
    expect(menu).to_be_hidden()  # a new page starts with the menu closed

    # The people list: a search that works with the on-screen keyboard's unaccented letters.
    expect(page.locator("#people-table td.person-name").first).to_be_visible()
    assert_no_sideways_scrolling(page)
    first_name = page.locator("#people-table td.person-name").first.inner_text()
    search = page.locator("#q")
    expect(search).to_be_visible()
    search.fill(unaccented(first_name))
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q="))
    names = page.locator("#people-table td.person-name")
    expect(names.filter(has_text=first_name)).to_have_count(1)
    assert_no_sideways_scrolling(page)

    # A person opens in a form that fits the screen.
    names.filter(has_text=first_name).locator("a").tap()
    expect(page).to_have_url(re.compile(r"/org/people/\d+$"))
    expect(page.locator("#full_name")).to_have_value(first_name)
    box = page.locator("#full_name").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    assert_no_sideways_scrolling(page)

    assert errors == [], "console errors or CSP violations:\n" + "\n".join(errors)


def test_phone_language_switch(demo, phone_page: Page, login, translate, watch_errors):
    page = phone_page
    errors = watch_errors(page)
    login(page, "admin")
    page.goto("/org/people")
    heading = page.locator("#main h1")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(heading).to_have_text(translate("People", "vi"))

    # To English, from the collapsed menu; the same page comes back.
    page.locator("nav .navbar-toggler").tap()
    # Tap only once the menu has finished opening: mid-animation the links still move.
    expect(page.locator("#nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    page.locator('#nav a[hreflang="en"]').tap()
    expect(page).to_have_url(re.compile(r"/org/people\??$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(heading).to_have_text("People")
    expect(page.locator("#people-table thead th").nth(1)).to_have_text("Full name")
    expect(page.locator('label[for="q"]')).to_have_text("Search by name or staff code")
    expect(page.locator('#nav a[hreflang="en"]')).to_have_count(0)

    # The choice sticks while moving around.
    page.goto("/org/units")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#main h1")).to_have_text("Units")

    # And back to Vietnamese.
    page.locator("nav .navbar-toggler").tap()
    expect(page.locator("#nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    back = page.locator('#nav a[hreflang="vi"]')
    expect(back).to_have_text("Tiếng Việt")
    back.tap()
    expect(page).to_have_url(re.compile(r"/org/units\??$"))
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("#main h1")).to_have_text(translate("Units", "vi"))
    expect(page.locator('#nav a[hreflang="en"]')).to_have_text("English")

    assert errors == [], "console errors or CSP violations:\n" + "\n".join(errors)


def test_failed_login_shows_the_error_beside_the_password(demo, page: Page, translate):
    page.goto("/login")
    page.locator("#username").fill("admin")
    page.locator("#password").fill(DEMO_PASSWORD + "-wrong")
    page.locator("#main form [type=submit]").click()

    expect(page).to_have_url(re.compile(r"/login$"))
    password = page.locator("#password")
    message = page.locator("#password-errors")
    expect(message).to_have_text(translate("The username or password is not correct.", "vi"))
    expect(message).to_have_attribute("role", "alert")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-describedby", re.compile(r"\bpassword-errors\b"))
    expect(password).to_have_value("")  # the wrong password is not sent back
    expect(page.locator("#username")).to_have_value("admin")
    # Next to the field: the message follows the password input, in the same form group.
    expect(page.locator(".mb-3", has=password).locator("#password-errors")).to_be_visible()
    # Measure once the page (its style sheets) has loaded: before that the layout can shift.
    page.wait_for_load_state("load")
    field_box, message_box = password.bounding_box(), message.bounding_box()
    below = message_box["y"] - (field_box["y"] + field_box["height"])
    assert 0 <= below < 40, f"the message is {below}px below the password field"
    # Still logged out: the menu has no administration links.
    expect(page.locator('#nav a[href="/org/people"]')).to_have_count(0)
