"""Pages of an evaluation round's decision: the decision screen (proposals, slots left, every
broken rule), finalising and releasing, each person's own result and petition, the admins'
answers to petitions, and the export upward (.xlsx)."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from evalapp.auth.permissions import can
from evalapp.core.errors import NotAllowed, NotFound, ValidationFailed
from evalapp.core.forms import AppForm, parse_day_month_year
from evalapp.core.schemas import id_number
from evalapp.core.web import page_of
from evalapp.evaluations import decisions, export, quarterly, services
from evalapp.evaluations import documents as evaluation_documents
from evalapp.evaluations.lifecycle import ROUND_STEPS
from evalapp.evaluations.models import RoundStatus
from evalapp.evaluations.permissions import own_entry
from evalapp.evaluations.routes import bp
from evalapp.extensions import db

R = "/<int:round_id>"


class _CsrfOnly(AppForm):
    """Only the CSRF token: the fields are read from the request by the services' parsers."""


def _checked() -> None:
    if not _CsrfOnly().validate_on_submit():
        abort(400)


def _managed(round_id: int):
    round_ = services.visible_round(current_user, round_id)
    if not can(current_user, "evaluations.manage", round_):
        raise NotAllowed()
    return round_


def _text(name: str, most: int = 5000) -> str:
    return (request.form.get(name) or "")[:most]


def _day(name: str):
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return parse_day_month_year(raw[:40])
    except ValueError as error:
        raise ValidationFailed(str(error), field=name) from None


def _rated(round_, key: str):
    """"p-<id>" a rated person, "u-<id>" a rated unit, of this round (404 otherwise)."""
    kind, _sep, number = (key or "").partition("-")
    try:
        rated_id = id_number(number)
    except ValueError:
        raise ValidationFailed(_("Choose whom the proposal is for."), field="rated") from None
    if kind == "p":
        return services.rated_person(round_, rated_id)
    if kind == "u":
        return services.rated_unit(round_, rated_id)
    raise ValidationFailed(_("Choose whom the proposal is for."), field="rated")


def _grouped(lines: list) -> list[tuple[str, list]]:
    """The people of a unit by job-position group (those without one last)."""
    groups: dict[str, list] = {}
    for line in lines:
        groups.setdefault(line.rated.duty_group_name or "", []).append(line)
    return sorted(groups.items(), key=lambda item: (item[0] == "", item[0]))


def _back(round_):
    return redirect(url_for("evaluations.decision", round_id=round_.id))


@bp.get(R + "/decision")
@login_required
def decision(round_id: int):
    """The whole round's units, rules and slots left; its people a page at a time (the size of
    the directory's people list), unit by unit and group by group, optionally one unit only
    (?unit=<unit id>)."""
    round_ = _managed(round_id)
    seen = decisions.picture(round_)
    everyone: dict[int, list] = {}
    for person in seen.people:
        everyone.setdefault(person.unit_id, []).append(seen.line(person))
    units = [seen.line(u) for u in seen.units]
    unit_ids = [u.unit_id for u in seen.units]
    chosen = request.args.get("unit", type=id_number)
    if chosen not in everyone and chosen not in unit_ids:
        chosen = None
    order = unit_ids + [uid for uid in everyone if uid not in unit_ids]
    flat = [line for uid in order if chosen in (None, uid)
            for _group, members in _grouped(everyone.get(uid, [])) for line in members]
    page = page_of(len(flat), current_app.config["PEOPLE_PAGE_SIZE"])
    by_unit: dict[int, list] = {}
    for line in flat[page.offset:page.offset + page.size]:
        by_unit.setdefault(line.rated.unit_id, []).append(line)
    loose = {uid: lines for uid, lines in by_unit.items() if uid not in unit_ids}
    # A unit without anyone rated says so once: on the first page of the whole round.
    empty = {uid for uid in unit_ids if uid not in everyone} \
        if page.number == 1 and chosen is None else set()
    return render_template(
        "evaluations/decisions/decision.html", round=round_, units=units, by_unit=by_unit,
        loose=loose, page=page, chosen_unit=chosen, empty_units=empty,
        breaches=decisions.check(round_, seen=seen),
        slots=decisions.slots_left(round_, seen=seen), levels=decisions.LEVELS,
        level_label=decisions.level_label, form=_CsrfOnly(), steps=ROUND_STEPS, grouped=_grouped,
        finalised=round_.status is RoundStatus.FINALISED,
        upward=export.upward_deadline(round_),
        quarterly_round=quarterly.is_quarterly(round_),
        quarters=_quarters(round_, [line.rated.person_id for lines in by_unit.values()
                                    for line in lines]))


def _quarters(round_, person_ids) -> dict:
    """The four quarterly levels of each person shown, in a year's round (none in a quarterly
    review itself)."""
    if quarterly.is_quarterly(round_):
        return {}
    return quarterly.quarters_of(person_ids, round_.year)


@bp.post(R + "/decision/propose")
@login_required
def propose(round_id: int):
    round_ = _managed(round_id)
    _checked()
    rated = _rated(round_, request.form.get("rated", "")[:40])
    decisions.propose(current_user, round_, rated, request.form.get("level", "")[:20],
                      _text("note", 1000))
    db.session.commit()
    flash(_("Proposal saved."), "success")
    return _back(round_)


@bp.post(R + "/decision/propose-all")
@login_required
def propose_all(round_id: int):
    round_ = _managed(round_id)
    _checked()
    try:
        unit_id = id_number(request.form.get("unit", "")[:20])
    except ValueError:
        raise ValidationFailed(_("Choose the unit."), field="unit") from None
    made = decisions.propose_all(current_user, round_, services.rated_unit(round_, unit_id))
    db.session.commit()
    flash(_("%(n)s computed levels proposed.", n=made), "success")
    return _back(round_)


@bp.post(R + "/decision/finalise")
@login_required
def finalise(round_id: int):
    round_ = _managed(round_id)
    _checked()
    made = decisions.finalise(current_user, round_, _text("number", 200), _day("decided_on"))
    db.session.commit()
    flash(_("The round is finalised: %(n)s decisions recorded.", n=made), "success")
    return _back(round_)


@bp.post(R + "/decision/publish")
@login_required
def publish(round_id: int):
    round_ = _managed(round_id)
    _checked()
    decisions.publish(current_user, round_)
    db.session.commit()
    flash(_("The results are published to the unit."), "success")
    return _back(round_)


@bp.get(R + "/results")
@login_required
def published_results(round_id: int):
    """The results as published to the unit: each person rated and the level decided."""
    round_ = services.visible_round(current_user, round_id)
    rows = decisions.published_results(current_user, round_)
    return render_template("evaluations/decisions/results.html", round=round_, rows=rows)


@bp.post(R + "/decision/release")
@login_required
def release(round_id: int):
    round_ = _managed(round_id)
    _checked()
    decisions.release(current_user, round_)
    db.session.commit()
    flash(_("The results are released: each person sees their own."), "success")
    return _back(round_)


@bp.get(R + "/my-result")
@login_required
def my_result(round_id: int):
    round_ = services.visible_round(current_user, round_id)
    entry = own_entry(current_user, round_)
    if entry is None:
        raise NotFound(_("You are not rated in this round."))
    own = decisions.own_result(current_user, round_)
    return render_template(
        "evaluations/decisions/my_result.html", round=round_, own=own,
        decision=decisions.current_decision(own) if own else None,
        history=decisions.decisions_of(own) if own else [],
        petitions=decisions.own_petitions(own) if own else [],
        may_petition=own is not None and decisions.may_petition(round_),
        notice=own is not None and evaluation_documents.notice_issued(round_, own),
        deadline=decisions.petition_deadline(round_), level_label=decisions.level_label,
        form=_CsrfOnly(),
        quarters=_quarters(round_, [own.person_id]).get(own.person_id) if own else None)


@bp.post(R + "/my-result/petition")
@login_required
def petition(round_id: int):
    round_ = services.visible_round(current_user, round_id)
    _checked()
    decisions.petition(current_user, round_, _text("text"))
    db.session.commit()
    flash(_("Your petition has been sent."), "success")
    return redirect(url_for("evaluations.my_result", round_id=round_.id))


@bp.get(R + "/petitions")
@login_required
def petitions(round_id: int):
    round_ = _managed(round_id)
    return render_template(
        "evaluations/decisions/petitions.html", round=round_,
        petitions=decisions.petitions(round_), levels=decisions.LEVELS,
        level_label=decisions.level_label, current=decisions.current_decision,
        form=_CsrfOnly(), may_answer=ROUND_STEPS.can(current_user, round_, "redecide"))


def _petition(round_, petition_id: int):
    return decisions.get_petition(round_, petition_id)


@bp.post(R + "/petitions/<int:petition_id>/reject")
@login_required
def reject_petition(round_id: int, petition_id: int):
    round_ = _managed(round_id)
    _checked()
    decisions.reject_petition(current_user, round_, _petition(round_, petition_id),
                              _text("reason", 1000))
    db.session.commit()
    flash(_("The petition is rejected."), "success")
    return redirect(url_for("evaluations.petitions", round_id=round_.id))


@bp.post(R + "/petitions/<int:petition_id>/accept")
@login_required
def accept_petition(round_id: int, petition_id: int):
    round_ = _managed(round_id)
    _checked()
    item = _petition(round_, petition_id)
    decisions.redecide(current_user, round_, item.rated_person,
                       request.form.get("level", "")[:20], _text("reason", 1000),
                       _text("number", 200), _day("decided_on"), petition=item)
    db.session.commit()
    flash(_("A new decision replaces the earlier one."), "success")
    return redirect(url_for("evaluations.petitions", round_id=round_.id))


@bp.get(R + "/export.xlsx")
@login_required
def export_xlsx(round_id: int):
    round_ = _managed(round_id)
    content = export.results_workbook(current_user, round_)
    return Response(content, mimetype="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet", headers={
                        "Content-Disposition":
                            f'attachment; filename="xep-loai-dot-{round_.id}.xlsx"'})
