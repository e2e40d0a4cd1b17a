"""The import pages of a unit (ledger.catalogue: an admin of the unit): work items from a
unit's tracking sheet (.xlsx or .csv, services.import_items) and scores from other sources
(a competency exam, a KPI system, a training record: evidence.import_scores). Each shows the
errors row by row (row, column, message) and saves nothing when any row is wrong; each offers a
template .xlsx with the heading row the import reads."""

from __future__ import annotations

import io

from flask import flash, render_template, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.file import FileAllowed, FileField, FileRequired

from evalapp.core.errors import ValidationFailed
from evalapp.core.forms import AppForm
from evalapp.extensions import db
from evalapp.ledger import evidence, services
from evalapp.ledger.routes import bp
from evalapp.ledger.routes_catalogue import _unit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(AppForm):
    file = FileField(_l("File (.xlsx or .csv)"), validators=[
        FileRequired(_l("Choose a file to upload.")),
        FileAllowed(["xlsx", "csv"], _l("Upload an Excel (.xlsx) or CSV (.csv) file.")),
    ])


def _upload(unit, page: str, importer, done):
    form = UploadForm()
    if request.method == "GET":
        return render_template(page, unit=unit, form=form, errors=None)
    if not form.validate_on_submit():
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return render_template(page, unit=unit, form=form, errors=None,
                               message=message), 422
    upload = form.file.data
    try:
        outcome = importer(current_user, unit, upload.filename or "", upload.read())
    except ValidationFailed as error:
        db.session.rollback()
        return render_template(page, unit=unit, form=form, errors=error.errors,
                               message=error.text()), 422
    db.session.commit()
    flash(done(outcome), "success")
    return render_template(page, unit=unit, form=UploadForm(formdata=None), errors=None)


@bp.route("/units/<int:unit_id>/import", methods=["GET", "POST"])
@login_required
def import_page(unit_id: int):
    return _upload(_unit(unit_id), "ledger/imports/items.html", services.import_items,
                   lambda outcome: _("%(n)s work items imported.", n=outcome.items))


@bp.get("/units/<int:unit_id>/import/template.xlsx")
@login_required
def import_template(unit_id: int):
    unit = _unit(unit_id)
    return send_file(io.BytesIO(evidence.items_template(unit)), as_attachment=True,
                     mimetype=XLSX, download_name="mau-nhap-san-pham.xlsx")


@bp.route("/units/<int:unit_id>/scores", methods=["GET", "POST"])
@login_required
def scores_import_page(unit_id: int):
    return _upload(_unit(unit_id), "ledger/imports/scores.html", evidence.import_scores,
                   lambda rows: _("%(n)s scores imported.", n=rows))


@bp.get("/units/<int:unit_id>/scores/template.xlsx")
@login_required
def scores_template(unit_id: int):
    _unit(unit_id)
    return send_file(io.BytesIO(evidence.scores_template()), as_attachment=True,
                     mimetype=XLSX, download_name="mau-nhap-diem-nguon-khac.xlsx")


@bp.app_template_global("ledger_imported_scores")
def imported_scores(person_id: int, year: int, key: str) -> list:
    """The scores imported for a person in a period (and for the whole year), for the period
    page."""
    return [row for row in evidence.scores_of(person_id, year)
            if row.period in (key, evidence.YEAR)]
