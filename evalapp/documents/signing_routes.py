"""Pages for signing and verifying documents, on the documents blueprint (imported at the end of
evalapp/documents/routes.py): the signing page of one document (preview, then a confirmed
signature), the page that signs everything of one owner at once (sign_all_view, served by the
owning area's route), the demo certificate of development, the certificates page of the
administrators, and the verification pages anyone may open without logging in."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from evalapp.auth.permissions import can_manage_accounts
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
from evalapp.documents.routes import bp
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
        owner=services.document_owner_view(document),
        own_slots=services.own_unsigned_slots(current_user, document),
        readiness=signing.readiness(current_user),
        demo_form=DemoCertificateForm(formdata=None, next=request.path)), status


@bp.route("/documents/<doc_id>/sign", methods=["GET", "POST"])
@login_required
def sign(doc_id: str):
    """Before signing, the signer sees the PDF, its number and fingerprints, who signs which
    block and whether they can; signing is a confirmed POST."""
    document = services.downloadable(current_user, doc_id)  # 404 or 403 otherwise
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
    owner = services.document_owner_view(document)
    return redirect(target if is_safe_next(target)
                    else (owner and owner.documents_url) or url_for("core.home"))


def sign_all_view(owner):
    """The page that signs every document of `owner` waiting for the user, in one confirmed
    step (GET shows them, POST signs): served by the owning area's route once it has checked
    that the user may issue the owner's documents."""
    view = services.owner_view(owner)
    form = SignAllForm()

    def page(status=200, error=None):
        return render_template("documents/sign_all.html", owner=view, form=form, error=error,
                               waiting=services.awaiting_signature(current_user, owner),
                               readiness=signing.readiness(current_user),
                               demo_form=DemoCertificateForm(formdata=None,
                                                             next=request.path)), status

    if request.method == "GET" or not form.validate_on_submit():
        return page(422 if form.errors else 200)
    try:
        slots = signing.sign_all(current_user, owner)
    except DomainError as error:
        db.session.rollback()
        return page(error.status, error.text())
    db.session.commit()
    flash(_("You have signed %(n)s documents of “%(title)s”.", n=len(slots),
            title=view.title), "success")
    return redirect(view.documents_url or url_for("core.home"))


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
