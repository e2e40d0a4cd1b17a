"""The page a quarterly review adds to the round's pages: its axes (Hướng dẫn 02-HD/BTCTW), edited
while a draft, and whether each gets points. Everything else of a quarterly review runs through
the round's own pages (evaluations.quarterly)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import BooleanField, SubmitField

from evalapp.auth.permissions import can
from evalapp.core.errors import DomainError, NotAllowed
from evalapp.core.forms import AppForm, attach_error
from evalapp.evaluations import quarterly, services
from evalapp.evaluations.lifecycle import ROUND_STEPS
from evalapp.evaluations.routes import bp
from evalapp.extensions import db
from evalapp.tally.evaluation import AXES_MAX

TEXT_MAX = 300  # a row's fields as typed (the service checks the title's 255 characters)


class AxesForm(AppForm):
    scored = BooleanField(_l("Give points on each axis"))
    submit = SubmitField(_l("Save the axes"))


def _posted_axes() -> list[dict]:
    """The rows typed (title-1, points-1, ...), the empty ones left out."""
    rows = []
    for n in range(1, AXES_MAX + 1):
        title = (request.form.get(f"title-{n}") or "")[:TEXT_MAX].strip()
        points = (request.form.get(f"points-{n}") or "")[:20].strip().replace(",", ".")
        if title or points:
            rows.append({"title": title, "points": points})
    return rows


def _page(round_, form, axes, *, status=200):
    shown = list(axes) + [{"title": "", "points": ""}] * max(0, min(2, AXES_MAX - len(axes)))
    return render_template("evaluations/quarterly/axes.html", round=round_, form=form,
                           axes=shown, editable=ROUND_STEPS.state_allows(round_, "edit")), status


@bp.route("/<int:round_id>/axes", methods=["GET", "POST"])
@login_required
def quarterly_axes(round_id: int):
    round_ = services.visible_round(current_user, round_id)
    if not can(current_user, "evaluations.manage", round_):
        raise NotAllowed()
    if not quarterly.is_quarterly(round_):
        abort(404)
    form = AxesForm(data=None if request.method == "POST"
                    else {"scored": bool(round_.settings.get("scored"))})
    if request.method != "POST":
        return _page(round_, form, quarterly.axes_of(round_))
    ROUND_STEPS.check(current_user, round_, "edit")
    axes = _posted_axes()
    if not form.validate_on_submit():
        return _page(round_, form, axes, status=422)
    try:
        quarterly.save_axes(current_user, round_, axes, scored=bool(form.scored.data))
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _page(round_, form, axes, status=error.status)
    db.session.commit()
    flash(_("The axes have been saved."), "success")
    return redirect(url_for("evaluations.round_page", round_id=round_.id))
