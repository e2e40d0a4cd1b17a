"""Issue 12 in Chromium: a member of the counting team keys paper ballots with the keyboard
alone (one key per level, 0 for a blank line, + for several marks, Enter for the next ballot; a
ballot invalid as a whole by its reason chosen with the arrow keys), the number being keyed
shown on the screen, and nothing loaded from outside the app (it works in a hall without the
internet)."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from evalapp.auth.models import Role
from evalapp.ballots import builder
from evalapp.ballots.models import PaperEntry, RoundStatus
from evalapp.ballots.schemas import BallotKinds
from evalapp.extensions import db as _db
from tests.conftest import PASSWORD
from tests.paper.conftest import set_paper


def test_ballots_keyed_with_the_keyboard_alone(db, factory, context, login, watch_errors,
                                              live_server):
    unit = factory.unit("Đảng bộ Phiếu giấy")
    people = [factory.person(f"Nguyễn Văn Ứng {i}", unit) for i in range(3)]
    voters = [factory.person(f"Trần Thị Đại {i}", unit) for i in range(6)]
    counter = factory.user("kiemphieu", roles=(Role.COUNTER,), full_name="Lý Văn Kiểm")
    round_ = builder.create(builder.RoundPlan(unit=unit, candidates=people, voters=voters,
                                              counter_head=counter))
    set_paper(round_, kinds=BallotKinds.PAPER)
    db.session.commit()
    builder.advance(round_, RoundStatus.CLOSED)
    round_id = round_.id
    db.session.commit()

    page: Page = context.new_page()
    errors = watch_errors(page)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    login(page, "kiemphieu", PASSWORD)
    page.goto(f"/ballots/{round_id}/paper/enter")
    number = page.locator("#ballot_number")
    for expected, keys in (("1", "132"), ("2", "201"), ("3", "333")):
        expect(number).to_have_value(expected)
        # The keys belong to the script: wait until it has taken the page.
        expect(page.locator("#paper-entry-form")).to_have_attribute("data-keys", "ready")
        for key in keys:
            page.keyboard.press(key)
        page.keyboard.press("Enter")
        expect(page.locator("#main .alert-success")).to_contain_text(f" {expected} ")
    expect(number).to_have_value("4")
    # Ballot 4 has several marks on its first line; 5 carries a name added (invalid as a
    # whole): a line keyed first is cleared when the reason is chosen, with the keyboard alone.
    expect(page.locator("#paper-entry-form")).to_have_attribute("data-keys", "ready")
    for key in "+21":
        page.keyboard.press(key)
    page.keyboard.press("Enter")
    expect(page.locator("#main .alert-success")).to_contain_text(" 4 ")
    expect(number).to_have_value("5")
    expect(page.locator("#paper-entry-form")).to_have_attribute("data-keys", "ready")
    page.keyboard.press("1")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#invalid_reason")).to_be_focused()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(page.locator("#invalid_reason")).to_have_value("name_added")
    page.keyboard.press("Enter")
    expect(page.locator("#main .alert-success")).to_contain_text(" 5 ")
    expect(number).to_have_value("6")
    assert errors == []
    # Every request went to the app itself: nothing from a CDN or any outside host.
    assert requested and all(url.startswith(live_server + "/") for url in requested), requested
    assert any(url.endswith("/static/js/paper-entry.js") for url in requested)
    _db.session.rollback()
    stored = [(e.ballot_number, e.marks) for e in _db.session.execute(
        select(PaperEntry).where(PaperEntry.round_id == round_id)
        .order_by(PaperEntry.ballot_number)).scalars()]
    assert stored == [(1, "high,low,confidence"), (2, "confidence,blank,high"),
                      (3, "low,low,low"), (4, "several,confidence,high"), (5, "")]
    reasons = [e.invalid_reason for e in _db.session.execute(
        select(PaperEntry).where(PaperEntry.round_id == round_id)
        .order_by(PaperEntry.ballot_number)).scalars()]
    assert reasons == [None, None, None, None, "name_added"]
