"""Signing without surprises: before any click officers see who can sign and why not; the
signer reads the PDF (framed from this site only) and confirms; a signer signs everything of a
round at once, each signature its own revision and audit entry; the home page says what waits;
in development a signer without a certificate takes a demo one in one click."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from evalapp.audit.models import AuditEntry
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import documents as rdocs
from evalapp.ballots.documents import DocumentKind
from evalapp.documents import services as docs
from evalapp.documents import signing
from evalapp.documents.models import IssuedDocument, SigningCertificate
from evalapp.documents.signing import SignerState, Verdict, verify_pdf
from tests.documents import signing_fixtures as fixtures
from tests.documents.helpers import PASSWORD, build_round
from tests.documents.signing_fixtures import CHAIR_NAME, sign_as, slot_of

demo_pki = fixtures.demo_pki
minutes = fixtures.minutes
signers = fixtures.signers


def audit(action: str) -> list[AuditEntry]:
    return list(docs.db.session.execute(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
    ).scalars())


def login(app, user):
    client = app.test_client()
    assert client.post("/login", data={"username": user.username,
                                       "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def no_demo_root(app, monkeypatch, tmp_path):
    """This instance as if `flask pki demo` had never run (the instance folder is shared by the
    tests of a worker)."""
    monkeypatch.setattr(signing, "demo_root_path", lambda: tmp_path / "pki" / "none.pem")


# ---------------------------------------------------------------- the signing page


def test_the_signing_page_shows_the_pdf_its_facts_and_asks_to_confirm(
        app, db, client, minutes, demo_pki, signers, login_as):
    chair, _secretary = signers
    login_as(chair)
    page = client.get(f"/documents/{minutes.id}/sign")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<iframe class="pdf-preview' in html
    assert f'src="/documents/{minutes.id}/preview.pdf"' in html
    assert minutes.number.label in html and minutes.tally_fingerprint in html
    assert minutes.roll_fingerprint in html and minutes.sha256 in html
    assert 'name="confirm"' in html and "Tôi đã đọc văn bản này và ký." in html
    assert "Bạn ký bằng chứng thư số riêng" in html

    # The preview may be framed by this site's pages, and only it; the download may not.
    preview = client.get(f"/documents/{minutes.id}/preview.pdf")
    assert preview.status_code == 200 and preview.data == minutes.pdf
    assert preview.headers["Content-Disposition"].startswith("inline; filename=")
    assert preview.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    download = client.get(f"/documents/{minutes.id}.pdf")
    assert download.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in download.headers["Content-Security-Policy"]
    assert client.get(f"/documents/{minutes.id}/sign").headers["X-Frame-Options"] == "DENY"

    # Without the confirmation nothing is signed.
    response = client.post(f"/documents/{minutes.id}/sign", data={})
    assert response.status_code == 422
    assert "Đề nghị đánh dấu ô xác nhận đã đọc văn bản." in response.get_data(as_text=True)
    db.session.refresh(minutes)
    assert minutes.sha256 == minutes.original_sha256 and not audit("document.signed")

    response = client.post(f"/documents/{minutes.id}/sign", data={"confirm": "y"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/ballots/{minutes.owner_id}#documents")
    db.session.refresh(minutes)
    assert slot_of(minutes, chair).signed_at is not None
    assert "Bạn đã ký văn bản này." in client.get(
        f"/documents/{minutes.id}/sign").get_data(as_text=True)


def test_someone_who_may_read_but_not_sign_is_told_so(app, db, minutes, demo_pki, admin):
    client = login(app, admin)
    html = client.get(f"/documents/{minutes.id}/sign").get_data(as_text=True)
    assert "Bạn không thuộc danh sách người ký văn bản này." in html
    assert 'name="confirm"' not in html


def test_a_signer_without_a_certificate_learns_why_and_what_to_do(
        app, db, client, minutes, signers, login_as, no_demo_root):
    chair, secretary = signers
    login_as(chair)
    html = client.get(f"/documents/{minutes.id}/sign").get_data(as_text=True)
    assert "Bạn chưa ký được: bạn chưa có chứng thư số riêng" in html
    assert "tại trang Chứng thư số" in html
    assert "flask --app evalapp pki demo" in html  # development: how to get demo ones
    assert 'name="confirm"' not in html and "/documents/certificates/demo" not in html

    # The round page says it for every block, before any click.
    round_page = client.get(f"/ballots/{minutes.owner_id}").get_data(as_text=True)
    assert round_page.count("chưa ký được: chưa có chứng thư số") == 2

    # An expired own certificate is named with its date.
    from datetime import timedelta

    from evalapp.core.time import utcnow
    docs.db.session.add(SigningCertificate(
        user_id=secretary.id, label="Cũ", subject="CN=x", issuer="CN=x", serial_hex="01",
        not_after=utcnow() - timedelta(days=3), sha256_fingerprint="ab" * 32,
        encrypted_pkcs12=b"x", active=True))
    docs.db.session.commit()
    state = signing.readiness(secretary)
    assert state.state is SignerState.EXPIRED and not state.ready
    assert "chưa ký được: chứng thư số hết hạn ngày" in client.get(
        f"/ballots/{minutes.owner_id}").get_data(as_text=True)


def test_in_production_no_demo_certificate_is_offered(app, db, client, minutes, signers,
                                                     login_as, monkeypatch):
    chair, _secretary = signers
    signing._demo_root("Tỉnh ủy Hòa Bình Xanh")  # a demo root in the instance folder or not
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    monkeypatch.setitem(app.config, "SIGNING_KEY", "0" * 43 + "=")
    login_as(chair)
    html = client.get(f"/documents/{minutes.id}/sign").get_data(as_text=True)
    assert "/documents/certificates/demo" not in html and "pki demo" not in html
    response = client.post("/documents/certificates/demo", data={})
    assert response.status_code == 302
    assert not docs.db.session.execute(select(SigningCertificate)).scalars().all()


def test_in_development_a_signer_takes_a_demo_certificate_in_one_click(
        app, db, minutes, signers, factory):
    """An officer named after `pki demo` ran: the page offers a demo certificate, the button
    makes one (saying it is a demo), and signing then works."""
    chair, _secretary = signers
    signing._demo_root("Tỉnh ủy Hòa Bình Xanh")  # what `flask pki demo` leaves behind
    client = login(app, chair)
    html = client.get(f"/documents/{minutes.id}/sign").get_data(as_text=True)
    assert 'action="/documents/certificates/demo"' in html
    assert "Cấp cho tôi chứng thư số thử nghiệm (chỉ để thử)" in html
    response = client.post("/documents/certificates/demo",
                           data={"next": f"/documents/{minutes.id}/sign"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Chứng thư này chỉ dùng để thử" in html and 'name="confirm"' in html
    [certificate] = docs.db.session.execute(select(SigningCertificate)).scalars().all()
    assert certificate.user_id == chair.id and certificate.label.startswith("Demo")
    [entry] = audit("certificate.demo_issued")
    assert entry.actor_id == chair.id
    # A second click changes nothing.
    client.post("/documents/certificates/demo", data={})
    assert len(docs.db.session.execute(select(SigningCertificate)).scalars().all()) == 1

    assert client.post(f"/documents/{minutes.id}/sign", data={"confirm": "y"}
                       ).status_code == 302
    docs.db.session.refresh(minutes)
    [signature] = verify_pdf(minutes.pdf).signatures
    assert signature.signer_name == CHAIR_NAME and signature.trusted

    # Someone who signs nothing gets no demo certificate.
    stranger = factory.user("nguoila")
    assert login(app, stranger).post("/documents/certificates/demo", data={}).status_code == 403


# ---------------------------------------------------------------- everything at once


def test_sign_all_signs_every_waiting_document_of_the_round(app, db, demo_pki_round):
    built, chair = demo_pki_round
    round_ = built.round
    minutes = docs.issue_document(SYSTEM, round_, DocumentKind.MINUTES)
    notices = rdocs.issue_all_notices(SYSTEM, round_)
    db.session.commit()
    assert [d.id for d in docs.awaiting_signature(chair, round_)] == \
        [minutes.id] + [n.id for n in notices]
    client = login(app, chair)
    page = client.get(f"/ballots/{round_.id}/documents/sign-all").get_data(as_text=True)
    assert page.count("list-group-item") == 4
    assert "Ký cả 4 văn bản" in page and 'name="confirm"' in page

    assert client.post(f"/ballots/{round_.id}/documents/sign-all", data={}).status_code == 422
    assert not audit("document.signed")

    response = client.post(f"/ballots/{round_.id}/documents/sign-all", data={"confirm": "y"})
    assert response.status_code == 302
    entries = audit("document.signed")
    assert sorted(e.target_id for e in entries) == sorted([minutes.id] + [n.id for n in notices])
    for entry in entries:
        document = db.session.get(IssuedDocument, entry.target_id)
        details = json.loads(entry.details)
        assert details["sha256"] == document.sha256 != document.original_sha256
        # An incremental revision: the signed file starts with the bytes as issued.
        assert document.original_sha256 in signing._revision_hashes(document.pdf)
        assert slot_of(document, chair).signed_at is not None
    for notice in notices:
        db.session.refresh(notice)
        assert verify_pdf(notice.pdf).verdict is Verdict.OK  # the chair is its only signer
    db.session.refresh(minutes)
    assert verify_pdf(minutes.pdf).verdict is Verdict.PARTLY_SIGNED
    assert docs.awaiting_signature(chair, round_) == []
    page = client.get(f"/ballots/{round_.id}/documents/sign-all").get_data(as_text=True)
    assert 'id="nothing-waiting"' in page


@pytest.fixture
def demo_pki_round(db):
    built = build_round()
    signing.create_demo_pki(SYSTEM)
    db.session.commit()
    return built, built.users["chair"]


def test_the_home_page_lists_what_waits_for_a_signature(app, db, demo_pki_round, admin):
    built, chair = demo_pki_round
    round_ = built.round
    client = login(app, chair)
    assert 'id="home-awaiting"' not in client.get("/").get_data(as_text=True)

    minutes = docs.issue_document(SYSTEM, round_, DocumentKind.MINUTES)
    notice = docs.issue_document(SYSTEM, round_, DocumentKind.RESULT_NOTICE,
                                 round_.active_candidates[0])
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert 'id="home-awaiting"' in html and "2 văn bản đang chờ bạn ký" in html
    assert round_.title in html
    assert f'href="/documents/{minutes.id}/sign"' in html
    assert f'href="/documents/{notice.id}/sign"' in html
    assert f'href="/ballots/{round_.id}/documents/sign-all"' in html
    assert minutes.number.label in html

    # Someone named in no block sees no such section.
    assert 'id="home-awaiting"' not in login(app, admin).get("/").get_data(as_text=True)
    signing.sign_all(chair, round_)
    db.session.commit()
    assert 'id="home-awaiting"' not in client.get("/").get_data(as_text=True)
    # The counting team member still has the minutes to sign.
    html = login(app, built.users["counter"]).get("/").get_data(as_text=True)
    assert "1 văn bản đang chờ bạn ký" in html and notice.id not in html


# ---------------------------------------------------------------- notices for everyone


def test_the_notices_of_everyone_come_as_one_zip_of_signable_pdfs(app, db):
    built = build_round()
    round_ = built.round
    client = login(app, built.users["secretary"])
    response = client.post(f"/ballots/{round_.id}/documents/notices")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/ballots/{round_.id}/documents/notices.zip"
    archive = client.get(response.headers["Location"])
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    assert archive.headers["Content-Disposition"] == (
        f'attachment; filename="thong-bao-ket-qua-{round_.id}-tat-ca.zip"')
    notices = [d for d in rdocs.round_documents(round_) if d.kind is DocumentKind.RESULT_NOTICE]
    assert [d.subject_id for d in notices] == [c.id for c in round_.active_candidates]
    with zipfile.ZipFile(io.BytesIO(archive.data)) as bundle:
        assert bundle.namelist() == [docs.download_name(d) for d in notices]
        for document in notices:
            assert bundle.read(docs.download_name(document)) == document.pdf
    assert all(name.endswith("-chua-ky.pdf") for name in bundle.namelist())
    assert [d.number.label for d in notices] == ["01-TB/TU", "02-TB/TU", "03-TB/TU"]
    # Asking again reuses every notice: the same numbers and the same bytes.
    again = client.get(f"/ballots/{round_.id}/documents/notices.zip")
    client.post(f"/ballots/{round_.id}/documents/notices")
    assert client.get(f"/ballots/{round_.id}/documents/notices.zip").data == again.data


def test_signed_and_unsigned_versions_never_share_a_file_name(
        app, db, client, minutes, demo_pki, signers, login_as):
    chair, secretary = signers
    names = [docs.download_name(minutes)]
    for user in (chair, secretary):
        sign_as(client, login_as, user, minutes)
        db.session.refresh(minutes)
        names.append(docs.download_name(minutes))
        response = client.get(f"/documents/{minutes.id}.pdf")
        assert f'filename="{names[-1]}"' in response.headers["Content-Disposition"]
    assert all(f"-{minutes.id[:8]}-" in name for name in names)
    assert names[0].endswith("-chua-ky.pdf")
    assert names[1].endswith("-da-ky-1-tren-2.pdf")
    assert names[2].endswith("-da-ky-2-tren-2.pdf")
    assert len(set(names)) == 3


def test_the_stamp_uses_a_cut_of_its_font_unless_a_letter_is_missing(app):
    """Embedding the whole Noto Serif took seconds per signature; the cut covers Vietnamese."""
    from fontTools.ttLib import TTFont

    full = str(app.static_folder) + "/fonts/NotoSerif-Regular.ttf"
    with app.test_request_context():
        cut = signing.stamp_font_path("Ký bởi: Trần Văn Chủ\nThời gian ký: 01/12/2026 – Ủy")
        assert cut != full and cut.endswith(".ttf")
        covered = TTFont(cut).getBestCmap()
        assert all(ord(ch) in covered for ch in "ĐđƠơƯưẠạẶặỆệỘộỰựỸỹ“”–")
        assert len(covered) < len(TTFont(full).getBestCmap())
        assert signing.stamp_font_path("Ký bởi: Ωμέγα 中文") == full
