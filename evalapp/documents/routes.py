"""Issuing and downloading the documents of a round (the secretary's side). Signing and
verification pages live in signing_routes, on the same blueprint."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from flask_login import current_user, login_required

from evalapp.ballots import services as ballots
from evalapp.ballots.forms import ActionForm
from evalapp.core.errors import NotFound
from evalapp.documents import services
from evalapp.documents.models import DocumentKind
from evalapp.extensions import db

bp = Blueprint("documents", __name__)


def public_base_url() -> str:
    """The address printed in the QR codes: PUBLIC_BASE_URL when set (always, in production:
    the Host header of a request is not to be trusted with what goes on an official document),
    else the address this request came to."""
    return current_app.config.get("PUBLIC_BASE_URL") or request.host_url


@bp.app_template_global()
def round_documents(round_) -> list:
    """The current documents of a round, for the round page."""
    return services.round_documents(round_)


@bp.post("/ballots/<int:round_id>/documents/<any(minutes,ballots,notice):kind>")
@login_required
def issue(round_id: int, kind: str):
    """Issue a document (or reuse the current one when nothing changed) and download it."""
    round_ = ballots.get_round(round_id)
    if not services.can_issue(current_user, round_):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    candidate = None
    if kind == DocumentKind.RESULT_NOTICE.value:
        candidate_id = request.form.get("candidate_id", type=int)
        candidate = next((c for c in round_.candidates if c.id == candidate_id), None)
        if candidate_id is not None and candidate is None:
            raise NotFound(services.NOT_ON_LIST)
    document = services.issue_document(current_user, round_, DocumentKind(kind), candidate,
                                       base_url=public_base_url())
    db.session.commit()
    return redirect(url_for("documents.download", doc_id=document.id))


@bp.get("/documents/<doc_id>.pdf")
@login_required
def download(doc_id: str):
    """The document as it is now (with every signature applied so far)."""
    document = services.get_document(doc_id)
    if not services.can_download(current_user, document):
        abort(403)
    return pdf_response(document)


def pdf_response(document) -> Response:
    return Response(document.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{services.download_name(document)}"',
        "Cache-Control": "no-store"})


# Signing, certificates and verification pages (same blueprint, their own module).
from evalapp.documents import signing_routes  # noqa: E402,F401
