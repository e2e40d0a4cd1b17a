"""Issuing the documents of a round (the secretary's side), on the ballots blueprint (imported at
the end of evalapp/ballots/routes.py): a document by kind, every result notice and their ZIP,
the heading and date line, and signing everything of a round at once. Downloading, signing one
document and verifying are the document engine's pages (/documents/...).

A step that is not possible yet (minutes before counting, no place name for the date line) comes
back as a message on the round page, never as a bare error page."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import StringField, SubmitField

from evalapp.ballots import documents as services
from evalapp.ballots import services as ballots
from evalapp.ballots.forms import ActionForm
from evalapp.ballots.routes import bp
from evalapp.core.errors import DomainError, NotFound
from evalapp.core.forms import AppForm, max_length
from evalapp.core.schemas import id_number
from evalapp.core.web import public_base_url
from evalapp.documents.routes import zip_response
from evalapp.documents.signing_routes import sign_all_view
from evalapp.extensions import db


class DocumentDetailsForm(AppForm):
    """The heading's governing body line and the date line's place name of a round's
    documents, which those who issue them may set at any time."""

    governing_body_name = StringField(
        _l("Governing body"), validators=[max_length(300)],
        description=_l("Printed above the body, e.g. “UBND tỉnh Hòa Bình Xanh” above “Sở Nội "
                       "vụ”. Leave empty when the body has none above it."))
    locality = StringField(
        _l("Place name of the date line"), validators=[max_length(120)],
        description=_l("Printed as “Hòa Bình Xanh, ngày … tháng … năm …”. Left empty, it is "
                       "taken from the name of the body."))
    submit = SubmitField(_l("Save the heading and date line"))


@bp.app_template_global()
def round_documents(round_) -> list:
    """The current documents of a round, for the round page."""
    return services.round_documents(round_)


@bp.app_template_global()
def document_details_form(round_) -> DocumentDetailsForm:
    return DocumentDetailsForm(formdata=None, obj=round_)


@bp.app_template_global()
def document_locality(round_) -> str | None:
    """The place name the round's documents print in their date line, if one is known."""
    return services.locality_of(round_)


def back_to_documents(round_id: int):
    return redirect(url_for("ballots.round_page", round_id=round_id, _anchor="documents"))


def _issuing_round(round_id: int, *, posted: bool = True):
    round_ = ballots.visible_round(current_user, round_id)  # else 404, as on every round page
    if not services.can_issue(current_user, round_):
        abort(403)
    if posted and not ActionForm().validate_on_submit():
        abort(400)
    return round_


@bp.post("/ballots/<int:round_id>/documents/<any(minutes,ballots,notice,paper_log):kind>")
@login_required
def issue_document(round_id: int, kind: str):
    """Issue a document (or reuse the current one when nothing changed) and download it."""
    round_ = _issuing_round(round_id)
    candidate = None
    if kind == services.DocumentKind.RESULT_NOTICE.value:
        candidate_id = request.form.get("candidate_id", type=id_number)
        candidate = next((c for c in round_.candidates if c.id == candidate_id), None)
        if candidate_id is not None and candidate is None:
            raise NotFound(services.NOT_ON_LIST)
    try:
        document = services.issue_document(current_user, round_, services.DocumentKind(kind),
                                           candidate, base_url=public_base_url())
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
    return redirect(url_for("ballots.notices_zip", round_id=round_id))


@bp.get("/ballots/<int:round_id>/documents/notices.zip")
@login_required
def notices_zip(round_id: int):
    round_ = _issuing_round(round_id, posted=False)
    notices = services.current_notices(round_)
    if not notices:
        flash(_("No result notice has been issued for this round yet."), "warning")
        return back_to_documents(round_id)
    return zip_response(services.notices_zip(notices), services.notices_zip_name(round_))


@bp.post("/ballots/<int:round_id>/documents/details")
@login_required
def document_details(round_id: int):
    """The governing body line and the place name of the date line of the round's documents."""
    round_ = _issuing_round(round_id, posted=False)
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


@bp.route("/ballots/<int:round_id>/documents/sign-all", methods=["GET", "POST"])
@login_required
def sign_all_documents(round_id: int):
    """Every document of the round waiting for the user's signature, signed in one step."""
    return sign_all_view(_issuing_round(round_id, posted=False))
