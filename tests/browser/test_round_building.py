"""Building a round in Chromium: the people search with its unit filter and select-all, the list
being built beside it (two columns on a desktop, one above the other on a phone), the officers'
refusal shown beside the field, a step that is no longer possible answered on the round page
itself, and every page of the building fitting 360 px with no axe-core violation.

Expected texts come from the app's own catalog (the `translate` fixture).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from evalapp.auth.models import Role, User
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder, services
from evalapp.ballots.documents import DocumentKind
from evalapp.ballots.models import RoundStatus
from evalapp.documents.services import issue_document
from evalapp.tally.rules import Scale
from tests.browser.axe import assert_accessible
from tests.conftest import PASSWORD

TITLE = "Lấy phiếu tín nhiệm lãnh đạo Ban Tổ chức, năm 2026"
# The people voted on: the board's leaders (name, staff code, post, rank).
LEADERS = [("Nguyễn Văn Trưởng", "BTC01", "Trưởng ban", 1),
           ("Trần Thị Phó", "BTC02", "Phó Trưởng ban", 2),
           ("Lê Văn Hai", "BTC03", "Phó Trưởng ban", 2)]
# The division's staff, the voters; the first three have an account.
STAFF = ["Phạm Thị Ánh", "Hoàng Văn Bảo", "Đỗ Thị Cúc", "Vũ Văn Dương", "Bùi Thị Én"]


def assert_fits(page: Page, width: int = 360) -> None:
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll}px wide on a {width}px screen"


@pytest.fixture
def board(db, factory) -> dict:
    """A board with a division under it, a department elsewhere, accounts; a draft round of the
    board with nobody on it yet. Returns plain ids, with the transaction ended (the live server
    writes next)."""
    province = factory.unit("Tỉnh ủy Thử nghiệm")
    board = factory.unit("Ban Tổ chức Tỉnh ủy", parent=province)
    division = factory.unit("Phòng Cán bộ", parent=board)
    elsewhere = factory.unit("Sở Y tế")
    posts = {}
    leaders = []
    for name, code, post, rank in LEADERS:
        if post not in posts:
            posts[post] = factory.post(post, rank=rank)
        leaders.append(factory.person(name, board, staff_code=code, post=posts[post]))
    clerk = factory.post("Chuyên viên", rank=40, leadership=False)
    staff = [factory.person(name, division, staff_code=f"PCB{i:02d}", post=clerk)
             for i, name in enumerate(STAFF, start=1)]
    factory.person("Hoàng Văn Ngoài", elsewhere, staff_code="SYT01", post=posts["Trưởng ban"])
    accounts = [factory.user(f"pcb{i}", roles=(Role.VOTER,), person=person,
                             full_name=person.full_name)
                for i, person in enumerate(staff[:3], start=1)]
    leader_account = factory.user("truongban", roles=(Role.VOTER,), person=leaders[0],
                                  full_name=leaders[0].full_name)
    admin = factory.user("bantochuc", roles=(Role.ADMIN,), unit=province,
                         full_name="Trịnh Văn Tổ")
    secretary = factory.user("thuky", roles=(Role.SECRETARY,), full_name="Đặng Thị Thư")
    round_ = services.create_round(SYSTEM, services.RoundDetails(
        title=TITLE, body_name="Ban Tổ chức Tỉnh ủy", unit=board, place="Phòng họp số 2",
        meeting_date=date(2026, 12, 1)), Scale.THREE_LEVEL, "party-2023")
    ids = {"round": round_.id, "board": board.id, "division": division.id,
           "leaders": [p.id for p in leaders], "staff": [p.id for p in staff],
           "accounts": [a.id for a in accounts], "leader_account": leader_account.id,
           "admin": admin.id, "secretary": secretary.id}
    db.session.commit()
    return ids


def filled(board: dict, db) -> None:
    """The round with its people voted on and its voters, through the services."""
    round_ = services.get_round(board["round"])
    services.add_candidates(SYSTEM, round_, board["leaders"])
    services.add_voters(SYSTEM, round_, board["staff"])
    db.session.commit()


def test_building_the_lists_through_the_search(board, page: Page, fresh_context, login,
                                               translate, watch_errors):
    errors = watch_errors(page)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    login(page, "bantochuc", PASSWORD)
    round_url = f"/ballots/{board['round']}"

    # The people voted on: the board's unit, searched by post without tones.
    page.goto(f"{round_url}/candidates")
    page.locator("#unit").select_option(str(board["board"]))
    page.locator("#q").fill("truong ban")  # Trưởng ban and Phó Trưởng ban
    page.locator("#people-search [type=submit]").click()
    found = page.locator("#found-table tbody tr")
    expect(found).to_have_count(3)
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))  # app.js has run
    expect(page.locator("#found-table label")).to_have_text(
        ["Lê Văn Hai", "Trần Thị Phó", "Nguyễn Văn Trưởng"])  # Vietnamese order of given names
    # Beside the search on a desktop: the list being built, still empty.
    search_box, list_box = (page.locator("#people-search").bounding_box(),
                            page.locator("#building-list").bounding_box())
    assert list_box["x"] >= search_box["x"] + search_box["width"]
    assert abs(list_box["y"] - search_box["y"]) < 80
    page.locator("#found-table").get_by_label("Nguyễn Văn Trưởng").check()
    page.locator("#found-table").get_by_label("Trần Thị Phó").check()
    expect(page.locator("#chosen-count")).to_have_text(translate("Chosen: %(n)s", n=2))
    page.locator("#add-chosen").click()
    expect(page.locator("#main .alert-success")).to_contain_text("Nguyễn Văn Trưởng")
    # Back on the same search, the two now on the list beside it, numbered in post order.
    expect(page.locator("#q")).to_have_value("truong ban")
    expect(page.locator("#candidate-list .candidate-name")).to_have_text(
        ["Nguyễn Văn Trưởng", "Trần Thị Phó"])
    expect(page.locator("#candidate-list .candidate-number")).to_have_text(["1.", "2."])
    expect(page.locator("#found-table input[name=person_id]:disabled")).to_have_count(2)

    # The voters: everyone of the division, by the unit filter alone, all chosen at once.
    page.goto(f"{round_url}/voters")
    page.locator("#unit").select_option(str(board["division"]))
    page.locator("#people-search [type=submit]").click()
    boxes = page.locator("#found-table input[name=person_id]")
    expect(boxes).to_have_count(len(STAFF))
    # "Everyone listed" is app.js's: wait until it has run on the new page (it marks <html>).
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))
    page.locator("#all_found").check()
    for i in range(len(STAFF)):
        expect(boxes.nth(i)).to_be_checked()
    boxes.nth(4).uncheck()  # one unticked by hand: "everyone" is no longer ticked
    expect(page.locator("#all_found")).not_to_be_checked()
    page.locator("#all_found").check()
    expect(page.locator("#chosen-count")).to_have_text(translate("Chosen: %(n)s", n=5))
    page.locator("#add-chosen").click()
    expect(page.locator("#main .alert-success")).to_contain_text(
        translate("%(n)s voters added.", n=len(STAFF)))
    rows = page.locator("#voter-table tbody tr")
    expect(rows).to_have_count(len(STAFF))
    # Who has an account: the first three of the division.
    has = translate("Has an account")
    with_account = rows.filter(has=page.locator(".voter-account", has_text=has))
    expect(with_account.locator(".voter-name")).to_have_text(STAFF[:3])  # given-name order
    expect(page.locator("#account-summary")).to_have_text(translate(
        "%(with)s of %(n)s have an account to vote with; %(without)s have none yet.",
        **{"with": 3, "n": 5, "without": 2}))

    # Taking someone off asks first, and the message names them.
    name = STAFF[3]
    page.locator("#voter-table tr", has_text=name).locator("button").click()
    assert dialogs[-1] == translate("Take %(name)s off the summoned list?", name=name)
    expect(page.locator("#main .alert-success")).to_have_text(
        translate("%(name)s has been taken off the summoned list.", name=name))
    expect(rows).to_have_count(len(STAFF) - 1)

    # On a phone the list being built comes below the search, and nothing scrolls sideways.
    phone = fresh_context(phone=True).new_page()
    phone_errors = watch_errors(phone)
    login(phone, "bantochuc", PASSWORD)
    phone.goto(f"{round_url}/candidates?q=truong&unit={board['board']}")
    expect(phone.locator("#found-table tbody tr")).to_have_count(3)
    search_box, list_box = (phone.locator("#found-form").bounding_box(),
                            phone.locator("#building-list").bounding_box())
    assert list_box["y"] >= search_box["y"] + search_box["height"]
    assert_fits(phone)
    assert_accessible(phone, "the people voted on, on a phone")

    assert errors == [] and phone_errors == [], "\n".join(errors + phone_errors)


def test_the_officers_page_refuses_beside_the_field(board, db, page: Page, login, translate,
                                                    watch_errors):
    filled(board, db)
    errors = watch_errors(page)
    login(page, "bantochuc", PASSWORD)
    page.goto(f"/ballots/{board['round']}/officers")
    # The four members of the team are told apart.
    for n in range(1, 5):
        expect(page.locator(f'label[for="counter_{n}"]')).to_have_text(
            translate("Counting team member %(n)s", n=n))
    # Only the round's people and the staff serving its unit are offered.
    offered = page.locator("#secretary option")
    expect(offered.filter(has_text="Hoàng Văn Ngoài")).to_have_count(0)
    expect(offered.filter(has_text="Đặng Thị Thư")).to_have_count(1)

    clerk = str(board["accounts"][0])
    page.locator("#secretary").select_option(str(board["secretary"]))
    page.locator("#counter_1").select_option(clerk)
    page.locator("#counter_2").select_option(clerk)
    page.locator("#submit").click()
    message = page.locator("#counter_2-errors")
    expect(message).to_have_text(translate(
        "%(name)s is already “%(post)s”: one person holds one post among the chair, the "
        "secretary and the counting team.", name=STAFF[0],
        post=translate("Counting team member %(n)s", n=1)))
    expect(message).to_have_attribute("role", "alert")
    expect(page.locator("#counter_2")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#counter_1")).to_have_value(clerk)  # the choices are kept

    page.locator("#counter_2").select_option("")
    page.locator("#chair").select_option(str(board["leader_account"]))
    page.locator("#submit").click()
    expect(page.locator("#chair-errors")).to_have_text(translate(
        "%(name)s is voted on in this round and cannot be “%(post)s”. Choose someone else, or "
        "take them off the list of people voted on.", name=LEADERS[0][0],
        post=translate("Chair")))
    assert_fits(page, 1280)
    assert_accessible(page, "the officers page with an error")
    # Nothing was saved.
    page.goto(f"/ballots/{board['round']}")
    expect(page.locator("#main")).to_contain_text(translate("Not named yet."))
    # Two HTTP 422 answers to the refused forms; nothing else went wrong.
    assert [e for e in errors if "HTTP 422" not in e] == []


def test_a_step_no_longer_possible_is_answered_on_the_round_page(board, db, page: Page, login,
                                                                 translate, watch_errors):
    filled(board, db)
    errors = watch_errors(page)
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, "bantochuc", PASSWORD)
    round_url = f"/ballots/{board['round']}"
    page.goto(round_url)
    start = page.locator(f'form[action="{round_url}/start-attendance"] button')
    expect(start).to_be_enabled()
    # Meanwhile, someone else empties the summoned list (another tab, another admin).
    round_ = services.get_round(board["round"])
    for voter in list(round_.voters):
        services.remove_voter(SYSTEM, round_, voter.id)
    db.session.commit()
    start.click()
    # The same page, with the reason; not an error page.
    expect(page).to_have_url(re.compile(rf"{round_url}$"))
    expect(page.locator("#main .alert-danger")).to_have_text(
        translate("Add the voters (the summoned list) first."))
    expect(page.locator("#round-status")).to_have_text(translate("Draft"))
    # And the button is no longer offered: it is shown disabled, with the reason.
    expect(page.locator(f'form[action="{round_url}/start-attendance"]')).to_have_count(0)
    disabled = page.locator('button[aria-describedby="start-blockers"]')
    expect(disabled).to_be_disabled()
    expect(page.locator("#start-blockers")).to_contain_text(
        translate("Add the voters (the summoned list) first."))
    assert errors == [], "\n".join(errors)


def _round_page(page: Page, board: dict) -> None:
    page.goto(f"/ballots/{board['round']}")
    expect(page.locator("#candidates-table tbody tr")).to_have_count(3)
    # The ↑/↓ buttons say whom they move; the exclude control is readable (axe checks contrast).
    expect(page.get_by_role("button", name=re.compile(r"Nguyễn Văn Trưởng"))
           .filter(has_text="↓")).to_have_count(1)


def _excluded_round_page(page: Page, board: dict) -> None:
    _round_page(page, board)
    row = page.locator("#candidates-table tbody tr").nth(2)
    row.locator("details.exclude-control summary").click()
    row.locator("input[name=reason]").fill("Đã có thông báo nghỉ hưu")
    row.locator("form[action$='/exclude'] button").click()
    expect(page.locator("#excluded-table tbody tr")).to_have_count(1)


def counted_with_minutes(board: dict, db) -> None:
    """The round voted, counted, its minutes issued (to be signed by the chair and the team)."""
    round_ = services.get_round(board["round"])
    services.set_officers(SYSTEM, round_, chair=db.session.get(User, board["admin"]),
                          secretary=db.session.get(User, board["secretary"]),
                          counter_head=db.session.get(User, board["accounts"][0]),
                          counters=[db.session.get(User, board["accounts"][1])])
    db.session.commit()
    builder.advance(round_, RoundStatus.COUNTED, ballots=[
        (voter.person, ["high"] * len(round_.active_candidates)) for voter in round_.voters])
    issue_document(SYSTEM, round_, DocumentKind.MINUTES)
    db.session.commit()


def _round_page_with_documents(page: Page, board: dict) -> None:
    """Counted, with the minutes waiting for signatures: the documents list (once a table whose
    hidden header text made this page 501 px wide) is on the page."""
    page.goto(f"/ballots/{board['round']}")
    expect(page.locator("#documents .document-item")).to_have_count(1)


PAGES = {
    "round": _round_page,
    "round-with-documents": _round_page_with_documents,
    "round-with-excluded": _excluded_round_page,
    "candidates": lambda page, board: page.goto(
        f"/ballots/{board['round']}/candidates?q=ban&unit={board['board']}"),
    "voters": lambda page, board: page.goto(
        f"/ballots/{board['round']}/voters?unit={board['division']}"),
    "officers": lambda page, board: page.goto(f"/ballots/{board['round']}/officers"),
    "settings": lambda page, board: page.goto(f"/ballots/{board['round']}/settings"),
    "rounds": lambda page, board: page.goto("/ballots/"),
}


@pytest.mark.parametrize("name", PAGES)
def test_the_pages_that_build_a_round_fit_a_phone_and_pass_axe(name, board, db, phone_page: Page,
                                                               login, watch_errors):
    filled(board, db)
    if name == "round-with-documents":
        counted_with_minutes(board, db)
    errors = watch_errors(phone_page)
    login(phone_page, "bantochuc", PASSWORD)
    PAGES[name](phone_page, board)
    phone_page.wait_for_load_state("load")
    assert_fits(phone_page)
    assert_accessible(phone_page, f"the {name} page on a phone")
    assert errors == [], "\n".join(errors)


def test_the_round_page_passes_axe_on_a_desktop(board, db, page: Page, login):
    filled(board, db)
    login(page, "bantochuc", PASSWORD)
    _round_page(page, board)
    assert_fits(page, 1280)
    assert_accessible(page, "the round page")
    # The move buttons are named after the person they move.
    expect(page.get_by_role("button", name=re.compile(r"Trần Thị Phó"))
           .filter(has_text="↑")).to_have_count(1)
