"""Units and people, for the administrators of the units concerned."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from flask import abort
from flask_babel import lazy_gettext as _l
from pydantic import Field
from sqlalchemy.orm import joinedload

from evalapp.api.base import Out, api_user, endpoint, query_args
from evalapp.auth.permissions import can
from evalapp.core.schemas import text
from evalapp.extensions import db
from evalapp.org import services as org
from evalapp.org.models import Gender, Person, StaffKind, UnitKind

MAX_PAGE_SIZE = 500


class Ref(Out):
    id: int
    name: str


class UnitOut(Out):
    id: int
    name: str
    short_name: str | None
    code: str | None
    kind: UnitKind
    parent_id: int | None
    active: bool


class PersonOut(Out):
    id: int
    staff_code: str | None
    full_name: str
    gender: Gender | None
    birth_year: int | None
    unit: Ref
    post: Ref | None
    duty_group: Ref | None
    active: bool
    staff_kind: StaffKind | None = Field(description="civil_servant (công chức), "
                                         "public_employee (viên chức), official (cán bộ), other")
    manager: Ref | None = Field(description="The direct manager (none: the head of the unit)")
    started_on: date | None = Field(description="Started working (eligibility for rating)")


class Units(Out):
    items: list[UnitOut]


class People(Out):
    items: list[PersonOut]
    page: int
    per_page: int
    total: int


class PeopleQuery(Out):
    q: Annotated[text(200), Field(description="Search in name and staff code, with "
                                                        "or without tones")] = ""
    unit: Annotated[int | None, Field(description="Only this unit and its sub-units")] = None
    status: Literal["active", "inactive", "all"] = "active"
    page: Annotated[int, Field(ge=1)] = 1
    per_page: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 100

    field_messages: ClassVar[dict] = {"status": _l("status must be active, inactive or all.")}


def _ref(item) -> Ref | None:
    return Ref(id=item.id, name=item.name) if item is not None else None


def unit_out(unit) -> UnitOut:
    return UnitOut(id=unit.id, name=unit.name, short_name=unit.short_name, code=unit.code,
                   kind=unit.kind, parent_id=unit.parent_id, active=unit.active)


def person_out(person) -> PersonOut:
    return PersonOut(id=person.id, staff_code=person.staff_code, full_name=person.full_name,
                     gender=person.gender, birth_year=person.birth_year, unit=_ref(person.unit),
                     post=_ref(person.post), duty_group=_ref(person.duty_group),
                     active=person.active, staff_kind=person.staff_kind,
                     manager=(Ref(id=person.manager.id, name=person.manager.full_name)
                              if person.manager is not None else None),
                     started_on=person.started_on)


def _admins_only() -> None:
    if not can(api_user(), "admin.anywhere"):
        abort(403)


@endpoint("/units", summary="Units the account administers, in tree order", ok=Units,
          errors=(403,), tags=("organisation",))
def units():
    _admins_only()
    return Units(items=[unit_out(u) for u in org.units_in_scope(api_user())])


@endpoint("/units/<int:unit_id>", summary="One unit", ok=UnitOut, tags=("organisation",),
          errors={403: None, 404: "No such unit in the account's scope"})
def unit(unit_id: int):
    _admins_only()
    found = org.get_unit(unit_id)
    if not can(api_user(), "org.manage", found):
        abort(404)
    return unit_out(found)


@endpoint("/people", summary="People, in Vietnamese alphabetical order of given name",
          ok=People, query=PeopleQuery, errors={400: "Invalid filter", 403: None},
          tags=("organisation",))
def people():
    _admins_only()
    args = query_args(PeopleQuery)
    query = org.people_query(api_user(), search=args.q,
                             unit=org.get_unit(args.unit) if args.unit else None,
                             status=args.status).options(joinedload(Person.manager))
    rows = db.session.execute(query.limit(args.per_page)
                              .offset((args.page - 1) * args.per_page)).scalars()
    return People(items=[person_out(p) for p in rows], page=args.page, per_page=args.per_page,
                  total=org.count(query))


@endpoint("/people/<int:person_id>", summary="One person", ok=PersonOut, tags=("organisation",),
          errors={403: None, 404: "No such person in the account's scope"})
def person(person_id: int):
    _admins_only()
    found = org.get_person(person_id)
    if not can(api_user(), "org.manage", found.unit):
        abort(404)
    return person_out(found)
