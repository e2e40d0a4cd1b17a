"""The managers' pages of the public service ratings (on the ledger blueprint, /ledger): a unit's
desks (who serves the public, on/off, their printable cards), a desk card (PDF, A6), the
moderation queue of comments; and the block of the period page (a template global).

Who: `ledger.desks` for a unit's pages (its admins, and whoever manages someone in it, who sees
and acts on the people they manage only); `ledger.manage` for one person's desk and their
ratings' comments."""

from __future__ import annotations

import secrets

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from evalapp.auth.permissions import can
from evalapp.core.errors import NotAllowed, NotFound, ValidationFailed
from evalapp.core.time import utcnow
from evalapp.core.web import public_base_url, public_url
from evalapp.documents.rendering import Stamp, qr_image, render_pdf, slug
from evalapp.extensions import db
from evalapp.ledger import ratings
from evalapp.ledger.models import Rating
from evalapp.ledger.routes import ActionForm, _checked, _person, bp
from evalapp.org.models import Person, Unit


def _unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound()
    if not can(current_user, "ledger.desks", unit):
        raise NotAllowed()
    return unit


def rating_address(desk) -> str:
    return public_url("rating.rate", token=desk.token)


@bp.get("/desks/<int:unit_id>")
@login_required
def desks(unit_id: int):
    """The unit's people the user manages, who serves the public, and their cards."""
    unit = _unit(unit_id)
    people = [p for p in db.session.scalars(select(Person).where(Person.unit_id == unit.id)
                                            .order_by(Person.sort_key, Person.id))
              if can(current_user, "ledger.manage", p)]
    return render_template("ledger/ratings/desks.html", unit=unit, people=people,
                           desks=ratings.desks_of(unit), address=rating_address,
                           pending=len(ratings.moderation_queue(current_user, unit)),
                           action_form=ActionForm())


@bp.post("/desks/people/<int:person_id>")
@login_required
def set_desk(person_id: int):
    _checked()
    person = _person(person_id)
    if not can(current_user, "ledger.manage", person):
        raise NotAllowed()
    active = request.form.get("active") == "1"
    ratings.set_desk(current_user, person, active)
    db.session.commit()
    flash(_("%(name)s now serves the public.", name=person.full_name) if active else
          _("%(name)s no longer takes ratings.", name=person.full_name), "success")
    return redirect(url_for("ledger.desks", unit_id=person.unit_id))


@bp.get("/desks/people/<int:person_id>/card.pdf")
@login_required
def desk_card(person_id: int):
    """The desk card (A6): the official, their post and unit, the QR code of the rating
    address and the address itself."""
    person = _person(person_id)
    if not can(current_user, "ledger.manage", person):
        raise NotAllowed()
    desk = ratings.desk_of(person)
    if desk is None or not desk.active:
        raise NotFound(_("This person does not serve the public: there is no card to print."))
    address = rating_address(desk)
    pdf = render_pdf("ledger/ratings/desk_card.html",
                     stamp=Stamp(document_id=secrets.token_hex(8), created=utcnow(),
                                 base_url=public_base_url()),
                     title=_("Desk card"), person=person, address=address,
                     qr_code=qr_image(address))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="the-danh-gia-{slug(person.full_name)}.pdf"'})


@bp.get("/ratings/<int:unit_id>/moderation")
@login_required
def moderation(unit_id: int):
    """Comments waiting for a moderator (the unit's people the user manages)."""
    unit = _unit(unit_id)
    return render_template("ledger/ratings/moderation.html", unit=unit,
                           waiting=ratings.moderation_queue(current_user, unit),
                           action_form=ActionForm())


@bp.post("/ratings/<int:rating_id>/moderate")
@login_required
def moderate(rating_id: int):
    _checked()
    rating = db.session.get(Rating, rating_id)
    if rating is None or not can(current_user, "ledger.see", rating.person):
        raise NotFound()
    decision = request.form.get("decision", "")[:10]
    if decision not in ("approve", "hide"):
        raise ValidationFailed(_("Choose to approve or to hide the comment."), field="decision")
    ratings.moderate(current_user, rating, decision == "approve")
    db.session.commit()
    flash(_("The comment is approved.") if decision == "approve" else
          _("The comment is hidden."), "success")
    return redirect(url_for("ledger.moderation", unit_id=rating.person.unit_id))


@bp.app_template_global("service_ratings_block")
def service_ratings_block(person: Person, year: int, key: str) -> dict | None:
    """What the period page shows of the person's public ratings (the period and the year),
    for whoever sees the person's ledger; the waiting comments' count for their moderators."""
    if not can(current_user, "ledger.see", person):
        return None
    try:
        period = ratings.ratings_summary([person.id], year, key)[person.id]
    except ValueError:
        return None
    return {"period": period,
            "year": ratings.ratings_summary([person.id], year, ratings.YEAR)[person.id],
            "comments": ratings.approved_comments(person, year, key),
            "pending": ratings.pending_count(person)
            if can(current_user, "ledger.manage", person) else None}


@bp.app_template_global("ratings_source_name")
def ratings_source_name() -> str:
    """The public ratings' name in a Quy chế's source weights (the Quy chế editor names it)."""
    return ratings.source_name()
