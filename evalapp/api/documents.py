"""The documents of a round (minutes, blank ballots, result notices): listed and issued by those
who may issue them on the round page, fetched by whoever may download them there. Thin: every
rule is the engine's (evalapp.documents.services) or the round documents'
(evalapp.ballots.documents). A round, or a document of a round,
that the account may not see is 404, as elsewhere in the API."""

from __future__ import annotations

from typing import Annotated

from flask import url_for
from pydantic import Field

from evalapp.api.ballots import ballot_round_for
from evalapp.api.base import Out, Time, api_user, bad_field, body, endpoint
from evalapp.ballots import documents as round_documents
from evalapp.ballots.documents import DocumentKind
from evalapp.core.errors import NotAllowed
from evalapp.core.schemas import Id, Schema
from evalapp.documents import services as documents
from evalapp.documents.routes import pdf_response, public_base_url
from evalapp.extensions import db

TAG = ("documents",)
Hex64 = Annotated[str, Field(pattern="^[0-9a-f]{64}$")]
DOC_ID = {"name": "doc_id", "in": "path", "required": True,
          "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}
DOC_NOT_FOUND = "No such document, or the account may not see its round"


class Signature(Out):
    field_name: str
    position: int
    signer_id: int
    role_label: str
    signed_at: Time | None


class Document(Out):
    id: Annotated[str, Field(pattern="^[0-9a-f]{32}$")]
    kind: DocumentKind
    round_id: int
    candidate_id: int | None
    title: str
    number: str | None = Field(description="The number in the body's register, as printed: "
                                           "01/BB-SNV (state) or 01-BB/TU (Party); none for "
                                           "blank ballots")
    created_at: Time
    original_sha256: Hex64
    sha256: Hex64
    tally_fingerprint: Hex64 | None
    roll_fingerprint: Hex64
    signed: bool = Field(description="At least one block is signed")
    signatures_expected: int = Field(description="How many signature blocks the document has")
    signatures_made: int = Field(description="How many of them are signed")
    signatures: list[Signature]
    pdf_url: str


class RoundDocuments(Out):
    round_id: int
    items: list[Document]


class DocumentRequest(Schema):
    kind: DocumentKind
    candidate_id: Id | None = Field(None, description="The person a notice is for")


def document_out(document) -> Document:
    return Document(
        id=document.id, kind=document.kind, round_id=document.owner_id,
        candidate_id=document.subject_id, title=document.title,
        number=document.number.label if document.number else None,
        created_at=document.created_at, original_sha256=document.original_sha256,
        sha256=document.sha256, tally_fingerprint=document.tally_fingerprint,
        roll_fingerprint=document.roll_fingerprint, signed=documents.is_signed(document),
        signatures_expected=len(document.slots),
        signatures_made=sum(1 for s in document.slots if s.signed_at is not None),
        signatures=[Signature(field_name=s.field_name, position=s.position,
                              signer_id=s.signer_id, role_label=s.role_label,
                              signed_at=s.signed_at) for s in document.slots],
        pdf_url=url_for("api.document_pdf", doc_id=document.id))


def _issuing_round(round_id: int):
    round_ = ballot_round_for(round_id)
    if not round_documents.can_issue(api_user(), round_):
        raise NotAllowed()
    return round_


def _document(doc_id: str):
    return documents.downloadable(api_user(), doc_id)  # 404 when its owner is not seen, or 403


@endpoint("/ballot-rounds/<int:round_id>/documents", summary="The current documents of a round "
          "(minutes, blank ballots, result notices), for those who may issue them",
          ok=RoundDocuments, errors=(403, 404), tags=TAG)
def ballot_round_documents(round_id: int):
    round_ = _issuing_round(round_id)
    return RoundDocuments(round_id=round_.id, items=[
        document_out(d) for d in round_documents.round_documents(round_)])


@endpoint("/ballot-rounds/<int:round_id>/documents", "POST", summary="Issue a document of the "
          "round, or get the current one when nothing in it changed",
          description="Minutes and result notices once the round is counted; blank ballots once "
                      "it has left the draft. A signed document is never replaced. 201 with a "
                      "new document, 200 with the current one.", body=DocumentRequest,
          ok=Document, status=201, also={200: (Document, "The current document, unchanged")},
          errors=(400, 403, 404, 409, 422), tags=TAG)
def issue_ballot_round_document(round_id: int):
    round_ = _issuing_round(round_id)
    data = body()
    candidate = None
    if data.candidate_id is not None:
        candidate = next((c for c in round_.candidates if c.id == data.candidate_id), None)
        if candidate is None:
            raise bad_field("candidate_id", str(round_documents.NOT_ON_LIST))
    before = documents.current_document(round_, data.kind, candidate)
    document = round_documents.issue_document(api_user(), round_, data.kind, candidate,
                                              base_url=public_base_url())
    db.session.commit()
    if before is None or before.id != document.id:
        return document_out(document), 201, {"Location": url_for("api.document",
                                                                 doc_id=document.id)}
    return document_out(document), 200


@endpoint("/documents/<doc_id>", summary="One issued document: fingerprints, hashes and "
          "signature slots", ok=Document, errors={403: None, 404: DOC_NOT_FOUND}, tags=TAG,
          parameters=[DOC_ID])
def document(doc_id: str):
    return document_out(_document(doc_id))


@endpoint("/documents/<doc_id>/pdf", summary="The document's PDF as it is now, with every "
          "signature applied so far", media_type="application/pdf",
          errors={403: None, 404: DOC_NOT_FOUND}, tags=TAG, parameters=[DOC_ID])
def document_pdf(doc_id: str):
    return pdf_response(_document(doc_id))
