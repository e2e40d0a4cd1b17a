"""The product ledger's pages (url prefix /ledger): the manager's page of one person's period
(items, totals, assigning, judging, the general criteria, confirming, reopening) and the
person's own list, made for a phone (completing an item with its evidence).

Short routes: parse the form, call one service, commit once, then flash and redirect. Domain
errors reach the app's error handler (4xx, nothing committed)."""

from __future__ import annotations

import io
from datetime import date

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from evalapp.auth.permissions import can
from evalapp.core.errors import NotAllowed, NotFound, ValidationFailed
from evalapp.core.forms import AppForm
from evalapp.extensions import db
from evalapp.ledger import (
    permissions,  # noqa: F401  (the ledger's actions)
    services,
)
from evalapp.ledger.lifecycle import PERIOD_STEPS
from evalapp.ledger.models import EVIDENCE_FILE_MAX, Item, Period
from evalapp.org.models import Person
from evalapp.tally import ledger as rules

bp = Blueprint("ledger", __name__, url_prefix="/ledger")
P = "/people/<int:person_id>/<int:year>/<period>"
FIELD_MAX = 1000


class ActionForm(AppForm):
    """A form with nothing but its CSRF token."""


def _checked() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _field(name: str, limit: int = 40) -> str:
    return request.form.get(name, "")[:limit]


def _day(name: str) -> date | None:
    text = _field(name, 20).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(_l("Enter a date."), field=name) from None


def _person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None or not can(current_user, "ledger.see", person):
        raise NotFound()
    return person


def _item(item_id: int) -> Item:
    item = db.session.get(Item, item_id)
    if item is None or not can(current_user, "ledger.see", item.period):
        raise NotFound()
    return item


def _period(person: Person, year: int, period: str, *, create: bool) -> Period | None:
    if not 2000 <= year <= 2100 or len(period) > 3:
        raise NotFound()
    return services.period_of(current_user, person, year, period, create=create)


def _back(period: Period):
    return redirect(url_for("ledger.period_page", person_id=period.person_id, year=period.year,
                            period=period.period))


@bp.get(P)
@login_required
def period_page(person_id: int, year: int, period: str):
    """One person's period: what the manager assigned, what was delivered, the ratios and the
    score; the forms for whoever manages the person."""
    person = _person(person_id)
    found = _period(person, year, period, create=False)
    if found is None:
        if period not in rules.period_keys(services.rules_for_unit(person.unit).period):
            raise NotFound()
    manage = can(current_user, "ledger.manage", person)
    items = services.items_of(found) if found else []
    return render_template(
        "ledger/period.html", person=person, year=year, key=period, period=found,
        items=items, files=services.files_of(items),
        outcome=services.result(found) if found else None,
        products=services.catalogue(person.unit), manage=manage, percent=rules.percent,
        steps=PERIOD_STEPS, action_form=ActionForm())


@bp.post(P + "/items")
@login_required
def assign(person_id: int, year: int, period: str):
    _checked()
    person = _person(person_id)
    if not can(current_user, "ledger.manage", person):
        raise NotAllowed()
    try:
        product_id = int(_field("product", 12))
    except ValueError:
        raise ValidationFailed(_l("Choose a product of the unit's catalogue."),
                               field="product") from None
    found = _period(person, year, period, create=True)
    services.assign_item(current_user, found, product_id=product_id,
                         quantity=_field("quantity"), level=_field("level", 80) or None,
                         due_on=_day("due_on"))
    db.session.commit()
    flash(_("The work item is assigned."), "success")
    return _back(found)


@bp.post(P + "/score")
@login_required
def score(person_id: int, year: int, period: str):
    _checked()
    person = _person(person_id)
    if not can(current_user, "ledger.manage", person):
        raise NotAllowed()
    found = _period(person, year, period, create=True)
    services.score_period(current_user, found, general=_field("general"),
                          leader={part: _field(f"leader-{part}")
                                  for part in services.LEADER_PARTS})
    db.session.commit()
    flash(_("The points are saved."), "success")
    return _back(found)


@bp.post(P + "/confirm")
@login_required
def confirm(person_id: int, year: int, period: str):
    _checked()
    person = _person(person_id)
    if not can(current_user, "ledger.manage", person):
        raise NotAllowed()
    found = _period(person, year, period, create=False)
    if found is None:
        raise ValidationFailed(_l("The period has no work item to score."))
    services.confirm(current_user, found)
    db.session.commit()
    flash(_("The period is confirmed and locked."), "success")
    return _back(found)


@bp.post(P + "/reopen")
@login_required
def reopen(person_id: int, year: int, period: str):
    _checked()
    person = _person(person_id)
    if not can(current_user, "ledger.manage", person):
        raise NotAllowed()
    found = _period(person, year, period, create=False)
    if found is None:
        raise NotFound()
    services.reopen(current_user, found, _field("reason", FIELD_MAX))
    db.session.commit()
    flash(_("The period is open again."), "success")
    return _back(found)


@bp.post("/items/<int:item_id>/judge")
@login_required
def judge(item_id: int):
    _checked()
    item = _item(item_id)
    services.judge_item(current_user, item, errors=_field("errors", 4),
                        errors_accepted=_field("errors_accepted", 4),
                        delays=_field("delays", 4), delays_accepted=_field("delays_accepted", 4))
    if not item.accepted:
        services.accept_item(current_user, item)
    db.session.commit()
    flash(_("The verdict is saved."), "success")
    return _back(item.period)


@bp.post("/items/<int:item_id>/complete")
@login_required
def complete(item_id: int):
    _checked()
    item = _item(item_id)
    upload = request.files.get("evidence_file")
    attachment = None
    if upload is not None and upload.filename:
        attachment = (upload.filename, upload.stream.read(EVIDENCE_FILE_MAX + 1))
    services.complete_item(current_user, item, delivered=_field("delivered"),
                           delivered_on=_day("delivered_on"),
                           evidence=_field("evidence", FIELD_MAX),
                           cause=_field("cause", FIELD_MAX), attachment=attachment)
    db.session.commit()
    flash(_("The result is saved."), "success")
    if getattr(current_user, "person_id", None) == item.period.person_id:
        return redirect(url_for("ledger.mine"))
    return _back(item.period)


@bp.get("/items/<int:item_id>/file")
@login_required
def item_file(item_id: int):
    """A work item's evidence file, to whoever sees the ledger it is in (always as a download,
    under the type its bytes showed when it was attached)."""
    kept = services.file_of(_item(item_id))
    if kept is None:
        raise NotFound()
    return send_file(io.BytesIO(kept.content), mimetype=kept.media_type, as_attachment=True,
                     download_name=kept.file_name)


@bp.get("/mine")
@login_required
def mine():
    """The person's own periods and work items, newest first, made for a phone."""
    person_id = getattr(current_user, "person_id", None)
    periods = [] if person_id is None else db.session.scalars(
        select(Period).where(Period.person_id == person_id)
        .order_by(Period.year.desc(), Period.period.desc()).limit(24)).all()
    rows = [(p, services.items_of(p), services.result(p)) for p in periods]
    return render_template("ledger/mine.html", periods=rows,
                           files=services.files_of([i for _p, items, _r in rows for i in items]),
                           steps=PERIOD_STEPS, action_form=ActionForm())


# The ledger's other pages register on `bp`, one module per part.
from evalapp.ledger import (  # noqa: E402,F401
    routes_catalogue,
    routes_history,
    routes_import,
    routes_proposals,
    routes_ratings,
    routes_year,
)
