"""The permission vocabulary of the product ledger (see evalapp.auth.permissions).

- ledger.manage (a person, or one of their periods): their direct manager (Person.manager_id)
  or an admin of their unit — never the person themself, whatever their roles: nobody
  assigns, judges, confirms or reopens their own work.
- ledger.see (a person, or one of their periods): the person themself and whoever manages them.
- ledger.catalogue (unit): an admin of the unit keeps its catalogue of products.
"""

from __future__ import annotations

from evalapp.auth.models import Role
from evalapp.auth.permissions import action, has_role
from evalapp.ledger.models import Period
from evalapp.org.models import Person, Unit


def _person(obj) -> Person | None:
    if isinstance(obj, Period):
        return obj.person
    return obj if isinstance(obj, Person) else None


def _own(user, person: Person) -> bool:
    own_id = getattr(user, "person_id", None)
    return own_id is not None and own_id == person.id


@action("ledger.manage")
def can_manage(user, obj) -> bool:
    person = _person(obj)
    if person is None or _own(user, person):
        return False
    own_id = getattr(user, "person_id", None)
    if own_id is not None and person.manager_id == own_id:
        return True
    return has_role(user, Role.ADMIN, person.unit)


@action("ledger.see")
def can_see(user, obj) -> bool:
    person = _person(obj)
    return person is not None and (_own(user, person) or can_manage(user, person))


@action("ledger.catalogue")
def can_keep_catalogue(user, unit: Unit) -> bool:
    return isinstance(unit, Unit) and has_role(user, Role.ADMIN, unit)


@action("ledger.desks")
def can_keep_desks(user, unit: Unit) -> bool:
    """The unit's desks and the moderation of their ratings' comments: an admin of the unit, or
    a manager of someone in it (who then acts on the people they manage only)."""
    if not isinstance(unit, Unit):
        return False
    if has_role(user, Role.ADMIN, unit):
        return True
    own_id = getattr(user, "person_id", None)
    if own_id is None:
        return False
    from sqlalchemy import exists, select

    from evalapp.extensions import db

    return bool(db.session.scalar(select(exists().where(
        Person.unit_id == unit.id, Person.manager_id == own_id))))
