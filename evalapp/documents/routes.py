"""Issuing and downloading the documents of a round (the secretary's side). Signing and
verification pages live in signing_routes, on the same blueprint.

A step that is not possible yet (minutes before counting, no place name for the date line) comes
back as a message on the round page, never as a bare error page."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from evalapp.ballots import services as ballots
from evalapp.ballots.forms import ActionForm
from evalapp.core.errors import DomainError, NotFound
from evalapp.core.web import public_base_url  # noqa: F401  (the API imports it from here)
from evalapp.documents import services
from evalapp.documents.forms import DocumentDetailsForm
from evalapp.documents.models import DocumentKind
from evalapp.extensions import db

bp = Blueprint("documents", __name__)


@bp.app_template_global()
def round_documents(round_) -> list:
    """The current documents of a round, for the round page."""
    return services.round_documents(round_)


@bp.app_template_global()
def signer_readiness(user):
    """Whether `user` can sign now and why not (evalapp.documents.signing.readiness), once per
    request and user."""
    from evalapp.documents.signing import readiness

    cache = request.environ.setdefault("evalapp.signer_readiness", {})
    if user.id not in cache:
        cache[user.id] = readiness(user)
    return cache[user.id]


@bp.app_template_global()
def documents_awaiting(user, round_=None) -> list:
    """The current documents with a block `user` has still to sign (of `round_`, or all)."""
    return services.awaiting_signature(user, round_)


@bp.app_template_global()
def document_details_form(round_) -> DocumentDetailsForm:
    return DocumentDetailsForm(formdata=None, obj=round_)


@bp.app_template_global()
def document_locality(round_) -> str | None:
    """The place name the round's documents print in their date line, if one is known."""
    return services.locality_of(round_)


@bp.app_template_global()
def document_download_name(document) -> str:
    return services.download_name(document)


def back_to_documents(round_id: int):
    return redirect(url_for("ballots.round_page", round_id=round_id, _anchor="documents"))


def _issuing_round(round_id: int):
    round_ = ballots.visible_round(current_user, round_id)  # else 404, as on every round page
    if not services.can_issue(current_user, round_):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    return round_


@bp.post("/ballots/<int:round_id>/documents/<any(minutes,ballots,notice):kind>")
@login_required
def issue(round_id: int, kind: str):
    """Issue a document (or reuse the current one when nothing changed) and download it."""
    round_ = _issuing_round(round_id)
    candidate = None
    if kind == DocumentKind.RESULT_NOTICE.value:
        candidate_id = request.form.get("candidate_id", type=int)
        candidate = next((c for c in round_.candidates if c.id == candidate_id), None)
        if candidate_id is not None and candidate is None:
            raise NotFound(services.NOT_ON_LIST)
    try:
        document = services.issue_document(current_user, round_, DocumentKind(kind), candidate,
                                           base_url=public_base_url())
    except DomainError as error:
        db.session.rollback()
        flash(error.text(), "danger")
        return back_to_documents(round_id)
    db.session.commit()
    return redirect(url_for("documents.download", doc_id=document.id))


@bp.post("/ballots/<int:round_id>/documents/notices")
@login_required
def issue_notices(round_id: int):
    """The result notice of every person voted on, in one go; then the ZIP of them all."""
    round_ = _issuing_round(round_id)
    try:
        services.issue_all_notices(current_user, round_, base_url=public_base_url())
    except DomainError as error:
        db.session.rollback()
        flash(error.text(), "danger")
        return back_to_documents(round_id)
    db.session.commit()
    return redirect(url_for("documents.notices_zip", round_id=round_id))


@bp.get("/ballots/<int:round_id>/documents/notices.zip")
@login_required
def notices_zip(round_id: int):
    round_ = ballots.visible_round(current_user, round_id)  # else 404, as on every round page
    if not services.can_issue(current_user, round_):
        abort(403)
    notices = [d for d in services.round_documents(round_)
               if d.kind is DocumentKind.RESULT_NOTICE]
    if not notices:
        flash(_("No result notice has been issued for this round yet."), "warning")
        return back_to_documents(round_id)
    return Response(services.notices_zip(notices), mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{services.notices_zip_name(round_)}"',
        "Cache-Control": "no-store"})


@bp.post("/ballots/<int:round_id>/documents/details")
@login_required
def document_details(round_id: int):
    """The governing body line and the place name of the date line of the round's documents."""
    round_ = ballots.visible_round(current_user, round_id)  # else 404, as on every round page
    if not services.can_issue(current_user, round_):
        abort(403)
    form = DocumentDetailsForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "danger")
        return back_to_documents(round_id)
    services.update_document_details(current_user, round_,
                                     governing_body_name=form.governing_body_name.data,
                                     locality=form.locality.data)
    db.session.commit()
    flash(_("The heading and the date line of the documents have been saved. Documents not "
            "signed yet are issued anew with them, under the same number."), "success")
    return back_to_documents(round_id)


@bp.get("/documents/<doc_id>.pdf")
@login_required
def download(doc_id: str):
    """The document as it is now (with every signature applied so far)."""
    document = downloadable(doc_id)
    return pdf_response(document)


@bp.get("/documents/<doc_id>/preview.pdf")
@login_required
def preview(doc_id: str):
    """The same bytes shown inline, for the frame of the signing page: the only response that
    may be framed, and only by this site's own pages."""
    document = downloadable(doc_id)
    response = pdf_response(document, inline=True)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; object-src 'self'; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def downloadable(doc_id: str):
    """The document if the user may download it; 403 otherwise, and 404 when its round is one
    the user may not see (as the round's own pages are)."""
    document = services.get_document(doc_id)
    if not services.can_download(current_user, document):
        ballots.visible_round(current_user, document.round_id)
        abort(403)
    return document


def pdf_response(document, *, inline: bool = False) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(document.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'{disposition}; filename="{services.download_name(document)}"',
        "Cache-Control": "no-store"})


# Signing, certificates and verification pages (same blueprint, their own module), and the home
# page section of documents waiting for a signature.
from evalapp.documents import home, signing_routes  # noqa: E402,F401
