from __future__ import annotations

import io
from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from evalapp.auth.permissions import can_manage_org, is_admin_anywhere, is_admin_everywhere
from evalapp.core.errors import DomainError, InvalidState, ValidationFailed
from evalapp.core.forms import attach_error, choices
from evalapp.core.schemas import id_number
from evalapp.core.transactions import reads_first
from evalapp.core.web import back_to_list, flash_change, page_of, sort_of
from evalapp.extensions import db
from evalapp.org import home as _home  # noqa: F401  (registers its home sections)
from evalapp.org import services
from evalapp.org.forms import (
    ConfirmForm,
    DutyGroupForm,
    ImportForm,
    PersonForm,
    PostForm,
    UnitForm,
    unit_choices,
)
from evalapp.org.models import Gender, StaffKind, Unit, UnitKind
from evalapp.org.services import PersonData
from evalapp.org.spreadsheets import accepted_headings

bp = Blueprint("org", __name__, url_prefix="/org")
bp.add_app_template_global(accepted_headings)  # the import page names the columns


@bp.before_request
@login_required
def _admins_only():
    if not is_admin_anywhere(current_user):
        abort(403)


def _org_wide_only() -> None:
    if not is_admin_everywhere(current_user):
        abort(403)


# ---------------------------------------------------------------- units


UNITS_PAGE_SIZE = 100


def _units_page(status: int = 200, problem: str | None = None):
    search = request.args.get("q", "")[:200]
    rows = services.unit_listing(current_user, search=search, status=_status_filter())
    page = page_of(len(rows), UNITS_PAGE_SIZE)
    return render_template("org/units.html", rows=rows[page.offset:page.offset + page.size],
                           total=page.total, page=page.number, pages=page.pages,
                           search=search, status=_status_filter(), problem=problem), status


@bp.get("/units")
def units():
    return _units_page()


def _unit_form_page(form, unit=None, status=200):
    return render_template("org/unit_form.html", form=form, unit=unit), status


def _prepare_unit_form(form, unit=None):
    candidates = [u for u in services.units_in_scope(current_user, active_only=True)
                  if unit is None or not u.path.startswith(unit.path)]
    top_label = _("— top level (no parent) —")
    form.parent_id.choices = unit_choices(candidates, empty_label=top_label)


def _unit_args(form) -> dict:
    parent_id = form.parent_id.data
    return {
        "name": form.name.data, "short_name": form.short_name.data, "code": form.code.data,
        "kind": UnitKind(form.kind.data), "position": form.position.data or 0,
        "parent": services.get_unit(int(parent_id)) if parent_id else None,
    }


@bp.route("/units/new", methods=["GET", "POST"])
def new_unit():
    form = UnitForm(parent_id=request.args.get("parent", ""))
    _prepare_unit_form(form)
    if not form.validate_on_submit():
        return _unit_form_page(form, status=422 if form.errors else 200)
    try:
        unit = services.create_unit(current_user, **_unit_args(form))
    except DomainError as error:
        attach_error(form, error)
        return _unit_form_page(form, status=error.status)
    db.session.commit()
    flash(_("The unit %(name)s has been created.", name=unit.name), "success")
    return redirect(url_for("org.units"))


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def edit_unit(unit_id: int):
    unit = services.get_unit(unit_id)
    if not can_manage_org(current_user, unit):
        abort(403)
    form = UnitForm(obj=unit, parent_id=str(unit.parent_id or ""), kind=unit.kind.value)
    _prepare_unit_form(form, unit)
    if not form.validate_on_submit():
        return _unit_form_page(form, unit, status=422 if form.errors else 200)
    try:
        services.update_unit(current_user, unit, **_unit_args(form))
    except DomainError as error:
        attach_error(form, error)
        return _unit_form_page(form, unit, status=error.status)
    db.session.commit()
    flash(_("The unit has been saved."), "success")
    return redirect(url_for("org.units"))


@bp.post("/units/<int:unit_id>/active")
def set_unit_active(unit_id: int):
    unit = services.get_unit(unit_id)
    active = request.form.get("active") == "1"
    try:
        services.set_unit_active(current_user, unit, active)
    except (InvalidState, ValidationFailed) as error:  # a step not possible yet: say why here
        return _units_page(error.status, error.text())
    db.session.commit()
    flash_change(_("The unit %(name)s is active again.", name=unit.name) if active else
                 _("The unit %(name)s has been deactivated.", name=unit.name),
                 undo_url=url_for("org.set_unit_active", unit_id=unit.id),
                 undo_fields={"active": "0" if active else "1"})
    return back_to_list(url_for("org.units"))


# ---------------------------------------------------------------- posts and duty groups


@bp.get("/posts")
def posts():
    return render_template("org/posts.html", posts=services.list_posts())


@bp.route("/posts/new", methods=["GET", "POST"], defaults={"post_id": None})
@bp.route("/posts/<int:post_id>", methods=["GET", "POST"])
def edit_post(post_id: int | None):
    _org_wide_only()
    post = services.get_post(post_id) if post_id else None
    form = PostForm(obj=post)
    if form.validate_on_submit():
        try:
            services.save_post(current_user, post, name=form.name.data, rank=form.rank.data,
                               is_leadership=form.is_leadership.data, active=form.active.data)
        except DomainError as error:
            attach_error(form, error)
            return render_template("org/post_form.html", form=form, post=post), error.status
        db.session.commit()
        flash(_("The post has been saved."), "success")
        return redirect(url_for("org.posts"))
    return render_template("org/post_form.html", form=form, post=post), \
        422 if form.errors else 200


@bp.get("/duty-groups")
def duty_groups():
    return render_template("org/duty_groups.html", groups=services.list_duty_groups())


@bp.route("/duty-groups/new", methods=["GET", "POST"], defaults={"group_id": None})
@bp.route("/duty-groups/<int:group_id>", methods=["GET", "POST"])
def edit_duty_group(group_id: int | None):
    _org_wide_only()
    group = services.get_duty_group(group_id) if group_id else None
    form = DutyGroupForm(obj=group)
    if form.validate_on_submit():
        try:
            services.save_duty_group(current_user, group, name=form.name.data,
                                     description=form.description.data,
                                     active=form.active.data)
        except DomainError as error:
            attach_error(form, error)
            return render_template("org/duty_group_form.html", form=form, group=group), \
                error.status
        db.session.commit()
        flash(_("The duty group has been saved."), "success")
        return redirect(url_for("org.duty_groups"))
    return render_template("org/duty_group_form.html", form=form, group=group), \
        422 if form.errors else 200


# ---------------------------------------------------------------- people


def _status_filter() -> str:
    status = request.args.get("status", "active")
    return status if status in ("active", "inactive", "all") else "active"


def _people_filters() -> dict:
    unit_id = request.args.get("unit", type=id_number)
    sort, descending = sort_of(services.PEOPLE_SORTS, "name")
    return {
        "search": request.args.get("q", "")[:200],
        "unit": services.get_unit(unit_id) if unit_id else None,
        "status": _status_filter(), "sort": sort, "descending": descending,
    }


@bp.get("/people")
def people():
    filters = _people_filters()
    query = services.people_query(current_user, **filters)
    page = page_of(services.count(query), current_app.config["PEOPLE_PAGE_SIZE"])
    rows = db.session.execute(query.limit(page.size).offset(page.offset)).scalars().all()
    return render_template("org/people.html", people=rows, total=page.total, page=page.number,
                           pages=page.pages, filters=filters, first_index=page.offset,
                           units=services.units_in_scope(current_user))


def _prepare_person_form(form) -> None:
    form.unit_id.choices = unit_choices(
        services.units_in_scope(current_user, active_only=True), empty_label=_("— choose —"))
    form.post_id.choices = choices([("", _("— none —"))] + [
        (str(p.id), p.name) for p in services.list_posts(active_only=True)])
    form.duty_group_id.choices = choices([("", _("— none —"))] + [
        (str(g.id), g.name) for g in services.list_duty_groups(active_only=True)])


def _person_data(form) -> PersonData:
    return PersonData(
        full_name=form.full_name.data, staff_code=form.staff_code.data,
        gender=Gender(form.gender.data) if form.gender.data else None,
        birth_year=form.birth_year.data, unit=services.get_unit(int(form.unit_id.data)),
        post=services.get_post(int(form.post_id.data)) if form.post_id.data else None,
        duty_group=(services.get_duty_group(int(form.duty_group_id.data))
                    if form.duty_group_id.data else None),
        active=form.active.data,
        staff_kind=StaffKind(form.staff_kind.data) if form.staff_kind.data else None,
        manager=services.manager_by_code(form.manager_code.data),
        started_on=form.started_on.data,
    )


def _person_page(form, person=None, status=200):
    unit = person.unit if person is not None else None
    try:
        chosen = id_number(str(form.unit_id.data or ""))
    except ValueError:
        chosen = None
    if chosen is not None:
        unit = db.session.get(Unit, chosen) or unit
    candidates = services.manager_candidates(unit, person.id if person else None)
    return render_template("org/person_form.html", form=form, person=person,
                           candidates=candidates), status


@bp.route("/people/new", methods=["GET", "POST"])
def new_person():
    form = PersonForm(unit_id=request.args.get("unit", ""))
    _prepare_person_form(form)
    if not form.validate_on_submit():
        return _person_page(form, status=422 if form.errors else 200)
    try:
        person = services.create_person(current_user, _person_data(form))
    except DomainError as error:
        attach_error(form, error)
        return _person_page(form, status=error.status)
    db.session.commit()
    flash(_("%(name)s has been added.", name=person.full_name), "success")
    return redirect(url_for("org.people", q=person.staff_code or person.full_name))


@bp.route("/people/<int:person_id>", methods=["GET", "POST"])
def edit_person(person_id: int):
    person = services.get_person(person_id)
    if not can_manage_org(current_user, person.unit):
        abort(403)
    editing = request.method != "POST"
    form = PersonForm(obj=person if editing else None, data={
        "unit_id": str(person.unit_id), "post_id": str(person.post_id or ""),
        "duty_group_id": str(person.duty_group_id or ""),
        "gender": person.gender.value if person.gender else "",
        "staff_kind": person.staff_kind.value if person.staff_kind else "",
        "manager_code": person.manager.staff_code if person.manager else "",
        "started_on": person.started_on} if editing else None)
    _prepare_person_form(form)
    if not form.validate_on_submit():
        return _person_page(form, person, status=422 if form.errors else 200)
    try:
        services.update_person(current_user, person, _person_data(form))
    except DomainError as error:
        attach_error(form, error)
        return _person_page(form, person, status=error.status)
    db.session.commit()
    flash(_("The changes have been saved."), "success")
    return redirect(url_for("org.people"))


@bp.post("/people/<int:person_id>/active")
def set_person_active(person_id: int):
    person = services.get_person(person_id)
    active = request.form.get("active") == "1"
    services.set_person_active(current_user, person, active)
    db.session.commit()
    flash_change(_("%(name)s is followed again.", name=person.full_name) if active else
                 _("Stopped following %(name)s.", name=person.full_name),
                 undo_url=url_for("org.set_person_active", person_id=person.id),
                 undo_fields={"active": "0" if active else "1"})
    return back_to_list(url_for("org.people"))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/people/export.xlsx")
def export_people():
    content = services.export_people_xlsx(current_user, **_people_filters())
    return send_file(io.BytesIO(content), as_attachment=True, mimetype=XLSX,
                     download_name=f"danh-sach-can-bo-{date.today():%Y%m%d}.xlsx")


@bp.get("/people/import/template.xlsx")
def import_template():
    return send_file(io.BytesIO(services.people_template_xlsx(current_user)),
                     as_attachment=True, mimetype=XLSX, download_name="mau-nhap-can-bo.xlsx")


@bp.route("/people/import", methods=["GET", "POST"])
@reads_first  # the file is read before the write lock (services.plan_people_import)
def import_people():
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("org/import.html", form=form), 422 if form.errors else 200
    upload = form.file.data
    try:
        staged, plan = services.stage_people_import(current_user, upload.filename or "",
                                                    upload.read())
    except ValidationFailed as error:
        attach_error(form, error)
        return render_template("org/import.html", form=form), 422
    db.session.commit()
    return render_template("org/import.html", form=ImportForm(formdata=None), plan=plan,
                           staged=staged, confirm_form=ConfirmForm()), 200 if plan.ok else 422


@bp.post("/people/import/<int:import_id>/apply")
@reads_first  # the file is read before the write lock (services.plan_people_import)
def apply_import(import_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    staged = services.get_staged_import(current_user, import_id)
    plan = services.apply_people_import(current_user, staged)
    db.session.commit()
    flash(_("Import done: %(created)s added, %(updated)s updated, %(unchanged)s unchanged.",
            created=len(plan.creates), updated=len(plan.updates), unchanged=plan.unchanged),
          "success")
    return redirect(url_for("org.people"))
