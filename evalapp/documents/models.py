"""Issued documents, their signature slots, the register of numbers, and the signers'
certificates.

A document is rendered once (its first revision carries every signature field, so that later
signatures never invalidate earlier ones); each signature is an incremental revision appended to
`pdf`. `original_sha256` identifies the document as issued, `sha256` its current revision.

A document is owned by an object of some area through a link (owner_type + owner_id, and
optionally subject_type + subject_id: see evalapp.documents.registry); its kind is a value an
area registered. No foreign key leads out of this area: the owning areas never delete an object
that owns a document (a round is never deleted; a person voted on leaves the list only while
the round is a draft, before any document exists).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from evalapp.core.time import utcnow
from evalapp.documents import registry
from evalapp.extensions import db


class KindColumn(TypeDecorator):
    """A kind of document: stored as its value, read back as the member of the enum of the area
    that registered it (or as the plain string, for a kind nobody registers any more)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else str(getattr(value, "value", value))

    def process_result_value(self, value, dialect):
        return registry.kind_from_value(value)


class _KindLabels(Mapping):
    """Every registered kind and its label (the audit trail names kinds through it)."""

    def __getitem__(self, kind):
        return registry.document_type(kind).label

    def __iter__(self) -> Iterator:
        return iter([t.kind for t in registry.document_types()])

    def __len__(self) -> int:
        return len(registry.document_types())


KIND_LABELS = _KindLabels()


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
    """A number in an issuing body's register (sổ đăng ký văn bản): numbers run 1, 2, 3 … per
    register (the body: register_type + register_id, e.g. a unit) and year, restarting each
    year. A document that replaces an unsigned one of the same owner, kind and subject keeps its
    number; `label` is the number as printed ("01/BB-SNV", or "01-BB/TU" for a Party body)."""

    __tablename__ = "document_number"
    __table_args__ = (UniqueConstraint("register_type", "register_id", "year", "number"),
                      CheckConstraint("number > 0", name="number_positive"),
                      CheckConstraint("(subject_type IS NULL) = (subject_id IS NULL)",
                                      name="subject_link"),
                      Index(None, "owner_type", "owner_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_type: Mapped[str] = mapped_column(String(40))
    register_id: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(KindColumn())
    label: Mapped[str] = mapped_column(String(80))
    owner_type: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int] = mapped_column(Integer)
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IssuedDocument(db.Model):
    __tablename__ = "issued_document"
    __table_args__ = (CheckConstraint("(subject_type IS NULL) = (subject_id IS NULL)",
                                      name="subject_link"),
                      Index(None, "owner_type", "owner_id"))
    audit_type = "document"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, printed in the QR
    kind: Mapped[str] = mapped_column(KindColumn())
    # The owner (an object of the area that registered the kind) and the subject inside it.
    owner_type: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int] = mapped_column(Integer)
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    # What the document certifies (DocumentPlan): the counts it reports, the people it covers.
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
    # A document of a numbered kind carries a number of its body's register.
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


class PreparedFile(db.Model):
    """A file prepared in the background for the one who asked (evalapp.documents.prepared):
    a print too long for one request, e.g. every form of a round. The file itself is on disk in
    the instance folder (not in the database, so backups never carry a print), deleted with
    its row after PREPARED_FILE_HOURS."""

    __tablename__ = "prepared_file"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')",
                        name="prepared_status"),
        CheckConstraint("done >= 0 AND total >= 0 AND done <= total", name="progress"),
        Index(None, "owner_type", "owner_id"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: the file's name
    kind: Mapped[str] = mapped_column(String(40))  # a registered preparation
    owner_type: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int] = mapped_column(Integer)
    parameters_json: Mapped[str] = mapped_column(Text, default="{}")  # plain values
    requested_by_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    file_name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Moved on every step of the work: a file "running" whose heartbeat stopped was
    # interrupted (its server process ended) and is shown as failed.
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def parameters(self) -> dict:
        return json.loads(self.parameters_json or "{}")
