"""Signing and verifying in Chromium.

1. The secretary issues the vote-count minutes; the chair finds them on the home page, reads the
   PDF on the signing page and confirms; the secretary signs from the round page. The public
   verification page gives three different verdicts for the three versions of the file
   (unsigned, signed by one of two, signed by both), with real pyHanko signatures that poppler's
   pdfsig checks too, and only the last one is green. The versions download under different
   names. A copy with one changed byte is reported as altered.
2. On a 360 px phone the chair signs every document of a round waiting for them in one step;
   the round's documents list shows the download and sign actions without sideways scrolling.

The rounds and the demo certificates (evalapp.documents.signing.create_demo_pki, what
`flask pki demo` runs) are made through the services and committed before the browser acts.
Expected texts come from the app's translations (the `translate` fixture).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import unicodedata
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder, services
from evalapp.ballots.documents import DocumentKind, issue_all_notices, issue_document
from evalapp.ballots.models import RoundStatus
from evalapp.documents.signing import create_demo_pki
from evalapp.org.models import UnitKind
from evalapp.tally.rules import Level
from tests.browser.axe import AXE_SOURCE, BLOCKING_IMPACTS, assert_accessible, describe
from tests.conftest import PASSWORD
from tests.documents.signing_fixtures import flip_byte_in_first_revision, pdfsig

TITLE = "Lấy phiếu tín nhiệm Ban Thường vụ năm 2026"
BODY = "Ban Tổ chức"
GOVERNING = "Tỉnh ủy Hòa Bình Xanh"
CANDIDATES = ["Nguyễn Thị Hường", "Trần Quốc Vượng", "Lê Ngọc Ẩn"]
CHAIR = ("chutoa", "Trần Văn Chủ")
SECRETARY = ("thuky", "Đặng Thị Ánh")
VOTERS = ["Lê Văn An", "Đỗ Thị Bình", "Hoàng Văn Cường"]

OK = ("Fully signed and valid: %(signed)s of %(expected)s signature blocks are signed, every "
      "signature is intact and trusted, and the file is identical to the document issued by "
      "this system.")
UNSIGNED = "This document has not been signed digitally."
PARTLY = "Signed in part only: %(signed)s of %(expected)s signature blocks are signed."
MISSING = "Signed: %(signed)s of %(expected)s signature blocks. Missing: %(missing)s."
BROKEN = "At least one signature is broken or the file was changed after signing."
SIGNING_MS = 60_000  # a click that signs waits for the signatures, not for the UI


def counted_round(db, factory, candidates=CANDIDATES[:1]) -> int:
    """A counted round with a chair and a secretary (who have accounts) and demo certificates
    for both; returns its id, with the transaction ended (the live server writes next)."""
    unit = factory.unit("Đảng bộ Thử nghiệm", kind=UnitKind.PARTY_COMMITTEE)
    people = [factory.person(name, unit) for name in candidates]
    voters = [factory.person(name, unit) for name in VOTERS]
    chair = factory.user(CHAIR[0], roles=(Role.SECRETARY,), full_name=CHAIR[1])
    secretary = factory.user(SECRETARY[0], roles=(Role.SECRETARY,), full_name=SECRETARY[1])
    round_ = builder.build(builder.RoundPlan(
        unit=unit, candidates=people, voters=voters, title=TITLE, body_name=BODY,
        place="Hội trường B", meeting_date=date(2026, 12, 1), governing_body_name=GOVERNING,
        locality="Hòa Bình Xanh", chair=chair, secretary=secretary), RoundStatus.COUNTED,
        ballots=[(voter, [level.value] * len(people)) for voter, level
                 in zip(voters, (Level.HIGH, Level.HIGH, Level.LOW), strict=True)]).round
    pki = create_demo_pki(SYSTEM)
    assert {u.username for u in pki.issued} >= {CHAIR[0], SECRETARY[0]}
    round_id = round_.id
    db.session.commit()
    return round_id


@pytest.fixture
def signing_round(db, factory) -> int:
    return counted_round(db, factory)


def pdf_text(path) -> str:
    text = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    return unicodedata.normalize("NFC", text)


def one_line(text: str) -> str:
    return " ".join(text.split())


def assert_fits(page: Page, width: int = 360) -> None:
    """No sideways scrolling: the page is no wider than the screen."""
    measured = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert measured[1] == width and measured[0] <= width, \
        f"{page.url} is {measured[0]} px wide on a {measured[1]} px screen"


def assert_section_accessible(page: Page, selector: str, name: str) -> None:
    """axe-core on one section of a page another area owns (the round page)."""
    page.evaluate(AXE_SOURCE + "\n;undefined")
    violations = page.evaluate("""async (selector) => {
      const results = await axe.run({include: [selector]}, {resultTypes: ["violations"]});
      return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
      }));
    }""", selector)
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert blocking == [], f"axe-core on {name}:\n" + describe(blocking)


def test_minutes_read_signed_in_turn_and_each_version_verified(
        signing_round, page: Page, fresh_context, login, translate, watch_errors, tmp_path):
    round_url = f"/ballots/{signing_round}"
    problems: dict[str, list[str]] = {}

    def watched(new_page: Page, name: str) -> Page:
        problems[name] = watch_errors(new_page)
        new_page.on("dialog", lambda dialog: dialog.accept())
        return new_page

    # ------------------------------------------------ the secretary issues and downloads
    secretary = watched(page, "secretary")
    login(secretary, SECRETARY[0], PASSWORD)
    secretary.goto(round_url)
    documents = secretary.locator("#documents")
    expect(documents).to_contain_text(translate("No document has been issued for this round yet."))
    with secretary.expect_download() as first:
        documents.locator(f'form[action="{round_url}/documents/minutes"] button').click()
    download = first.value
    doc_id = re.search(r"/documents/([0-9a-f]{32})\.pdf$", download.url).group(1)
    assert download.suggested_filename.startswith("bien-ban-kiem-phieu-so-01-bb-btc-")
    assert download.suggested_filename.endswith("-chua-ky.pdf")
    issued_path = tmp_path / "issued.pdf"
    download.save_as(issued_path)
    issued = issued_path.read_bytes()
    text = pdf_text(issued_path)
    assert TITLE in one_line(text) and "Số 01-BB/BTC" in text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[0].startswith("TỈNH ỦY HÒA BÌNH XANH") and lines[1].startswith("BAN TỔ CHỨC")
    assert "Hòa Bình Xanh, ngày 01 tháng 12 năm 2026" in text

    # Before any click, every block says whether its signer can sign.
    secretary.reload()
    item = documents.locator(f'[data-document="{doc_id}"]')
    expect(item).to_contain_text(translate("%(signed)s of %(total)s", signed=0, total=2))
    expect(item.locator(".signer-state")).to_have_count(2)
    expect(item.locator(".signer-state").first).to_have_text(
        translate("ready to sign: own certificate"))
    expect(item.locator("a.sign-link")).to_have_count(1)  # only the secretary's own block

    # ------------------------------------------------ the chair: home page, preview, confirm
    chair = watched(fresh_context().new_page(), "chair")
    login(chair, CHAIR[0], PASSWORD)
    chair.goto("/")
    waiting = chair.locator("#home-awaiting")
    expect(waiting).to_contain_text(TITLE)
    waiting.locator(f'a[href="/documents/{doc_id}/sign"]').click()
    expect(chair).to_have_url(re.compile(rf"/documents/{doc_id}/sign$"))
    frame = chair.locator("iframe.pdf-preview")
    expect(frame).to_have_attribute("src", f"/documents/{doc_id}/preview.pdf")
    expect(chair.locator("#document-number")).to_have_text("01-BB/BTC")
    with chair.expect_response(lambda r: r.url.endswith(f"/{doc_id}/preview.pdf")) as shown:
        chair.reload()
    assert shown.value.status == 200  # the frame loaded the PDF, under the page's CSP
    preview = chair.request.get(f"/documents/{doc_id}/preview.pdf")
    assert preview.headers["content-type"] == "application/pdf"
    assert preview.headers["x-frame-options"] == "SAMEORIGIN"
    assert preview.body() == issued
    assert_accessible(chair, "the signing page")
    # Signing without ticking the confirmation asks for it and signs nothing.
    chair.locator("#sign-confirm [type=submit]").click()
    expect(chair.locator("#confirm-errors")).to_have_text(
        translate("Tick the box to confirm that you have read the document."))
    refused = [e for e in problems["chair"] if e.startswith("HTTP 422: POST")]
    assert len(refused) == 1 and refused[0].endswith(f"/documents/{doc_id}/sign")
    problems["chair"].remove(refused[0])  # the expected answer to bad input
    chair.locator("#confirm").check()
    chair.locator("#sign-confirm [type=submit]").click(timeout=SIGNING_MS)
    expect(chair).to_have_url(re.compile(rf"{round_url}#documents$"))
    expect(chair.locator(".alert-success").first).to_be_visible()
    with chair.expect_download() as after_chair:
        chair.locator(f'[data-document="{doc_id}"] a.download-link').click()
    assert after_chair.value.suggested_filename.endswith("-da-ky-1-tren-2.pdf")
    partly_path = tmp_path / "partly.pdf"
    after_chair.value.save_as(partly_path)
    partly = partly_path.read_bytes()

    # ------------------------------------------------ the secretary signs from the round page
    secretary.goto(round_url)
    secretary.locator(f'[data-document="{doc_id}"] a.sign-link').click()
    secretary.locator("#confirm").check()
    secretary.locator("#sign-confirm [type=submit]").click(timeout=SIGNING_MS)
    expect(secretary.locator(f'[data-document="{doc_id}"]')).to_contain_text(
        translate("%(signed)s of %(total)s", signed=2, total=2))
    with secretary.expect_download() as again:
        secretary.locator(f'[data-document="{doc_id}"] a.download-link').click()
    assert again.value.suggested_filename.endswith("-da-ky-2-tren-2.pdf")
    signed_path = tmp_path / "signed.pdf"
    again.value.save_as(signed_path)
    signed = signed_path.read_bytes()
    assert signed.startswith(partly) and partly.startswith(issued)  # incremental revisions
    assert len({issued_path.name, partly_path.name, signed_path.name}) == 3

    # ------------------------------------------------ three versions, three verdicts
    public = watched(fresh_context(phone=True).new_page(), "verification")
    chair_block = f"{translate('Chair')}: {CHAIR[1]}"
    secretary_block = f"{translate('Minutes taker')}: {SECRETARY[1]}"

    def upload(data: bytes, name: str) -> None:
        path = tmp_path / name
        path.write_bytes(data)
        public.goto("/documents/verify")
        public.locator('input[type="file"][name="file"]').set_input_files(path)
        public.locator('#main form[enctype="multipart/form-data"] [type="submit"]').click()
        expect(public.locator("#verification-report")).to_be_visible()

    verdict = public.locator("#verdict")
    upload(issued, "chua-ky.pdf")
    expect(verdict).to_have_attribute("data-verdict", "unsigned")
    expect(verdict).to_have_class(re.compile(r"\balert-warning\b"))
    expect(public.locator("#verdict-headline")).to_have_text(translate(UNSIGNED))
    expect(public.locator("#verdict-detail")).to_have_text(translate(
        MISSING, signed=0, expected=2, missing=f"{secretary_block}; {chair_block}"))
    expect(public.locator("#signed-by")).to_have_text(translate(
        "nobody: the file carries no digital signature"))
    expect(public.locator("#issued-match .badge")).to_have_text(translate("Yes"))
    expect(public.locator("#later-version")).to_be_visible()  # a signed version exists
    expect(public.locator(".alert-success")).to_have_count(0)
    assert_fits(public)
    assert_accessible(public, "the verdict on an unsigned file")

    upload(partly, "da-ky-1-tren-2.pdf")
    expect(verdict).to_have_attribute("data-verdict", "partly_signed")
    expect(verdict).to_have_class(re.compile(r"\balert-warning\b"))
    expect(public.locator("#verdict-headline")).to_have_text(translate(PARTLY, signed=1,
                                                                       expected=2))
    expect(public.locator("#verdict-detail")).to_have_text(translate(
        MISSING, signed=1, expected=2, missing=secretary_block))
    expect(public.locator("#signed-by li")).to_have_text([chair_block])
    expect(public.locator("#missing-blocks li")).to_have_text([secretary_block])
    expect(public.locator("#signature-count")).to_have_text(translate(
        "%(signed)s of %(expected)s signature blocks", signed=1, expected=2))
    expect(public.locator("#trusted .badge")).to_have_class(re.compile(r"\btext-bg-success\b"))
    expect(public.locator(".alert-success")).to_have_count(0)
    assert_fits(public)
    assert_accessible(public, "the verdict on a partly signed file")

    upload(signed, "da-ky-2-tren-2.pdf")
    expect(verdict).to_have_attribute("data-verdict", "ok")
    expect(verdict).to_have_class(re.compile(r"\balert-success\b"))
    expect(public.locator("#verdict-headline")).to_have_text(translate(OK, signed=2, expected=2))
    expect(public.locator("#verdict-detail")).to_have_count(0)
    expect(public.locator("#signed-by li")).to_have_text([secretary_block, chair_block])
    expect(public.locator("#missing-blocks")).to_have_text(translate("none"))
    expect(public.locator("#file-sha256")).to_have_text(hashlib.sha256(signed).hexdigest())
    rows = public.locator("#signatures .signature-detail")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(CHAIR[1])     # in the order they were applied
    expect(rows.nth(1)).to_contain_text(SECRETARY[1])
    assert_fits(public)
    assert_accessible(public, "the verdict on a fully signed file")

    # poppler agrees: unsigned fields, then one, then two valid signatures.
    for data, count in ((issued, 0), (partly, 1), (signed, 2)):
        verdicts = pdfsig(data, tmp_path, None)
        assert [v["field"] for v in verdicts] == ["sig-1", "sig-2"]
        assert sum(v["signed"] for v in verdicts) == count
        assert all(v["signature"] == "Signature is Valid." for v in verdicts if v["signed"])

    # The address of the QR code shows the document as it is now.
    public.goto(f"/documents/verify/{doc_id}")
    expect(verdict).to_have_attribute("data-verdict", "ok")
    expect(public.locator("#signature-slots .badge.text-bg-success")).to_have_count(2)
    assert_accessible(public, "the verification page of the QR code")

    # One bit changed inside the first page's content stream of the issued revision, which
    # both signatures cover: the file still reads as a PDF.
    tampered = flip_byte_in_first_revision(signed)
    upload(bytes(tampered), "bien-ban-sua.pdf")
    expect(public.locator("#verdict-headline")).to_have_text(translate(BROKEN))
    expect(verdict).to_have_class(re.compile(r"\balert-danger\b"))
    expect(public.locator("#issued-match .badge")).to_have_text(translate("No"))

    found = {name: errors for name, errors in problems.items() if errors}
    assert found == {}, f"console errors, CSP violations or failed requests: {found}"


@pytest.fixture
def round_with_notices(db, factory) -> int:
    """A counted round of three people, its minutes and the three notices issued: four
    documents wait for the chair."""
    round_id = counted_round(db, factory, CANDIDATES)
    round_ = services.get_round(round_id)
    issue_document(SYSTEM, round_, DocumentKind.MINUTES)
    issue_all_notices(SYSTEM, round_)
    db.session.commit()
    return round_id


def test_a_chair_signs_every_waiting_document_at_once_on_a_phone(
        round_with_notices, phone_page: Page, login, translate, watch_errors):
    page = phone_page
    errors = watch_errors(page)
    login(page, CHAIR[0], PASSWORD)
    page.goto("/")
    waiting = page.locator("#home-awaiting")
    expect(waiting).to_contain_text(TITLE)
    expect(waiting.locator('a[href*="/sign"]:not([href$="sign-all"])')).to_have_count(4)
    assert_fits(page)
    waiting.locator(f'a[href="/ballots/{round_with_notices}/documents/sign-all"]').click()

    expect(page.locator("#waiting-documents > li")).to_have_count(4)
    expect(page.locator("#sign-all-form [type=submit]")).to_contain_text("4")
    assert_fits(page)
    assert_accessible(page, "the sign-all page")
    page.locator("#confirm").check()
    # Four signatures in one request: allow for a machine busy with other work.
    page.locator("#sign-all-form [type=submit]").click(timeout=SIGNING_MS)
    expect(page).to_have_url(re.compile(rf"/ballots/{round_with_notices}#documents$"))
    expect(page.locator(".alert-success").first).to_contain_text(TITLE)

    # The round's documents on the phone: each shows how far it is signed, and its download
    # (and sign, while one is due) actions fit the screen without sideways scrolling.
    section = page.locator("#documents")
    items = section.locator(".document-item")
    expect(items).to_have_count(4)
    expect(items.filter(has_text=translate("%(signed)s of %(total)s", signed=1, total=1))) \
        .to_have_count(3)
    expect(section.locator("a.sign-link")).to_have_count(0)
    expect(page.locator("#documents-waiting")).to_have_count(0)
    widths = section.evaluate("(s) => [s.scrollWidth, s.clientWidth]")
    assert widths[0] <= widths[1], f"the documents section is {widths[0]} px wide in {widths[1]}"
    for link in section.locator("a.download-link, a.sign-link, button").all():
        box = link.bounding_box()
        assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= 360, box
    assert_section_accessible(page, "#documents", "the round's documents on a phone")
    assert errors == []
