"""Issuing documents: who may, when, what is stored and audited, when a document is reused or
superseded, and that the issued PDF's signature fields take real signatures one after another."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from sqlalchemy import select

from evalapp.audit.models import AuditEntry
from evalapp.auth.permissions import SYSTEM
from evalapp.auth.services import update_user
from evalapp.ballots import documents as rdocs
from evalapp.ballots.documents import DocumentKind
from evalapp.ballots.models import BallotOfficer, OfficerRole, RoundStatus
from evalapp.core.errors import InvalidState, NotAllowed, NotFound, ValidationFailed
from evalapp.core.time import as_utc
from evalapp.documents import services as docs
from evalapp.documents.models import IssuedDocument, SigningCertificate
from evalapp.tally.rules import Scale
from tests.documents.helpers import FIXED_CLOCK, OFFICERS, build_round, user
from tests.documents.pdftext import flat, pdf_text


def issued(action: str = "document.issued") -> list[AuditEntry]:
    return list(docs.db.session.execute(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
    ).scalars())


def issue(actor, round_, kind=DocumentKind.MINUTES, candidate=None, **kw):
    kw.setdefault("clock", lambda: FIXED_CLOCK)
    document = docs.issue_document(actor, round_, kind, candidate,
                                   base_url="https://evalapp.example.vn/", **kw)
    docs.db.session.commit()
    return document


def test_minutes_are_stored_with_a_slot_for_every_signer(db):
    built = build_round()
    secretary = built.users["secretary"]
    document = issue(secretary, built.round)
    assert len(document.id) == 32 and int(document.id, 16) >= 0
    assert document.kind is DocumentKind.MINUTES and document.subject_id is None
    assert document.sha256 == document.original_sha256 == hashlib.sha256(document.pdf).hexdigest()
    assert document.tally_fingerprint == rdocs.tally_fingerprint(built.round)
    assert document.roll_fingerprint == rdocs.roll_fingerprint(built.round)
    assert as_utc(document.created_at) == FIXED_CLOCK
    assert document.created_by_id == secretary.id
    assert document.title.startswith("Biên bản kiểm phiếu: Lấy phiếu tín nhiệm")
    assert [(s.position, s.field_name, s.signer_id, s.role_label, s.signed_at)
            for s in document.slots] == [
        (1, "sig-1", built.users["head"].id, "Tổ trưởng tổ kiểm phiếu", None),
        (2, "sig-2", built.users["counter"].id, "Thành viên tổ kiểm phiếu", None),
        (3, "sig-3", built.users["secretary"].id, "Người ghi biên bản", None),
        (4, "sig-4", built.users["chair"].id, "Chủ trì hội nghị", None)]
    reader = PdfFileReader(io.BytesIO(document.pdf))
    assert [name for name, _v, _r in enumerate_sig_fields(reader)] == [
        "sig-1", "sig-2", "sig-3", "sig-4"]
    words = flat(pdf_text(document.pdf, layout=False))
    assert f"https://evalapp.example.vn/documents/verify/{document.id}" in words
    assert document.id in words

    [entry] = issued()
    assert entry.actor_id == secretary.id and entry.target_type == "document"
    assert entry.target_id == document.id
    details = json.loads(entry.details)
    assert details["kind"] == "minutes" and details["sha256"] == document.sha256
    assert details["round_id"] == built.round.id


def test_one_person_holding_two_posts_signs_once(db):
    built = build_round()
    from evalapp.ballots import services as ballots

    round_ = build_round(state=RoundStatus.DRAFT).round
    both = built.users["secretary"]
    ballots.set_officers(SYSTEM, round_, chair=built.users["chair"], secretary=both,
                         counter_head=None, counters=[])
    # set_officers now refuses one person in two posts; a round named before that rule (or
    # written to the database by other means) can still hold such a pair, and signs once.
    round_.officers.append(BallotOfficer(user_id=both.id, role=OfficerRole.COUNTER))
    db.session.commit()
    signers = rdocs.minutes_signers(round_)
    assert [(s.field_name, s.user_id) for s in signers] == [
        ("sig-1", both.id), ("sig-2", built.users["chair"].id)]
    assert signers[0].role_label == "Thành viên tổ kiểm phiếu, Người ghi biên bản"


def test_asking_again_gives_the_same_document(db):
    built = build_round()
    first = issue(built.users["secretary"], built.round)
    later = FIXED_CLOCK + timedelta(hours=3)
    again = issue(built.users["head"], built.round, clock=lambda: later)
    assert again.id == first.id and again.pdf == first.pdf
    assert len(issued()) == 1
    assert db.session.execute(select(IssuedDocument)).scalars().all() == [first]


def test_a_change_supersedes_an_unsigned_document_and_keeps_the_old_one(db, admin):
    built = build_round()
    first = issue(built.users["secretary"], built.round)
    chair = built.users["chair"]
    update_user(admin, chair, full_name="Bùi Quang Chủ Tịch", grants=[], person=None)
    db.session.commit()
    later = FIXED_CLOCK + timedelta(days=1)
    second = issue(built.users["secretary"], built.round, clock=lambda: later)
    assert second.id != first.id and as_utc(second.created_at) == later
    assert "Bùi Quang Chủ Tịch" in pdf_text(second.pdf)
    assert db.session.get(IssuedDocument, first.id) is not None  # printed copies stay traceable
    assert rdocs.round_documents(built.round) == [second]
    assert len(issued()) == 2


def test_a_signed_document_is_never_replaced(db, admin):
    built = build_round()
    first = issue(built.users["secretary"], built.round)
    certificate = SigningCertificate(
        user_id=built.users["head"].id, label="x", subject="CN=x", issuer="CN=x",
        serial_hex="01", not_after=FIXED_CLOCK + timedelta(days=365),
        sha256_fingerprint="aa" * 32, encrypted_pkcs12=b"sealed")
    db.session.add(certificate)
    db.session.flush()
    first.slots[0].signed_at = FIXED_CLOCK
    first.slots[0].certificate_id = certificate.id
    db.session.commit()
    update_user(admin, built.users["chair"], full_name="Tên Đã Sửa", grants=[], person=None)
    db.session.commit()
    assert issue(built.users["secretary"], built.round).id == first.id
    assert len(issued()) == 1


def test_blank_ballots_follow_attendance_until_voting_opens(db):
    from evalapp.ballots import services as ballots

    built = build_round(summoned=5, state=RoundStatus.ATTENDANCE, officers=False)
    round_ = built.round
    five = issue(SYSTEM, round_, DocumentKind.BLANK_BALLOTS)
    assert five.slots == [] and five.tally_fingerprint is None
    assert "Phiếu số: 5/5" in flat(pdf_text(five.pdf, layout=False))
    ballots.set_attendance(SYSTEM, round_, [v.id for v in round_.voters[:4]])
    db.session.commit()
    four = issue(SYSTEM, round_, DocumentKind.BLANK_BALLOTS)
    assert four.id != five.id
    assert "Phiếu số: 4/4" in flat(pdf_text(four.pdf, layout=False))


def test_result_notice_for_each_person(db):
    built = build_round()
    round_ = built.round
    first, second = round_.active_candidates[:2]
    notice = issue(built.users["counter"], round_, DocumentKind.RESULT_NOTICE, first)
    other = issue(built.users["counter"], round_, DocumentKind.RESULT_NOTICE, second)
    assert notice.id != other.id and notice.subject_id == first.id
    assert [(s.field_name, s.signer_id, s.role_label) for s in notice.slots] == [
        ("sig-1", built.users["chair"].id, "Chủ trì hội nghị")]
    assert "Nguyễn Thị Hường" in notice.title
    assert [d.id for d in rdocs.round_documents(round_)] == [notice.id, other.id]
    assert (notice.number.label, other.number.label) == ("01-TB/TU", "02-TB/TU")
    assert docs.download_name(notice) == (
        f"thong-bao-ket-qua-so-01-tb-tu-{round_.id}-nguyen-thi-huong-{notice.id[:8]}-chua-ky.pdf")


def test_without_a_chair_the_head_of_the_team_signs_the_notice(db):
    from evalapp.ballots import services as ballots

    round_ = build_round(state=RoundStatus.DRAFT, officers=False).round
    head = user("truongtokp", OFFICERS["head"])
    ballots.set_officers(SYSTEM, round_, chair=None, secretary=None, counter_head=head,
                         counters=[])
    db.session.commit()
    assert [(s.user_id, s.role_label) for s in rdocs.notice_signers(round_)] == [
        (head.id, "Tổ trưởng tổ kiểm phiếu")]


def test_who_may_issue_and_when(db, factory):
    built = build_round()
    round_ = built.round
    outsider = factory.user("nguoingoai", roles=())
    with pytest.raises(NotAllowed):
        docs.issue_document(outsider, round_, DocumentKind.MINUTES)
    with pytest.raises(ValidationFailed):
        docs.issue_document(SYSTEM, round_, DocumentKind.RESULT_NOTICE)
    with pytest.raises(ValidationFailed):
        docs.issue_document(SYSTEM, round_, DocumentKind.MINUTES, round_.active_candidates[0])
    elsewhere = build_round().round
    with pytest.raises(NotFound):
        docs.issue_document(SYSTEM, round_, DocumentKind.RESULT_NOTICE,
                            elsewhere.active_candidates[0])
    voting = build_round(state=RoundStatus.VOTING).round
    with pytest.raises(InvalidState):
        docs.issue_document(SYSTEM, voting, DocumentKind.MINUTES)
    with pytest.raises(InvalidState):
        docs.issue_document(SYSTEM, voting, DocumentKind.RESULT_NOTICE,
                            voting.active_candidates[0])
    draft = build_round(state=RoundStatus.DRAFT).round
    with pytest.raises(InvalidState):
        docs.issue_document(SYSTEM, draft, DocumentKind.BLANK_BALLOTS)
    unsigned = build_round(officers=False).round
    with pytest.raises(InvalidState):
        docs.issue_document(SYSTEM, unsigned, DocumentKind.MINUTES)
    db.session.rollback()
    assert issued() == []
    finalised = build_round(state=RoundStatus.FINALISED, scale=Scale.TWO_LEVEL).round
    assert issue(SYSTEM, finalised).kind is DocumentKind.MINUTES


def test_the_fields_take_every_signature_in_turn(db, tmp_path):
    """The issued PDF is signed field after field, as incremental revisions (here with a
    throwaway certificate); every signature stays intact and valid to the end."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from evalapp.documents.signing import outside_event_loop

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Người Ký Thử")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(7)
                   .not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                   .sign(key, hashes.SHA256()))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    signer = signers.SimpleSigner.load(str(tmp_path / "key.pem"), str(tmp_path / "cert.pem"))

    built = build_round()
    pdf = issue(SYSTEM, built.round).pdf
    for field in ("sig-1", "sig-2", "sig-3", "sig-4"):
        output = io.BytesIO()
        pdf_signer = signers.PdfSigner(signers.PdfSignatureMetadata(field_name=field),
                                       signer=signer)
        # pyHanko runs its own event loop; a browser test in this process may hold one.
        outside_event_loop(pdf_signer.sign_pdf, IncrementalPdfFileWriter(io.BytesIO(pdf)),
                           output=output)
        pdf = output.getvalue()
    reader = PdfFileReader(io.BytesIO(pdf))
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(tmp_path / "cert.pem"))])
    embedded = reader.embedded_signatures
    assert [s.field_name for s in embedded] == ["sig-1", "sig-2", "sig-3", "sig-4"]
    for signature in embedded:
        status = outside_event_loop(validate_pdf_signature, signature, context)
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
