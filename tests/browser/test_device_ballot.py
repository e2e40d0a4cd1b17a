"""The ballot with JavaScript, on a 360 px phone in Chromium: reviewed on the device (no
request), encrypted and proved in the page (static/js/box-crypto.js), sent as one field; the
receipt shows the tracker the device computed and that it is the server's.

Every request and response body of the voting flow (the ballot page and what it loads, the
cast POST, its redirect, the receipt) is recorded through Playwright's request/response events:
for the nine mark combinations of a 3-level, 2-person ballot, nine voters, they are the same
sizes. The box then counts three of each level on each line."""

from __future__ import annotations

import itertools
import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from evalapp.auth.models import Role
from evalapp.ballots import builder, services
from evalapp.ballots.models import BallotCount, BallotRound, RoundStatus
from evalapp.box import crypto
from tests.browser.axe import assert_accessible
from tests.conftest import PASSWORD

LEVELS = ["high", "confidence", "low"]
COMBINATIONS = list(itertools.product(LEVELS, repeat=2))
HEX64 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture
def round_of_nine(db, factory) -> dict:
    """A 3-level round open for voting, two people on the ballot, nine members present, each
    with an account whose name is as long as the others' (the page shows who is signed in)."""
    unit = factory.unit("Sở Thử nghiệm Mã hóa")
    candidates = [factory.person("Nguyễn Văn Một", unit), factory.person("Trần Thị Hai", unit)]
    voters, people = [], []
    for i in range(1, 10):
        person = factory.person(f"Cử tri số {i}", unit)
        people.append(person)
        voters.append(factory.user(f"cutri{i}", roles=(Role.VOTER,), person=person,
                                   full_name=f"Cử tri số {i}").username)
    built = builder.build(builder.RoundPlan(
        unit=unit, candidates=candidates, voters=people,
        title="Lấy phiếu tín nhiệm thử mã hóa"), RoundStatus.VOTING)
    ids = {"round": built.round.id, "voters": voters,
           "candidates": [c.full_name for c in built.round.active_candidates]}
    db.session.commit()
    return ids


def _vote(page: Page, round_id: int, levels, login, username: str) -> dict:
    """Log in, then vote with the marks `levels` through the page's script, recording the
    voting flow's traffic (after login). Returns {"traffic": [...], "tracker", "device"}."""
    login(page, username, PASSWORD)
    finished = []  # the requests of the voting flow, in the order they finished
    requests_seen: list[str] = []

    def on_request(request) -> None:
        requests_seen.append(request.url)

    def on_finished(request) -> None:
        # The voting flow's own addresses; the static files are the same bytes for everyone
        # (and come from the browser's cache or not, whatever the marks).
        if urlparse(request.url).path.startswith(f"/vote/{round_id}"):
            finished.append(request)

    page.on("request", on_request)
    page.on("requestfinished", on_finished)
    page.goto(f"/vote/{round_id}")
    page.wait_for_load_state("load")
    lines = page.locator("fieldset.ballot-line")
    for k, level in enumerate(levels):
        lines.nth(k).locator(f'label[for$="-{level}"]').tap()
    before = len(requests_seen)
    page.locator('#ballot-form button[type="submit"]').tap()
    expect(page.locator("#device-review")).to_be_visible()
    expect(page.locator("#ballot-form")).to_be_hidden()
    assert len(requests_seen) == before, "the review on the device sends nothing"
    with page.expect_request(lambda r: r.url.endswith("/cast")) as sent:
        page.locator("#cast-button").tap()
    fields = parse_qs(sent.value.post_data, keep_blank_values=True)
    assert sorted(fields) == ["ballot", "csrf_token"]  # no mark-… field: no plain marks
    expect(page).to_have_url(re.compile(rf"/vote/{round_id}/receipt$"))
    expect(page.locator("#device-tracker")).to_be_visible()
    page.wait_for_load_state("load")
    page.remove_listener("request", on_request)
    page.remove_listener("requestfinished", on_finished)
    traffic = []
    for request in finished:
        response = request.response()
        sizes = request.sizes()  # bytes on the wire, as Chromium counted them
        where = _where(request.method, request.url)
        traffic.append(("request", where, sizes["requestBodySize"]))
        traffic.append((f"response {response.status}", where, sizes["responseBodySize"]))
    server = page.locator("#tracker").inner_text().replace("-", "").replace("\n", "")
    device = page.locator("#device-tracker-value").inner_text().replace("-", "") \
        .replace("\n", "")
    return {"traffic": traffic, "tracker": server, "device": device,
            "ballot": json.loads(fields["ballot"][0]),
            "matches": page.locator("#device-tracker").get_attribute("data-matches")}


def _where(method: str, url: str) -> str:
    path = urlparse(url).path
    return f"{method} {path}"


def test_sizes_of_the_voting_flow_are_the_same_for_every_combination(
        round_of_nine, fresh_context, login, watch_errors, translate, db):
    round_id = round_of_nine["round"]
    traffic_by_combination = {}
    trackers = set()
    for username, levels in zip(round_of_nine["voters"], COMBINATIONS, strict=True):
        context = fresh_context(phone=True)
        page = context.new_page()
        errors = watch_errors(page)
        voted = _vote(page, round_id, levels, login, username)
        assert errors == []
        assert HEX64.match(voted["tracker"]) and voted["device"] == voted["tracker"]
        assert voted["matches"] == "yes"
        assert crypto.tracker(voted["ballot"]) == voted["tracker"]
        expect(page.locator("#device-tracker-verdict")).to_have_text(translate(
            "It is the tracker above: the box holds the ballot your device encrypted."))
        trackers.add(voted["tracker"])
        traffic_by_combination[levels] = voted["traffic"]
        context.close()

    first = traffic_by_combination[COMBINATIONS[0]]
    # The flow that was measured: the ballot page and its scripts, the cast POST and its
    # redirect, the receipt.
    where = {w for _kind, w, _size in first}
    assert where == {f"GET /vote/{round_id}", f"POST /vote/{round_id}/cast",
                     f"GET /vote/{round_id}/receipt"}
    kinds = {(kind, w) for kind, w, _size in first}
    assert ("response 303", f"POST /vote/{round_id}/cast") in kinds
    cast_size = next(size for kind, w, size in first
                     if kind == "request" and w == f"POST /vote/{round_id}/cast")
    assert cast_size > 2 * 3 * 8 * 64  # the encrypted ballot is in it
    assert all(size > 0 for kind, _w, size in first if kind.startswith("response"))
    for levels, traffic in traffic_by_combination.items():
        assert traffic == first, levels
    assert len(trackers) == 9

    # What the box holds counts: three of each level on each line.
    db.session.expire_all()
    round_ = db.session.get(BallotRound, round_id)
    builder.advance(round_, RoundStatus.COUNTED)
    counts = {(c.candidate_id, str(c.level)): c.count for c in db.session.execute(
        select(BallotCount).where(BallotCount.round_id == round_id)).scalars()}
    assert sorted(counts.values()) == [3] * 6
    assert services.get_round(round_id).valid_count == 9


def test_a_phone_votes_encrypted_in_the_page_and_sees_its_tracker(
        round_of_nine, phone_page, login, watch_errors, translate):
    round_id = round_of_nine["round"]
    errors = watch_errors(phone_page)
    login(phone_page, round_of_nine["voters"][0], PASSWORD)
    phone_page.goto(f"/vote/{round_id}")
    lines = phone_page.locator("fieldset.ballot-line")
    lines.nth(0).locator('label[for$="-low"]').tap()
    # One line left empty: said on the device, in words, without a request.
    phone_page.locator('#ballot-form button[type="submit"]').tap()
    unmarked = phone_page.locator("fieldset.ballot-line.line-unmarked")
    expect(unmarked).to_have_count(1)
    expect(unmarked.locator(".unmarked-note")).to_have_text(translate("Not marked yet"))
    expect(phone_page.locator("#device-review")).to_be_hidden()
    lines.nth(1).locator('label[for$="-high"]').tap()
    phone_page.locator('#ballot-form button[type="submit"]').tap()
    review = phone_page.locator("#review-list > li")
    expect(review).to_have_count(2)
    expect(review.nth(0)).to_contain_text(round_of_nine["candidates"][0])
    expect(review.nth(0).locator("span.fw-semibold")).to_have_text(translate("Low confidence"))
    expect(review.nth(1).locator("span.fw-semibold")).to_have_text(translate("High confidence"))
    _fits_360(phone_page, "the review on the device")
    assert_accessible(phone_page, "the review on the device")
    # Changing one's mind on the device, then sending.
    phone_page.locator("#change-button").tap()
    expect(phone_page.locator("#ballot-form")).to_be_visible()
    lines.nth(1).locator('label[for$="-confidence"]').tap()
    phone_page.locator('#ballot-form button[type="submit"]').tap()
    expect(review.nth(1).locator("span.fw-semibold")).to_have_text(translate("Confidence"))
    phone_page.locator("#cast-button").tap()
    expect(phone_page.locator("#main h1")).to_have_text(translate("Your ballot has been received"))
    expect(phone_page.locator("#device-tracker")).to_be_visible()
    server = phone_page.locator("#tracker").inner_text()
    assert phone_page.locator("#device-tracker-value").inner_text() == server
    expect(phone_page.locator("#device-tracker-verdict")).to_have_class(re.compile("text-success"))
    _fits_360(phone_page, "the receipt")
    assert_accessible(phone_page, "the receipt with the device's tracker")
    assert errors == []


def test_the_receipt_says_so_when_the_device_computed_another_tracker(
        round_of_nine, phone_page, login, translate):
    round_id = round_of_nine["round"]
    login(phone_page, round_of_nine["voters"][1], PASSWORD)
    phone_page.goto(f"/vote/{round_id}")
    lines = phone_page.locator("fieldset.ballot-line")
    lines.nth(0).locator('label[for$="-high"]').tap()
    lines.nth(1).locator('label[for$="-high"]').tap()
    phone_page.locator('#ballot-form button[type="submit"]').tap()
    phone_page.locator("#cast-button").tap()
    expect(phone_page.locator("#device-tracker")).to_be_visible()
    # As if the server had put another ballot in the box than the one this device sent.
    phone_page.evaluate(f"""() => sessionStorage.setItem(
        "evalapp-device-tracker-{round_id}", "{'0' * 64}")""")
    phone_page.reload()
    expect(phone_page.locator("#device-tracker-verdict")).to_have_text(translate(
        "It is NOT the tracker above. Tell the secretary or the counting team at once."))
    expect(phone_page.locator("#device-tracker")).to_have_attribute("data-matches", "no")


def _fits_360(page: Page, name: str) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"{name} is {width}px wide on a 360px screen"
