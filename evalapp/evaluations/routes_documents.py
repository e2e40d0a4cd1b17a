"""The documents of an evaluation round (imported at the end of evalapp/evaluations/routes.py):
issuing a document by kind, printing every form of the round (or of a unit) as one PDF or a ZIP
of one PDF per person, prepared in the background, and a person's own result notice.
Downloading, signing and verifying one issued document are the document engine's pages
(/documents/...)."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_login import current_user, login_required

from evalapp.core.errors import NotFound
from evalapp.core.forms import AppForm
from evalapp.core.schemas import id_number
from evalapp.core.web import public_base_url
from evalapp.documents.routes import pdf_response
from evalapp.evaluations import documents as services
from evalapp.evaluations.models import Meeting, RatedPerson
from evalapp.evaluations.routes import bp
from evalapp.evaluations.services import visible_round
from evalapp.extensions import db
from evalapp.org.models import Unit

KINDS = {"form": services.EvaluationDocumentKind.FORM,
         "minutes": services.EvaluationDocumentKind.MINUTES,
         "summary": services.EvaluationDocumentKind.SUMMARY,
         "decision": services.EvaluationDocumentKind.DECISION,
         "notice": services.EvaluationDocumentKind.NOTICE}


class ActionForm(AppForm):
    """Only the CSRF token."""


def _issuing_round(round_id: int):
    round_ = visible_round(current_user, round_id)  # else 404
    if not services.can_issue(current_user, round_):
        abort(403)
    return round_


def _subject(round_, kind):
    subject_id = request.form.get("subject_id", type=id_number)
    if kind is services.EvaluationDocumentKind.MINUTES:
        model = Meeting
    elif kind in services.PERSONAL_KINDS:
        model = RatedPerson
    else:
        return None
    subject = db.session.get(model, subject_id) if subject_id is not None else None
    if subject_id is not None and (subject is None or subject.round_id != round_.id):
        raise NotFound(services.NOT_RATED_HERE)
    return subject


@bp.post("/<int:round_id>/documents/<any(form,minutes,summary,decision,notice):kind>")
@login_required
def issue_document(round_id: int, kind: str):
    """Issue a document (or reuse the current one when nothing changed) and download it."""
    round_ = _issuing_round(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    document = services.issue_document(current_user, round_, KINDS[kind],
                                       _subject(round_, KINDS[kind]),
                                       base_url=public_base_url())
    db.session.commit()
    return redirect(url_for("documents.download", doc_id=document.id))


@bp.post("/<int:round_id>/documents/forms")
@login_required
def print_forms(round_id: int):
    """Every form of the round (or of `unit_id` and its sub-units) as one PDF or a ZIP of one
    PDF per person (`format`), prepared in the background: the page of the prepared file shows
    its progress and gives it when ready."""
    round_ = _issuing_round(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    unit = None
    unit_id = request.form.get("unit_id", type=id_number)
    if unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        if unit is None:
            raise NotFound(services.NOT_RATED_HERE)
    prepared = services.prepare_forms(current_user, round_, unit,
                                      per_person=request.form.get("format") == "zip")
    db.session.commit()
    return redirect(url_for("documents.prepared_file", file_id=prepared.id))


@bp.get("/<int:round_id>/my-notice.pdf")
@login_required
def own_notice(round_id: int):
    """The person's own result notice, once the results are released."""
    round_ = visible_round(current_user, round_id)  # else 404
    return pdf_response(services.own_notice(current_user, round_))
