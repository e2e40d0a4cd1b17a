"""Signing the minutes: certificates kept encrypted, signers in turn as incremental revisions,
each signature checked by pyHanko against the demo root and by poppler's pdfsig."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.core.errors import AlreadyExists, InvalidState, NotAllowed, ValidationFailed
from evalapp.documents import signing
from evalapp.documents.models import IssuedDocument, SigningCertificate
from evalapp.extensions import db as _db
from tests.documents import signing_fixtures as fixtures
from tests.documents.signing_fixtures import (
    CHAIR_NAME,
    SECRETARY_NAME,
    flip_byte_in_first_revision,
    pdfsig,
    sign_as,
    slot_of,
)

# The shared fixtures, bound here so that the tests need nothing from conftest.py.
demo_pki = fixtures.demo_pki
minutes = fixtures.minutes
nss_dir = fixtures.nss_dir
signed_minutes = fixtures.signed_minutes
signers = fixtures.signers


def audit(action: str) -> list[AuditEntry]:
    return list(_db.session.execute(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
    ).scalars())


def p12_for(name: str, password: bytes | None = b"mat-khau", key=None):
    """A PKCS#12 signed by the demo root's key (as a certification authority would issue)."""
    root_key, root, _created = signing._demo_root("Tỉnh ủy Hòa Bình Xanh")
    material = signing._demo_signer(root_key, root, name, "Tỉnh ủy Hòa Bình Xanh", key=key)
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    return pkcs12.serialize_key_and_certificates(
        name=None, key=material.key, cert=material.certificate, cas=[root],
        encryption_algorithm=encryption), material


# ---------------------------------------------------------------- signing in turn


def test_chair_and_secretary_sign_in_turn_and_both_signatures_hold(
        signed_minutes, signers, tmp_path, nss_dir):
    chair, secretary = signers
    document = signed_minutes
    assert [s.signed_at is not None for s in document.slots] == [True, True]
    for user in (chair, secretary):
        assert slot_of(document, user).certificate_id == signing.certificate_for(user).id
    chair_field = slot_of(document, chair).field_name
    secretary_field = slot_of(document, secretary).field_name

    report = signing.verify_pdf(document.pdf)
    assert report.ok and report.match == "current" and report.document_id == document.id
    first, second = report.signatures  # in the order they were applied
    assert (first.field_name, first.signer_name) == (chair_field, CHAIR_NAME)
    assert (second.field_name, second.signer_name) == (secretary_field, SECRETARY_NAME)
    for signature in report.signatures:
        assert signature.intact and signature.valid and signature.trusted
        assert signature.signing_time is not None
    # The chair's signature covers its revision; the secretary's revision only filled a field.
    assert not first.covers_whole_file and first.modification_level == "FORM_FILLING"
    assert second.covers_whole_file and second.modification_level == "NONE"
    assert report.unsigned_fields == []
    assert document.original_sha256 != document.sha256
    # The stamps, read back from the PDF: name, role and time, with every diacritic.
    text = fixtures.stamp_text(document.pdf)
    for user in (chair, secretary):
        assert f"Ký bởi: {user.full_name}" in text
        assert slot_of(document, user).role_label in text
    assert len(re.findall(r"Thời gian ký: \d\d/\d\d/\d{4} \d\d:\d\d:\d\d \(GMT\+7\)",
                          text)) == 2

    verdicts = pdfsig(document.pdf, tmp_path, nss_dir)
    assert sorted(v["field"] for v in verdicts) == sorted([chair_field, secretary_field])
    for verdict in verdicts:
        assert verdict["signature"] == "Signature is Valid."
        if nss_dir is not None:
            assert verdict["certificate"] == "Certificate is Trusted."


def test_each_signature_is_an_incremental_revision_recorded_in_the_audit_trail(
        app, db, client, minutes, demo_pki, signers, login_as):
    chair, secretary = signers
    issued = minutes.pdf
    assert sign_as(client, login_as, chair, minutes).status_code == 302
    db.session.refresh(minutes)
    after_chair = minutes.pdf
    assert after_chair.startswith(issued) and len(after_chair) > len(issued)
    assert sign_as(client, login_as, secretary, minutes).status_code == 302
    db.session.refresh(minutes)
    assert minutes.pdf.startswith(after_chair)

    entries = audit("document.signed")
    assert [e.actor_id for e in entries] == [chair.id, secretary.id]
    details = [json.loads(e.details) for e in entries]
    assert [d["field"] for d in details] == [slot_of(minutes, chair).field_name,
                                             slot_of(minutes, secretary).field_name]
    assert details[0]["previous_sha256"] == minutes.original_sha256
    assert details[1]["previous_sha256"] == details[0]["sha256"]
    assert details[1]["sha256"] == minutes.sha256
    assert all(e.target_id == minutes.id for e in entries)


def test_the_round_is_locked_once_its_minutes_carry_a_signature(
        db, minutes, demo_pki, signers):
    chair, _secretary = signers
    from evalapp.ballots.documents import round_has_signed_minutes
    from evalapp.ballots.models import BallotRound

    round_ = db.session.get(BallotRound, minutes.owner_id)
    assert not round_has_signed_minutes(round_)
    signing.sign_document(chair, minutes)
    db.session.commit()
    assert round_has_signed_minutes(round_)


def test_a_signer_may_sign_only_their_own_block_and_only_once(
        db, client, minutes, demo_pki, signers, login_as, factory):
    chair, secretary = signers
    chair_slot = slot_of(minutes, chair)

    response = sign_as(client, login_as, secretary, minutes, slot_id=chair_slot.id)
    assert response.status_code == 403
    stranger = factory.user("nguoingoai", roles=(Role.SECRETARY,))  # does not see the round
    assert sign_as(client, login_as, stranger, minutes).status_code == 404
    db.session.refresh(minutes)
    assert minutes.sha256 == minutes.original_sha256
    assert not audit("document.signed")

    assert sign_as(client, login_as, chair, minutes).status_code == 302
    signed_once = db.session.get(IssuedDocument, minutes.id).sha256
    response = sign_as(client, login_as, chair, minutes)
    assert response.status_code == 409
    response = client.post(f"/documents/{minutes.id}/sign", data={"slot_id": chair_slot.id})
    assert response.status_code == 422  # the confirmation that the document was read
    response = client.post(f"/documents/{minutes.id}/sign",
                           data={"slot_id": chair_slot.id, "confirm": "y"})
    assert response.status_code == 409
    assert "Bạn đã ký văn bản này rồi." in response.get_data(as_text=True)
    db.session.refresh(minutes)
    assert minutes.sha256 == signed_once
    assert len(audit("document.signed")) == 1
    assert client.post("/documents/no-such-document/sign").status_code == 404


def test_a_signer_without_any_certificate_gets_a_clear_refusal(
        app, db, client, minutes, signers, login_as):
    chair, _secretary = signers
    response = sign_as(client, login_as, chair, minutes)
    assert response.status_code == 409
    assert "chứng thư số" in response.get_data(as_text=True)
    db.session.refresh(minutes)
    assert minutes.sha256 == minutes.original_sha256
    assert all(s.signed_at is None for s in minutes.slots)


def test_the_body_certificate_signs_for_those_without_their_own(
        app, db, minutes, signers, admin):
    from cryptography.hazmat.primitives.asymmetric import rsa

    chair, _secretary = signers
    # RSA 2048, as Vietnamese certification authorities issue them.
    data, _material = p12_for("Tỉnh ủy Hòa Bình Xanh",
                              key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    body = signing.import_pkcs12(admin, None, data, "mat-khau", "Chứng thư số của Tỉnh ủy")
    db.session.commit()
    slot = signing.sign_document(chair, minutes)
    db.session.commit()
    assert slot.certificate_id == body.id
    report = signing.verify_pdf(minutes.pdf)
    assert report.signatures[0].signer_name == "Tỉnh ủy Hòa Bình Xanh"
    assert report.signatures[0].ok and report.signatures[0].trusted
    assert "Chứng thư số của cơ quan" in fixtures.stamp_text(minutes.pdf)


def test_signing_follows_the_latest_revision_in_the_database(db, minutes, demo_pki, signers):
    """A signer working from a stale copy of the document still appends to the latest revision,
    so no earlier signature is ever dropped."""
    chair, secretary = signers
    stale_pdf, stale_sha = minutes.pdf, minutes.sha256
    signing.sign_document(chair, minutes)
    db.session.commit()
    # This process read the document before the chair signed.
    set_committed_value(minutes, "pdf", stale_pdf)
    set_committed_value(minutes, "sha256", stale_sha)
    signing.sign_document(secretary, minutes)
    db.session.commit()
    db.session.expire_all()
    report = signing.verify_pdf(db.session.get(IssuedDocument, minutes.id).pdf)
    assert [s.field_name for s in report.signatures] == [
        slot_of(minutes, chair).field_name, slot_of(minutes, secretary).field_name]
    assert report.ok


# ---------------------------------------------------------------- tampering


def test_one_changed_byte_breaks_every_signature(signed_minutes, tmp_path, nss_dir):
    tampered = flip_byte_in_first_revision(signed_minutes.pdf)
    report = signing.verify_pdf(tampered)
    assert not report.ok and not report.byte_identical
    assert report.signatures and all(not s.intact for s in report.signatures)

    verdicts = pdfsig(tampered, tmp_path, nss_dir)
    assert len(verdicts) == 2
    assert all(v["signature"] != "Signature is Valid." for v in verdicts)


def test_one_changed_byte_anywhere_fails_verification(signed_minutes, tmp_path):
    """Every byte outside the signatures' own /Contents is covered by the last signature; a
    change inside a /Contents value breaks that signature or, at worst, the byte identity."""
    pdf = signed_minutes.pdf
    gaps = [(int(m.group(2)), int(m.group(3))) for m in
            re.finditer(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]", pdf)]
    assert len(gaps) == 2
    positions = [int(len(pdf) * f) for f in (0.0, 0.1, 0.3, 0.5, 0.7, 0.9)] + [len(pdf) - 3]
    for position in positions:
        if any(start <= position < end for start, end in gaps):
            position = max(end for _start, end in gaps) + 1
        tampered = bytearray(pdf)
        tampered[position] ^= 0x01
        report = signing.verify_pdf(bytes(tampered))
        assert not report.signatures_ok and not report.ok, position
        verdicts = pdfsig(bytes(tampered), tmp_path, None)
        assert not verdicts or not all(v["signature"] == "Signature is Valid."
                                       for v in verdicts), position
    for start, end in gaps:  # inside a signature value: never byte-identical any more
        tampered = bytearray(pdf)
        tampered[(start + end) // 2] ^= 0x01
        assert not signing.verify_pdf(bytes(tampered)).ok


# ---------------------------------------------------------------- certificates and keys


def test_import_checks_the_file_and_stores_the_key_encrypted(app, db, admin, factory, caplog):
    caplog.set_level(logging.DEBUG)
    owner = factory.user("nguoiky", roles=(Role.COUNTER,), full_name="Ngô Thị Ký")
    data, material = p12_for("Ngô Thị Ký", b"mat-khau-bi-mat")

    with pytest.raises(ValidationFailed):
        signing.import_pkcs12(admin, owner, data, "sai-mat-khau", "Token")
    with pytest.raises(ValidationFailed):
        signing.import_pkcs12(admin, owner, b"not a pkcs12 file", "", "Token")
    with pytest.raises(NotAllowed):
        signing.import_pkcs12(owner, owner, data, "mat-khau-bi-mat", "Token")
    scoped = factory.user("qtdonvi", roles=(Role.ADMIN,), unit=factory.unit())
    with pytest.raises(NotAllowed):
        signing.import_pkcs12(scoped, owner, data, "mat-khau-bi-mat", "Token")

    stored = signing.import_pkcs12(admin, owner, data, "mat-khau-bi-mat", "  Token  VNPT-CA ")
    db.session.commit()
    assert stored.label == "Token VNPT-CA" and stored.user_id == owner.id
    assert "Ngô Thị Ký" in stored.subject and stored.not_after is not None
    assert stored.serial_hex == format(material.certificate.serial_number, "x")
    with pytest.raises(AlreadyExists):
        signing.import_pkcs12(admin, owner, data, "mat-khau-bi-mat", "Again")

    # Without the Fernet key the stored bytes are not a PKCS#12 at all.
    blob = stored.encrypted_pkcs12
    for password in (None, b"", b"mat-khau-bi-mat"):
        with pytest.raises(ValueError):
            pkcs12.load_key_and_certificates(blob, password)
    key_pem = material.key.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
    assert b"PRIVATE KEY" not in blob and key_pem not in blob
    key_file = Path(app.instance_path) / signing.KEY_FILE
    opened = Fernet(key_file.read_bytes().strip()).decrypt(blob)
    key, certificate, _chain = pkcs12.load_key_and_certificates(opened, None)
    assert certificate == material.certificate

    # Neither the key nor the password reaches the audit trail or a log line.
    trail = " ".join(e.details for e in db.session.execute(select(AuditEntry)).scalars())
    logs = caplog.text
    for secret in ("mat-khau-bi-mat", "PRIVATE KEY", key_pem.decode().splitlines()[1]):
        assert secret not in trail and secret not in logs
    assert [json.loads(e.details)["fingerprint"] for e in audit("certificate.imported")] == [
        stored.sha256_fingerprint]


def test_the_development_key_file_is_private(app, db, admin):
    data, _material = p12_for("Lý Văn Khóa")
    signing.import_pkcs12(admin, None, data, "mat-khau", "Cơ quan")
    key_file = Path(app.instance_path) / signing.KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_a_configured_key_is_used_and_production_requires_one(app, db, admin, monkeypatch):
    data, _material = p12_for("Lý Văn Khóa")
    old_key = (Path(app.instance_path) / signing.KEY_FILE).read_bytes().strip().decode()
    stored = signing.import_pkcs12(admin, None, data, "mat-khau", "Cơ quan")
    db.session.commit()

    new_key = Fernet.generate_key().decode()
    monkeypatch.setitem(app.config, "SIGNING_KEY", new_key)
    with pytest.raises(InvalidState):  # encrypted with the old key: cannot be opened
        signing._decrypt(stored.encrypted_pkcs12)
    monkeypatch.setitem(app.config, "SIGNING_KEY", f"{new_key},{old_key}")  # key rotation
    assert signing._decrypt(stored.encrypted_pkcs12)

    monkeypatch.setitem(app.config, "SIGNING_KEY", "not-a-key")
    with pytest.raises(signing.SigningNotConfigured) as raised:
        signing._decrypt(stored.encrypted_pkcs12)
    assert "not-a-key" not in raised.value.text()
    monkeypatch.setitem(app.config, "SIGNING_KEY", None)
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    with pytest.raises(signing.SigningNotConfigured):
        signing._decrypt(stored.encrypted_pkcs12)


def test_certificates_page_uploads_lists_and_deactivates(app, db, admin, login_as, factory):
    from io import BytesIO

    owner = factory.user("nguoiky", roles=(Role.COUNTER,), full_name="Ngô Thị Ký")
    client = login_as(admin)
    assert client.get("/documents/certificates").status_code == 200
    data, _material = p12_for("Ngô Thị Ký")

    bad = client.post("/documents/certificates", data={
        "owner": str(owner.id), "label": "Token", "password": "sai",
        "file": (BytesIO(data), "token.p12")}, content_type="multipart/form-data")
    assert bad.status_code == 422 and not signing.list_certificates()

    response = client.post("/documents/certificates", data={
        "owner": str(owner.id), "label": "Token của kiểm phiếu", "password": "mat-khau",
        "file": (BytesIO(data), "token.p12")}, content_type="multipart/form-data")
    assert response.status_code == 302
    [(certificate, listed_owner)] = signing.list_certificates()
    assert listed_owner.id == owner.id
    page = client.get("/documents/certificates").get_data(as_text=True)
    assert "Token của kiểm phiếu" in page and "Ngô Thị Ký" in page

    response = client.post(f"/documents/certificates/{certificate.id}/deactivate")
    assert response.status_code == 302
    db.session.refresh(certificate)
    assert not certificate.active and signing.certificate_for(owner) is None
    assert client.post(f"/documents/certificates/{certificate.id}/deactivate").status_code == 409
    assert len(audit("certificate.deactivated")) == 1


def test_pki_demo_is_idempotent(app, db, minutes, signers, factory, monkeypatch):
    chair, secretary = signers
    admin = factory.user("admin", roles=(Role.ADMIN,), full_name="Quản trị hệ thống")
    factory.user("uyvien", roles=(Role.VOTER,))  # not a signer: gets no certificate
    runner = app.test_cli_runner()

    first = runner.invoke(args=["pki", "demo"])
    assert first.exit_code == 0, first.output
    certificates = db.session.execute(select(SigningCertificate)).scalars().all()
    assert sorted(c.user_id for c in certificates) == sorted([chair.id, secretary.id, admin.id])
    assert "PRIVATE KEY" not in first.output
    root = signing.demo_root_path()
    root_pem = root.read_bytes()
    assert b"BEGIN CERTIFICATE" in root_pem and root in signing.trust_root_paths()

    second = runner.invoke(args=["pki", "demo"])
    assert second.exit_code == 0, second.output
    assert db.session.execute(select(SigningCertificate)).scalars().all() == certificates
    assert root.read_bytes() == root_pem
    assert len(audit("certificate.demo_issued")) == 3

    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    assert runner.invoke(args=["pki", "demo"]).exit_code != 0


def test_demo_certificates_name_the_signer_in_vietnamese(db, demo_pki, signers):
    from cryptography.x509.oid import NameOID

    chair, _secretary = signers
    blob = signing._decrypt(signing.certificate_for(chair).encrypted_pkcs12)
    _key, certificate, _chain = pkcs12.load_key_and_certificates(blob, None)
    cn = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    org = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    assert (cn, org) == (CHAIR_NAME, "Tỉnh ủy Hòa Bình Xanh")
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment


def test_trust_roots_come_from_the_configuration(app, db, demo_pki, monkeypatch, tmp_path):
    extra = tmp_path / "ca-chain.pem"
    extra.write_bytes(demo_pki.root_path.read_bytes() * 2)  # a chain file with two blocks
    monkeypatch.setitem(app.config, "TRUST_ROOTS", [str(extra), str(tmp_path / "missing.pem")])
    assert signing.trust_root_paths()[0] == extra
    assert len(signing.trust_roots()) == 3


def test_signing_uses_no_key_material_in_logs(db, minutes, demo_pki, signers, caplog):
    caplog.set_level(logging.DEBUG)
    chair, _secretary = signers
    signing.sign_document(chair, minutes)
    db.session.commit()
    assert "PRIVATE KEY" not in caplog.text


# ---------------------------------------------------------------- at the same instant


def test_two_signers_at_the_same_instant_both_end_up_in_the_pdf(
        app, db, minutes, demo_pki, signers, tmp_path_factory, database_url):
    """Each request in its own thread, app context and connection: the row lock (PostgreSQL)
    or the write lock (SQLite) makes the second signer append to the first one's revision."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from evalapp import create_app
    from evalapp.auth.models import User
    from evalapp.documents.services import get_document
    from tests.conftest import TEST_CONFIG

    key = (Path(app.instance_path) / signing.KEY_FILE).read_bytes().strip().decode()
    other = create_app(TEST_CONFIG | {
        "SQLALCHEMY_DATABASE_URI": database_url, "SIGNING_KEY": key,
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("signing-threads"))})
    document_id = minutes.id
    user_ids = [user.id for user in signers]
    db.session.commit()  # hold nothing while the threads run
    start = threading.Barrier(len(user_ids))

    def sign_in_thread(user_id):
        with other.app_context():
            try:
                start.wait(timeout=30)
                signing.sign_document(_db.session.get(User, user_id),
                                      get_document(document_id))
                _db.session.commit()
                return "signed"
            except Exception as error:  # noqa: BLE001 - reported, and the test fails on it
                _db.session.rollback()
                return f"{type(error).__name__}: {error}"[:300]
            finally:
                _db.session.remove()

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(sign_in_thread, user_ids))
    finally:
        with other.app_context():
            _db.engine.dispose()
    assert results == ["signed", "signed"]
    db.session.expire_all()
    document = db.session.get(IssuedDocument, document_id)
    report = signing.verify_pdf(document.pdf)
    assert sorted(s.field_name for s in report.signatures) == ["sig-1", "sig-2"]
    assert report.ok and all(slot.signed_at for slot in document.slots)


def test_the_sign_button_include_shows_the_blocks_who_can_sign_and_the_own_link(
        app, db, minutes, demo_pki, signers, factory):
    """Before any click: each block, whether its signer can sign and why not, and a link to the
    signing page only on the viewer's own unsigned block."""
    from flask import render_template_string
    from flask_login import login_user

    chair, secretary = signers
    signing.sign_document(chair, minutes)
    db.session.commit()
    template = '{% include "documents/_sign_button.html" %}'
    with app.test_request_context("/ballots/1"):
        login_user(secretary)
        html = render_template_string(template, document=minutes)
    assert CHAIR_NAME in html and SECRETARY_NAME in html and "Thư ký" in html
    assert html.count("sign-link") == 1  # only the secretary's own, unsigned block
    assert f'href="/documents/{minutes.id}/sign"' in html
    assert "sẵn sàng ký: chứng thư số riêng" in html
    assert 'action="/documents/' not in html  # signing happens on the signing page
    assert f"/documents/verify/{minutes.id}" in html
    with app.test_request_context("/ballots/1"):
        login_user(chair)
        assert "sign-link" not in render_template_string(template, document=minutes)

    # A signer whose certificate is taken out of use is shown as unable to sign.
    own = db.session.execute(select(SigningCertificate).where(
        SigningCertificate.user_id == secretary.id)).scalar_one()
    own.active = False
    db.session.commit()
    with app.test_request_context("/ballots/1"):
        login_user(chair)
        html = render_template_string(template, document=minutes)
    assert "chưa ký được: chưa có chứng thư số" in html


def test_pki_import_and_generate_key_on_the_command_line(app, db, factory, tmp_path):
    owner = factory.user("nguoiky", roles=(Role.COUNTER,), full_name="Ngô Thị Ký")
    data, material = p12_for("Ngô Thị Ký", b"mat-khau")
    path = tmp_path / "nguoiky.p12"
    path.write_bytes(data)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["pki", "import", str(path), "--user", "nguoiky", "--label",
                                 "Token", "--password", "mat-khau"])
    assert result.exit_code == 0, result.output
    fingerprint = material.certificate.fingerprint(hashes.SHA256()).hex()
    assert signing.certificate_for(owner).sha256_fingerprint == fingerprint
    again = runner.invoke(args=["pki", "import", str(path), "--label", "Token", "--password",
                                "sai"])
    assert again.exit_code != 0 and "mat-khau" not in again.output

    key = runner.invoke(args=["pki", "generate-key"]).output.strip()
    Fernet(key.encode())  # a valid key for EVALAPP_SIGNING_KEY
