"""A whole confidence round in Chromium, as the issue tells it: the admin creates and opens a
round, the secretary takes attendance, five voters vote on a phone-sized screen (one tries
twice), the turnout page counts up by itself, the secretary closes, the counting team counts,
and the results show the right numbers.

Every actor has their own browser context (their own cookies), as they would have their own
device. Expected texts come from the app's own translations (the `translate` fixture), so the
test checks what a Vietnamese user reads without copying the catalogue. The expected counts are
worked out by hand below, not by the tally code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from evalapp.auth.models import Role, User
from evalapp.ballots import builder
from evalapp.ballots.builder import KEY_HOLDERS
from evalapp.ballots.models import RoundStatus
from evalapp.box import crypto
from evalapp.org.models import Person, Unit
from tests.browser.axe import assert_accessible
from tests.browser.conftest import protect_shares, unlock_shares
from tests.conftest import PASSWORD

TITLE = "Lấy phiếu tín nhiệm năm 2026"
BODY = "Ban Chấp hành Tỉnh ủy Thử nghiệm"
PLACE = "Hội trường A"

# The people voted on: staff code, full name, post, post rank. The ballot lists the highest post
# first, whatever order they are ticked in.
CANDIDATES = [("BTV01", "Phạm Văn Ban", "Ủy viên Ban Thường vụ", 3),
              ("BTV02", "Nguyễn Văn Bí", "Bí thư", 1),
              ("BTV03", "Trần Thị Phó", "Phó Bí thư", 2)]
BALLOT_ORDER = ["Nguyễn Văn Bí", "Trần Thị Phó", "Phạm Văn Ban"]

# The six members with a vote: staff code, full name, username. The last one is absent.
VOTERS = [("UVIEN01", "Lê Văn An", "uyvien1"), ("UVIEN02", "Đỗ Thị Bình", "uyvien2"),
          ("UVIEN03", "Hoàng Văn Cường", "uyvien3"), ("UVIEN04", "Vũ Thị Dung", "uyvien4"),
          ("UVIEN05", "Ngô Văn Hải", "uyvien5"), ("UVIEN06", "Bùi Thị Yến", "uyvien6")]
ABSENT = VOTERS[5]

# The ballot of each present voter, in ballot order (Bí, Phó, Ban).
BALLOTS = [("high", "low", "low"),
           ("high", "low", "confidence"),
           ("confidence", "low", "high"),
           ("low", "low", "low"),
           ("high", "confidence", "low")]
TRIES_TWICE = 4               # the fifth voter sends a second ballot from another tab
SECOND_TRY = ("high", "high", "high")
CHANGES_MIND = 1              # the second voter marks Ban "high", reviews, and changes it

# By hand, of the 5 ballots collected (the party-2023 base): level -> (count, percent).
EXPECTED = {
    "Nguyễn Văn Bí": ({"high": ("3", "60,00"), "confidence": ("1", "20,00"),
                       "low": ("1", "20,00")}, None),
    "Trần Thị Phó": ({"high": ("0", "0,00"), "confidence": ("1", "20,00"),
                      "low": ("4", "80,00")}, "Two thirds or more low confidence"),
    "Phạm Văn Ban": ({"high": ("1", "20,00"), "confidence": ("1", "20,00"),
                      "low": ("3", "60,00")}, "Over one half low confidence"),
}
LEVEL_MSGIDS = {"high": "High confidence", "confidence": "Confidence",
                "low": "Low confidence", "no_confidence": "No confidence"}

# On a 360px screen the results table scrolls sideways inside its .table-responsive wrapper,
# which is therefore focusable (tabindex, role=region) for keyboard users; see
# test_results_table_can_be_scrolled_by_keyboard.


@pytest.fixture
def committee(db, factory) -> dict[str, int]:
    """The unit, the people voted on, the members with their accounts and the officers, built
    through the services; returns plain ids, and ends its transaction, so that the test holds no
    database lock while the live server works (SQLite allows one writer at a time)."""
    unit = factory.unit("Tỉnh ủy Thử nghiệm")
    for code, name, post, rank in CANDIDATES:
        factory.person(name, unit, staff_code=code, post=factory.post(post, rank=rank))
    for code, name, username in VOTERS:
        person = factory.person(name, unit, staff_code=code)
        factory.user(username, roles=(Role.VOTER,), person=person, full_name=name)
    factory.user("bantochuc", roles=(Role.ADMIN,), full_name="Trịnh Văn Tổ")
    secretary = factory.user("thuky", roles=(Role.SECRETARY,), full_name="Đặng Thị Thư")
    counter = factory.user("kiemphieu", roles=(Role.COUNTER,), full_name="Lý Văn Kiểm")
    ids = {"unit": unit.id, "secretary": secretary.id, "counter": counter.id}
    db.session.commit()
    return ids


def test_a_confidence_round_from_creation_to_results(
        committee, page: Page, fresh_context, login, translate, watch_errors, base_url):
    problems: dict[str, list[str]] = {}   # who/which page -> console errors, failed requests
    dialogs: list[str] = []               # the confirm() questions, accepted

    def watched(new_page: Page, name: str) -> Page:
        problems[name] = watch_errors(new_page)

        def accept(dialog) -> None:
            dialogs.append(dialog.message)
            dialog.accept()

        new_page.on("dialog", accept)
        return new_page

    def status_is(p: Page, msgid: str) -> None:
        expect(p.locator("#round-status")).to_have_text(translate(msgid))

    # ------------------------------------------------ the admin prepares the round (desktop)
    admin = watched(page, "admin")
    login(admin, "bantochuc", PASSWORD)
    admin.goto("/ballots/")
    admin.locator('#main a[href="/ballots/new"]').click()
    admin.locator("#title").fill(TITLE)
    admin.locator("#body_name").fill(BODY)
    admin.locator("#unit_id").select_option(str(committee["unit"]))
    admin.locator("#place").fill(PLACE)
    admin.locator("#meeting_date").fill("2026-12-01")
    admin.locator("#scale").select_option("three_level")
    admin.locator("#preset").select_option("party-2023")
    admin.locator("#submit").click()
    expect(admin).to_have_url(re.compile(r"/ballots/\d+$"))
    round_id = int(admin.url.rsplit("/", 1)[1])
    round_url = f"/ballots/{round_id}"
    status_is(admin, "Draft")
    expect(admin.locator("#main h1")).to_have_text(TITLE)
    expect(admin.locator("#main")).to_contain_text(PLACE)

    # The people voted on, found by staff code, all ticked at once.
    admin.locator(f'#main a[href="{round_url}/candidates"]').click()
    admin.locator("#q").fill("btv")
    admin.locator("#q").press("Enter")
    boxes = admin.locator('#main input[name="person_id"]')
    expect(boxes).to_have_count(3)
    for i in range(3):
        boxes.nth(i).check()
    admin.locator('#main form[method="post"] button[type="submit"]').click()
    expect(admin).to_have_url(re.compile(rf"{round_url}/candidates(\?q=btv)?$"))
    expect(admin.locator("#main")).to_contain_text(translate("%(n)s on the ballot", n=3))
    admin.locator(f'#main a[href="{round_url}#candidates"]').click()
    expect(admin.locator("#candidates tbody tr td:nth-child(2)")).to_have_text(BALLOT_ORDER)

    # The six members with a vote, found by staff code. ("Everyone in the unit" would summon the
    # three people voted on as well, who are members of the same unit.)
    admin.locator(f'#main a[href="{round_url}/voters"]').click()
    expect(admin.locator("#unit_id option")).to_have_count(1)
    admin.locator("#q").fill("uvien")
    admin.locator("#q").press("Enter")
    boxes = admin.locator('#main input[name="person_id"]')
    expect(boxes).to_have_count(6)
    for i in range(6):
        boxes.nth(i).check()
    admin.locator('#main form[method="post"]:has(input[name="person_id"]) '
                  'button[type="submit"]').click()
    expect(admin).to_have_url(re.compile(rf"{round_url}/voters(\?q=uvien)?$"))
    expect(admin.locator("#main")).to_contain_text(translate("%(n)s summoned", n=6))

    # The secretary and the head of the counting team.
    admin.goto(round_url)
    admin.locator(f'#main a[href="{round_url}/officers"]').click()
    admin.locator("#secretary").select_option(str(committee["secretary"]))
    admin.locator("#counter_head").select_option(str(committee["counter"]))
    admin.locator("#submit").click()
    expect(admin).to_have_url(re.compile(rf"{round_url}$"))
    expect(admin.locator("#main")).to_contain_text("Đặng Thị Thư")
    expect(admin.locator("#main")).to_contain_text("Lý Văn Kiểm")
    expect(admin.locator("#fact-summoned")).to_have_text("6")

    admin.locator(f'form[action="{round_url}/start-attendance"] button').click()
    status_is(admin, "Taking attendance")
    assert dialogs == [translate("After this the list of people voted on, the voters and the "
                                 "settings can no longer change. Continue?")]

    # ------------------------------------------------ the secretary takes attendance (desktop)
    secretary_context = fresh_context()
    secretary = watched(secretary_context.new_page(), "secretary")
    login(secretary, "thuky", PASSWORD)
    secretary.goto("/ballots/")
    secretary.locator(f'#main a[href="{round_url}"]').click()
    secretary.locator(f'#main a[href="{round_url}/attendance"]').click()
    quorum = secretary.locator("#quorum")
    expect(quorum).to_contain_text(translate(
        "%(present)s of %(summoned)s summoned are present.", present=0, summoned=6))
    secretary.locator('#mark-all button').click()
    expect(quorum).to_contain_text(translate(
        "%(present)s of %(summoned)s summoned are present.", present=6, summoned=6))
    expect(secretary.locator("#attendance-form input.attendance-box:checked")).to_have_count(6)
    secretary.get_by_label(ABSENT[1], exact=True).uncheck()
    secretary.locator('#attendance-form button[type="submit"]:not([name])').click()
    expect(quorum).to_contain_text(translate(
        "%(present)s of %(summoned)s summoned are present.", present=5, summoned=6))
    expect(quorum).to_contain_text(translate("The quorum (two thirds) is met."))
    expect(quorum).to_have_class(re.compile(r"\balert-success\b"))
    expect(secretary.get_by_label(ABSENT[1], exact=True)).not_to_be_checked()

    # The counting team protects its shares of the key, in turn on the secretary's screen.
    protect_shares(secretary, round_url, KEY_HOLDERS)
    expect(secretary.locator("#key-threshold")).to_contain_text("2")  # a majority of three
    secretary.locator("#threshold").fill("3")  # this body wants the whole team to count
    secretary.locator(f'form[action="{round_url}/keys/threshold"] [type="submit"]').click()
    expect(secretary.locator("#key-threshold")).to_contain_text(
        translate("%(k)s of the %(n)s members must unlock their shares to count.", k=3, n=3))
    secretary.goto(round_url)
    secretary.locator(f'form[action="{round_url}/open"] button').click()
    status_is(secretary, "Voting open")
    assert dialogs[-1] == translate(
        "Open voting now? The numbers summoned and present will be frozen.")

    # The live turnout, in its own tab, left open while the members vote.
    turnout_href = secretary.locator(f'#main a[href="{round_url}/turnout"]').get_attribute("href")
    turnout = watched(secretary_context.new_page(), "turnout page")
    turnout_responses = []
    turnout.on("response", lambda r: turnout_responses.append(r)
               if r.url.endswith("/turnout.json") else None)
    turnout.goto(turnout_href)
    voted, present = turnout.locator("#turnout-voted"), turnout.locator("#turnout-present")
    expect(voted).to_have_text("0")
    expect(present).to_have_text("5")
    turnout.evaluate("() => { window.neverReloaded = true; }")

    # ------------------------------------------------ five members vote on their phones
    level_labels = {value: translate(msgid) for value, msgid in LEVEL_MSGIDS.items()}

    def unmarked_text(n: int) -> str:
        return translate("Lines still unmarked: %(n)s", n=n) if n else \
            translate("Every line is marked.")

    def fill_ballot(p: Page, levels, *, check_counter: bool = True) -> None:
        lines = p.locator("fieldset.ballot-line")
        expect(lines.locator("legend")).to_have_text(
            [re.compile(rf"{re.escape(name)}$") for name in BALLOT_ORDER])
        for k, level in enumerate(levels):
            lines.nth(k).locator(f'label[for$="-{level}"]').tap()
            expect(lines.nth(k).locator(f'input[data-level="{level}"]')).to_be_checked()
            if check_counter:
                expect(p.locator("#unmarked-counter")).to_have_text(unmarked_text(2 - k))

    def review_shows(p: Page, levels) -> None:
        items = p.locator("#review-list > li")
        expect(items).to_have_count(3)
        for k, level in enumerate(levels):
            expect(items.nth(k)).to_contain_text(BALLOT_ORDER[k])
            expect(items.nth(k).locator("span.fw-semibold")).to_have_text(level_labels[level])

    trackers: list[str] = []
    for i, levels in enumerate(BALLOTS):
        username = VOTERS[i][2]
        voter_context = fresh_context(phone=True)
        voter = watched(voter_context.new_page(), username)
        login(voter, username, PASSWORD)
        assert voter.viewport_size == {"width": 360, "height": 740}
        voter.locator("nav .navbar-toggler").tap()
        # Tap only once the menu has finished opening: mid-animation the links still move.
        expect(voter.locator("#nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
        voter.locator('#nav a[href="/vote/"]').tap()
        entry = voter.locator(f'#main a[href="/vote/{round_id}"]')
        expect(entry).to_contain_text(TITLE)
        expect(entry).to_contain_text(translate("Open for voting"))
        entry.tap()
        expect(voter).to_have_url(re.compile(rf"/vote/{round_id}$"))
        expect(voter.locator("#unmarked-counter")).to_have_text(unmarked_text(3))
        if i == 0:
            assert_accessible(voter, "the ballot")

        first_marks = levels
        if i == CHANGES_MIND:
            first_marks = (*levels[:2], "high")
        fill_ballot(voter, first_marks)
        voter.locator('#ballot-form button[type="submit"]').tap()
        review_shows(voter, first_marks)
        if i == CHANGES_MIND:
            # Back to the ballot with the marks kept; one line changed; reviewed again.
            voter.locator("#change-button").tap()
            expect(voter.locator("#unmarked-counter")).to_have_text(unmarked_text(0))
            expect(voter.locator("fieldset.ballot-line input:checked")).to_have_count(3)
            voter.locator("fieldset.ballot-line").nth(2).locator(
                f'label[for$="-{levels[2]}"]').tap()
            voter.locator('#ballot-form button[type="submit"]').tap()
            review_shows(voter, levels)

        if i == TRIES_TWICE:
            # The same member opens the ballot in a second tab and prepares another one.
            second_tab = voter_context.new_page()
            second_tab_problems = watch_errors(second_tab)
            second_tab.goto(f"/vote/{round_id}")
            fill_ballot(second_tab, SECOND_TRY, check_counter=False)
            second_tab.locator('#ballot-form button[type="submit"]').tap()
            review_shows(second_tab, SECOND_TRY)

        # The device encrypts the ballot and sends it (kept here to be sent again below).
        with voter.expect_request(lambda r: r.url.endswith("/cast")
                                  and r.method == "POST") as sent:
            voter.locator("#cast-button").tap()
        cast_body = sent.value.post_data
        assert "ballot=" in cast_body and "mark-" not in cast_body
        expect(voter.locator("#main h1")).to_have_text(translate("Your ballot has been received"))
        tracker = voter.locator("#tracker")
        # Post/redirect/get: the receipt has an address of its own; the tracker is grouped.
        expect(voter).to_have_url(re.compile(rf"/vote/{round_id}/receipt$"))
        expect(tracker).to_have_text(re.compile(r"^([0-9a-f]{4}-){15}[0-9a-f]{4}$"))
        trackers.append(tracker.inner_text())

        # The secretary's turnout tab counts up by itself.
        expect(voted).to_have_text(str(i + 1))
        expect(present).to_have_text("5")

        if i == TRIES_TWICE:
            already = translate("You have already voted in this round. Each person votes once.")
            # The second tab sends its ballot: refused, in Vietnamese.
            with second_tab.expect_response(lambda r: r.url.endswith("/cast")) as refused:
                second_tab.locator("#cast-button").tap()
            assert refused.value.status == 409
            expect(second_tab.locator("#main")).to_contain_text(already)
            assert second_tab_problems == [f"HTTP 409: POST {base_url}/vote/{round_id}/cast"]
            # The ballot page now only thanks them.
            voter.goto(f"/vote/{round_id}")
            expect(voter.locator("#main .alert-success")).to_have_text(
                translate("You have already voted in this round. Thank you."))
            expect(voter.locator("#ballot-form")).to_have_count(0)
            # Posting the same ballot again (a resubmitted form) is refused too.
            again = voter.request.post(f"/vote/{round_id}/cast", data=cast_body, headers={
                "Accept": "text/html",
                "Content-Type": "application/x-www-form-urlencoded"})
            assert again.status == 409
            assert already in again.text()
            voter.goto("/vote/")
            voted_entry = voter.locator(f'#rounds-voted a[href="/vote/{round_id}/receipt"]')
            expect(voted_entry).to_contain_text(translate("You have voted"))
            expect(entry).to_have_count(0)  # no longer under "waiting for your vote"
            expect(voted).to_have_text("5")
        voter_context.close()

    assert len(set(trackers)) == 5

    # ------------------------------------------------ the secretary closes voting
    secretary.reload()
    secretary.locator(f'form[action="{round_url}/close"] button').click()
    status_is(secretary, "Voting closed")
    assert dialogs[-1] == translate(
        "Every present member has voted. Close voting? Nobody will be able to vote after this.")
    expect(turnout.locator("#turnout-status")).to_have_text(translate("Voting closed"))
    expect(voted).to_have_text("5")
    # The turnout tab was never reloaded, and never showed or received a choice.
    assert turnout.evaluate("() => window.neverReloaded") is True
    shown = turnout.locator("#main").inner_text()
    assert not [label for label in level_labels.values() if label in shown], shown
    assert len(turnout_responses) >= 5
    for response in turnout_responses:
        assert set(response.json()) == {"status", "status_label", "summoned", "present",
                                        "voted", "not_voted", "quorum_met"}
    turnout.close()

    # ------------------------------------------------ the counting team counts (on a phone)
    counter_context = fresh_context(phone=True)
    counter = watched(counter_context.new_page(), "counter")
    login(counter, "kiemphieu", PASSWORD)
    # The key page, on the counter's phone: fits 360 px and passes axe-core.
    counter.goto(f"{round_url}/keys")
    assert counter.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(counter, "the key page")
    # The three members unlock their shares on the counter's phone, then count.
    unlock_shares(counter, round_url, [(number, passphrase) for number, (_holder, passphrase)
                                       in enumerate(KEY_HOLDERS, start=1)])
    counter.locator(f'form[action="{round_url}/count"] button').tap()
    status_is(counter, "Counted")
    counter.locator(f'#main a[href="{round_url}/results"]').tap()
    expect(counter).to_have_url(re.compile(rf"{round_url}/results$"))

    facts = dict(zip(counter.locator("#round-counts dt").all_inner_texts(),
                     counter.locator("#round-counts dd").all_inner_texts(), strict=True))
    assert {key: facts[translate(key)].strip() for key in (
        "Summoned", "Present", "Ballots issued", "Ballots collected", "Valid ballots",
        "Invalid ballots", "Percentages are taken of")} == {
        "Summoned": "6", "Present": "5", "Ballots issued": "5", "Ballots collected": "5",
        "Valid ballots": "5", "Invalid ballots": "0",
        "Percentages are taken of": f"{translate('Ballots collected')} (5)"}
    expect(counter.locator("#main .alert-warning")).to_have_count(0)  # 5 is not below 5

    rows = counter.locator("#results-table tbody tr")
    expect(rows.locator("td.candidate-name")).to_have_text(BALLOT_ORDER)
    for k, name in enumerate(BALLOT_ORDER):
        numbers, band = EXPECTED[name]
        row = rows.nth(k)
        for level, (count, percent) in numbers.items():
            expect(row.locator(f"td.count-{level}")).to_have_text(count)
            expect(row.locator(f"td.percent-{level}")).to_have_text(percent)
        if band is None:
            expect(row.locator("td.band .badge")).to_have_count(0)
        else:
            expect(row.locator("td.band .badge")).to_have_text(translate(band))
    assert_accessible(counter, "the results")

    # The trackers the five members wrote down are all in the box, and nothing else is.
    counter.goto(round_url)
    counter.locator(f'#main a[href="{round_url}/trackers"]').tap()
    listed = counter.locator("#tracker-list li")
    expect(listed).to_have_count(5)
    assert sorted(listed.all_inner_texts()) == sorted(trackers)
    counter.locator("#filter").fill(trackers[2])
    expect(counter.locator("#tracker-list li:visible")).to_have_text([trackers[2]])

    # The secretary downloads the published box; it verifies, and holds the five trackers.
    secretary.goto(f"{round_url}/trackers")
    with secretary.expect_download() as download:
        secretary.locator("#box-download").click()
    published = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert crypto.verify_bundle(published) == []
    assert sorted(b["tracker"] for b in published["ballots"]) == sorted(
        t.replace("-", "") for t in trackers)
    assert len(published["decryptions"]) == 3

    for name, found in problems.items():
        assert found == [], f"{name}: console errors, CSP violations or failed requests:\n" \
            + "\n".join(found)


# ---------------------------------------------------------------- the same round, built quickly


@pytest.fixture
def built_round(db, committee):
    """build(counted=False) -> the id of the committee's round, built through the services: the
    six members summoned, the first five present, voting open; with counted=True the five have
    voted as in BALLOTS and the box is closed and counted."""

    def build(counted: bool = False) -> int:
        unit = db.session.get(Unit, committee["unit"])
        people = {p.staff_code: p for p in db.session.execute(select(Person)).scalars()}
        plan = builder.RoundPlan(
            unit=unit, candidates=[people[c[0]] for c in CANDIDATES],
            voters=[people[v[0]] for v in VOTERS], title=TITLE, body_name=BODY, place=PLACE,
            secretary=db.session.get(User, committee["secretary"]),
            counter_head=db.session.get(User, committee["counter"]))
        absent = people[ABSENT[0]].id
        present = [people[v[0]].id for v in VOTERS if people[v[0]].id != absent]
        ballots = [(people[code], levels)
                   for (code, _name, _user), levels in zip(VOTERS, BALLOTS, strict=False)]
        round_id = builder.build(plan, RoundStatus.COUNTED if counted else RoundStatus.VOTING,
                                 present=present, ballots=ballots if counted else ()).round.id
        db.session.commit()  # and no database access after it: the live server writes next
        return round_id

    return build


def precondition(check) -> None:
    """Run `check`; a failed expectation is reported as a broken precondition, apart from the
    assertion the test is about."""
    try:
        check()
    except AssertionError as error:
        pytest.fail(f"precondition not met: {error}")


def test_an_absent_member_cannot_send_a_ballot(built_round, phone_page: Page, login, translate,
                                               watch_errors, base_url):
    round_id = built_round()
    page = phone_page
    errors = watch_errors(page)
    login(page, ABSENT[2], PASSWORD)
    page.goto(f"/vote/{round_id}")
    # The ballot is not even offered; a hand-made submission is refused all the same.
    expect(page.locator("#main")).to_contain_text(
        translate("You are not marked present; ask the secretary."))
    expect(page.locator("#ballot-form")).to_have_count(0)
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    response = page.request.post(f"{base_url}/vote/{round_id}/cast",
                                 form={"csrf_token": token})
    assert response.status == 403
    assert errors == []


def test_an_absent_member_is_not_offered_the_round(built_round, phone_page: Page, login,
                                                   translate):
    built_round()
    login(phone_page, ABSENT[2], PASSWORD)
    phone_page.goto("/vote/")
    precondition(lambda: expect(phone_page.locator("#main h1")).to_have_text(
        translate("Rounds waiting for your vote")))
    expect(phone_page.locator("#main")).to_contain_text(
        translate("No round is open for you right now."), timeout=2000)


def test_results_table_can_be_scrolled_by_keyboard(built_round, phone_page: Page, login):
    round_id = built_round(counted=True)
    login(phone_page, "kiemphieu", PASSWORD)
    phone_page.goto(f"/ballots/{round_id}/results")
    precondition(lambda: expect(phone_page.locator("#results-table tbody tr")).to_have_count(3))
    assert_accessible(phone_page, "the results")
