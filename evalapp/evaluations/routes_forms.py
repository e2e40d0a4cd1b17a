"""Pages of the forms: a person's own self-assessment (phone first), the manager's assessment
beside the person's sent self-assessment, the Party committee's comment on a leader, a unit's
self-assessment, the personnel office's own score sheet for a person, a read-only view of any
form the user may see (Phụ lục II's layout for a viên chức), reopening a sent form (admins, with
a reason), and the events that force KHT."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from evalapp.auth.permissions import can
from evalapp.core.errors import NotAllowed, NotFound, ValidationFailed
from evalapp.core.forms import AppForm
from evalapp.evaluations import assessments, services
from evalapp.evaluations.lifecycle import ROUND_STEPS
from evalapp.evaluations.models import FormStatus, FormStep, RatedPerson, RatedUnit, points
from evalapp.evaluations.permissions import own_entry
from evalapp.evaluations.routes import bp
from evalapp.extensions import db
from evalapp.org.models import StaffKind
from evalapp.tally import evaluation as rules

R = "/<int:round_id>"
LEVELS = rules.LEVELS


class ActionForm(AppForm):
    """Only the CSRF token: the sheet's fields are read from the request (their number depends
    on the Quy chế)."""


@bp.app_template_filter("rule_message")
def rule_message(message_id: str) -> str:
    """A message of the pure rules, translated (in Python: some hold a bare "%")."""
    return _(message_id)


def _checked() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _level_labels() -> dict:
    return {level.value: _(level.label) for level in LEVELS}


def _typed(items) -> tuple[dict, dict]:
    given_points = {i.key: request.form.get(f"points-{i.key}", "")[:20] for i in items}
    given_comments = {i.key: request.form.get(f"comment-{i.key}", "")[:5000] for i in items}
    return given_points, given_comments


def _facts_typed() -> dict:
    return {name: request.form.get(name, "")[:20]
            for name in (*assessments.FACTS, "plan_share_done", "violation")}


def _action() -> str:
    action = request.form.get("action", "")
    if action not in ("save", "send"):
        raise ValidationFailed(_l("Press “Save draft” or “Send”."))
    if action == "send" and request.form.get("confirm") != "yes":
        raise ValidationFailed(_l("Tick the box confirming that sending locks the form."),
                               field="confirm")
    return action


def _fill(round_, rated, step: FormStep, template: str, **extra):
    """The page of one form to fill (GET) and its saving or sending (POST)."""
    if not assessments.may_fill(current_user, round_, rated, step):
        raise NotAllowed(_l("You are not the one who fills this form."))
    form = assessments.form_for(round_, rated, step)
    items = assessments.items_for(rated)
    is_unit = isinstance(rated, RatedUnit)
    error, status = None, 200
    if form is not None and not assessments.may_see_form(current_user, round_, form):
        form = None  # someone else's draft: never shown
    typed = None
    if request.method == "POST":
        _checked()
        given_points, given_comments = _typed(items)
        typed = {"points": given_points, "comments": given_comments,
                 "proposed_level": request.form.get("proposed_level", "")[:20],
                 "comment": request.form.get("comment", "")[:5000],
                 "facts": _facts_typed() if is_unit else {}}
        try:
            action = _action()
            entry = assessments.Entry(given_points, given_comments, typed["proposed_level"],
                                      typed["comment"], typed["facts"] if is_unit else None)
            saved = assessments.fill_form(current_user, round_, rated, step, entry,
                                       send=action == "send")
        except ValidationFailed as failed:
            db.session.rollback()
            error, status = failed, 422
        else:
            db.session.commit()
            flash(_("The form is sent and locked.") if saved.status is FormStatus.SENT
                  else _("The draft is saved."), "success")
            return redirect(request.path)
    content = form.content if form else {}
    values = typed or {"points": content.get("points", {}),
                       "comments": content.get("comments", {}),
                       "proposed_level": form.proposed_level.value
                       if form and form.proposed_level else "",
                       "comment": form.comment if form else "",
                       "facts": content.get("facts", {}),
                       "total": format(points(form.total), "f").replace(".", ",")
                       if form and form.total is not None else ""}
    outcome = assessments.unit_outcome(round_, rated, form) if is_unit else None
    return render_template(
        template, round=round_, rated=rated, step=step, form=form, items=items,
        values=values, error=error, levels=_level_labels(), is_unit=is_unit,
        locked=form is not None and form.status is FormStatus.SENT, outcome=outcome,
        scored=services.round_rules(round_).scored, action_form=ActionForm(),
        open=ROUND_STEPS.state_allows(round_, "fill-form"), points=points, **extra), status


@bp.route(R + "/forms/self", methods=["GET", "POST"])
@login_required
def self_form(round_id: int):
    round_ = services.visible_round(current_user, round_id)
    rated = own_entry(current_user, round_)
    if rated is None:
        raise NotAllowed(_l("You are not rated in this round."))
    return _fill(round_, rated, FormStep.SELF, "evaluations/forms/self.html")


@bp.route(R + "/people/<int:rated_id>/manager", methods=["GET", "POST"])
@login_required
def manager_form(round_id: int, rated_id: int):
    round_ = services.visible_round(current_user, round_id)
    rated = services.rated_person(round_, rated_id)
    own = assessments.form_for(round_, rated, FormStep.SELF)
    if own is not None and not assessments.may_see_form(current_user, round_, own):
        own = None
    return _fill(round_, rated, FormStep.MANAGER, "evaluations/forms/other.html",
                 beside=own, beside_items=assessments.items_for(rated))


@bp.route(R + "/people/<int:rated_id>/office", methods=["GET", "POST"])
@login_required
def office_form(round_id: int, rated_id: int):
    """The personnel office's own score sheet for a person (an admin of the round), with its
    comment: once sent, its total is the score the decision retains
    (assessments.retained_points), beside the person's sent self-assessment."""
    round_ = services.visible_round(current_user, round_id)
    rated = services.rated_person(round_, rated_id)
    own = assessments.form_for(round_, rated, FormStep.SELF)
    if own is not None and not assessments.may_see_form(current_user, round_, own):
        own = None
    return _fill(round_, rated, FormStep.OFFICE, "evaluations/forms/other.html",
                 beside=own, beside_items=assessments.items_for(rated))


@bp.route(R + "/people/<int:rated_id>/party", methods=["GET", "POST"])
@login_required
def party_form(round_id: int, rated_id: int):
    round_ = services.visible_round(current_user, round_id)
    rated = services.rated_person(round_, rated_id)
    if not rated.is_leader:
        raise NotFound(_l("The Party committee comments on leaders only."))
    return _fill(round_, rated, FormStep.PARTY, "evaluations/forms/other.html", beside=None)


@bp.route(R + "/units/<int:rated_unit_id>/self", methods=["GET", "POST"])
@login_required
def unit_form(round_id: int, rated_unit_id: int):
    round_ = services.visible_round(current_user, round_id)
    rated = services.rated_unit(round_, rated_unit_id)
    return _fill(round_, rated, FormStep.SELF, "evaluations/forms/other.html", beside=None)


@bp.get(R + "/forms/<int:form_id>")
@login_required
def view_form(round_id: int, form_id: int):
    round_ = services.visible_round(current_user, round_id)
    form = assessments.visible_form(current_user, round_, form_id)
    rated = form.rated_unit or form.rated_person
    annex = isinstance(rated, RatedPerson) \
        and rated.staff_kind is StaffKind.PUBLIC_EMPLOYEE
    outcome = assessments.unit_outcome(round_, rated, form) \
        if isinstance(rated, RatedUnit) else None
    return render_template(
        "evaluations/forms/view.html", round=round_, form=form, rated=rated,
        items=assessments.items_for(rated), levels=_level_labels(), annex=annex,
        outcome=outcome, points=points, action_form=ActionForm(),
        may_reopen=form.status is FormStatus.SENT
        and ROUND_STEPS.can(current_user, round_, "reopen-form"))


@bp.post(R + "/forms/<int:form_id>/reopen")
@login_required
def reopen_form(round_id: int, form_id: int):
    round_ = services.visible_round(current_user, round_id)
    form = assessments.visible_form(current_user, round_, form_id)
    _checked()
    assessments.reopen(current_user, round_, form, request.form.get("reason", "")[:2000])
    db.session.commit()
    flash(_("The form is reopened: its author can change it and send it again."), "success")
    return redirect(url_for("evaluations.view_form", round_id=round_.id, form_id=form.id))


def _events_round(round_id: int, rated_id: int):
    round_ = services.visible_round(current_user, round_id)
    if not can(current_user, "evaluations.manage", round_):
        raise NotAllowed()
    return round_, services.rated_person(round_, rated_id)


@bp.route(R + "/people/<int:rated_id>/events", methods=["GET", "POST"])
@login_required
def events(round_id: int, rated_id: int):
    round_, rated = _events_round(round_id, rated_id)
    error, status, typed = None, 200, {}
    if request.method == "POST":
        _checked()
        typed = {name: request.form.get(name, "")[:1100]
                 for name in ("kind", "act", "year", "unit_id", "note")}
        try:
            assessments.record_event(current_user, round_, rated, kind=typed["kind"],
                                     act=typed["act"], year=typed["year"],
                                     unit_id=typed["unit_id"] or None,
                                     mitigated=request.form.get("mitigated") == "yes",
                                     note=typed["note"])
        except ValidationFailed as failed:
            db.session.rollback()
            error, status = failed, 422
        else:
            db.session.commit()
            flash(_("The event is recorded."), "success")
            return redirect(request.path)
    return render_template(
        "evaluations/forms/events.html", round=round_, rated=rated,
        events=assessments.events_of(rated), kinds=[(k.value, _(k.label))
                                                     for k in rules.ForcingKind],
        outcome=assessments.person_outcome(rated), levels=_level_labels(), error=error,
        typed=typed, action_form=ActionForm(),
        may_record=ROUND_STEPS.state_allows(round_, "record-event"),
        units=[(u.unit_id, u.name) for u in services.rated_units(round_)]), status


@bp.post(R + "/people/<int:rated_id>/events/<int:event_id>/remove")
@login_required
def remove_event(round_id: int, rated_id: int, event_id: int):
    round_, rated = _events_round(round_id, rated_id)
    _checked()
    assessments.remove_event(current_user, round_, assessments.get_event(rated, event_id))
    db.session.commit()
    flash(_("The event is removed."), "success")
    return redirect(url_for("evaluations.events", round_id=round_.id, rated_id=rated.id))


@bp.route(R + "/people/<int:rated_id>/periods", methods=["GET", "POST"])
@login_required
def periods(round_id: int, rated_id: int):
    """The scores of the periods tracked in the year (months or quarters, as the Quy chế says),
    entered by the manager or an admin; the year's score follows from them."""
    round_ = services.visible_round(current_user, round_id)
    rated = services.rated_person(round_, rated_id)
    if not assessments.may_track(current_user, round_, rated):
        raise NotAllowed()
    keys = assessments.period_keys(round_)
    error, status = None, 200
    typed = {e["period"]: e["score"] for e in rated.periods}
    sources = {e["period"]: e.get("source") or "" for e in rated.periods}
    if request.method == "POST":
        _checked()
        typed = {key: request.form.get(f"period-{key}", "")[:20] for key in keys}
        sources = {key: request.form.get(f"source-{key}", "")[:300] for key in keys}
        try:
            assessments.set_periods(current_user, round_, rated, typed, sources)
        except ValidationFailed as failed:
            db.session.rollback()
            error, status = failed, 422
        else:
            db.session.commit()
            flash(_("The scores of the periods are saved."), "success")
            return redirect(request.path)
    return render_template(
        "evaluations/forms/periods.html", round=round_, rated=rated, error=error,
        periods=[(key, assessments.period_label(key)) for key in keys], typed=typed,
        sources=sources, year_score=assessments.tracked_score(round_, rated),
        year_from=services.round_rules(round_).year_from, action_form=ActionForm(),
        may_save=ROUND_STEPS.state_allows(round_, "fill-form")), status
