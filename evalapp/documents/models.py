"""Issued documents, their signature slots, and the signers' certificates.

A document is rendered once (its first revision carries every signature field, so that later
signatures never invalidate earlier ones); each signature is an incremental revision appended to
`pdf`. `original_sha256` identifies the document as issued, `sha256` its current revision.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalapp.core.time import utcnow
from evalapp.extensions import db
from evalapp.org.models import _enum


class DocumentKind(enum.StrEnum):
    MINUTES = "minutes"          # biên bản kiểm phiếu
    BLANK_BALLOTS = "ballots"    # phiếu lấy phiếu tín nhiệm (blank, numbered)
    RESULT_NOTICE = "notice"     # thông báo kết quả to one person voted on

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    DocumentKind.MINUTES: _l("Vote-count minutes"),
    DocumentKind.BLANK_BALLOTS: _l("Blank ballots"),
    DocumentKind.RESULT_NOTICE: _l("Result notice"),
}


class SigningCertificate(db.Model):
    """A signer's certificate and private key (PKCS#12), encrypted with the app's signing key.

    `user_id` None: the body's certificate, used for signers who have none of their own.
    """

    __tablename__ = "signing_certificate"
    audit_type = "signing_certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    label: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(500))
    issuer: Mapped[str] = mapped_column(String(500))
    serial_hex: Mapped[str] = mapped_column(String(80))
    not_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sha256_fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    encrypted_pkcs12: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DocumentNumber(db.Model):
    """A number in the issuing body's register (sổ đăng ký văn bản): numbers run 1, 2, 3 … per
    body (the round's unit) and year, restarting each year. A document that replaces an
    unsigned one of the same round, kind and person keeps its number; `label` is the number as
    printed ("01/BB-SNV", or "01-BB/TU" for a Party body)."""

    __tablename__ = "document_number"
    __table_args__ = (UniqueConstraint("unit_id", "year", "number"),
                      CheckConstraint("number > 0", name="number_positive"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[DocumentKind] = mapped_column(_enum(DocumentKind, "document_kind"))
    label: Mapped[str] = mapped_column(String(80))
    round_id: Mapped[int] = mapped_column(ForeignKey("ballot_round.id", ondelete="RESTRICT"),
                                          index=True)
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("ballot_candidate.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IssuedDocument(db.Model):
    __tablename__ = "issued_document"
    audit_type = "document"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, printed in the QR
    kind: Mapped[DocumentKind] = mapped_column(_enum(DocumentKind, "document_kind"))
    round_id: Mapped[int] = mapped_column(ForeignKey("ballot_round.id", ondelete="RESTRICT"),
                                          index=True)
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("ballot_candidate.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(500))
    tally_fingerprint: Mapped[str | None] = mapped_column(String(64))
    roll_fingerprint: Mapped[str | None] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    original_sha256: Mapped[str] = mapped_column(String(64), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # What the first revision was rendered from (services.render_source): asking for the
    # document again compares this instead of laying the PDF out again.
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Minutes and notices carry a number of the body's register; blank ballots do not.
    number_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_number.id", ondelete="RESTRICT"), index=True)

    number: Mapped[DocumentNumber | None] = relationship()
    slots: Mapped[list[SignatureSlot]] = relationship(
        back_populates="document", order_by="SignatureSlot.position",
        cascade="all, delete-orphan")


class SignatureSlot(db.Model):
    """One signature block of a document: who signs it, and when they did."""

    __tablename__ = "signature_slot"
    __table_args__ = (UniqueConstraint("document_id", "field_name"),
                      CheckConstraint("(signed_at IS NULL) = (certificate_id IS NULL)",
                                      name="signed_with_certificate"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("issued_document.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    field_name: Mapped[str] = mapped_column(String(64))
    signer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    role_label: Mapped[str] = mapped_column(String(120))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("signing_certificate.id", ondelete="RESTRICT"))

    document: Mapped[IssuedDocument] = relationship(back_populates="slots")
    signer = relationship("User")
    certificate: Mapped[SigningCertificate | None] = relationship()
