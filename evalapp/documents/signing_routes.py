"""Pages for signing and verifying documents, on the documents blueprint (imported at the end of
evalapp/documents/routes.py): the signing page of one document (preview, then a confirmed
signature), signing everything of a round at once, the demo certificate of development, the
certificates page of the administrators, and the verification pages anyone may open without
logging in."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from evalapp.auth.permissions import can_manage_accounts
from evalapp.ballots import services as ballots
from evalapp.core.errors import DomainError
from evalapp.core.forms import AppForm, attach_error
from evalapp.core.web import is_safe_next
from evalapp.documents import services, signing
from evalapp.documents.forms import (
    CertificateForm,
    DemoCertificateForm,
    SignAllForm,
    SignForm,
    VerifyForm,
    owner_choices,
)
from evalapp.documents.routes import bp, downloadable
from evalapp.extensions import db, limiter


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


@bp.route("/documents/verify", methods=["GET", "POST"])
@limiter.limit(_verify_limit, methods=["POST"])
def verify():
    form = VerifyForm()
    if not form.validate_on_submit():
        return render_template("documents/verify.html", form=form), 422 if form.errors else 200
    upload = form.file.data
    report = signing.verify_pdf(upload.read())
    return render_template("documents/verify.html", form=VerifyForm(formdata=None),
                           report=report, filename=upload.filename)


@bp.get("/documents/verify/<doc_id>")
def verify_issued(doc_id: str):
    """The target of the QR code printed on every page of an issued document."""
    document = services.get_document(doc_id)
    return render_template("documents/verify_issued.html", document=document,
                           report=signing.verify_pdf(document.pdf))


def _sign_page(document, form, status: int = 200, error: str | None = None):
    return render_template(
        "documents/sign.html", document=document, form=form, error=error,
        round=ballots.get_round(document.round_id),
        own_slots=services.own_unsigned_slots(current_user, document),
        readiness=signing.readiness(current_user),
        demo_form=DemoCertificateForm(formdata=None, next=request.path)), status


@bp.route("/documents/<doc_id>/sign", methods=["GET", "POST"])
@login_required
def sign(doc_id: str):
    """Before signing, the signer sees the PDF, its number and fingerprints, who signs which
    block and whether they can; signing is a confirmed POST."""
    document = downloadable(doc_id)
    form = SignForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _sign_page(document, form, 422 if form.errors else 200)
    try:
        slot = signing.sign_document(current_user, document, form.slot_id.data)
    except DomainError as error:
        db.session.rollback()
        return _sign_page(services.get_document(doc_id), SignForm(formdata=None),
                          error.status, error.text())
    db.session.commit()
    flash(_("You have signed “%(title)s” as %(role)s.", title=document.title,
            role=slot.role_label), "success")
    target = form.next.data
    return redirect(target if is_safe_next(target)
                    else url_for("ballots.round_page", round_id=document.round_id,
                                 _anchor="documents"))


@bp.route("/ballots/<int:round_id>/documents/sign-all", methods=["GET", "POST"])
@login_required
def sign_all(round_id: int):
    """Every document of the round waiting for the user's signature, signed in one step."""
    round_ = ballots.visible_round(current_user, round_id)  # else 404, as on every round page
    if not services.can_issue(current_user, round_):
        abort(403)
    form = SignAllForm()

    def page(status=200, error=None):
        return render_template("documents/sign_all.html", round=round_, form=form, error=error,
                               waiting=services.awaiting_signature(current_user, round_),
                               readiness=signing.readiness(current_user),
                               demo_form=DemoCertificateForm(formdata=None,
                                                             next=request.path)), status

    if request.method == "GET" or not form.validate_on_submit():
        return page(422 if form.errors else 200)
    try:
        slots = signing.sign_all(current_user, round_)
    except DomainError as error:
        db.session.rollback()
        return page(error.status, error.text())
    db.session.commit()
    flash(_("You have signed %(n)s documents of “%(title)s”.", n=len(slots),
            title=round_.title), "success")
    return redirect(url_for("ballots.round_page", round_id=round_id, _anchor="documents"))


@bp.post("/documents/certificates/demo")
@login_required
def demo_certificate():
    """Development only: a demo certificate for the signer, from the instance's demo CA."""
    if not signing.is_signer(current_user):
        abort(403)
    form = DemoCertificateForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        signing.issue_demo_certificate(current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.text(), "danger")
    else:
        db.session.commit()
        flash(_("A demo certificate has been made for you. It is for testing only: documents "
                "signed with it are not valid outside this demonstration."), "success")
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("core.home"))


@bp.route("/documents/certificates", methods=["GET", "POST"])
@login_required
def certificates():
    if not can_manage_accounts(current_user):
        abort(403)
    form = CertificateForm()
    form.owner.choices = owner_choices(signing.certificate_owner_choices())

    def page(status=200):
        return render_template("documents/certificates.html", form=form,
                               certificates=signing.list_certificates(),
                               action_form=AppForm()), status

    if not form.validate_on_submit():
        return page(422 if form.errors else 200)
    try:
        owner = signing.get_owner(int(form.owner.data) if form.owner.data else None)
        signing.import_pkcs12(current_user, owner, form.file.data.read(),
                              form.password.data or "", form.label.data)
    except DomainError as error:
        attach_error(form, error)
        return page(error.status)
    db.session.commit()
    flash(_("The certificate has been stored, encrypted."), "success")
    return redirect(url_for("documents.certificates"))


@bp.post("/documents/certificates/<int:certificate_id>/deactivate")
@login_required
def deactivate_certificate(certificate_id: int):
    if not AppForm().validate_on_submit():
        abort(400)
    signing.deactivate_certificate(current_user, certificate_id)
    db.session.commit()
    flash(_("The certificate is no longer used for signing."), "success")
    return redirect(url_for("documents.certificates"))
