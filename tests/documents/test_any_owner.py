"""A document owned by something other than a ballot round: the test registers its own owner (a
unit of the organisation, with a person of it as the subject), its own kind, its own signers and
its own rule of who may issue and read, and the engine renders, numbers (in the body's register
that the round's minutes use too), stores, signs twice with real pyHanko signatures that
poppler's pdfsig accepts, and verifies it, describing the owner as the registration does."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, FileSystemLoader
from sqlalchemy import select

from evalapp.audit.models import AuditEntry
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots.documents import DocumentKind
from evalapp.core.errors import NotAllowed, ValidationFailed
from evalapp.documents import registry, signing
from evalapp.documents import services as docs
from evalapp.documents.models import KIND_LABELS, DocumentNumber
from evalapp.documents.registry import (
    DocumentOwner,
    DocumentPlan,
    DocumentType,
    KindEnum,
    Signer,
)
from evalapp.documents.rendering import issuer_code, number_label, sha256_json
from evalapp.documents.signing import Verdict, verify_pdf
from evalapp.org.models import Person, Unit, UnitKind
from tests.documents.helpers import FIXED_CLOCK, PASSWORD, build_round
from tests.documents.pdftext import flat, pdf_text
from tests.documents.signing_fixtures import pdfsig

TEMPLATES = Path(__file__).parent / "templates"
OWNER_LABEL = "Đơn vị (thử nghiệm)"


class ReportKind(KindEnum):
    REPORT = "test.unit_report"


class UnitOwner(DocumentOwner):
    """A unit owns reports on its people: a clerk issues them, the head and the deputy sign
    them, and only the clerk and the people named in a report's blocks may read it."""

    key = "test_unit"
    model = Unit
    subjects = {"test_person": Person}
    label = OWNER_LABEL
    nothing_to_sign = "Không có báo cáo nào của đơn vị chờ bạn ký."

    def __init__(self, clerk, head, deputy):
        self.clerk_id, self.head, self.deputy = clerk.id, head, deputy

    def title(self, unit):
        return unit.name

    def can_issue(self, user, unit):
        return getattr(user, "id", None) == self.clerk_id

    def can_download(self, user, document, unit):
        user_id = getattr(user, "id", None)
        return self.can_issue(user, unit) or any(slot.signer_id == user_id
                                                 for slot in document.slots)

    def potential_signers(self, user_id=None):
        bodies = {self.head.id: "Sở Nội vụ", self.deputy.id: "Sở Nội vụ"}
        return {k: v for k, v in bodies.items() if user_id is None or k == user_id}

    def register(self, unit):
        return "unit", unit.id

    def number_label(self, unit, kind_code, number):
        return number_label(unit.kind.is_party, kind_code, issuer_code(unit.name, unit.code),
                            number)

    def document_date(self, unit):
        return date(2026, 12, 1)


class UnitReport(DocumentType):
    kind = ReportKind.REPORT
    owner = "test_unit"
    label = "Báo cáo thử nghiệm"
    number_code = "BC"
    file_prefix = "bao-cao-thu"

    def __init__(self, owner: UnitOwner):
        self.registered_owner = owner

    def check(self, unit, person):
        if person is None or person.unit_id != unit.id:
            raise ValidationFailed("Chọn một người của đơn vị.", field="person")

    def plan(self, unit, person):
        head, deputy = self.registered_owner.head, self.registered_owner.deputy
        return DocumentPlan(
            kind=self.kind, owner=unit, subject=person, template="test_unit_report.html",
            title=f"Báo cáo thử nghiệm: {person.full_name}",
            signers=[Signer("sig-1", 1, head.id, head.full_name, "Trưởng phòng"),
                     Signer("sig-2", 2, deputy.id, deputy.full_name, "Phó Trưởng phòng")],
            context={"body_name": "Sở Nội vụ", "governing_body_name": "UBND tỉnh Hòa Bình Xanh",
                     "is_party": False, "kind_code": "BC", "issuer_code": "SNV",
                     "locality": "Hòa Bình Xanh", "document_date": date(2026, 12, 1),
                     "unit_name": unit.name, "person_name": person.full_name,
                     "finding": "hoàn thành tốt nhiệm vụ."},
            tally_fingerprint=sha256_json({"person": person.id, "finding": "tốt"}))


@pytest.fixture
def unit_reports(app, db, factory):
    """A unit that holds a counted round too, the test owner and kind registered, and the
    report's template reachable; everything removed afterwards."""
    built = build_round(kind=UnitKind.DEPARTMENT, body_name="Sở Nội vụ", unit_code="SNV",
                        locality="Hòa Bình Xanh")
    clerk = factory.user("vanthu", roles=(), full_name="Lý Thị Văn Thư")
    head = factory.user("truongphong", roles=(), full_name="Ngô Quang Trưởng")
    deputy = factory.user("photruongphong", roles=(), full_name="Đinh Thị Phó")
    owner = registry.register_owner(UnitOwner(clerk, head, deputy))
    report = registry.register_document_type(UnitReport(owner))
    original_loader = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([original_loader, FileSystemLoader(str(TEMPLATES))])
    try:
        yield {"built": built, "unit": built.round.unit, "clerk": clerk, "head": head,
               "deputy": deputy, "owner": owner, "report": report,
               "person": built.round.active_candidates[0].person}
    finally:
        app.jinja_env.loader = original_loader
        registry.unregister_owner(UnitOwner.key)


def login(app, user):
    client = app.test_client()
    assert client.post("/login", data={"username": user.username,
                                       "password": PASSWORD}).status_code == 302
    return client


def trusting_nss(tmp_path) -> Path | None:
    """An NSS database trusting this instance's demo root, or None without certutil."""
    if shutil.which("certutil") is None:
        return None
    directory = tmp_path / "nss"
    directory.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"],
                   check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{directory}", "-n", "evalapp-demo-root",
                    "-t", "CT,C,C", "-i", str(signing.demo_root_path())],
                   check=True, capture_output=True)
    return directory


def test_a_document_of_another_owner_is_numbered_signed_twice_and_verified(
        app, db, unit_reports, tmp_path):
    unit, person = unit_reports["unit"], unit_reports["person"]
    head, deputy, clerk = unit_reports["head"], unit_reports["deputy"], unit_reports["clerk"]
    # The round's minutes take the first number of the body's register...
    round_ = unit_reports["built"].round
    minutes = docs.issue_document(SYSTEM, round_, DocumentKind.MINUTES,
                                  clock=lambda: FIXED_CLOCK)
    assert minutes.number.label == "01/BB-SNV"

    # ... and the unit's report the next one: one register per body and year, for every area.
    report = docs.issue_document(clerk, unit, ReportKind.REPORT, person,
                                 clock=lambda: FIXED_CLOCK, base_url="https://evalapp.example.vn/")
    db.session.commit()
    assert report.kind is ReportKind.REPORT and report.kind.label == "Báo cáo thử nghiệm"
    assert (report.owner_type, report.owner_id) == ("test_unit", unit.id)
    assert (report.subject_type, report.subject_id) == ("test_person", person.id)
    assert report.number.label == "02/BC-SNV"
    [number] = db.session.execute(select(DocumentNumber).where(
        DocumentNumber.owner_type == "test_unit")).scalars().all()
    assert (number.register_type, number.register_id, number.year, number.number) == (
        "unit", minutes.number.register_id, 2026, 2)
    assert docs.owner_documents(unit) == [report]
    assert KIND_LABELS[ReportKind.REPORT] == "Báo cáo thử nghiệm"
    assert [(s.field_name, s.signer_id, s.role_label) for s in report.slots] == [
        ("sig-1", head.id, "Trưởng phòng"), ("sig-2", deputy.id, "Phó Trưởng phòng")]
    assert docs.download_name(report) == (
        f"bao-cao-thu-so-02-bc-snv-{unit.id}-{report.id[:8]}-chua-ky.pdf")
    [entry] = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "document.issued", AuditEntry.target_id == report.id)).scalars()
    details = json.loads(entry.details)
    assert (details["document_owner"], details["document_subject"]) == (
        f"test_unit:{unit.id}", f"test_person:{person.id}")

    # Rendered by the engine from the area's template: heading, number, text, QR address.
    words = flat(pdf_text(report.pdf))
    assert "UBND TỈNH HÒA BÌNH XANH" in words and "SỞ NỘI VỤ" in words
    assert "Số: 02/BC-SNV" in words and "Hòa Bình Xanh, ngày 01 tháng 12 năm 2026" in words
    assert f"Về đồng chí {person.full_name}: hoàn thành tốt nhiệm vụ." in words
    assert f"https://evalapp.example.vn/documents/verify/{report.id}" in words
    assert verify_pdf(report.pdf).verdict is Verdict.UNSIGNED

    # Demo certificates for the signers the owner names; the head signs on the signing page,
    # the deputy finds the report waiting on the home page and signs it too.
    signing.create_demo_pki(SYSTEM)
    db.session.commit()
    head_client = login(app, head)
    page = head_client.get(f"/documents/{report.id}/sign").get_data(as_text=True)
    assert OWNER_LABEL in page and unit.name in page and "02/BC-SNV" in page
    response = head_client.post(f"/documents/{report.id}/sign", data={"confirm": "y"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = login(app, deputy).get("/").get_data(as_text=True)
    assert 'id="home-awaiting"' in home and unit.name in home
    assert f'href="/documents/{report.id}/sign"' in home
    signing.sign_document(deputy, docs.get_document(report.id))
    db.session.commit()
    db.session.refresh(report)

    report_check = verify_pdf(report.pdf)
    assert report_check.verdict is Verdict.OK and report_check.ok
    assert [s.signer_name for s in report_check.signatures] == [head.full_name,
                                                               deputy.full_name]
    assert (report_check.owner_type, report_check.owner_id) == ("test_unit", unit.id)
    assert (report_check.owner_label, report_check.owner_title) == (OWNER_LABEL, unit.name)
    assert report_check.tally_fingerprint == report.tally_fingerprint is not None
    assert docs.download_name(report).endswith("-da-ky-2-tren-2.pdf")

    nss = trusting_nss(tmp_path)
    verdicts = pdfsig(report.pdf, tmp_path, nss)
    assert [v["field"] for v in verdicts] == ["sig-1", "sig-2"]
    assert all(v["signed"] and v["signature"] == "Signature is Valid." for v in verdicts)
    if nss is not None:
        assert all(v["certificate"] == "Certificate is Trusted." for v in verdicts)

    # The verification page and the command describe the owner through its registration.
    page = app.test_client().get(f"/documents/verify/{report.id}").get_data(as_text=True)
    assert 'data-verdict="ok"' in page and OWNER_LABEL in page and unit.name in page
    path = tmp_path / "bao-cao.pdf"
    path.write_bytes(report.pdf)
    result = app.test_cli_runner().invoke(args=["documents", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{OWNER_LABEL}: {unit.id} {unit.name}" in result.output


def test_the_owner_decides_who_issues_and_who_reads(app, db, unit_reports, factory):
    unit, person = unit_reports["unit"], unit_reports["person"]
    head, clerk = unit_reports["head"], unit_reports["clerk"]
    outsider = factory.user("nguoingoai", roles=())
    for someone in (head, outsider):
        with pytest.raises(NotAllowed):
            docs.issue_document(someone, unit, ReportKind.REPORT, person)
    other_unit_person = factory.person("Trương Văn Khác")
    with pytest.raises(ValidationFailed):
        docs.issue_document(clerk, unit, ReportKind.REPORT, other_unit_person)
    with pytest.raises(ValueError):  # a kind of another owner
        docs.issue_document(clerk, unit, DocumentKind.MINUTES)
    db.session.rollback()

    report = docs.issue_document(clerk, unit, ReportKind.REPORT, person)
    db.session.commit()
    assert docs.issue_document(clerk, unit, ReportKind.REPORT, person).id == report.id
    assert docs.can_download(clerk, report) and docs.can_download(head, report)
    assert not docs.can_download(outsider, report)
    assert login(app, head).get(f"/documents/{report.id}.pdf").status_code == 200
    assert login(app, outsider).get(f"/documents/{report.id}.pdf").status_code == 403
    assert login(app, outsider).get(f"/documents/{report.id}/sign").status_code == 403


def test_kinds_and_owners_are_registered_once(unit_reports):
    owner = unit_reports["owner"]

    class Impostor(DocumentType):
        kind = ReportKind.REPORT
        owner = "test_unit"
        label = "Một loại khác cùng giá trị"

    with pytest.raises(ValueError):
        registry.register_document_type(Impostor())

    class Orphan(DocumentType):
        kind = ReportKind.REPORT
        owner = "nobody"
        label = "Không có chủ"

    with pytest.raises(ValueError):
        registry.register_document_type(Orphan())
    with pytest.raises(ValueError):
        registry.document_type("no-such-kind")
    assert registry.owner_type_of(unit_reports["unit"]) is owner
    assert registry.kinds_of("test_unit") == [ReportKind.REPORT]
    assert registry.kind_from_value("test.unit_report") is ReportKind.REPORT
    assert registry.kind_from_value("retired-kind") == "retired-kind"
