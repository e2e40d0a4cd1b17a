"""Fixtures of the signing and verification tests: a counted round whose minutes (issued by
evalapp.documents.services) have two signature blocks, the secretary's and the chair's; demo
certificates; and poppler's pdfsig with an NSS database that trusts the demo root."""

from __future__ import annotations

import io
import re
import secrets
import shutil
import subprocess
from datetime import date
from functools import lru_cache
from pathlib import Path

import pytest

from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM

CHAIR_NAME = "Trần Văn Chủ"
SECRETARY_NAME = "Đặng Thị Ánh"


@lru_cache(maxsize=1)
def foreign_pdf() -> bytes:
    """A PDF with two empty signature fields that the system never issued."""
    import weasyprint
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    html = ("<html><body><h1>Biên bản kiểm phiếu</h1>"
            f"<p>Chủ tọa: {CHAIR_NAME}. Thư ký: {SECRETARY_NAME}.</p></body></html>")
    rendered = weasyprint.HTML(string=html).write_pdf()
    writer = IncrementalPdfFileWriter(io.BytesIO(rendered))
    for name, box in (("sig-1", (60, 80, 280, 160)), ("sig-2", (315, 80, 535, 160))):
        fields.append_signature_field(writer, fields.SigFieldSpec(name, on_page=0, box=box))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def counted_round(factory, chair, secretary):
    from evalapp.ballots import builder
    from evalapp.ballots.models import RoundStatus

    unit = factory.unit("Ban Tổ chức")
    voters = [factory.person(f"Đào Văn Phiếu{i}", unit) for i in range(3)]
    candidate = factory.person("Hà Văn Ứng", unit)
    return builder.build(builder.RoundPlan(
        unit=unit, candidates=[candidate], voters=voters, title="Lấy phiếu tín nhiệm 2026",
        body_name="Tỉnh ủy Hòa Bình Xanh", place="Hội trường", meeting_date=date(2026, 12, 1),
        chair=chair, secretary=secretary), RoundStatus.COUNTED,
        ballots=[(voter, ["high"]) for voter in voters]).round


def stamp_text(pdf: bytes) -> str:
    """The PDF's text as poppler reads it, signature stamps included, in NFC and on one line."""
    import unicodedata

    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=pdf,
                         capture_output=True, check=True).stdout.decode("utf-8")
    return " ".join(unicodedata.normalize("NFC", out).split())


def slot_of(document, user):
    return next(slot for slot in document.slots if slot.signer_id == user.id)


@pytest.fixture
def signers(factory):
    chair = factory.user("chutoa", roles=(Role.SECRETARY,), full_name=CHAIR_NAME)
    secretary = factory.user("thuky1", roles=(Role.SECRETARY,), full_name=SECRETARY_NAME)
    return chair, secretary


@pytest.fixture
def minutes(factory, db, signers):
    """The round's vote-count minutes as the documents area issues them: one signature block
    for the secretary and one for the chair, every field in the first revision."""
    from evalapp.ballots.documents import DocumentKind
    from evalapp.documents.services import issue_document

    chair, secretary = signers
    round_ = counted_round(factory, chair, secretary)
    document = issue_document(SYSTEM, round_, DocumentKind.MINUTES)
    db.session.commit()
    return document


@pytest.fixture
def demo_pki(db, minutes):
    """Demo certificates for the round's officers (the chair and the secretary)."""
    from evalapp.documents.signing import create_demo_pki

    result = create_demo_pki(SYSTEM)
    db.session.commit()
    return result


def flip_byte_in_first_revision(pdf: bytes) -> bytes:
    """One bit changed inside the first page's content stream (signed by every signature)."""
    position = pdf.index(b"stream") + 40
    tampered = bytearray(pdf)
    tampered[position] ^= 0x01
    return bytes(tampered)


def sign_as(client, login_as, user, document, **form):
    """Log in as `user` and sign `document` through the signing page, confirming (unless the
    form says otherwise) that the document was read."""
    client.post("/logout")
    login_as(user)
    return client.post(f"/documents/{document.id}/sign", data={"confirm": "y", **form})


@pytest.fixture
def signed_minutes(app, db, client, minutes, demo_pki, signers, login_as):
    """The minutes after the chair, then the secretary, signed through the page."""
    chair, secretary = signers
    for user in (chair, secretary):
        response = sign_as(client, login_as, user, minutes)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    db.session.refresh(minutes)
    return minutes


# ---------------------------------------------------------------- poppler's pdfsig


@pytest.fixture
def nss_dir(app, tmp_path, demo_pki):
    """An NSS database trusting the demo root, or None when certutil is not installed."""
    if shutil.which("certutil") is None:
        return None
    directory = tmp_path / "nss"
    directory.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"],
                   check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{directory}", "-n", "evalapp-demo-root",
                    "-t", "CT,C,C", "-i", str(demo_pki.root_path)],
                   check=True, capture_output=True)
    return directory


def pdfsig(pdf: bytes, tmp_path: Path, nss: Path | None) -> list[dict[str, str]]:
    """pdfsig's verdict per signature field: {'field', 'signed', 'signature', 'certificate'}
    ('signed' False for a field pdfsig reports as "not signed")."""
    path = tmp_path / f"checked-{secrets.token_hex(4)}.pdf"
    path.write_bytes(pdf)
    args = ["pdfsig"] + (["-nssdir", f"sql:{nss}"] if nss else []) + [str(path)]
    output = subprocess.run(args, capture_output=True, text=True).stdout
    verdicts = []
    for block in re.split(r"^Signature #\d+:$", output, flags=re.M)[1:]:
        def value(label, text=block):
            found = re.search(rf"- {label}: (.*)$", text, flags=re.M)
            return found.group(1).strip() if found else ""
        verdicts.append({"field": value("Signature Field Name"),
                         "signed": "The signature form field is not signed." not in block,
                         "signature": value("Signature Validation"),
                         "certificate": value("Certificate Validation")})
    return verdicts
