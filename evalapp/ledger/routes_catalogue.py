"""The catalogue page of a unit (/ledger/units/<id>/products): the products of the unit's
current Quy chế version (those of the units above it included, read-only here), adding one,
retiring one, carrying the previous version's catalogue into the current one. For the
personnel office (ledger.catalogue: an admin of the unit); a dense table."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from evalapp.auth.permissions import can
from evalapp.core.errors import NotAllowed, NotFound, ValidationFailed
from evalapp.evaluations.services import regulation_for_unit
from evalapp.extensions import db
from evalapp.ledger import services
from evalapp.ledger.models import Product
from evalapp.ledger.routes import ActionForm, _checked, _field, bp
from evalapp.org.models import Unit

LEVELS_MAX = 20


def _unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound()
    if not can(current_user, "ledger.catalogue", unit):
        raise NotAllowed()
    return unit


def parse_levels(text: str) -> list[dict]:
    """Difficulty levels typed one a line as "name = factor" ("Phức tạp = 1,5")."""
    levels = []
    for line in text.replace(";", "\n").splitlines():
        if not line.strip():
            continue
        name, sep, factor = line.rpartition("=")
        if not sep:
            raise ValidationFailed(_l("Write each difficulty level as “name = factor”."),
                                   field="levels")
        levels.append({"name": name, "factor": factor})
    if len(levels) > LEVELS_MAX:
        raise ValidationFailed(_l("Too many difficulty levels."), field="levels")
    return levels


def _back(unit: Unit):
    return redirect(url_for("ledger.catalogue_page", unit_id=unit.id))


@bp.get("/units/<int:unit_id>/products")
@login_required
def catalogue_page(unit_id: int):
    unit = _unit(unit_id)
    regulation = regulation_for_unit(unit)
    products = services.catalogue(unit, regulation, active_only=False)
    return render_template("ledger/catalogue/products.html", unit=unit, regulation=regulation,
                           products=products, groups=services.GROUPS, action_form=ActionForm())


@bp.post("/units/<int:unit_id>/products")
@login_required
def add_product(unit_id: int):
    _checked()
    unit = _unit(unit_id)
    product = services.add_product(
        current_user, unit, name=_field("name", 255), group=_field("group"),
        measure=_field("measure"), factor=_field("factor"),
        levels=parse_levels(_field("levels", 2000)))
    db.session.commit()
    flash(_("The product “%(name)s” is added to the catalogue.", name=product.name), "success")
    return _back(unit)


@bp.post("/products/<int:product_id>/retire")
@login_required
def retire_product(product_id: int):
    _checked()
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound()
    services.retire_product(current_user, product)
    db.session.commit()
    flash(_("The product is taken out of the catalogue."), "success")
    return _back(product.unit)


@bp.post("/units/<int:unit_id>/products/carry")
@login_required
def carry_products(unit_id: int):
    _checked()
    unit = _unit(unit_id)
    regulation = regulation_for_unit(unit)
    if regulation is None:
        raise ValidationFailed(_l("The unit has no Quy chế to carry the catalogue into."))
    copied = services.carry_catalogue(current_user, unit, regulation)
    db.session.commit()
    flash(_("%(n)s products carried into the current Quy chế.", n=copied), "success")
    return _back(unit)
