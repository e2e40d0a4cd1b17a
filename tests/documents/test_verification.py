"""Verifying a PDF: on the page anyone may open, on the QR target page, and on the command
line. The verdict says who signed, how many of the expected signature blocks are signed and
which are missing, whether every signature is intact and trusted, and whether the bytes are
those the system issued; it is green only when all of that holds. pdfsig (poppler) agrees."""

from __future__ import annotations

import io

import pytest

from evalapp.documents import signing
from evalapp.documents.signing import Verdict, verify_pdf
from tests.documents import signing_fixtures as fixtures
from tests.documents.signing_fixtures import (
    CHAIR_NAME,
    SECRETARY_NAME,
    flip_byte_in_first_revision,
    foreign_pdf,
    pdfsig,
    sign_as,
)

CHAIR_BLOCK = f"Chủ trì hội nghị: {CHAIR_NAME}"
SECRETARY_BLOCK = f"Thư ký: {SECRETARY_NAME}"

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
    assert 'data-verdict="ok"' in page
    assert "Đã ký đủ và hợp lệ: 2 trên 2 ô chữ ký đã được ký" in page


def test_the_qr_target_shows_the_issued_document_and_its_signatures(app, signed_minutes):
    client = app.test_client()
    response = client.get(f"/documents/verify/{signed_minutes.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert signed_minutes.title in page and signed_minutes.tally_fingerprint in page
    assert CHAIR_NAME in page and "Thư ký" in page and 'alert alert-success' in page
    assert client.get("/documents/verify/0123456789abcdef").status_code == 404


def test_an_unsigned_file_is_never_praised(app, minutes):
    """The issued minutes before anyone signs: identical to what the system issued, and still
    plainly not signed, with both blocks named as missing."""
    report = verify_pdf(minutes.pdf)
    assert report.match == "current" and not report.signatures
    assert report.verdict is Verdict.UNSIGNED and not report.ok
    assert report.verdict.level == "warning" and report.verdict.exit_status == 2
    assert report.unsigned_fields == ["sig-1", "sig-2"]
    assert (report.signed_count, report.expected_count) == (0, 2)
    assert [b.label for b in report.missing_blocks] == [SECRETARY_BLOCK, CHAIR_BLOCK]
    assert report.headline == "Văn bản chưa được ký số."
    assert report.detail == (f"Đã ký: 0 trên 2 ô chữ ký. Còn thiếu: {SECRETARY_BLOCK}; "
                             f"{CHAIR_BLOCK}.")
    for page in (app.test_client().get(f"/documents/verify/{minutes.id}"),
                 upload(app.test_client(), minutes.pdf)):
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert 'alert alert-warning verdict' in html and "alert-success" not in html
        assert 'data-verdict="unsigned"' in html and "Văn bản chưa được ký số." in html
        assert SECRETARY_BLOCK in html and CHAIR_BLOCK in html


def test_a_partly_signed_file_names_what_is_missing(
        app, db, client, minutes, demo_pki, signers, login_as):
    chair, _secretary = signers
    assert sign_as(client, login_as, chair, minutes).status_code == 302
    db.session.refresh(minutes)
    report = verify_pdf(minutes.pdf)
    assert report.verdict is Verdict.PARTLY_SIGNED and not report.ok
    assert (report.signed_count, report.expected_count) == (1, 2)
    assert [b.label for b in report.signed_blocks] == [CHAIR_BLOCK]
    assert [b.label for b in report.missing_blocks] == [SECRETARY_BLOCK]
    assert report.headline == ("Văn bản mới được ký một phần: 1 trên 2 ô chữ ký đã được ký.")
    assert report.detail == f"Đã ký: 1 trên 2 ô chữ ký. Còn thiếu: {SECRETARY_BLOCK}."
    html = upload(app.test_client(), minutes.pdf).get_data(as_text=True)
    assert 'data-verdict="partly_signed"' in html and "alert-success" not in html
    assert "1 trên 2 ô chữ ký" in html and SECRETARY_BLOCK in html


def test_untrusted_certificates_keep_the_verdict_from_green(
        app, monkeypatch, signed_minutes):
    monkeypatch.setattr(signing, "trust_roots", lambda: [])
    report = verify_pdf(signed_minutes.pdf)
    assert report.signatures_ok and report.byte_identical and not report.missing_blocks
    assert report.verdict is Verdict.UNTRUSTED and report.verdict.level == "warning"
    assert CHAIR_BLOCK in report.headline and SECRETARY_BLOCK in report.headline
    html = upload(app.test_client(), signed_minutes.pdf).get_data(as_text=True)
    assert 'data-verdict="untrusted"' in html and "alert-success" not in html


def test_a_file_that_is_not_the_issued_one_says_so(app, signed_minutes):
    tampered = flip_byte_in_first_revision(signed_minutes.pdf)
    report = verify_pdf(tampered)
    assert not report.byte_identical and report.document_id is None
    assert not report.signatures_ok

    assert report.verdict is Verdict.BROKEN and report.verdict.exit_status == 1

    page = upload(app.test_client(), tampered).get_data(as_text=True)
    assert 'alert alert-danger' in page and 'id="issued-match"' in page

    # A well-formed PDF whose bytes the system never issued, with two empty fields: unsigned,
    # its blocks are the file's own fields.
    other = verify_pdf(foreign_pdf())
    assert not other.byte_identical and not other.ok
    assert other.verdict is Verdict.UNSIGNED and other.expected_count == 2
    assert [b.field_name for b in other.missing_blocks] == ["sig-1", "sig-2"]


def test_earlier_revisions_of_an_issued_document_are_recognised(
        db, client, minutes, demo_pki, signers, login_as):
    chair, secretary = signers
    issued = minutes.pdf
    sign_as(client, login_as, chair, minutes)
    db.session.refresh(minutes)
    after_chair = minutes.pdf
    sign_as(client, login_as, secretary, minutes)
    db.session.refresh(minutes)

    original = verify_pdf(issued)
    assert original.match == "original" and original.verdict is Verdict.UNSIGNED
    assert original.later_version_held and (original.held_signed, original.held_expected) == (2, 2)
    earlier = verify_pdf(after_chair)
    assert earlier.match == "earlier" and earlier.document_id == minutes.id
    assert earlier.verdict is Verdict.PARTLY_SIGNED and earlier.later_version_held
    current = verify_pdf(minutes.pdf)
    assert current.match == "current" and current.owner_id == minutes.owner_id
    assert current.verdict is Verdict.OK and not current.later_version_held
    assert current.tally_fingerprint == minutes.tally_fingerprint is not None

    # Our document with a revision appended elsewhere: its signatures hold, but it is not ours.
    extended = minutes.pdf + b"\n% appended by someone else\n"
    report = verify_pdf(extended)
    assert not report.byte_identical and report.derived_from_document_id == minutes.id
    assert not report.ok and report.verdict is Verdict.NOT_ISSUED
    assert report.expected_count == 2  # the blocks of the document it started as


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

    assert "Đã ký đủ và hợp lệ" in result.output.splitlines()[0]

    bad = tmp_path / "bad.pdf"
    bad.write_bytes(flip_byte_in_first_revision(signed_minutes.pdf))
    assert runner.invoke(args=["documents", "verify", str(bad)]).exit_code == 1

    foreign = tmp_path / "foreign.pdf"
    foreign.write_bytes(signed_minutes.pdf + b"\n% not ours\n")
    assert runner.invoke(args=["documents", "verify", str(foreign)]).exit_code == 1


def test_command_line_says_unsigned_and_partly_signed_and_exits_2(
        app, db, client, minutes, demo_pki, signers, login_as, tmp_path):
    runner = app.test_cli_runner()
    unsigned = tmp_path / "chua-ky.pdf"
    unsigned.write_bytes(minutes.pdf)
    result = runner.invoke(args=["documents", "verify", str(unsigned)])
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Văn bản chưa được ký số."
    assert f"còn thiếu: {SECRETARY_BLOCK}" in result.output
    assert f"còn thiếu: {CHAIR_BLOCK}" in result.output

    chair, _secretary = signers
    sign_as(client, login_as, chair, minutes)
    db.session.refresh(minutes)
    partly = tmp_path / "da-ky-1-tren-2.pdf"
    partly.write_bytes(minutes.pdf)
    result = runner.invoke(args=["documents", "verify", str(partly)])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[0] == (
        "Văn bản mới được ký một phần: 1 trên 2 ô chữ ký đã được ký.")
    assert f"đã ký: {CHAIR_BLOCK}" in result.output
    assert f"còn thiếu: {SECRETARY_BLOCK}" in result.output


def test_pdfsig_agrees_with_the_verdicts(
        app, db, client, minutes, demo_pki, signers, login_as, tmp_path, nss_dir):
    """Unsigned, signed by one of two, signed by both: poppler counts the same signatures,
    finds each valid, and trusts each certificate that chains to the demo root."""
    chair, secretary = signers
    versions = [minutes.pdf]
    for user in (chair, secretary):
        assert sign_as(client, login_as, user, minutes).status_code == 302
        db.session.refresh(minutes)
        versions.append(minutes.pdf)
    expected = [Verdict.UNSIGNED, Verdict.PARTLY_SIGNED, Verdict.OK]
    for data, verdict in zip(versions, expected, strict=True):
        report = verify_pdf(data)
        assert report.verdict is verdict
        poppler = pdfsig(data, tmp_path, nss_dir)
        signed = [v for v in poppler if v["signed"]]
        assert sorted(v["field"] for v in signed) == sorted(b.field_name
                                                            for b in report.signed_blocks)
        assert sorted(v["field"] for v in poppler if not v["signed"]) == sorted(
            b.field_name for b in report.missing_blocks)
        assert len(signed) == len(report.signatures) == report.signed_count
        assert all(v["signature"] == "Signature is Valid." for v in signed)
        if nss_dir is not None:
            assert all(v["certificate"] == "Certificate is Trusted." for v in signed)
