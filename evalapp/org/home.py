"""The administrators' section of the home page: the size of the organisation they manage."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from evalapp.auth.models import Role, User
from evalapp.auth.permissions import is_admin_anywhere, scope_paths
from evalapp.core.home import home_section
from evalapp.extensions import db
from evalapp.org.models import Person, Unit


@home_section("org.summary", order=90, template="org/_home_summary.html")
def organisation_summary(user):
    if not is_admin_anywhere(user):
        return None
    paths = scope_paths(user, Role.ADMIN)
    unit_filter = [] if paths is None else [or_(*(Unit.path.startswith(p) for p in paths))]
    units = db.session.execute(
        select(func.count(Unit.id)).where(Unit.active.is_(True), *unit_filter)).scalar_one()
    people = db.session.execute(
        select(func.count(Person.id)).join(Person.unit)
        .where(Person.active.is_(True), *unit_filter)).scalar_one()
    accounts = None
    if paths is None:
        accounts = db.session.execute(
            select(func.count(User.id)).where(User.active.is_(True))).scalar_one()
    return {"units": units, "people": people, "accounts": accounts}
