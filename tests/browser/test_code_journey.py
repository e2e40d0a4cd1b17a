"""The anonymous ballot code journey: the secretary downloads the slips PDF; the QR code of one
slip, read from the printed page (pdftoppm, then zxing-cpp), opens the code ballot on a 360 px
phone without logging in; the ballot is encrypted on the device, the tracker shown; the same
slip again is refused. The second slip's code is typed by hand on another phone (small letters,
spaces), a mistyped symbol refused first by the check symbol."""

from __future__ import annotations

import re
import subprocess
from urllib.parse import urlparse

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from evalapp.auth.models import Role
from evalapp.ballots import builder, services
from evalapp.ballots.models import RoundStatus
from evalapp.box import services as box
from tests.browser.axe import assert_accessible
from tests.conftest import PASSWORD


@pytest.fixture
def open_round(db, factory) -> dict:
    unit = factory.unit("Sở Thử nghiệm Mã phiếu")
    candidates = [factory.person("Nguyễn Văn Một", unit), factory.person("Trần Thị Hai", unit)]
    voters = [factory.person(f"Cử tri số {i}", unit) for i in range(1, 5)]
    secretary = factory.user("thuky-ma", roles=(Role.ADMIN,), unit=unit)
    built = builder.build(builder.RoundPlan(unit=unit, candidates=candidates, voters=voters,
                                            title="Lấy phiếu tín nhiệm bằng mã"),
                          RoundStatus.VOTING)
    ids = {"round": built.round.id, "secretary": secretary.username}
    db.session.commit()  # hold no transaction while the browser works
    return ids


def _slip_links(pdf: bytes, tmp_path) -> list[str]:
    (tmp_path / "slips.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(tmp_path / "slips.pdf"),
                    str(tmp_path / "page")], check=True)
    links = []
    for image in sorted(tmp_path.glob("page*.png")):
        links += [found.text for found in zxingcpp.read_barcodes(Image.open(image))]
    return links


def test_a_phone_votes_with_a_code_read_from_a_printed_slip(
        open_round, db, context, phone_context, phone_page: Page, login, watch_errors,
        translate, tmp_path, live_server):
    round_id = open_round["round"]
    secretary = context.new_page()
    login(secretary, open_round["secretary"], PASSWORD)
    secretary.goto(f"/ballots/{round_id}")
    secretary.locator("#codes-count").fill("2")
    with secretary.expect_download() as download:
        secretary.locator('#codes-form [type="submit"]').click()
    pdf = open(download.value.path(), "rb").read()
    links = _slip_links(pdf, tmp_path)
    assert len(links) == 2
    link = urlparse(links[0])
    # The code is in the fragment: it never reaches the server or its logs.
    assert link.path == "/code/" and re.fullmatch(r"[2-9A-Z]{4}(-[2-9A-Z]{4}){2}-[2-9A-Z]{2}",
                                                   link.fragment)

    errors = watch_errors(phone_page)
    phone_page.goto(f"{live_server}{link.path}#{link.fragment}")
    expect(phone_page.locator("#code")).to_have_value(link.fragment)
    assert urlparse(phone_page.url).fragment == ""  # taken out of the address bar
    assert_accessible(phone_page, "the code page")
    phone_page.locator('#code-form [type="submit"]').tap()
    lines = phone_page.locator("fieldset.ballot-line")
    expect(lines).to_have_count(2)
    lines.nth(0).locator('label[for$="-high"]').tap()
    lines.nth(1).locator('label[for$="-low"]').tap()
    phone_page.locator('#ballot-form button[type="submit"]').tap()
    expect(phone_page.locator("#device-review")).to_be_visible()
    with phone_page.expect_request(lambda r: r.url.endswith("/code/cast")) as sent:
        phone_page.locator("#cast-button").tap()
    body = sent.value.post_data
    assert "ballot=" in body and "code=" in body and "mark-" not in body
    expect(phone_page.locator("#main h1")).to_have_text(translate("Your ballot has been received"))
    expect(phone_page.locator("#device-tracker")).to_be_visible()
    server = phone_page.locator("#tracker").inner_text()
    assert phone_page.locator("#device-tracker-value").inner_text() == server
    width = phone_page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360
    assert errors == []

    # The same slip again: refused, and said so.
    phone_page.goto(f"{live_server}{link.path}#{link.fragment}")
    phone_page.locator('#code-form [type="submit"]').tap()
    expect(phone_page.locator("#code-refused")).to_have_text(translate(
        "This ballot code has already been used: a ballot was cast with it. Each code casts "
        "one ballot."))
    round_ = services.get_round(round_id)
    assert box.codes_count(services.round_box(round_)) == (2, 1)
    db.session.commit()  # hold no transaction while the browser works

    # The second slip, typed by hand on another phone: in small letters, with spaces for the
    # dashes, one symbol wrong first (caught by the check symbol), then right.
    typed = urlparse(links[1]).fragment
    other = phone_context.new_page()
    other.goto(f"{live_server}/code/")
    wrong = typed[:-1] + ("3" if typed[-1] != "3" else "4")
    other.locator("#code").fill(wrong.lower().replace("-", " "))
    other.locator('#code-form [type="submit"]').tap()
    expect(other.locator("#code-refused")).to_have_text(translate(
        "This is not a ballot code: check each character against the slip (the code has 14 "
        "letters and digits, without 0, 1, I, L, O or U)."))
    other.locator("#code").press_sequentially(typed.lower().replace("-", " "))
    other.locator('#code-form [type="submit"]').tap()
    lines = other.locator("fieldset.ballot-line")
    expect(lines).to_have_count(2)
    lines.nth(0).locator('label[for$="-low"]').tap()
    lines.nth(1).locator('label[for$="-high"]').tap()
    other.locator('#ballot-form button[type="submit"]').tap()
    expect(other.locator("#device-review")).to_be_visible()
    other.locator("#cast-button").tap()
    expect(other.locator("#device-tracker")).to_be_visible()
    assert other.locator("#device-tracker-value").inner_text() == \
        other.locator("#tracker").inner_text()
    assert box.codes_count(services.round_box(services.get_round(round_id))) == (2, 2)
