"""Issue 12 in Chromium, a mixed round from the hall to the minutes: two members vote in the
browser with their accounts (one on a 360 px phone), one with a code slip on a phone, three
are handed paper ballots on the roll; voting closes; two operators key the three paper ballots
with the keyboard alone (one with a blank line, one with several marks); their one
disagreement is reconciled by the head of the counting team; counted; the results page gives
the sum of paper and browser ballots and the minutes say how many of each kind.

Built through the services (the admin's part is covered elsewhere); the test holds no
transaction while the live server works. Counts are worked out by hand (per-line rule):
browser: [high, low], [confidence, high], code [high, high];
paper:   no. 1 [high, low] (as reconciled), no. 2 [high, blank], no. 3 [several, confidence].
First person: high 4, confidence 1, one void line; second: high 2, confidence 1, low 2, one
void line."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder, codes
from evalapp.ballots.builder import KEY_HOLDERS
from evalapp.ballots.models import RoundStatus
from evalapp.ballots.schemas import BallotKinds
from tests.conftest import PASSWORD
from tests.documents.pdftext import flat, pdf_text
from tests.paper.conftest import set_paper


def _vote(page: Page, round_id: int, levels) -> None:
    lines = page.locator("fieldset.ballot-line")
    for k, level in enumerate(levels):
        lines.nth(k).locator(f'label[for$="-{level}"]').click()
    page.locator('#ballot-form button[type="submit"]').click()
    page.locator("#cast-button").click()


def _key(page: Page, round_id: int, ballots) -> None:
    page.goto(f"/ballots/{round_id}/paper/enter")
    for number, keys in ballots:
        expect(page.locator("#ballot_number")).to_have_value(str(number))
        # The keys go to the lines once paper-entry.js has taken the page.
        expect(page.locator("#paper-entry-form")).to_have_attribute("data-keys", "ready")
        for key in keys:
            page.keyboard.press(key)
        page.keyboard.press("Enter")
        expect(page.locator("#main .alert-success")).to_contain_text(f" {number} ")


def test_a_mixed_round_from_the_hall_to_the_minutes(db, factory, context, phone_context, login,
                                                    fresh_context, watch_errors, translate):
    unit = factory.unit("Đảng bộ Phiếu hỗn hợp")
    people = [factory.person(name, unit) for name in ("Nguyễn Văn Một", "Trần Thị Hai")]
    members = []
    for i in range(1, 7):
        person = factory.person(f"Đại biểu Số {i}", unit)
        members.append((factory.user(f"daibieu{i}", roles=(Role.VOTER,), person=person,
                                     full_name=person.full_name), person))
    secretary = factory.user("thuky", roles=(Role.SECRETARY,), full_name="Đặng Thị Thư")
    head = factory.user("totruong", roles=(Role.COUNTER,), full_name="Lý Văn Trưởng")
    one = factory.user("nhap1", roles=(Role.COUNTER,), full_name="Vũ Thị Nhập")
    two = factory.user("nhap2", roles=(Role.COUNTER,), full_name="Hồ Văn Gõ")
    round_ = builder.create(builder.RoundPlan(
        unit=unit, candidates=people, voters=[p for _u, p in members], title="Phiếu hỗn hợp",
        body_name="Đảng ủy Thử nghiệm", secretary=secretary, counter_head=head,
        counters=[one, two]))
    set_paper(round_, kinds=BallotKinds.BOTH, entries=2, voids=False)
    round_.locality = "Hòa Bình"  # the minutes' date line
    db.session.commit()
    builder.advance(round_, RoundStatus.VOTING, present=6)
    round_id, url = round_.id, f"/ballots/{round_.id}"
    (code,) = codes.generate_codes(SYSTEM, round_, 1)  # the slip's code, printed elsewhere
    voter_ids = {v.person_id: v.id for v in round_.voters}
    handed = [(voter_ids[person.id], kind) for (_u, person), kind
              in zip(members[2:], ["paper"] * 3 + ["code"], strict=True)]
    db.session.commit()  # hold no transaction while the live server writes

    # The hall: the secretary hands three paper ballots and one code slip on the roll.
    desk = context.new_page()
    errors = watch_errors(desk)
    login(desk, "thuky", PASSWORD)
    desk.goto(f"{url}/attendance")
    for voter_id, kind in handed:
        form = desk.locator(f'form:has(input[name="voter_id"][value="{voter_id}"])')
        form.locator(f".hand-out-{kind}").click()
        expect(desk.locator(f'.roll-mark[data-voter="{voter_id}"]')).to_have_class(
            re.compile(f"roll-mark-{kind}"))

    # Two members vote with their accounts, one on a phone; the code slip on another phone.
    phone = phone_context.new_page()
    login(phone, "daibieu1", PASSWORD)
    phone.goto(f"/vote/{round_id}")
    _vote(phone, round_id, ["high", "low"])
    expect(phone).to_have_url(re.compile(rf"/vote/{round_id}/receipt$"))
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360
    other = fresh_context().new_page()
    login(other, "daibieu2", PASSWORD)
    other.goto(f"/vote/{round_id}")
    _vote(other, round_id, ["confidence", "high"])
    expect(other).to_have_url(re.compile(rf"/vote/{round_id}/receipt$"))
    slip = fresh_context(phone=True).new_page()
    slip.goto(f"/code/#{code}")
    slip.locator('#code-form [type="submit"]').click()
    _vote(slip, round_id, ["high", "high"])
    expect(slip.locator("#device-tracker")).to_be_visible()
    assert slip.evaluate("() => document.documentElement.scrollWidth") <= 360

    # Voting closes (everyone present has voted or was handed a ballot).
    desk.on("dialog", lambda dialog: dialog.accept())
    desk.goto(url)
    desk.locator("#close-form button").click()
    expect(desk.locator("#main .alert-success")).to_be_visible()

    # Two operators key the three paper ballots with the keyboard alone.
    for operator, ballots in (("nhap1", [(1, "13"), (2, "10"), (3, "+2")]),
                              ("nhap2", [(1, "23"), (2, "10"), (3, "+2")])):
        page = fresh_context().new_page()
        login(page, operator, PASSWORD)
        _key(page, round_id, ballots)
        page.close()
    # The head reconciles ballot 1 (line 1: high on the paper).
    lead = fresh_context().new_page()
    login(lead, "totruong", PASSWORD)
    lead.goto(f"{url}/paper/reconcile")
    disagreement = lead.locator("#ballot-1")
    expect(disagreement.locator(".line-differs")).to_have_count(1)
    disagreement.locator('input[name="line-1"][value="high"]').check()
    disagreement.locator('input[name="line-2"][value="low"]').check()
    disagreement.locator('input[name="reason"]').fill("Tổ xem lại tờ phiếu số 1")
    disagreement.locator('button[type="submit"]').click()
    expect(lead.locator("#count-blockers")).to_have_class(re.compile("alert-success"))

    # The counting team unlocks two shares; the ballots are counted.
    for number, (_holder, passphrase) in enumerate(KEY_HOLDERS[:2], start=1):
        desk.goto(f"{url}/keys")
        desk.locator("#number").select_option(str(number))
        desk.locator("#passphrase").fill(passphrase)
        desk.locator(f'form[action="{url}/keys/unlock"] [type="submit"]').click()
        expect(desk.locator("#main .alert-success")).to_be_visible()
    desk.goto(url)
    desk.get_by_role("button", name=translate("Count the ballots")).click()
    expect(desk.locator("#main .alert-success")).to_be_visible()

    # The results: the sum of paper and browser ballots.
    desk.goto(f"{url}/results")
    expect(desk.locator("#paper-collected")).to_have_text("3")
    expect(desk.locator("#browser-collected")).to_have_text("3")
    rows = desk.locator("#results-table tbody tr")
    counts = [[rows.nth(i).locator(f".count-{level}").inner_text()
               for level in ("high", "confidence", "low")] for i in range(2)]
    assert counts == [["4", "1", "0"], ["2", "1", "2"]]

    # The minutes say how many of each kind.
    desk.goto(url)
    with desk.expect_download() as download:
        desk.locator(f'form[action="{url}/documents/minutes"] button').click()
    words = flat(pdf_text(open(download.value.path(), "rb").read()))
    assert "Số phiếu thu về: 6." in words
    assert "Trong số phiếu thu về: 3 phiếu giấy và 3 phiếu bỏ trên" in words
    assert errors == []
