"""The home page's summary of what the signed-in user can work on."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select, text

from evalapp.auth.models import Role, User
from evalapp.auth.permissions import roles_of, scope_paths
from evalapp.extensions import db
from evalapp.org.models import Person, Unit


@dataclass
class Dashboard:
    roles: list[Role]
    units: int | None = None
    people: int | None = None
    accounts: int | None = None


def dashboard(user) -> Dashboard:
    roles = sorted(roles_of(user), key=list(Role).index)
    summary = Dashboard(roles=roles)
    paths = scope_paths(user, Role.ADMIN)
    if paths != []:
        unit_filter = [] if paths is None else [or_(*(Unit.path.startswith(p) for p in paths))]
        summary.units = db.session.execute(
            select(func.count(Unit.id)).where(Unit.active.is_(True), *unit_filter)).scalar_one()
        summary.people = db.session.execute(
            select(func.count(Person.id)).join(Person.unit)
            .where(Person.active.is_(True), *unit_filter)).scalar_one()
        if paths is None:
            summary.accounts = db.session.execute(
                select(func.count(User.id)).where(User.active.is_(True))).scalar_one()
    return summary


def database_ping() -> None:
    db.session.execute(text("SELECT 1"))
