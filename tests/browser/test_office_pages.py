"""The office's pages in a real browser: each fits a 360 px phone and passes axe-core; the
grouped menu fits one line at 1024 px and works by keyboard; voter accounts are made with a
progress bar (and without JavaScript in one request); file pickers and dates speak the page's
language, whatever the browser's."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from tests.browser.axe import BLOCKING_IMPACTS, axe_violations, describe

PHONE_WIDTH = 360


def page_width(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def problems_on(page: Page, name: str) -> list[str]:
    found = []
    width = page_width(page)
    if width > PHONE_WIDTH:
        found.append(f"{name}: the page is {width}px wide")
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        found.append(f"{name}: axe-core:\n" + describe(blocking))
    return found


def draft_round_with_voters(db) -> tuple[int, int]:
    """A draft round whose summoned list is the whole demo organisation; returns its id and how
    many of its members have no account yet, and ends the test's transaction."""
    from evalapp.auth.models import User
    from evalapp.auth.permissions import SYSTEM
    from evalapp.ballots import services
    from evalapp.org.models import Person, Unit

    unit = db.session.execute(select(Unit).where(Unit.code == "TU")).scalar_one()
    people = db.session.execute(select(Person.id).where(Person.active.is_(True))).scalars().all()
    round_ = services.create_round(SYSTEM, services.RoundDetails(
        title="Hội nghị cán bộ thử nghiệm", body_name="Tỉnh ủy", unit=unit,
        meeting_date=date(2026, 12, 1)), services.Scale.THREE_LEVEL, "party-2023")
    services.add_voters(SYSTEM, round_, list(people))
    round_id = round_.id
    linked = db.session.execute(select(func.count(User.id)).where(
        User.person_id.in_(people))).scalar_one()
    db.session.commit()
    return round_id, len(people) - linked


def test_office_pages_fit_a_phone_and_pass_axe(demo, db, phone_page: Page, login,
                                               watch_errors):
    page = phone_page
    errors = watch_errors(page)
    round_id, _missing = draft_round_with_voters(db)
    found: list[str] = []

    page.goto("/login")
    found += problems_on(page, "login")
    login(page, "admin")
    for name, url, ready in [
        ("account", "/account", "#pw-current_password"),
        ("accounts", "/users", "#users-table td.user-name"),
        ("account form", "/users/new", "#username"),
        ("people", "/org/people", "#people-table td.person-name"),
        ("people sorted", "/org/people?sort=unit&dir=desc", "#people-table td.person-name"),
        ("person form", "/org/people/new", "#full_name"),
        ("units", "/org/units", "#units-table a"),
        ("units searched", "/org/units?q=so", "#units-table .unit-trail"),
        ("unit form", "/org/units/new", "#name"),
        ("posts", "/org/posts", "#main table td"),
        ("duty groups", "/org/duty-groups", "#main table td"),
        ("import", "/org/people/import", "label[for=file].file-picker-button"),
        ("audit trail", "/audit/", "#audit-entries .audit-entry"),
        ("audit trail filtered", "/audit/?action=auth.login", "#audit-entries .audit-entry"),
    ]:
        page.goto(url)
        expect(page.locator(ready).first).to_be_visible()
        found += problems_on(page, name)

    # The audit trail's details open, and still fit.
    page.goto("/audit/?action=account.created")
    page.locator("#audit-entries details summary").first.tap()
    found += problems_on(page, "audit details")

    # Voter slips (without the progress bar here: the next test drives it).
    page.goto(f"/ballots/{round_id}/voters")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("form[data-voter-accounts] [type=submit]").tap()
    expect(page.locator("#account-slips .account-slip").first).to_be_visible(timeout=60_000)
    found += problems_on(page, "voter slips")

    assert found == [], "\n".join(found)
    assert errors == [], "console errors or CSP violations:\n" + "\n".join(errors)


def test_the_menu_fits_one_line_at_1024_px_and_works_by_keyboard(demo, page: Page, login,
                                                                  translate, watch_errors):
    errors = watch_errors(page)
    page.set_viewport_size({"width": 1024, "height": 768})
    login(page, "admin")
    for language in ("vi", "en"):
        page.goto(f"/lang/{language}?next=/")
        items = page.locator("#nav > ul > li")
        expect(items.first).to_be_visible()
        tops = {round(box["y"]) for box in
                (items.nth(i).bounding_box() for i in range(items.count()))}
        assert len(tops) == 1, f"{language}: the menu wraps onto {len(tops)} lines"
        assert page_width(page) <= 1024
        assert page.locator("nav.navbar").bounding_box()["height"] < 70
    page.goto("/lang/vi?next=/")

    # Keyboard only: Tab to the Organisation group, open it, move down, follow a link.
    toggle = page.locator("#menu-org")
    expect(toggle).to_have_text(translate("Organisation"))
    page.locator(".navbar-brand").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "menu-org":
            break
    assert page.evaluate("() => document.activeElement.id") == "menu-org"
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    people = page.locator('#nav .dropdown-menu a[href="/org/people"]')
    expect(people).to_be_visible()
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(people).to_be_hidden()
    assert page.evaluate("() => document.activeElement.id") == "menu-org"
    page.keyboard.press("Space")
    expect(people).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(people).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator('#nav .dropdown-menu a[href="/org/units"]')).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/org/units$"))

    # The administration group and the account menu (log out lives there).
    page.locator("#menu-admin").click()
    expect(page.locator('#nav a[href="/audit/"]')).to_be_visible()
    page.locator("#menu-user").click()
    logout = page.locator("#nav form[action='/logout'] button")
    expect(logout).to_be_visible()
    logout.click()
    expect(page).to_have_url(re.compile(r"/login$"))
    assert errors == [], "console errors or CSP violations:\n" + "\n".join(errors)


def test_voter_accounts_are_made_with_a_progress_bar(demo, db, page: Page, login, translate,
                                                     watch_errors):
    errors = watch_errors(page)
    round_id, missing = draft_round_with_voters(db)
    assert missing > 50  # more than two batches
    login(page, "admin")
    page.goto(f"/ballots/{round_id}/voters")
    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    batches = []
    page.on("response", lambda r: batches.append(r.status)
            if r.request.method == "POST" and r.url.endswith("/voters/accounts") else None)
    page.locator("form[data-voter-accounts] [type=submit]").click()
    slips = page.locator("#account-slips .account-slip")
    expect(slips).to_have_count(missing, timeout=60_000)
    assert questions and "tài khoản" in questions[0]
    assert len(batches) >= 3 and set(batches) == {200}
    expect(page.locator("#slips-count")).to_have_text(
        translate("%(n)s accounts were created.", n=missing))
    expect(page.locator("#slips-title")).to_be_focused()
    # Every slip: the login address, a QR code, a username and a grouped password.
    first = slips.first
    expect(first.locator(".slip-address")).to_have_text(re.compile(r"^http://127\.0\.0\.1:\d+/login$"))
    expect(first.locator(".slip-qr svg")).to_have_count(1)
    expect(first.locator("code.password")).to_have_text(
        re.compile(r"^[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}$"))
    username = first.locator("code.username").inner_text()
    password = first.locator("code.password").inner_text()
    assert errors == [], "console errors or CSP violations:\n" + "\n".join(errors)

    # The slip's password opens the account, typed as someone might read it.
    page.context.clear_cookies()
    page.goto(f"/login?u={username}")
    expect(page.locator("#username")).to_have_value(username)
    page.locator("#password").fill(password.replace("-", "").upper())
    page.locator("#main form [type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def test_voter_accounts_without_javascript_in_one_request(demo, db, new_context, login):
    round_id, missing = draft_round_with_voters(db)
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    login(page, "admin")
    page.goto(f"/ballots/{round_id}/voters")
    page.locator("form[data-voter-accounts] [type=submit]").click()
    expect(page.locator("#account-slips .account-slip")).to_have_count(missing)
    # Without a script the menu's groups still open, when focus enters them.
    expect(page.locator('#nav a[href="/org/people"]')).to_be_hidden()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.locator("#menu-org").focus()
    expect(page.locator('#nav a[href="/org/people"]')).to_be_visible()
    context.close()


def test_file_pickers_and_dates_speak_the_page_language(demo, new_context, login, tmp_path,
                                                        translate):
    # An English-language browser: its own file control would say "Choose File", its own date
    # control mm/dd/yyyy.
    context = new_context(locale="en-US")
    page = context.new_page()
    login(page, "admin")
    page.goto("/org/people/import")
    button = page.locator("label.file-picker-button[for=file]")
    expect(button).to_have_text(translate("Choose file"))
    chosen = page.locator("#file-chosen")
    expect(chosen).to_have_text(translate("No file chosen"))
    native = page.locator("#file")
    box = native.bounding_box()
    assert box is None or box["width"] <= 1  # visually hidden, still in the page
    native.focus()  # focusable: the styled button shows the focus
    assert page.evaluate("() => getComputedStyle(document.querySelector("
                         "'label.file-picker-button')).outlineStyle") != "none"
    sample = tmp_path / "danh-sach.xlsx"
    sample.write_bytes(page.request.get("/org/people/import/template.xlsx").body())
    native.set_input_files(sample)
    expect(chosen).to_have_text("danh-sach.xlsx")

    # A date typed the Vietnamese way is read the Vietnamese way.
    page.goto("/ballots/new")
    meeting = page.locator("#meeting_date")
    expect(meeting).to_have_attribute("type", "text")
    expect(meeting).to_have_attribute("placeholder", "dd/mm/yyyy")
    page.locator("#title").fill("Lấy phiếu ngày tháng")
    page.locator("#body_name").fill("Tỉnh ủy")
    meeting.fill("02/09/2026")
    page.locator("#submit").click()
    expect(page).to_have_url(re.compile(r"/ballots/\d+$"))
    page.goto(page.url + "/settings")
    expect(page.locator("#meeting_date")).to_have_value("02/09/2026")
    meeting = page.locator("#meeting_date")
    meeting.fill("31/02/2026")
    page.locator("#submit").click()
    expect(page.locator("#meeting_date-errors")).to_contain_text("31/02/2026")
    context.close()
