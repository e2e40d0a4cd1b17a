"""Proposals: the person proposes a work item of their own for an open period of the year
(/ledger/mine/propose, a phone page); the manager accepts it on the period page (the judge
form's "Accept") or removes it (/ledger/items/<id>/remove)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from evalapp.auth.permissions import can
from evalapp.core.errors import NotAllowed, NotFound, ValidationFailed
from evalapp.core.time import utcnow
from evalapp.extensions import db
from evalapp.ledger import services
from evalapp.ledger.routes import ActionForm, _back, _checked, _day, _field, _item, bp
from evalapp.org.models import Person
from evalapp.tally import ledger as rules


def _me() -> Person:
    person = db.session.get(Person, getattr(current_user, "person_id", None) or 0)
    if person is None:
        raise NotFound()
    return person


@bp.route("/mine/propose", methods=["GET", "POST"])
@login_required
def propose():
    person = _me()
    year = utcnow().year
    keys = rules.period_keys(services.rules_for_unit(person.unit).period)
    if request.method == "POST":
        _checked()
        key = _field("period", 8)
        if key not in keys:
            raise ValidationFailed(_l("This is not a period of the unit's ledger."),
                                   field="period")
        try:
            product_id = int(_field("product", 12))
        except ValueError:
            raise ValidationFailed(_l("Choose a product of the unit's catalogue."),
                                   field="product") from None
        period = services.period_of(current_user, person, year, key)
        services.propose_item(current_user, period, product_id=product_id,
                              quantity=_field("quantity"), level=_field("level", 80) or None,
                              due_on=_day("due_on"))
        db.session.commit()
        flash(_("Your proposal is sent to your manager."), "success")
        return redirect(url_for("ledger.mine"))
    return render_template("ledger/propose.html", person=person, year=year, keys=keys,
                           products=services.catalogue(person.unit), action_form=ActionForm())


@bp.post("/items/<int:item_id>/remove")
@login_required
def remove_item(item_id: int):
    _checked()
    item = _item(item_id)
    if not can(current_user, "ledger.manage", item.period):
        raise NotAllowed()
    period = item.period
    services.remove_item(current_user, item)
    db.session.commit()
    flash(_("The work item is removed."), "success")
    return _back(period)
