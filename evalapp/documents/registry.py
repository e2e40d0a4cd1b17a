"""What the document engine asks of the areas whose objects own documents.

A document is owned by an object of some area through a link: the owner's type (a short key,
e.g. "ballot_round") and its id, and optionally a *subject* inside that owner (its type and id:
the person voted on that a result notice is addressed to). The idea is Indico's `LinkMixin`
(a link type and the linked object's id); unlike Indico, the link carries no foreign key per
type, so the engine knows no area's tables and an area that arrives later adds no column here.

An area registers, at import time of its own module:

- one `DocumentOwner` per kind of owning object: how to load it, how to describe it (the
  verification page's "Round: …"), who may issue and download its documents, who may sign
  documents at all (demo certificates), whose register numbers them and how a number prints;
- one `DocumentType` per kind of document: its key (a member of the area's `KindEnum`), label,
  template, whether it takes a register number, when it may be issued, and its *plan*: the
  title, the signers and the template context of one document for one owner (and subject).

    class RoundOwner(DocumentOwner):
        key, model, label = "ballot_round", BallotRound, _l("Round")
        def title(self, owner): return owner.title
        def can_issue(self, user, owner): return can_count(user, owner)
        ...

    register_owner(RoundOwner())
    register_document_type(MinutesType())

This module imports no other area (tests/documents/test_boundaries.py checks it).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from flask import has_request_context
from flask_babel import lazy_gettext as _l

from evalapp.documents.rendering import RenderedPdf, Stamp, render, render_source
from evalapp.extensions import db

# ---------------------------------------------------------------- kinds


class KindEnum(enum.StrEnum):
    """The base of an area's kinds of document. The value is what the database stores (at
    most 40 characters, unique among every area's kinds: prefix new ones with the area,
    "evaluation.decision"); the label comes from the kind's registered DocumentType."""

    @property
    def label(self) -> str:
        registered = _TYPES.get(str(self.value))
        return str(registered.label) if registered is not None else str(self.value)


def kind_from_value(value: str | None):
    """The registered kind whose value is `value` (the area's enum member), else the string as
    stored: a document of a kind no area registers any more still loads."""
    if value is None:
        return None
    registered = _TYPES.get(str(value))
    return registered.kind if registered is not None else value


# ---------------------------------------------------------------- plans


@dataclass(frozen=True)
class Signer:
    """One signature block: its field (`sig-N`, an element of the template), who signs it, and
    as what. `roles` is for the area's own use (where a block stands on the page)."""

    field_name: str
    position: int
    user_id: int
    full_name: str
    role_label: str
    roles: tuple = ()


@dataclass
class DocumentPlan:
    """Everything needed to render one document and to record it: made by the DocumentType's
    plan(), rendered by the engine."""

    kind: Any
    owner: Any
    subject: Any
    title: str
    template: str
    signers: list[Signer] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    # What the document certifies, printed on it and stored with it (SHA-256 hex): the counts
    # it reports and the list of people it covers.
    tally_fingerprint: str | None = None
    roll_fingerprint: str | None = None

    def _arguments(self) -> dict[str, Any]:
        return dict(field_labels={s.field_name: f"{s.role_label}: {s.full_name}"
                                  for s in self.signers},
                    title=self.title, signers=self.signers,
                    tally_fingerprint=self.tally_fingerprint,
                    roll_fingerprint=self.roll_fingerprint, **self.context)

    def render(self, stamp: Stamp, url_fetcher=None) -> RenderedPdf:
        return render(self.template, stamp=stamp, url_fetcher=url_fetcher, **self._arguments())

    def source_sha256(self, stamp: Stamp) -> str:
        """What render() would be made of, without laying it out (see render_source)."""
        return render_source(self.template, stamp=stamp, **self._arguments())[1]


# ---------------------------------------------------------------- owners


@dataclass(frozen=True)
class OwnerView:
    """An owner as the engine's pages show it (the signing page, the home page, the
    verification report)."""

    type: str
    id: int
    label: str            # what it is: "Đợt lấy phiếu"
    title: str            # which one: the round's title
    url: str | None       # its page
    documents_url: str | None  # where its documents are listed
    sign_all_url: str | None   # where a signer signs everything of it at once
    nothing_to_sign: str


class DocumentOwner:
    """The questions the engine asks an area about objects that own documents. Subclass it,
    set `key`, `model`, `label` (and `subjects` when documents address someone inside the
    owner), answer title() and can_issue(), and register an instance with register_owner()."""

    key: ClassVar[str] = ""            # stored as IssuedDocument.owner_type (≤ 40 characters)
    model: ClassVar[type] = object     # the owner's class
    subjects: ClassVar[Mapping[str, type]] = {}  # subject type key -> class
    label: ClassVar[Any] = _l("Owner")  # what the owner is, for "Round: <title>"
    nothing_to_sign: ClassVar[Any] = _l("No document here is waiting for your signature.")

    # identity
    def id_of(self, owner) -> int:
        return owner.id

    def load(self, owner_id: int):
        return db.session.get(self.model, owner_id)

    def subject_link(self, subject) -> tuple[str, int]:
        for key, model in self.subjects.items():
            if isinstance(subject, model):
                return key, subject.id
        raise TypeError(f"{type(subject).__name__} is not a subject of {self.key} documents")

    def load_subject(self, subject_type: str | None, subject_id: int | None):
        model = self.subjects.get(subject_type or "")
        return db.session.get(model, subject_id) if model and subject_id is not None else None

    # description
    def title(self, owner) -> str:
        raise NotImplementedError

    def url(self, owner) -> str | None:
        return None

    def documents_url(self, owner) -> str | None:
        return self.url(owner)

    def sign_all_url(self, owner) -> str | None:
        return None

    # permissions
    def can_issue(self, user, owner) -> bool:
        """May `user` issue the owner's documents, list them and sign them all at once."""
        raise NotImplementedError

    def can_download(self, user, document, owner) -> bool:
        """May `user` read this document of the owner (and open its signing page)."""
        return self.can_issue(user, owner)

    def can_see(self, user, owner) -> bool:
        """May `user` know the owner exists? A document of an owner one may not see is 404,
        as the owner's own pages are; one of an owner one sees but may not read is 403."""
        return True

    # who signs documents at all (demo certificates, the demo certificate button)
    def potential_signers(self, user_id: int | None = None) -> dict[int, str | None]:
        """Users who sign this area's documents, by id, with the name of the body their
        certificate should name (None: unknown); only `user_id` when it is given."""
        return {}

    def default_body_name(self) -> str | None:
        """The body a demo certificate names when nothing more specific is known."""
        return None

    # the register (sổ đăng ký văn bản)
    def register(self, owner) -> tuple[str, int]:
        """Whose register numbers the owner's documents: (type, id) of the issuing body."""
        return self.key, self.id_of(owner)

    def number_label(self, owner, kind_code: str, number: int) -> str:
        """The number as printed after "Số" ("01/BB-SNV")."""
        return f"{number:02d}/{kind_code}"

    def document_date(self, owner) -> date | None:
        """The date the owner's documents bear (their number's year); None: the issue day."""
        return None

    # listing, files, the audit trail
    def subject_position(self, owner, subject_type: str | None, subject_id: int | None) -> int:
        return 0

    def file_name_parts(self, document, owner) -> list[str]:
        """What the download name says between the number and the document id."""
        return [str(document.owner_id)]

    def audit_details(self, owner, subject) -> dict[str, Any]:
        """How "document.issued" names the owner and the subject in the audit trail (by
        default "type:id"; an area may name them by its own keys, as rounds do)."""
        details: dict[str, Any] = {"document_owner": f"{self.key}:{self.id_of(owner)}"}
        if subject is not None:
            details["document_subject"] = "{}:{}".format(*self.subject_link(subject))
        return details

    def view(self, owner) -> OwnerView:
        """The owner as pages show it; outside a request (a command) without its addresses."""
        linked = has_request_context()
        return OwnerView(type=self.key, id=self.id_of(owner), label=str(self.label),
                         title=self.title(owner), url=self.url(owner) if linked else None,
                         documents_url=self.documents_url(owner) if linked else None,
                         sign_all_url=self.sign_all_url(owner) if linked else None,
                         nothing_to_sign=str(self.nothing_to_sign))


# ---------------------------------------------------------------- kinds of document


class DocumentType:
    """One kind of document of one kind of owner. Subclass it, set the class attributes,
    write plan(), and register an instance with register_document_type()."""

    kind: ClassVar[KindEnum]
    owner: ClassVar[str]                 # the DocumentOwner's key
    label: ClassVar[Any]
    number_code: ClassVar[str | None] = None  # "BB": takes the next number of the register
    file_prefix: ClassVar[str] = "van-ban"    # the download name's first word

    def ready(self, owner) -> None:
        """Raise InvalidState when the owner is not at a stage where this kind can be issued
        (asked by the pages too, to offer the button only when it would work)."""

    def check(self, owner, subject) -> None:
        """Raise a domain error when this document cannot be issued for `subject` now."""
        self.ready(owner)

    def plan(self, owner, subject) -> DocumentPlan:
        """What the document shows for the owner as it is now (no permission check)."""
        raise NotImplementedError

    def check_plan(self, plan: DocumentPlan) -> None:
        """Raise a domain error when the planned document cannot be issued (no signer...)."""


# ---------------------------------------------------------------- the registry

_OWNERS: dict[str, DocumentOwner] = {}
_TYPES: dict[str, DocumentType] = {}


def register_owner(owner: DocumentOwner) -> DocumentOwner:
    if not owner.key or len(owner.key) > 40:
        raise ValueError("an owner's key is 1 to 40 characters")
    known = _OWNERS.get(owner.key)
    if known is not None and type(known) is not type(owner):
        raise ValueError(f"documents owner {owner.key!r} is registered twice")
    _OWNERS[owner.key] = owner
    return owner


def register_document_type(document_type: DocumentType) -> DocumentType:
    value = str(document_type.kind.value)
    if len(value) > 40:
        raise ValueError("a kind's value is at most 40 characters")
    if document_type.owner not in _OWNERS:
        raise ValueError(f"register the owner {document_type.owner!r} before its documents")
    known = _TYPES.get(value)
    if known is not None and type(known) is not type(document_type):
        raise ValueError(f"document kind {value!r} is registered twice")
    _TYPES[value] = document_type
    return document_type


def unregister_owner(key: str) -> None:
    """Remove an owner and its kinds (tests that register their own)."""
    for value in [v for v, t in _TYPES.items() if t.owner == key]:
        del _TYPES[value]
    _OWNERS.pop(key, None)


def owner_types() -> list[DocumentOwner]:
    return list(_OWNERS.values())


def owner_type(key: str) -> DocumentOwner | None:
    return _OWNERS.get(key)


def owner_type_of(owner) -> DocumentOwner:
    """The registration of `owner`'s class."""
    for registered in _OWNERS.values():
        if isinstance(owner, registered.model):
            return registered
    raise TypeError(f"{type(owner).__name__} owns no documents (no DocumentOwner registered)")


def document_types() -> list[DocumentType]:
    return list(_TYPES.values())


def document_type(kind) -> DocumentType:
    """The registration of `kind` (its enum member or value); ValueError when unknown."""
    registered = _TYPES.get(str(getattr(kind, "value", kind)))
    if registered is None:
        raise ValueError(f"{kind!r} is not a registered kind of document")
    return registered


def kinds_of(owner_key: str) -> list:
    """The kinds of an owner, in the order they were registered (the order of its list)."""
    return [t.kind for t in _TYPES.values() if t.owner == owner_key]
