"""The hall in Chromium (issue 7): the receipt survives a reload, a latecomer is admitted while
voting is open and counted, the close question names the members who have not voted, the
projector view is full-screen, each role's home page is its to-do list, and the pages of the
voting journey, the attendance, the turnout, the projector and the results fit a 360 px phone
without sideways scrolling and pass axe-core.

Rounds are built through the services (the admin's part is covered by test_ballot_journey);
the test ends its database transaction before the live server works, and after each write it
makes itself (SQLite allows one writer at a time). Expected texts come from the app's own
catalogue (the `translate` fixture); the counts are worked out by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from evalapp.auth.models import Role, User
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder, services
from evalapp.ballots.builder import KEY_HOLDERS
from evalapp.ballots.models import BallotRound, RoundStatus
from evalapp.org.models import Person, Unit
from tests.browser.axe import assert_accessible
from tests.browser.conftest import unlock_shares
from tests.conftest import PASSWORD

TITLE = "Lấy phiếu tín nhiệm Ban Chấp hành năm 2026"
BODY = "Ban Chấp hành Đảng bộ Thử nghiệm"
# Three people voted on (the second is the demo "person voted on", with an account).
CANDIDATES = [("LD01", "Nguyễn Văn Bí", "Bí thư", 1), ("LD02", "Trần Thị Phó", "Phó Bí thư", 2),
              ("LD03", "Phạm Văn Ủy", "Ủy viên Ban Thường vụ", 3)]
# Seven members: staff code, full name, username. The last one arrives late.
MEMBERS = [(f"DB{i:02d}", name, f"daibieu{i}") for i, name in enumerate([
    "Lê Văn An", "Đỗ Thị Bình", "Hoàng Văn Cường", "Vũ Thị Dung", "Ngô Văn Hải",
    "Bùi Thị Yến", "Lý Văn Muộn"])]
LATE = MEMBERS[-1]
GROUPED = re.compile(r"^([0-9a-f]{4}-){15}[0-9a-f]{4}$")


@dataclass
class Hall:
    unit: int
    secretary: int
    counter: int


@pytest.fixture
def hall(db, factory) -> Hall:
    unit = factory.unit("Đảng bộ Thử nghiệm")
    for code, name, post, rank in CANDIDATES:
        person = factory.person(name, unit, staff_code=code, post=factory.post(post, rank=rank))
        if code == "LD02":
            factory.user("canbo", roles=(Role.EVALUEE,), person=person, full_name=name)
    for code, name, username in MEMBERS:
        person = factory.person(name, unit, staff_code=code)
        factory.user(username, roles=(Role.VOTER,), person=person, full_name=name)
    factory.user("bantochuc", roles=(Role.ADMIN,), full_name="Trịnh Văn Tổ")
    secretary = factory.user("thuky", roles=(Role.SECRETARY,), full_name="Đặng Thị Thư")
    counter = factory.user("kiemphieu", roles=(Role.COUNTER,), full_name="Lý Văn Kiểm")
    ids = Hall(unit=unit.id, secretary=secretary.id, counter=counter.id)
    db.session.commit()
    return ids


@pytest.fixture
def build(db, hall):
    """build(state, present=6, ballots=[levels...]) -> round id: the seven members summoned,
    the first `present` present, the i-th ballot cast by the i-th member; then driven to
    `state`. Ends its transaction (the live server writes next)."""

    def make(state: RoundStatus, present: int = 6, ballots=()) -> int:
        people = {p.staff_code: p for p in db.session.execute(select(Person)).scalars()}
        plan = builder.RoundPlan(
            unit=db.session.get(Unit, hall.unit), candidates=[people[c[0]] for c in CANDIDATES],
            voters=[people[m[0]] for m in MEMBERS], title=TITLE, body_name=BODY,
            place="Hội trường B", secretary=db.session.get(User, hall.secretary),
            counter_head=db.session.get(User, hall.counter))
        round_id = builder.build(
            plan, state, present={people[m[0]].id for m in MEMBERS[:present]},
            ballots=[(people[code], levels) for (code, _name, _user), levels
                     in zip(MEMBERS, ballots, strict=False)]).round.id
        db.session.commit()
        return round_id

    return make


def fits_360(page: Page, name: str) -> None:
    page.wait_for_load_state("load")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"{name} ({page.url}) is {width}px wide on a 360px screen"


def checked(page: Page, name: str) -> None:
    """No sideways scrolling at 360 px and no serious axe-core violation."""
    fits_360(page, name)
    assert_accessible(page, name)


def accept_dialogs(page: Page) -> list[str]:
    said: list[str] = []

    def accept(dialog) -> None:
        said.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return said


def vote_on(page: Page, round_id: int, levels) -> None:
    page.goto(f"/vote/{round_id}")
    lines = page.locator("fieldset.ballot-line")
    for k, level in enumerate(levels):
        lines.nth(k).locator(f'label[for$="-{level}"]').click()
    page.locator('#ballot-form button[type="submit"]').click()
    page.locator("#cast-button").click()
    expect(page).to_have_url(re.compile(rf"/vote/{round_id}/receipt$"))


# ---------------------------------------------------------------- the receipt


def test_the_receipt_survives_a_reload_and_a_revisit(build, phone_context, login, translate,
                                                     watch_errors, base_url):
    round_id = build(RoundStatus.VOTING)
    phone_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = phone_context.new_page()
    errors = watch_errors(page)
    login(page, MEMBERS[0][2], PASSWORD)
    vote_on(page, round_id, ["high", "confidence", "low"])
    tracker = page.locator("#tracker")
    expect(page.locator("#main h1")).to_have_text(translate("Your ballot has been received"))
    expect(tracker).to_have_text(GROUPED)
    shown = tracker.inner_text()
    checked(page, "the receipt")

    # A phone bringing the tab back reloads it: the same receipt, never "already voted".
    for _ in range(2):
        page.reload()
        expect(tracker).to_have_text(shown)
    expect(page.locator("#main")).not_to_contain_text(
        translate("You have already voted in this round. Each person votes once."))

    # Revisited from the home page, in the same session.
    page.goto("/")
    receipts = page.locator("#home-receipts")
    expect(receipts).to_contain_text(TITLE)
    expect(receipts).to_contain_text(shown)
    expect(page.locator("#rounds-waiting a")).to_have_count(0)
    expect(page.locator("#rounds-voted")).to_contain_text(translate("You have voted"))
    receipts.locator(f'a[href="/vote/{round_id}/receipt"]').click()
    expect(tracker).to_have_text(shown)

    # Saved as a small text file from the session, and copied to the clipboard.
    with page.expect_download() as download:
        page.locator(f'a[href="/vote/{round_id}/receipt.txt"]').click()
    saved = open(download.value.path(), encoding="utf-8").read()
    assert TITLE in saved and shown in saved
    copy = page.locator("button[data-copy]")
    expect(copy).to_be_visible()
    copy.click()
    expect(page.locator("#copy-status")).to_contain_text(shown)
    assert page.evaluate("() => navigator.clipboard.readText()") == shown
    expect(page.locator("button[data-print]")).to_be_visible()
    assert errors == [], "\n".join(errors)


# ---------------------------------------------------------------- the hall


def test_a_latecomer_admitted_during_voting_votes_and_is_counted(
        build, page: Page, fresh_context, login, translate, watch_errors):
    # Six present at opening, three of them have voted "high" on every line.
    round_id = build(RoundStatus.VOTING, present=6, ballots=[["high"] * 3] * 3)
    round_url = f"/ballots/{round_id}"
    secretary = page
    problems = watch_errors(secretary)
    dialogs = accept_dialogs(secretary)
    login(secretary, "thuky", PASSWORD)

    # The projector in the hall, on its own screen.
    projector = fresh_context().new_page()
    login(projector, "thuky", PASSWORD)
    projector.goto(f"{round_url}/turnout?view=projector")
    expect(projector.locator("#turnout-present")).to_have_text("6")
    expect(projector.locator("#turnout-voted")).to_have_text("3")

    # The latecomer, on a phone, is told to ask the secretary.
    late = fresh_context(phone=True).new_page()
    late_problems = watch_errors(late)
    login(late, LATE[2], PASSWORD)
    expect(late.locator("#rounds-not-present")).to_contain_text(TITLE)
    expect(late.locator("#rounds-waiting a")).to_have_count(0)

    # The secretary's attendance page explains what can still be done, and admits them.
    secretary.goto(f"{round_url}/attendance")
    expect(secretary.locator("#attendance-frozen")).to_be_visible()
    buttons = secretary.locator("button.latecomer-button")
    expect(buttons).to_have_count(1)
    row = secretary.locator("#attendance-table tbody tr", has_text=LATE[1])
    row.locator("button.latecomer-button").click()
    expect(secretary.locator("#main .alert-success:not(#quorum)")).to_contain_text(LATE[1])
    assert LATE[1] in dialogs[-1] and "7" in dialogs[-1]
    expect(secretary.locator("#quorum")).to_contain_text(translate(
        "%(present)s of %(summoned)s summoned are present.", present=7, summoned=7))
    expect(buttons).to_have_count(0)
    # The projector counts them in by itself.
    expect(projector.locator("#turnout-present")).to_have_text("7")

    # The latecomer votes "low" on every line: the only "low" marks in the box.
    late.goto("/")
    late.locator(f'#rounds-waiting a[href="/vote/{round_id}"]').click()
    vote_on(late, round_id, ["low"] * 3)
    expect(late.locator("#tracker")).to_have_text(GROUPED)
    expect(projector.locator("#turnout-voted")).to_have_text("4")

    # Closing: the question says how many present members have not voted (7 - 4 = 3).
    secretary.goto(round_url)
    expect(secretary.locator("#fact-not-voted")).to_have_text("3")
    secretary.locator("#close-form button").click()
    expect(secretary.locator("#round-status")).to_have_text(translate("Voting closed"))
    assert dialogs[-1] == translate("%(n)s present members have not voted yet. Close voting? "
                                    "Nobody will be able to vote after this.", n=3)
    assert dialogs[-1].startswith("Còn 3 người có mặt chưa bỏ phiếu. Khóa hòm phiếu?")
    expect(projector.locator("#turnout-status")).to_have_text(translate("Voting closed"))

    # Counted: the number present grew by one, and the latecomer's ballot is in the count.
    unlock_shares(secretary, round_url, [(1, KEY_HOLDERS[0][1]), (2, KEY_HOLDERS[1][1])])
    secretary.locator(f'form[action="{round_url}/count"] button').click()
    secretary.goto(f"{round_url}/results?acknowledged=1")
    facts = dict(zip(secretary.locator("#round-counts dt").all_inner_texts(),
                     secretary.locator("#round-counts dd").all_inner_texts(), strict=True))
    assert facts[translate("Present")].strip() == "7"
    assert facts[translate("Ballots issued")].strip() == "7"
    assert facts[translate("Ballots collected")].strip() == "4"
    rows = secretary.locator("#results-table tbody tr")
    expect(rows).to_have_count(3)
    for k in range(3):
        expect(rows.nth(k).locator("td.count-low")).to_have_text("1")
        expect(rows.nth(k).locator("td.count-high")).to_have_text("3")
    assert problems == [] and late_problems == []


def test_the_quorum_updates_as_boxes_are_ticked(build, page: Page, login, translate):
    round_id = build(RoundStatus.ATTENDANCE)
    dialogs: list[str] = []
    login(page, "thuky", PASSWORD)
    page.goto(f"/ballots/{round_id}/attendance")
    quorum = page.locator("#quorum")
    expect(quorum).to_contain_text(translate(
        "%(present)s of %(summoned)s summoned are present.", present=0, summoned=7))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    boxes = page.locator("#attendance-form input.attendance-box")
    for i in range(4):
        boxes.nth(i).check()
    # 4 of 7: 12 < 14, not yet two thirds; counted in the page, without asking the server.
    expect(quorum).to_contain_text(translate(
        "%(present)s of %(summoned)s summoned are present.", present=4, summoned=7))
    expect(quorum).to_contain_text(translate("The quorum (two thirds) is not met yet."))
    expect(quorum).to_have_class(re.compile(r"\balert-warning\b"))
    expect(page.locator("#quorum-unsaved")).to_have_text(
        translate("Not saved yet: press “Save attendance”."))
    boxes.nth(4).check()  # 5 of 7: 15 >= 14
    expect(quorum).to_contain_text(translate("The quorum (two thirds) is met."))
    expect(quorum).to_have_class(re.compile(r"\balert-success\b"))
    assert requests == []

    # "Mark everyone present" asks first; declined, nothing changes.
    def decline(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.locator("#mark-all button").click()
    assert dialogs == [translate(
        "Mark all %(n)s members of the summoned list present, including those not ticked? You "
        "can untick and save again afterwards.", n=7)]
    expect(page).to_have_url(re.compile(rf"/ballots/{round_id}/attendance$"))
    expect(boxes.nth(5)).not_to_be_checked()

    # Saved: the message names who was marked present.
    page.locator('#attendance-form button[type="submit"]').click()
    message = page.locator("#main .alert-success:not(#quorum)")
    for _code, name, _user in MEMBERS[:5]:
        expect(message).to_contain_text(name)
    expect(message).not_to_contain_text(MEMBERS[5][1])
    expect(page.locator("#quorum-unsaved")).to_have_text("")


def test_the_projector_view_is_full_screen_and_live(build, db, page: Page, login, translate):
    round_id = build(RoundStatus.VOTING, present=6, ballots=[["high"] * 3])
    page.set_viewport_size({"width": 1280, "height": 720})
    login(page, "thuky", PASSWORD)
    page.goto(f"/ballots/{round_id}/turnout?view=projector")
    expect(page.locator("nav")).to_have_count(0)
    expect(page.locator(".navbar")).to_have_count(0)
    body = page.locator("body").inner_text()
    assert "Đặng Thị Thư" not in body and "thuky" not in body  # nobody's name on the wall
    assert translate("Log out") not in body
    for selector, value in (("#turnout-present", "6"), ("#turnout-voted", "1"),
                            ("#turnout-quorum", translate("met")),
                            ("#turnout-status", translate("Voting open"))):
        expect(page.locator(selector)).to_have_text(value)
    # Large figures: numbers at least 96 px tall on a 720 px screen.
    height = page.evaluate("() => parseFloat(getComputedStyle("
                           "document.getElementById('turnout-voted')).fontSize)")
    assert height >= 96, height
    assert_accessible(page, "the projector view")

    # A ballot cast elsewhere shows up by itself.
    round_ = db.session.get(BallotRound, round_id)
    voter = db.session.execute(select(Person).where(Person.staff_code == MEMBERS[1][0])
                               ).scalar_one()
    services.cast_ballot(voter, round_, {c.id: "confidence" for c in round_.active_candidates})
    db.session.commit()
    expect(page.locator("#turnout-voted")).to_have_text("2")
    page.set_viewport_size({"width": 360, "height": 740})
    fits_360(page, "the projector view")


# ---------------------------------------------------------------- home pages


def test_each_role_finds_its_work_on_its_home_page(build, db, fresh_context, login, translate):
    open_id = build(RoundStatus.VOTING, present=6, ballots=[["high"] * 3])
    counted_id = build(RoundStatus.COUNTED, present=6, ballots=[["high"] * 3] * 5)
    closed_id = build(RoundStatus.CLOSED, present=6, ballots=[["high"] * 3] * 2)
    # The person voted on sees their own line once the results are released to them.
    candidate = db.session.execute(select(Person).where(Person.staff_code == "LD02")
                                   ).scalar_one()
    own_line = next(c.id for c in db.session.get(BallotRound, counted_id).active_candidates
                    if c.person_id == candidate.id)
    db.session.commit()

    def home_of(username: str) -> Page:
        page = fresh_context(phone=True).new_page()
        login(page, username, PASSWORD)
        page.goto("/")
        return page

    # A voter who has voted in the open round: it is under "voted", not "waiting for you".
    voted = home_of(MEMBERS[0][2])
    expect(voted.locator("#rounds-waiting a")).to_have_count(0)
    expect(voted.locator("#rounds-waiting")).to_contain_text(
        translate("No round is open for you right now."))
    expect(voted.locator(f'#rounds-voted a[href="/vote/{open_id}/receipt"]')).to_contain_text(
        translate("You have voted"))
    checked(voted, "the home page of a voter who has voted")
    # One who has not: one tap to the ballot.
    waiting = home_of(MEMBERS[3][2])
    entry = waiting.locator(f'#rounds-waiting a[href="/vote/{open_id}"]')
    expect(entry).to_contain_text(TITLE)
    expect(waiting.locator("#rounds-voted")).to_have_count(0)
    checked(waiting, "the home page of a voter")
    entry.tap()
    expect(waiting.locator("#ballot-form")).to_be_visible()

    # The secretary: each round being held with its next step.
    secretary = home_of("thuky")
    run = secretary.locator("#home-run")
    for round_id, label in ((open_id, "Live turnout"),
                            (closed_id, "Unlock the shares of the counting team"),
                            (counted_id, "Results")):
        card = run.locator(f'li[data-round="{round_id}"]')
        expect(card.locator(".next-steps")).to_contain_text(translate(label))
    expect(run.locator(f'li[data-round="{open_id}"] .round-note')).to_contain_text(
        translate("%(voted)s of %(present)s present have voted; %(n)s have not voted yet.",
                  voted=1, present=6, n=5))
    checked(secretary, "the secretary's home page")
    # The counting team counts from there in one tap.
    counter = home_of("kiemphieu")
    # First the shares: the home page leads to the key page while too few are unlocked.
    counter.locator(f'#home-run li[data-round="{closed_id}"] .next-steps a').tap()
    expect(counter).to_have_url(re.compile(rf"/ballots/{closed_id}/keys$"))
    unlock_shares(counter, f"/ballots/{closed_id}",
                  [(1, KEY_HOLDERS[0][1]), (2, KEY_HOLDERS[1][1])])
    counter.goto("/")
    counter.locator(f'#home-run li[data-round="{closed_id}"] .next-steps button').tap()
    expect(counter.locator("#round-status")).to_have_text(translate("Counted"))

    # The admin: rounds in progress with their state, and quick links.
    admin = home_of("bantochuc")
    rounds = admin.locator("#home-admin-rounds")
    expect(rounds.locator(f'a[href="/ballots/{open_id}"]')).to_have_count(1)
    expect(rounds.locator("li", has_text=TITLE).first).to_contain_text(translate("Voting open"))
    for href in ("/ballots/new", "/org/people", "/org/people/import"):
        expect(admin.locator(f'#home-quick-links a[href="{href}"]')).to_have_count(1)
    checked(admin, "the admin's home page")

    # The person voted on: a link to their own line.
    own = home_of("canbo")
    link = own.locator(f'#home-own-results a[href="/ballots/{counted_id}/results#result-'
                       f'{own_line}"]')
    expect(link).to_have_text(translate("See your result"))
    checked(own, "the home page of the person voted on")


# ---------------------------------------------------------------- 360 px and axe-core


def test_the_hall_pages_fit_a_phone_and_pass_axe(build, fresh_context, login, translate):
    open_id = build(RoundStatus.VOTING, present=5, ballots=[["high"] * 3])
    counted_id = build(RoundStatus.COUNTED, present=6,
                       ballots=[["high", "low", "confidence"]] * 5 + [["low"] * 3])
    attendance_id = build(RoundStatus.ATTENDANCE)

    voter = fresh_context(phone=True).new_page()
    login(voter, MEMBERS[2][2], PASSWORD)
    voter.goto("/vote/")
    expect(voter.locator("#rounds-waiting a")).to_have_count(1)
    checked(voter, "the list of rounds to vote in")
    voter.goto(f"/vote/{open_id}")
    checked(voter, "the ballot")
    # Reviewed with two lines unmarked: each says so in words, tied to its line.
    voter.locator("fieldset.ballot-line").nth(0).locator('label[for$="-high"]').tap()
    voter.locator('#ballot-form button[type="submit"]').tap()
    unmarked = voter.locator("fieldset.ballot-line.line-unmarked")
    expect(unmarked).to_have_count(2)
    for k in range(2):
        line = unmarked.nth(k)
        note = line.locator(".unmarked-note")
        expect(note).to_have_text(translate("Not marked yet"))
        note_id = note.get_attribute("id")
        expect(line).to_have_attribute("aria-describedby", note_id)
    checked(voter, "the ballot with unmarked lines")
    # Marking a line takes its note away.
    unmarked.nth(0).locator('label[for$="-confidence"]').tap()
    expect(voter.locator(".unmarked-note:visible")).to_have_count(1)
    voter.locator("fieldset.ballot-line").nth(2).locator('label[for$="-low"]').tap()
    voter.locator('#ballot-form button[type="submit"]').tap()
    expect(voter.locator("#cast-button")).to_be_visible()
    checked(voter, "the review page")
    voter.locator("#cast-button").tap()
    expect(voter.locator("#tracker")).to_have_text(GROUPED)
    checked(voter, "the receipt")

    secretary = fresh_context(phone=True).new_page()
    login(secretary, "thuky", PASSWORD)
    for url, name in ((f"/ballots/{attendance_id}/attendance", "attendance"),
                      (f"/ballots/{open_id}/attendance", "attendance while voting"),
                      (f"/ballots/{open_id}/turnout", "the turnout page"),
                      (f"/ballots/{open_id}/turnout?view=projector", "the projector view"),
                      (f"/ballots/{open_id}", "the round page while voting"),
                      (f"/ballots/{counted_id}/results", "the results"),
                      (f"/ballots/{counted_id}/trackers", "the trackers")):
        secretary.goto(url)
        checked(secretary, name)
    # The results on a phone: one card per person, every count with its level's name.
    secretary.goto(f"/ballots/{counted_id}/results")
    first = secretary.locator("#results-table tbody tr").first
    box = first.bounding_box()
    assert box["width"] <= 360
    expect(first.locator("td.count-low")).to_have_text("1")
    label = first.locator("td.count-low").evaluate(
        "td => getComputedStyle(td, '::before').content")
    assert translate("Low confidence") in label

    # The same results at a desktop width are the table, and print whole.
    desktop = fresh_context().new_page()
    login(desktop, "thuky", PASSWORD)
    desktop.goto(f"/ballots/{counted_id}/results")
    expect(desktop.locator("#results-table thead")).to_be_visible()
    desktop.emulate_media(media="print")
    expect(desktop.locator("nav")).to_be_hidden()
    expect(desktop.locator("#results-actions")).to_be_hidden()
    overflow = desktop.evaluate(
        "() => getComputedStyle(document.querySelector('.results-wrap')).overflowX")
    assert overflow == "visible"
    expect(desktop.locator("#results-table tbody tr")).to_have_count(3)


def test_the_round_page_follows_the_voting_live(build, db, page: Page, login, translate):
    round_id = build(RoundStatus.VOTING, present=6, ballots=[["high"] * 3])
    dialogs: list[str] = []
    login(page, "thuky", PASSWORD)
    page.goto(f"/ballots/{round_id}")
    expect(page.locator("#fact-not-voted")).to_have_text("5")
    round_ = db.session.get(BallotRound, round_id)
    voter = db.session.execute(select(Person).where(Person.staff_code == MEMBERS[1][0])
                               ).scalar_one()
    services.cast_ballot(voter, round_, {c.id: "low" for c in round_.active_candidates})
    db.session.commit()
    # The numbers and the close question follow by themselves...
    expect(page.locator("#fact-voted")).to_have_text("2")
    expect(page.locator("#fact-not-voted")).to_have_text("4")

    def dismiss(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.locator("#close-form button").click()
    assert dialogs == [translate("%(n)s present members have not voted yet. Close voting? "
                                 "Nobody will be able to vote after this.", n=4)]
    # ...and when the chair closes voting elsewhere, the page shows the closed round.
    services.close_voting(SYSTEM, db.session.get(BallotRound, round_id))
    db.session.commit()
    expect(page.locator("#round-status")).to_have_text(translate("Voting closed"))
    expect(page.locator("#close-form")).to_have_count(0)
