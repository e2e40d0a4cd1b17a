"""Issue 4 in Chromium: the secretary opens a counted round and downloads the vote-count minutes,
the chair and the secretary sign them in turn from the round page, and the public verification
page shows both signatures valid, for the uploaded file and at the address of the QR code; a
copy with one byte changed is reported as altered.

The round and the demo certificates (evalapp.documents.signing.create_demo_pki, what
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
from evalapp.ballots import services
from evalapp.documents.signing import create_demo_pki
from evalapp.tally.rules import Level, Scale
from tests.browser.axe import assert_accessible
from tests.conftest import PASSWORD
from tests.documents.signing_fixtures import pdfsig

TITLE = "Lấy phiếu tín nhiệm Ban Thường vụ năm 2026"
BODY = "Ban Chấp hành Đảng bộ Thử nghiệm"
CANDIDATE = "Nguyễn Thị Hường"
CHAIR = ("chutoa", "Trần Văn Chủ")
SECRETARY = ("thuky", "Đặng Thị Ánh")
VOTERS = ["Lê Văn An", "Đỗ Thị Bình", "Hoàng Văn Cường"]

INTACT_AND_IDENTICAL = ("Every signature is intact and valid, and the file is identical to a "
                        "document issued by this system.")
BROKEN = "At least one signature is broken or the file was changed after signing."


@pytest.fixture
def signing_round(db, factory) -> int:
    """A counted round with a chair and a secretary (who have accounts) and demo certificates
    for both; returns its id, with the transaction ended (the live server writes next)."""
    unit = factory.unit("Đảng bộ Thử nghiệm")
    candidate = factory.person(CANDIDATE, unit)
    voters = [factory.person(name, unit) for name in VOTERS]
    chair = factory.user(CHAIR[0], roles=(Role.SECRETARY,), full_name=CHAIR[1])
    secretary = factory.user(SECRETARY[0], roles=(Role.SECRETARY,), full_name=SECRETARY[1])
    round_ = services.create_round(SYSTEM, services.RoundDetails(
        title=TITLE, body_name=BODY, unit=unit, place="Hội trường B",
        meeting_date=date(2026, 12, 1)), Scale.THREE_LEVEL, "party-2023")
    services.add_candidates(SYSTEM, round_, [candidate.id])
    services.add_voters(SYSTEM, round_, [v.id for v in voters])
    services.set_officers(SYSTEM, round_, chair=chair, secretary=secretary, counter_head=None,
                          counters=[])
    services.start_attendance(SYSTEM, round_)
    services.set_attendance(SYSTEM, round_, [v.id for v in round_.voters])
    services.open_voting(SYSTEM, round_)
    db.session.commit()
    for voter, level in zip(voters, (Level.HIGH, Level.HIGH, Level.LOW), strict=True):
        services.cast_ballot(voter, round_, {c.id: level.value for c in round_.active_candidates})
        db.session.commit()
    services.close_voting(SYSTEM, round_)
    db.session.commit()
    services.scrub_storage()
    services.count_round(SYSTEM, round_)
    db.session.commit()
    pki = create_demo_pki(SYSTEM)
    assert {u.username for u in pki.issued} >= {CHAIR[0], SECRETARY[0]}
    round_id = round_.id
    db.session.commit()  # and no database access after it
    return round_id


def pdf_text(path) -> str:
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return unicodedata.normalize("NFC", text)


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_minutes_downloaded_signed_by_chair_and_secretary_and_verified(
        signing_round, page: Page, fresh_context, login, translate, watch_errors, tmp_path):
    round_url = f"/ballots/{signing_round}"
    problems: dict[str, list[str]] = {}
    dialogs: list[str] = []

    def watched(new_page: Page, name: str) -> Page:
        problems[name] = watch_errors(new_page)

        def accept(dialog) -> None:
            dialogs.append(dialog.message)
            dialog.accept()

        new_page.on("dialog", accept)
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
    match = re.search(r"/documents/([^/]+)\.pdf$", download.url)
    assert match, download.url
    doc_id = match.group(1)
    issued_path = tmp_path / "minutes.pdf"
    download.save_as(issued_path)
    issued = issued_path.read_bytes()
    assert issued.startswith(b"%PDF-")
    text = pdf_text(issued_path)
    assert TITLE in one_line(text)
    assert CANDIDATE in text
    compact = "".join(text.split())

    secretary.reload()
    row = documents.locator("tbody tr").filter(has=secretary.locator(
        f'a[href="/documents/{doc_id}.pdf"]'))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(translate("%(signed)s of %(total)s", signed=0, total=2))

    # ------------------------------------------------ the chair, then the secretary, sign
    def sign(p: Page, full_name: str) -> None:
        p.goto(round_url)
        slots = p.locator(f'#documents ul.signature-slots:has(+ a[href="/documents/verify/'
                          f'{doc_id}"]) > li')
        expect(slots).to_have_count(2)
        own = slots.filter(has_text=full_name)
        expect(own).to_contain_text(translate("not signed yet"))
        buttons = p.locator(f'#documents form[action="/documents/{doc_id}/sign"] button')
        expect(buttons).to_have_count(1)  # only one's own block has a button
        expect(own.locator("button")).to_have_count(1)
        own.locator("button").click()
        expect(p).to_have_url(re.compile(rf"{round_url}$"))
        expect(p.locator(".alert-success").first).to_be_visible()
        own = p.locator("#documents ul.signature-slots > li").filter(has_text=full_name)
        expect(own.locator(".badge.text-bg-success")).to_have_count(1)
        expect(own).not_to_contain_text(translate("not signed yet"))
        expect(own.locator("button")).to_have_count(0)

    chair_context = fresh_context()
    chair = watched(chair_context.new_page(), "chair")
    login(chair, CHAIR[0], PASSWORD)
    sign(chair, CHAIR[1])
    expect(chair.locator("#documents tbody tr").filter(has_text=translate(
        "%(signed)s of %(total)s", signed=1, total=2))).to_have_count(1)

    signer_context = fresh_context()
    second = watched(signer_context.new_page(), "secretary signing")
    login(second, SECRETARY[0], PASSWORD)
    sign(second, SECRETARY[1])
    slots = second.locator("#documents ul.signature-slots > li")
    expect(slots.locator(".badge.text-bg-success")).to_have_count(2)
    expect(second.locator("#documents tbody tr").filter(has_text=translate(
        "%(signed)s of %(total)s", signed=2, total=2))).to_have_count(1)

    # ------------------------------------------------ the signed PDF, checked by poppler
    with second.expect_download() as again:
        second.locator(f'#documents a[href="/documents/{doc_id}.pdf"]').click()
    signed_path = tmp_path / "minutes-signed.pdf"
    again.value.save_as(signed_path)
    signed = signed_path.read_bytes()
    assert signed.startswith(issued) and len(signed) > len(issued)  # incremental revisions
    verdicts = pdfsig(signed, tmp_path, None)
    assert len(verdicts) == 2, verdicts
    assert [v["signature"] for v in verdicts] == ["Signature is Valid."] * 2, verdicts

    # ------------------------------------------------ anyone verifies the file
    public = watched(fresh_context().new_page(), "verification")

    def upload(data: bytes, name: str) -> None:
        path = tmp_path / name
        path.write_bytes(data)
        public.goto("/documents/verify")
        public.locator('input[type="file"][name="file"]').set_input_files(path)
        public.locator('#main form[enctype="multipart/form-data"] [type="submit"]').click()
        expect(public.locator("#verification-report")).to_be_visible()

    def shows_two_good_signatures(p: Page) -> None:
        expect(p.locator("#verdict")).to_have_text(translate(INTACT_AND_IDENTICAL))
        rows = p.locator("#signatures tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text(CHAIR[1])     # in the order they were applied
        expect(rows.nth(1)).to_contain_text(SECRETARY[1])
        for k in range(2):
            badges = rows.nth(k).locator("td .badge")
            for n, label in enumerate(("Intact", "Valid", "Trusted")):
                expect(badges.nth(n)).to_have_text(translate(label))
                expect(badges.nth(n)).to_have_class(re.compile(r"\btext-bg-success\b"))
            expect(rows.nth(k).locator(".badge.text-bg-danger")).to_have_count(0)

    upload(signed, "bien-ban-da-ky.pdf")
    shows_two_good_signatures(public)
    expect(public.locator("#file-sha256")).to_have_text(hashlib.sha256(signed).hexdigest())
    match_cell = public.locator("#issued-match")
    expect(match_cell.locator(".badge")).to_have_text(translate("Yes"))
    expect(match_cell).to_contain_text(translate(
        "identical to the document as the system holds it now"))
    fingerprint = public.locator("#tally-fingerprint")
    expect(fingerprint).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    assert fingerprint.inner_text() in compact  # the one printed in the minutes
    expect(public.locator("#verification-report")).to_contain_text(TITLE)
    assert_accessible(public, "the verification result page")

    # The address of the QR code.
    public.locator(f'#verification-report a[href="/documents/verify/{doc_id}"]').click()
    expect(public).to_have_url(re.compile(rf"/documents/verify/{re.escape(doc_id)}$"))
    expect(public.locator("#signature-slots .badge.text-bg-success")).to_have_count(2)
    shows_two_good_signatures(public)
    assert_accessible(public, "the verification page of the QR code")

    # One byte changed in the middle of the issued (first) revision, which both signatures
    # cover: inside a stream, so that the file still reads as a PDF.
    position = len(issued) // 2
    starts = [m.end() for m in re.finditer(rb"(?<!end)stream\r?\n", issued[:position])]
    assert starts and starts[-1] > issued.rfind(b"endstream", 0, position), \
        "the middle of the minutes is not inside a stream"
    tampered = bytearray(signed)
    tampered[position] ^= 0x01
    upload(bytes(tampered), "bien-ban-sua.pdf")
    expect(public.locator("#verdict")).to_have_text(translate(BROKEN))
    expect(public.locator("#verdict")).to_have_class(re.compile(r"\balert-danger\b"))
    expect(match_cell.locator(".badge")).to_have_text(translate("No"))
    rows = public.locator("#signatures tbody tr")
    expect(rows).to_have_count(2)
    for k in range(2):
        expect(rows.nth(k).locator(".badge").first).to_have_text(translate("Altered"))

    found = {name: errors for name, errors in problems.items() if errors}
    assert found == {}, f"console errors, CSP violations or failed requests: {found}"
