"""Downloading issued documents, and the template helpers of the documents of any owner. Signing
and verification pages live in signing_routes, on the same blueprint. Issuing is the owning
area's (e.g. /ballots/<id>/documents/... in evalapp.ballots.document_routes)."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required

from evalapp.core.web import public_base_url  # noqa: F401  (the API imports it from here)
from evalapp.documents import prepared, services

bp = Blueprint("documents", __name__)


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
def documents_awaiting(user, owner=None) -> list:
    """The current documents with a block `user` has still to sign (of `owner`, or all)."""
    return services.awaiting_signature(user, owner)


@bp.app_template_global()
def document_download_name(document) -> str:
    return services.download_name(document)


@bp.app_template_global()
def document_issuable(owner, kind) -> bool:
    """Whether the owner is at a stage where a document of `kind` can be issued: the pages ask
    this instead of comparing statuses."""
    return services.can_issue_now(owner, kind)


@bp.get("/documents/<doc_id>.pdf")
@login_required
def download(doc_id: str):
    """The document as it is now (with every signature applied so far)."""
    document = services.downloadable(current_user, doc_id)  # 404 or 403 otherwise
    return pdf_response(document)


@bp.get("/documents/<doc_id>/preview.pdf")
@login_required
def preview(doc_id: str):
    """The same bytes shown inline, for the frame of the signing page: the only response that
    may be framed, and only by this site's own pages."""
    document = services.downloadable(current_user, doc_id)  # 404 or 403 otherwise
    response = pdf_response(document, inline=True)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; object-src 'self'; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/documents/prepared/<file_id>")
@login_required
def prepared_file(file_id: str):
    """A file being prepared for the one who asked: its progress (the page reloads itself
    until it is finished), then the download."""
    view = prepared.own_file(current_user, file_id)  # 404 for anyone else
    return render_template("documents/prepared.html", view=view,
                           status_label=prepared.STATUS_LABELS[view.status],
                           hours=prepared.PREPARED_FILE_HOURS)


@bp.get("/documents/prepared/<file_id>/file")
@login_required
def prepared_download(file_id: str):
    view = prepared.own_file(current_user, file_id)  # 404 for anyone else
    return Response(prepared.content_of(view), mimetype=prepared.mimetype_of(view), headers={
        "Content-Disposition": f'attachment; filename="{view.file.file_name}"',
        "Cache-Control": "no-store"})


def pdf_response(document, *, inline: bool = False) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(document.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'{disposition}; filename="{services.download_name(document)}"',
        "Cache-Control": "no-store"})


def zip_response(data: bytes, name: str) -> Response:
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


# Signing, certificates and verification pages (same blueprint, their own module), and the home
# page section of documents waiting for a signature.
from evalapp.documents import home, signing_routes  # noqa: E402,F401
