"""The document engine: plan, render, number, fingerprint and store a document of any owner, list
an owner's documents, and say who may read them.

What a document shows, who signs it and who may issue it are asked of the area that owns it,
through what it registered (evalapp.documents.registry): this module imports no other area.
Rendering itself (the restricted fetcher, WeasyPrint, signature fields, Vietnamese formats) is
in evalapp.documents.rendering and re-exported here.

Services take the acting user and the objects, flush, write one audit entry and never commit.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from evalapp.audit.services import record
from evalapp.core.errors import DomainError, InvalidState, NotAllowed, NotFound
from evalapp.core.time import as_utc, utcnow
from evalapp.documents import registry
from evalapp.documents.models import DocumentNumber, IssuedDocument, SignatureSlot
from evalapp.documents.registry import (  # noqa: F401  (the engine's public names)
    DocumentOwner,
    DocumentPlan,
    DocumentType,
    KindEnum,
    OwnerView,
    Signer,
    register_document_type,
    register_owner,
)
from evalapp.documents.rendering import (  # noqa: F401  (the engine's public names)
    DEFAULT_PUBLIC_BASE_URL,
    DOCUMENT_LOCALE,
    STATIC_ORIGIN,
    VIETNAM_TIME,
    FieldPlacement,
    Formats,
    RenderedPdf,
    ResourceRefused,
    Stamp,
    abbreviation,
    issuer_code,
    locality_from_name,
    number_label,
    organ,
    qr_svg,
    render,
    render_pdf,
    render_source,
    sha256_json,
    slug,
    static_fetcher,
)
from evalapp.extensions import db

# ---------------------------------------------------------------- links


def owner_link(owner) -> tuple[str, int]:
    """(owner type, owner id) of a registered owner."""
    owner_type = registry.owner_type_of(owner)
    return owner_type.key, owner_type.id_of(owner)


def subject_link(owner, subject) -> tuple[str | None, int | None]:
    if subject is None:
        return None, None
    return registry.owner_type_of(owner).subject_link(subject)


def owner_of(document) -> object | None:
    """The object that owns `document` (an IssuedDocument or a DocumentNumber), if its area is
    registered and the object exists."""
    owner_type = registry.owner_type(document.owner_type)
    return owner_type.load(document.owner_id) if owner_type is not None else None


def subject_of(document) -> object | None:
    owner_type = registry.owner_type(document.owner_type)
    if owner_type is None:
        return None
    return owner_type.load_subject(document.subject_type, document.subject_id)


def owner_view(owner) -> OwnerView:
    return registry.owner_type_of(owner).view(owner)


def document_owner_view(document) -> OwnerView | None:
    """How the pages name the owner of `document` (None when its area is gone)."""
    owner = owner_of(document)
    return owner_view(owner) if owner is not None else None


def _link_filter(model, owner, kind=None, subject=None, *, any_subject: bool = False):
    owner_type, owner_id = owner_link(owner)
    clauses = [model.owner_type == owner_type, model.owner_id == owner_id]
    if kind is not None:
        clauses.append(model.kind == registry.document_type(kind).kind)
    if not any_subject:
        subject_type, subject_id = subject_link(owner, subject)
        if subject_type is None:
            clauses.append(model.subject_id.is_(None))
        else:
            clauses += [model.subject_type == subject_type, model.subject_id == subject_id]
    return clauses


# ---------------------------------------------------------------- planning


def _typed(owner, kind) -> tuple[DocumentOwner, DocumentType]:
    """The registrations of `owner` and `kind`; ValueError when the kind is not the owner's."""
    owner_type = registry.owner_type_of(owner)
    document_type = registry.document_type(kind)
    if document_type.owner != owner_type.key:
        raise ValueError(f"{kind!r} is not a document of a {owner_type.key}")
    return owner_type, document_type


def plan_document(owner, kind, subject=None) -> DocumentPlan:
    """What a document of `kind` shows for `owner` (and `subject`) as it is now, in Vietnamese
    (no permission check)."""
    _owner_type, document_type = _typed(owner, kind)
    with force_locale(DOCUMENT_LOCALE):
        return document_type.plan(owner, subject)


def can_issue(user, owner) -> bool:
    """May `user` issue, list and sign all at once the documents of `owner` (asked of it)."""
    return registry.owner_type_of(owner).can_issue(user, owner)


def can_issue_now(owner, kind) -> bool:
    """Is `owner` at a stage where a document of `kind` can be issued (for the pages' buttons)."""
    try:
        registry.document_type(kind).ready(owner)
    except DomainError:
        return False
    return True


def downloadable(user, doc_id: str) -> IssuedDocument:
    """The document if `user` may read it; NotFound when its owner is one they may not see (as
    the owner's own pages answer), NotAllowed otherwise."""
    document = get_document(doc_id)
    if can_download(user, document):
        return document
    owner = owner_of(document)
    if owner is None or not registry.owner_type_of(owner).can_see(user, owner):
        raise NotFound(_l("This document does not exist."))
    raise NotAllowed()


def can_download(user, document: IssuedDocument) -> bool:
    """Asked of the owner: those who may issue its documents, and whoever else it lets read
    this one (the person a notice is addressed to)."""
    owner = owner_of(document)
    if owner is None:
        return False
    return registry.owner_type_of(owner).can_download(user, document, owner)


# ---------------------------------------------------------------- numbering


def allocate_number(owner, kind, subject, year: int) -> DocumentNumber:
    """The next number of the owner's register (DocumentOwner.register) for `year`: 1, 2, 3 …
    (UNIQUE in the database; a concurrent issue that took the same number makes this one take
    the next)."""
    owner_type = registry.owner_type_of(owner)
    document_type = registry.document_type(kind)
    register_type, register_id = owner_type.register(owner)
    subject_type, subject_id = subject_link(owner, subject)
    for _attempt in range(5):
        last = db.session.execute(
            select(func.max(DocumentNumber.number)).where(
                DocumentNumber.register_type == register_type,
                DocumentNumber.register_id == register_id, DocumentNumber.year == year)
        ).scalar()
        number = (last or 0) + 1
        label = owner_type.number_label(owner, document_type.number_code, number)
        row = DocumentNumber(register_type=register_type, register_id=register_id, year=year,
                             number=number, kind=document_type.kind, label=label[:80],
                             owner_type=owner_type.key, owner_id=owner_type.id_of(owner),
                             subject_type=subject_type, subject_id=subject_id,
                             created_at=utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
        except IntegrityError:
            continue
        return row
    raise InvalidState(_l("Another document was numbered at the same moment. Try again."))


# ---------------------------------------------------------------- issuing


def current_document(owner, kind, subject=None) -> IssuedDocument | None:
    """The latest issued document of this kind (and subject) of the owner."""
    query = select(IssuedDocument).where(*_link_filter(IssuedDocument, owner, kind, subject))
    return db.session.execute(query.order_by(IssuedDocument.created_at.desc(),
                                             IssuedDocument.id.desc()).limit(1)).scalar()


def is_signed(document: IssuedDocument) -> bool:
    return any(slot.signed_at is not None for slot in document.slots)


def issue_document(actor, owner, kind, subject=None, *,
                   clock: Callable[[], datetime] | None = None,
                   base_url: str | None = None) -> IssuedDocument:
    """Issue a document of the owner, or return the current one when nothing in it changed.

    A document any slot of which is signed is never replaced. An unsigned one whose content
    would change (a name corrected, more members present for the ballots) is superseded by a
    new document with a new id and the same number; the earlier one stays, so that a printed
    copy of it can still be traced. A numbered kind takes the next number of the owner's
    register for the year of the owner's document date (else of the issue day).
    """
    owner_type, document_type = _typed(owner, kind)
    if not owner_type.can_issue(actor, owner):
        raise NotAllowed()
    kind = document_type.kind
    document_type.check(owner, subject)
    # The configured public address always wins: what a document prints must never come from
    # a request (a Host header is the sender's choice). base_url is the development fallback.
    base_url = current_app.config.get("PUBLIC_BASE_URL") or base_url or DEFAULT_PUBLIC_BASE_URL
    plan = plan_document(owner, kind, subject)
    document_type.check_plan(plan)

    existing = current_document(owner, kind, subject)
    if existing is not None:
        if is_signed(existing):
            return existing
        label = existing.number.label if existing.number else None
        again = Stamp(existing.id, as_utc(existing.created_at), base_url, label)
        if existing.source_sha256:  # the same source gives the same bytes: no layout needed
            if plan.source_sha256(again) == existing.source_sha256:
                return existing
        elif hashlib.sha256(plan.render(again).pdf).hexdigest() == existing.original_sha256:
            return existing

    created = as_utc((clock or utcnow)()).replace(microsecond=0)
    number = None
    if document_type.number_code:
        year = (owner_type.document_date(owner) or Formats.local(created).date()).year
        if existing is not None and existing.number is not None and existing.number.year == year:
            number = existing.number
        else:
            number = allocate_number(owner, kind, subject, year)
    document_id = secrets.token_hex(16)
    rendered = plan.render(Stamp(document_id, created, base_url,
                                 number.label if number else None))
    placed = sorted(f.name for f in rendered.fields)
    wanted = sorted(s.field_name for s in plan.signers)
    if placed != wanted:  # a template that lost a block must never be issued
        raise RuntimeError(f"signature fields {placed} do not match the signers {wanted}")
    digest = hashlib.sha256(rendered.pdf).hexdigest()
    subject_type, subject_id = subject_link(owner, subject)
    document = IssuedDocument(
        id=document_id, kind=kind, owner_type=owner_type.key, owner_id=owner_type.id_of(owner),
        subject_type=subject_type, subject_id=subject_id, title=plan.title[:500],
        tally_fingerprint=plan.tally_fingerprint, roll_fingerprint=plan.roll_fingerprint,
        pdf=rendered.pdf, original_sha256=digest, sha256=digest,
        source_sha256=rendered.source_sha256,
        created_by_id=getattr(actor, "id", None), created_at=created, number=number,
        slots=[SignatureSlot(position=s.position, field_name=s.field_name, signer_id=s.user_id,
                             role_label=s.role_label[:120]) for s in plan.signers])
    db.session.add(document)
    db.session.flush()
    record(actor, "document.issued", document, kind=kind.value,
           **owner_type.audit_details(owner, subject), sha256=digest,
           number=number.label if number else None,
           tally_fingerprint=plan.tally_fingerprint, roll_fingerprint=plan.roll_fingerprint)
    return document


def has_signed(owner, kind) -> bool:
    """True once any signature is applied to a document of `kind` of the owner."""
    return bool(db.session.execute(select(exists().where(
        SignatureSlot.document_id == IssuedDocument.id,
        *_link_filter(IssuedDocument, owner, kind, any_subject=True),
        SignatureSlot.signed_at.is_not(None)))).scalar())


# ---------------------------------------------------------------- reading


def get_document(document_id: str) -> IssuedDocument:
    document = None
    if re.fullmatch(r"[0-9a-f]{32}", document_id or ""):
        document = db.session.get(IssuedDocument, document_id)
    if document is None:
        raise NotFound(_l("This document does not exist."))
    return document


def owner_documents(owner) -> list[IssuedDocument]:
    """The current document of each kind (and subject) of the owner: kinds in the order the
    area registered them, subjects in the owner's order (DocumentOwner.subject_position)."""
    owner_type = registry.owner_type_of(owner)
    everything = db.session.execute(
        select(IssuedDocument).where(*_link_filter(IssuedDocument, owner, any_subject=True))
        .order_by(IssuedDocument.created_at.desc(), IssuedDocument.id.desc())).scalars()
    current: dict[tuple, IssuedDocument] = {}
    for document in everything:
        current.setdefault((document.kind, document.subject_type, document.subject_id),
                           document)
    order = [str(kind) for kind in registry.kinds_of(owner_type.key)]

    def position(document: IssuedDocument) -> tuple[int, int]:
        kind = str(document.kind)
        return (order.index(kind) if kind in order else len(order),
                owner_type.subject_position(owner, document.subject_type, document.subject_id))

    return sorted(current.values(), key=position)


def signatures_made(document: IssuedDocument) -> int:
    return sum(1 for slot in document.slots if slot.signed_at is not None)


def own_unsigned_slots(user, document: IssuedDocument) -> list[SignatureSlot]:
    user_id = getattr(user, "id", None)
    return [slot for slot in document.slots
            if user_id is not None and slot.signer_id == user_id and slot.signed_at is None]


def awaiting_signature(user, owner=None) -> list[IssuedDocument]:
    """The current documents (of `owner`, or of every owner) with a block the user has still
    to sign: owners by kind of owner (as registered), the newest first, then each owner's
    documents as owner_documents orders them."""
    user_id = getattr(user, "id", None)
    if user_id is None:
        return []
    query = (select(IssuedDocument.owner_type, IssuedDocument.owner_id).join(SignatureSlot)
             .where(SignatureSlot.signer_id == user_id, SignatureSlot.signed_at.is_(None)))
    if owner is not None:
        query = query.where(*_link_filter(IssuedDocument, owner, any_subject=True))
    types = [t.key for t in registry.owner_types()]
    links = sorted({tuple(row) for row in db.session.execute(query)
                    if row[0] in types}, key=lambda link: (types.index(link[0]), -link[1]))
    waiting = []
    for owner_type_key, owner_id in links:
        found = registry.owner_type(owner_type_key).load(owner_id)
        if found is None:
            continue
        for document in owner_documents(found):
            if own_unsigned_slots(user, document):
                waiting.append(document)
    return waiting


def awaiting_by_owner(user) -> list[tuple[OwnerView, list[IssuedDocument]]]:
    """awaiting_signature(user), grouped by owner, in the same order."""
    groups: dict[tuple[str, int], list[IssuedDocument]] = {}
    for document in awaiting_signature(user):
        groups.setdefault((document.owner_type, document.owner_id), []).append(document)
    return [(document_owner_view(documents[0]), documents) for documents in groups.values()]


def download_name(document: IssuedDocument) -> str:
    """An ASCII file name that says what the file is and how far it is signed, so that the
    versions of one document never share a name:
    "bien-ban-kiem-phieu-so-01-bb-snv-12-3f2a9c1d-chua-ky.pdf", then "…-da-ky-1-tren-3.pdf",
    "…-da-ky-3-tren-3.pdf". A kind without signature blocks has no such ending. The first
    word is the kind's (DocumentType.file_prefix), the middle the owner's
    (DocumentOwner.file_name_parts)."""
    try:
        prefix = registry.document_type(document.kind).file_prefix
    except ValueError:
        prefix = "van-ban"
    parts = [prefix]
    if document.number is not None:
        parts.append("so-" + slug(document.number.label, 30))
    owner = owner_of(document)
    if owner is not None:
        parts += [part for part in registry.owner_type_of(owner).file_name_parts(document, owner)
                  if part]
    else:
        parts.append(str(document.owner_id))
    parts.append(document.id[:8])
    if document.slots:
        made = signatures_made(document)
        parts.append("chua-ky" if made == 0 else f"da-ky-{made}-tren-{len(document.slots)}")
    return "-".join(parts) + ".pdf"


def documents_zip(documents: Iterable[IssuedDocument]) -> bytes:
    """Documents as they are now, one PDF each under its download name, in one ZIP file: each
    keeps its own signature, which a merged PDF would lose. Entries are dated by their
    document, so the same documents give the same bytes."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for document in documents:
            local = Formats.local(document.created_at)
            info = zipfile.ZipInfo(download_name(document),
                                   date_time=(max(local.year, 1980), local.month, local.day,
                                              local.hour, local.minute, local.second))
            info.external_attr = 0o644 << 16
            archive.writestr(info, document.pdf)
    return buffer.getvalue()
