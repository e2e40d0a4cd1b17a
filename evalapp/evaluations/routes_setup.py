"""Pages that set up and follow a round: the list of rounds, creating one, its page with the
dashboard per unit and per step, its settings while a draft, its people (taking them in bulk,
including by hand, leaving out, marking heads) and opening it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from evalapp.auth.permissions import can
from evalapp.core.errors import DomainError, NotAllowed
from evalapp.core.forms import (
    AppForm,
    DayMonthYearField,
    attach_error,
    choices,
    max_length,
    required,
)
from evalapp.core.schemas import id_number
from evalapp.core.web import page_of, sort_of
from evalapp.evaluations import export, services, setup, source_weights
from evalapp.evaluations import home as _home  # noqa: F401  (registers the home page sections)
from evalapp.evaluations.lifecycle import ROUND_STEPS
from evalapp.evaluations.models import STATUS_LABELS
from evalapp.evaluations.permissions import own_entry
from evalapp.evaluations.routes import bp
from evalapp.extensions import db
from evalapp.org import services as org
from evalapp.org.forms import unit_choices
from evalapp.org.models import STAFF_KIND_LABELS, StaffKind, Unit
from evalapp.tally.evaluation import EVALUATION_PRESETS

bp.add_app_template_global(ROUND_STEPS, "evaluation_steps")

PERIOD_LABELS = {"year": _l("The year"), **{f"q{n}": _l("Quarter %(n)s", n=n)
                                             for n in range(1, 5)},
                 **{f"m{n:02d}": _l("Month %(n)s", n=n) for n in range(1, 13)}}
DUE_LABELS = {"units": _l("Units' self-assessment"), "self": _l("Self-assessment"),
              "meeting": _l("Collective meeting"), "manager": _l("Manager's assessment"),
              "decision": _l("Decision")}
ROUNDING_LABELS = {"floor": _l("Round down (the decree's rule)"),
                   "half_up": _l("Round to the nearest")}
PEOPLE_PER_PAGE = 100


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewRoundForm(AppForm):
    title = StringField(_l("Title"), validators=[required(), max_length(255)])
    unit_id = SelectField(_l("Unit the round belongs to"), choices=[], validators=[required()])
    year = IntegerField(_l("Year"), validators=[required(), NumberRange(min=2000, max=2100)])
    period = SelectField(_l("Period rated"), default="year",
                         choices=choices((k, v) for k, v in PERIOD_LABELS.items()))
    preset = SelectField(_l("Rule set"), choices=choices(
        (p.key, p.name) for p in EVALUATION_PRESETS.values()))
    body_name = StringField(_l("Body holding the evaluation"), validators=[max_length(255)])
    authority_name = StringField(_l("Competent authority"), validators=[max_length(255)])
    submit = SubmitField(_l("Create the round"))


class SettingsForm(AppForm):
    title = StringField(_l("Title"), validators=[required(), max_length(255)])
    body_name = StringField(_l("Body holding the evaluation"), validators=[max_length(255)])
    authority_name = StringField(_l("Competent authority"), validators=[max_length(255)])
    due_units = DayMonthYearField(DUE_LABELS["units"], validators=[required()])
    due_self = DayMonthYearField(DUE_LABELS["self"], validators=[required()])
    due_meeting = DayMonthYearField(DUE_LABELS["meeting"], validators=[required()])
    due_manager = DayMonthYearField(DUE_LABELS["manager"], validators=[required()])
    due_decision = DayMonthYearField(DUE_LABELS["decision"], validators=[required()])
    opinion_ballot = BooleanField(_l("Hold a secret opinion ballot at the collective meetings"))
    quota_rounding = SelectField(_l("Rounding of the HTXS quota"), choices=choices(
        ROUNDING_LABELS.items()))
    outstanding = BooleanField(_l("The competent authority rated the unit outstanding "
                                  "(HTXS up to 25 %)"))
    submit = SubmitField(_l("Save"))


class TakeForm(AppForm):
    unit_id = SelectField(_l("Unit"), choices=[], validators=[required()])
    include_subunits = BooleanField(_l("With its sub-units"), default=True)
    groups = MultiCheckboxField(_l("Job-position groups (none: all)"), choices=[])
    kinds = MultiCheckboxField(_l("Kinds of staff (none: all)"), choices=choices(
        (k.value, label) for k, label in STAFF_KIND_LABELS.items()))
    units_too = BooleanField(_l("Rate the units too"), default=True)
    submit = SubmitField(_l("Take these people"))


class ReasonForm(AppForm):
    reason = StringField(_l("Reason"), validators=[required(), max_length(255)])
    submit = SubmitField(_l("Save"))


class HeadForm(AppForm):
    is_head = SelectField(_l("Heads the unit"), choices=choices(
        [("y", _l("Heads the unit")), ("n", _l("Does not head the unit"))]),
        validators=[required()])
    submit = SubmitField(_l("Save"))


class ActionForm(AppForm):
    submit = SubmitField(_l("Confirm"))


def _round(round_id: int, action: str | None = None):
    round_ = services.visible_round(current_user, round_id)
    if action is not None and not can(current_user, action, round_):
        raise NotAllowed()
    return round_


def _back(round_, endpoint="evaluations.round_page"):
    return redirect(url_for(endpoint, round_id=round_.id))


@bp.app_template_filter("eval_period")
def period_label(value: str) -> str:
    return str(PERIOD_LABELS.get(value, value))


@bp.app_template_filter("eval_preset")
def preset_label(value: str) -> str:
    preset = EVALUATION_PRESETS.get(value)
    return preset.name if preset else value


# ---------------------------------------------------------------- rounds


@bp.get("/")
@login_required
def rounds():
    found = setup.rounds_listing(current_user)
    return render_template("evaluations/setup/rounds.html", rounds=found,
                           statuses=STATUS_LABELS,
                           can_create=can(current_user, "evaluations.create"))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_round():
    units = [u for u in org.units_in_scope(current_user, active_only=True)
             if can(current_user, "evaluations.create", u)]
    if not units:
        abort(403)
    form = NewRoundForm()
    form.unit_id.choices = unit_choices(units)
    if not form.validate_on_submit():
        return render_template("evaluations/setup/new.html", form=form), \
            422 if form.errors else 200
    try:
        round_ = services.create_round(
            current_user, org.get_unit(int(form.unit_id.data)), title=form.title.data,
            year=form.year.data, preset_key=form.preset.data, period=form.period.data,
            body_name=form.body_name.data, authority_name=form.authority_name.data)
    except DomainError as error:
        attach_error(form, error)
        return render_template("evaluations/setup/new.html", form=form), error.status
    db.session.commit()
    flash(_("The round has been created. Take the units and people to rate."), "success")
    return _back(round_, "evaluations.round_people")


@bp.get("/<int:round_id>")
@login_required
def round_page(round_id: int):
    round_ = _round(round_id)
    manages = can(current_user, "evaluations.manage", round_)
    follows = manages or can(current_user, "evaluations.run_meeting", round_)
    own = own_entry(current_user, round_)
    return render_template(
        "evaluations/setup/round.html", round=round_, manages=manages, follows=follows,
        own=own, board=setup.dashboard(round_) if follows else None,
        counts=setup.person_counts(round_) if follows else {},
        steps=setup.STEPS, step_labels=setup.STEP_LABELS, action_form=ActionForm(),
        form_steps=setup.FORM_STEP, upward=export.upward_deadline(round_) if manages else None)


@bp.route("/<int:round_id>/settings", methods=["GET", "POST"])
@login_required
def round_settings(round_id: int):
    round_ = _round(round_id, "evaluations.manage")
    settings = round_.settings
    due = services.due_dates(round_)
    data = None
    if request.method != "POST":
        data = {"title": round_.title, "body_name": round_.body_name,
                "authority_name": round_.authority_name, "outstanding": round_.outstanding,
                "opinion_ballot": settings.get("opinion_ballot", True),
                "quota_rounding": settings.get("quota_rounding", "floor"),
                **{f"due_{key}": due.get(key) for key in DUE_LABELS}}
    form = SettingsForm(data=data)
    editable = ROUND_STEPS.state_allows(round_, "edit")
    if request.method == "POST":
        ROUND_STEPS.check(current_user, round_, "edit")
    if not form.validate_on_submit():
        return render_template("evaluations/setup/settings.html", form=form, round=round_,
                               editable=editable), 422 if form.errors else 200
    try:
        setup.save_settings(
            current_user, round_, title=form.title.data, body_name=form.body_name.data,
            authority_name=form.authority_name.data, outstanding=form.outstanding.data,
            settings={"due": {key: getattr(form, f"due_{key}").data.isoformat()
                              for key in DUE_LABELS},
                      "opinion_ballot": bool(form.opinion_ballot.data),
                      "quota_rounding": form.quota_rounding.data})
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return render_template("evaluations/setup/settings.html", form=form, round=round_,
                               editable=editable), error.status
    db.session.commit()
    flash(_("The settings have been saved."), "success")
    return _back(round_)


@bp.post("/<int:round_id>/open")
@login_required
def open_round(round_id: int):
    round_ = _round(round_id, "evaluations.manage")
    if not ActionForm().validate_on_submit():
        abort(400)
    services.open_round(current_user, round_)
    db.session.commit()
    flash(_("The round is open: forms can be filled."), "success")
    return _back(round_)


# ---------------------------------------------------------------- people


def _take_form(round_) -> TakeForm:
    form = TakeForm()
    units = org.unit_tree([u for u in org.units_in_scope(current_user, active_only=True)
                           if u.path.startswith(round_.unit.path)])
    form.unit_id.choices = unit_choices(units)
    form.groups.choices = choices((str(g.id), g.name) for g in org.list_duty_groups(True))
    return form


def _filter() -> setup.PeopleFilter:
    sort, descending = sort_of(setup.PEOPLE_SORTS, "unit")
    unit_id = request.args.get("unit", type=id_number)
    step = request.args.get("step")
    state = request.args.get("state")
    shown = request.args.get("shown")
    return setup.PeopleFilter(
        search=request.args.get("q", "")[:100], unit_id=unit_id,
        step=step if step in setup.FORM_STEP else None,
        state=state if state in setup.STATES else None,
        included={"rated": True, "left_out": False}.get(shown), sort=sort,
        descending=descending)


def _people_page(round_, form, *, taken=None, status=200):
    flt = _filter()
    page = page_of(setup.people_count(round_, flt), PEOPLE_PER_PAGE)
    rows = setup.people_rows(round_, flt, offset=page.offset, size=page.size)
    return render_template(
        "evaluations/setup/people.html", round=round_, form=form, taken=taken, rows=rows,
        page=page, flt=flt, reason_form=ReasonForm(), head_form=HeadForm(),
        can_take=ROUND_STEPS.can(current_user, round_, "take-people"),
        counts=setup.person_counts(round_), step_labels=setup.STEP_LABELS,
        kind_labels=STAFF_KIND_LABELS, units={r.unit_id: r.name
                                              for r in services.rated_units(round_)}), status


@bp.get("/<int:round_id>/people")
@login_required
def round_people(round_id: int):
    round_ = _round(round_id, "evaluations.manage")
    return _people_page(round_, _take_form(round_))


@bp.post("/<int:round_id>/people")
@login_required
def take_people(round_id: int):
    round_ = _round(round_id, "evaluations.manage")
    form = _take_form(round_)
    if not form.validate_on_submit():
        return _people_page(round_, form, status=422)
    unit = db.session.get(Unit, int(form.unit_id.data))
    try:
        ROUND_STEPS.check(current_user, round_, "take-people")
        selection = services.Selection(
            unit, include_subunits=bool(form.include_subunits.data),
            duty_group_ids=frozenset(int(g) for g in form.groups.data),
            staff_kinds=frozenset(StaffKind(k) for k in form.kinds.data))
        units_added = 0
        if form.units_too.data:
            units_added = services.take_units(current_user, round_, unit,
                                              include_subunits=selection.include_subunits)
        taken = services.take_people(current_user, round_, selection)
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _people_page(round_, form, status=error.status)
    db.session.commit()
    flash(_("%(added)s added, %(already)s already in the round.", added=taken.added,
            already=taken.already), "success")
    if units_added:
        flash(_("%(n)s units added to the round.", n=units_added), "success")
    return _people_page(round_, _take_form(round_), taken=taken)


def _rated(round_, rated_id):
    return services.rated_person(round_, rated_id)


@bp.post("/<int:round_id>/people/<int:rated_id>/include")
@login_required
def include_person(round_id: int, rated_id: int):
    round_ = _round(round_id, "evaluations.manage")
    rated = _rated(round_, rated_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _people_page(round_, _take_form(round_), status=422)
    services.include_by_hand(current_user, round_, rated, form.reason.data)
    db.session.commit()
    flash(_("%(name)s will be rated.", name=rated.full_name), "success")
    return redirect(request.referrer if _same_page() else
                    url_for("evaluations.round_people", round_id=round_.id))


@bp.post("/<int:round_id>/people/<int:rated_id>/exclude")
@login_required
def exclude_person(round_id: int, rated_id: int):
    round_ = _round(round_id, "evaluations.manage")
    rated = _rated(round_, rated_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _people_page(round_, _take_form(round_), status=422)
    services.exclude(current_user, round_, rated, form.reason.data)
    db.session.commit()
    flash(_("%(name)s will not be rated.", name=rated.full_name), "success")
    return redirect(request.referrer if _same_page() else
                    url_for("evaluations.round_people", round_id=round_.id))


@bp.post("/<int:round_id>/people/<int:rated_id>/head")
@login_required
def mark_head(round_id: int, rated_id: int):
    round_ = _round(round_id, "evaluations.manage")
    rated = _rated(round_, rated_id)
    form = HeadForm()
    if not form.validate_on_submit():
        return _people_page(round_, _take_form(round_), status=422)
    services.set_head(current_user, round_, rated, form.is_head.data == "y")
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(request.referrer if _same_page() else
                    url_for("evaluations.round_people", round_id=round_.id))


def _same_page() -> bool:
    target = request.referrer
    return bool(target and target.startswith(request.host_url + "evaluations/"))



# ---------------------------------------------------------------- Quy chế


PART_LABELS = {
    "general": _l("General criteria (30 points)"),
    "task_staff": _l("Task results of staff (70 points)"),
    "task_leader": _l("Task results of leaders and managers (70 points)"),
    "unit_general": _l("Units: general criteria (30 points)"),
    "unit_task": _l("Units: task results (70 points)"),
}
TRACKING_LABELS = {"month": _l("Month"), "quarter": _l("Quarter"), "year": _l("Year")}
YEAR_FROM_LABELS = {"mean": _l("The mean of the periods"), "last": _l("The last period"),
                    "min": _l("The lowest period")}
MAX_ITEMS = 60   # rows of one list read from a posted form
EXTRA_ROWS = 3   # blank rows offered to add items


class SeedForm(AppForm):
    preset = SelectField(_l("Rule set"), choices=choices(
        (p.key, p.name) for p in EVALUATION_PRESETS.values()))
    submit = SubmitField(_l("Create from the rule set"))


def _regulated_unit(unit_id: int) -> Unit:
    unit = org.get_unit(unit_id)
    if not can(current_user, "evaluations.regulate", unit):
        raise NotAllowed()
    return unit


@bp.get("/regulations")
@login_required
def regulations():
    units = [u for u in org.units_in_scope(current_user)
             if can(current_user, "evaluations.regulate", u)]
    if not units:
        abort(403)
    return render_template("evaluations/setup/regulations.html",
                           rows=setup.regulations_listing(units), seed_form=SeedForm())


@bp.post("/regulations/<int:unit_id>/seed")
@login_required
def seed_regulation(unit_id: int):
    unit = _regulated_unit(unit_id)
    form = SeedForm()
    if not form.validate_on_submit():
        abort(422)
    regulation = services.seed_regulation(current_user, unit, form.preset.data)
    db.session.commit()
    flash(_("Version %(n)s of the Quy chế has been saved.", n=regulation.version), "success")
    return redirect(url_for("evaluations.edit_regulation", unit_id=unit.id))


def _posted_content(base: dict) -> dict:
    """The Quy chế as posted: the rows of each list (blank and removed rows left out), the
    period, the way to the year, the petition days and the deadlines ("dd/mm")."""
    content = dict(base)
    form = request.form
    for part in PART_LABELS:
        items = []
        for index in range(MAX_ITEMS):
            code = (form.get(f"{part}-{index}-code") or "").strip()
            title = (form.get(f"{part}-{index}-title") or "").strip()
            points = (form.get(f"{part}-{index}-points") or "").strip().replace(",", ".")
            if form.get(f"{part}-{index}-remove") or not (code or title or points):
                continue
            items.append({"code": code[:20], "title": title[:500], "points": points[:12]})
        content[part] = items
    content["period"] = form.get("period", "")
    content["year_from"] = form.get("year_from", "")
    days = (form.get("petition_days") or "").strip()
    content["petition_days"] = int(days) if days.isdigit() and len(days) < 5 else days[:5]
    deadlines = {}
    for step in DUE_LABELS:
        text = (form.get(f"due-{step}") or "").strip()
        day, _sep, month = text.partition("/")
        deadlines[step] = ([int(month), int(day)] if day.isdigit() and month.isdigit()
                           and len(day) <= 2 and len(month) <= 2 else [0, 0])
    content["deadlines"] = deadlines
    content["sources"] = source_weights.posted(form)
    return content


def _editor(unit, content, *, latest, problems=None, extra=EXTRA_ROWS, status=200):
    return render_template(
        "evaluations/setup/regulation_edit.html", unit=unit, content=content, latest=latest,
        problems=problems or {}, extra=extra, parts=PART_LABELS, tracking=TRACKING_LABELS,
        year_from=YEAR_FROM_LABELS, steps=DUE_LABELS, action_form=ActionForm()), status


@bp.route("/regulations/<int:unit_id>/edit", methods=["GET", "POST"])
@login_required
def edit_regulation(unit_id: int):
    unit = _regulated_unit(unit_id)
    latest = services.latest_regulation(unit)
    if latest is None:
        return redirect(url_for("evaluations.regulations"))
    if request.method == "GET":
        return _editor(unit, latest.content, latest=latest)
    if not ActionForm().validate_on_submit():
        abort(400)
    content = _posted_content(latest.content)
    if request.form.get("action") == "more":
        return _editor(unit, content, latest=latest, extra=EXTRA_ROWS * 2)
    problems = setup.regulation_problems(content)
    if problems:
        return _editor(unit, content, latest=latest, problems=problems, status=422)
    title = (request.form.get("title") or "").strip()[:255] or latest.title
    regulation = services.save_regulation(current_user, unit, preset_key=latest.preset,
                                          title=title, content=content,
                                          note=(request.form.get("note") or "")[:1000] or None)
    db.session.commit()
    flash(_("Version %(n)s of the Quy chế has been saved.", n=regulation.version), "success")
    return redirect(url_for("evaluations.regulation_version", unit_id=unit.id,
                            version=regulation.version))


@bp.get("/regulations/<int:unit_id>/versions/<int:version>")
@login_required
def regulation_version(unit_id: int, version: int):
    unit = _regulated_unit(unit_id)
    regulation = setup.regulation_version(unit, version)
    return render_template(
        "evaluations/setup/regulation.html", unit=unit, regulation=regulation,
        content=regulation.content, versions=services.regulation_versions(unit),
        rounds=setup.rounds_using(regulation), parts=PART_LABELS, tracking=TRACKING_LABELS,
        year_from=YEAR_FROM_LABELS, steps=DUE_LABELS)
