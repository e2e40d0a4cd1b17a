"""The person's year (/ledger/people/<id>/years/<year>/general): the confirmed periods with
their task scores, the year's task score from them and, when the Quy chế gives the general
criteria once a year, the manager's form for the year's points (0–30) and the year's score."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from evalapp.auth.permissions import can
from evalapp.core.errors import NotFound
from evalapp.evaluations.models import points
from evalapp.extensions import db
from evalapp.ledger import evidence, services
from evalapp.ledger.routes import ActionForm, _checked, _field, _person, bp
from evalapp.tally import ledger as rules

Y = "/people/<int:person_id>/years/<int:year>/general"


@bp.get(Y)
@login_required
def year_page(person_id: int, year: int):
    person = _person(person_id)
    if not 2000 <= year <= 2100:
        raise NotFound()
    ledger_rules = services.rules_for_unit(person.unit)
    periods = evidence.confirmed_of(person.id, year)
    general = evidence.year_general(person.id, year)
    tasks = [points(p.task_score) for p in periods]
    task_year = rules.year_from_periods(tasks, ledger_rules.year_from) if tasks else None
    total = None
    if task_year is not None and general is not None and ledger_rules.general_per == "year":
        total = rules.year_score(tasks, ledger_rules, points(general.general))
    return render_template(
        "ledger/year.html", person=person, year=year, rules=ledger_rules, periods=periods,
        general=general, task_year=task_year, total=total, points=points,
        manage=can(current_user, "ledger.manage", person), action_form=ActionForm())


@bp.post(Y)
@login_required
def score_year(person_id: int, year: int):
    _checked()
    person = _person(person_id)
    evidence.score_year(current_user, person, year, _field("general"))
    db.session.commit()
    flash(_("The points are saved."), "success")
    return redirect(url_for("ledger.year_page", person_id=person.id, year=year))
