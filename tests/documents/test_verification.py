"""Verifying a PDF: on the page anyone may open, on the QR target page, and on the command
line. A verdict covers each signature and whether the bytes are those the system issued."""

from __future__ import annotations

import io

import pytest

from evalapp.documents.signing import verify_pdf
from tests.documents import signing_fixtures as fixtures
from tests.documents.signing_fixtures import (
    CHAIR_NAME,
    SECRETARY_NAME,
    flip_byte_in_first_revision,
    foreign_pdf,
    sign_as,
)

# The shared fixtures, bound here so that the tests need nothing from conftest.py.
demo_pki = fixtures.demo_pki
minutes = fixtures.minutes
nss_dir = fixtures.nss_dir
signed_minutes = fixtures.signed_minutes
signers = fixtures.signers


@pytest.fixture(autouse=True)
def generous_rate_limit(app, monkeypatch):
    """The limiter is shared by every test of the process; these tests upload many files."""
    monkeypatch.setitem(app.config, "VERIFY_RATE_LIMIT", "1000 per minute")


def upload(client, data: bytes, name: str = "bien-ban.pdf"):
    return client.post("/documents/verify", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_anyone_can_verify_the_signed_minutes_by_upload(app, signed_minutes):
    client = app.test_client()  # not logged in
    assert client.get("/documents/verify").status_code == 200
    response = upload(client, signed_minutes.pdf)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-field="sig-1"' in page and 'data-field="sig-2"' in page
    assert CHAIR_NAME in page and SECRETARY_NAME in page
    assert signed_minutes.tally_fingerprint in page and signed_minutes.sha256 in page
    assert 'alert alert-success' in page and "Altered" not in page


def test_the_qr_target_shows_the_issued_document_and_its_signatures(app, signed_minutes):
    client = app.test_client()
    response = client.get(f"/documents/verify/{signed_minutes.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert signed_minutes.title in page and signed_minutes.tally_fingerprint in page
    assert CHAIR_NAME in page and "Thư ký" in page and 'alert alert-success' in page
    assert client.get("/documents/verify/0123456789abcdef").status_code == 404


def test_an_unsigned_block_is_shown_as_waiting(app, minutes):
    page = app.test_client().get(f"/documents/verify/{minutes.id}").get_data(as_text=True)
    report = verify_pdf(minutes.pdf)
    assert report.ok and report.match == "current" and not report.signatures
    assert report.unsigned_fields == ["sig-1", "sig-2"]
    assert "sig-1, sig-2" in page


def test_a_file_that_is_not_the_issued_one_says_so(app, signed_minutes):
    tampered = flip_byte_in_first_revision(signed_minutes.pdf)
    report = verify_pdf(tampered)
    assert not report.byte_identical and report.document_id is None
    assert not report.signatures_ok

    page = upload(app.test_client(), tampered).get_data(as_text=True)
    assert 'alert alert-danger' in page and 'id="issued-match"' in page

    # A well-formed PDF whose bytes the system never issued.
    other = verify_pdf(foreign_pdf())
    assert not other.byte_identical and not other.ok


def test_earlier_revisions_of_an_issued_document_are_recognised(
        db, client, minutes, demo_pki, signers, login_as):
    chair, secretary = signers
    issued = minutes.pdf
    sign_as(client, login_as, chair, minutes)
    db.session.refresh(minutes)
    after_chair = minutes.pdf
    sign_as(client, login_as, secretary, minutes)
    db.session.refresh(minutes)

    assert verify_pdf(issued).match == "original"
    earlier = verify_pdf(after_chair)
    assert earlier.match == "earlier" and earlier.document_id == minutes.id and earlier.ok
    current = verify_pdf(minutes.pdf)
    assert current.match == "current" and current.round_id == minutes.round_id
    assert current.tally_fingerprint == minutes.tally_fingerprint is not None

    # Our document with a revision appended elsewhere: its signatures hold, but it is not ours.
    extended = minutes.pdf + b"\n% appended by someone else\n"
    report = verify_pdf(extended)
    assert not report.byte_identical and report.derived_from_document_id == minutes.id
    assert not report.ok


def test_something_that_is_not_a_pdf(app, db):
    report = verify_pdf(b"<html>not a pdf</html>")
    assert not report.readable and not report.ok and report.problem
    response = upload(app.test_client(), b"<html>not a pdf</html>", "trick.pdf")
    assert response.status_code == 200 and "alert alert-danger" in response.get_data(as_text=True)


def test_uploads_are_limited_in_size_type_and_rate(app, db, monkeypatch):
    client = app.test_client()
    assert upload(client, b"%PDF-1.7", "notes.txt").status_code == 422
    assert client.post("/documents/verify", data={}).status_code == 422
    monkeypatch.setitem(app.config, "VERIFY_MAX_UPLOAD_MB", 1)
    assert upload(client, b"%PDF" + b"0" * (1024 * 1024)).status_code == 422
    monkeypatch.setitem(app.config, "VERIFY_RATE_LIMIT", "2 per hour")
    statuses = [upload(client, b"%PDF-1.7").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_the_upload_form_needs_its_csrf_token(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client = app.test_client()
    assert upload(client, b"%PDF-1.7").status_code == 400
    page = client.get("/documents/verify").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/documents/verify", data={
        "csrf_token": token, "file": (io.BytesIO(b"%PDF-1.7"), "a.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 200


def test_command_line_verification(app, signed_minutes, tmp_path):
    runner = app.test_cli_runner()
    good = tmp_path / "good.pdf"
    good.write_bytes(signed_minutes.pdf)
    result = runner.invoke(args=["documents", "verify", str(good)])
    assert result.exit_code == 0, result.output
    assert "sig-1" in result.output and "sig-2" in result.output and CHAIR_NAME in result.output
    assert signed_minutes.tally_fingerprint in result.output

    bad = tmp_path / "bad.pdf"
    bad.write_bytes(flip_byte_in_first_revision(signed_minutes.pdf))
    assert runner.invoke(args=["documents", "verify", str(bad)]).exit_code != 0

    foreign = tmp_path / "foreign.pdf"
    foreign.write_bytes(signed_minutes.pdf + b"\n% not ours\n")
    assert runner.invoke(args=["documents", "verify", str(foreign)]).exit_code != 0
