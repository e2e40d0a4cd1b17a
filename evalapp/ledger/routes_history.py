"""History pages (issue 13): a person's levels and scores across periods, quarters and years
(`/ledger/people/<id>/history`), and a unit's distribution of levels over time
(`/ledger/units/<id>/history`), each a server-drawn SVG chart and the same figures in a table.
Read-only; who sees what is in evalapp.ledger.history."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from evalapp.extensions import db
from evalapp.ledger import history
from evalapp.ledger.routes import bp
from evalapp.org.models import Person, Unit


def period_label(year: int, key: str) -> str:
    """"Tháng 03/2026", "Quý 1/2026" or "Năm 2026"."""
    if key.startswith("m"):
        return _("Month %(month)s/%(year)s", month=key[1:], year=year)
    if key.lower() in history.QUARTERS:
        return _("Quarter %(quarter)s/%(year)s", quarter=key[1:], year=year)
    return _("Year %(year)s", year=year)


def level_name(level) -> str:
    return _(level.label)


def level_short(level) -> str:
    return level.value.upper()


HELPERS = {"period_label": period_label, "level_name": level_name, "level_short": level_short,
           "levels": history.LEVELS, "colours": history.LEVEL_COLOURS}


@bp.get("/people/<int:person_id>/history")
@login_required
def person_history(person_id: int):
    """A person's levels and scores across periods, quarters and years."""
    found = history.person_history(current_user, db.session.get(Person, person_id))
    return render_template("ledger/history/person.html", history=found,
                           chart=history.person_chart(found), **HELPERS)


@bp.get("/units/<int:unit_id>/history")
@login_required
def unit_history(unit_id: int):
    """A unit's distribution of levels per year and per quarter."""
    found = history.unit_history(current_user, db.session.get(Unit, unit_id))
    return render_template(
        "ledger/history/unit.html", history=found,
        year_chart=history.bar_chart(found.years, lambda c: str(c.year)),
        quarter_chart=history.bar_chart(
            found.quarters, lambda c: f"{c.key.upper()}/{c.year}"), **HELPERS)
