"""Pages for signing and verifying documents, on the documents blueprint (imported at the end of
evalapp/documents/routes.py): the signers' button, the certificates page of the administrators,
and the verification pages anyone may open without logging in."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from evalapp.auth.permissions import can_manage_accounts
from evalapp.core.errors import DomainError
from evalapp.core.forms import AppForm, attach_error
from evalapp.core.web import is_safe_next
from evalapp.documents import services, signing
from evalapp.documents.forms import CertificateForm, SignForm, VerifyForm, owner_choices
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


@bp.post("/documents/<doc_id>/sign")
@login_required
def sign(doc_id: str):
    form = SignForm()
    if not form.validate_on_submit():
        abort(400)
    document = services.get_document(doc_id)
    slot = signing.sign_document(current_user, document, form.slot_id.data)
    db.session.commit()
    flash(_("You have signed “%(title)s” as %(role)s.", title=document.title,
            role=slot.role_label), "success")
    target = form.next.data
    return redirect(target if is_safe_next(target)
                    else url_for("ballots.round_page", round_id=document.round_id))


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
