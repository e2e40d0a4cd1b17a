"""Rules for units, posts, duty groups and people. Services take the acting user, check the
permission, change and flush, write one audit entry, and never commit."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.orm import contains_eager, joinedload

from evalapp.audit.services import record
from evalapp.auth.models import Role
from evalapp.auth.permissions import (
    can_manage_org,
    is_admin_anywhere,
    is_admin_everywhere,
    scope_paths,
)
from evalapp.core.errors import AlreadyExists, InvalidState, NotAllowed, NotFound, ValidationFailed
from evalapp.core.forms import parse_day_month_year
from evalapp.core.text import collation_key, fold_for_search, nfc, nfc_or_none, person_sort_key
from evalapp.core.time import utcnow
from evalapp.core.transactions import begin_writing
from evalapp.extensions import db
from evalapp.org.models import (
    DutyGroup,
    Gender,
    PeopleImport,
    Person,
    Post,
    StaffKind,
    Unit,
    UnitKind,
)
from evalapp.org.spreadsheets import (
    COLUMNS,
    people_template_workbook,
    read_people_file,
    write_people_workbook,
)

MIN_BIRTH_YEAR = 1900


def max_birth_year() -> int:
    return date.today().year


# ---------------------------------------------------------------- units


def get_unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(_l("This unit does not exist."))
    return unit


def unit_tree(units: list[Unit] | None = None) -> list[Unit]:
    """Units in tree order: each unit followed by its sub-units, siblings by position, then by
    the Vietnamese order of their names."""
    if units is None:
        units = list(db.session.execute(select(Unit)).scalars())
    children: dict[int | None, list[Unit]] = defaultdict(list)
    ids = {unit.id for unit in units}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in ids else None
        children[parent].append(unit)
    ordered: list[Unit] = []

    def walk(parent_id: int | None) -> None:
        for unit in sorted(children[parent_id], key=lambda u: (u.position, u.sort_key)):
            ordered.append(unit)
            walk(unit.id)

    walk(None)
    return ordered


def units_in_scope(user, *, active_only: bool = False) -> list[Unit]:
    paths = scope_paths(user, Role.ADMIN)
    query = select(Unit)
    if paths is not None:
        query = query.where(or_(False, *(Unit.path.startswith(p) for p in paths)))
    if active_only:
        query = query.where(Unit.active.is_(True))
    return unit_tree(list(db.session.execute(query).scalars()))


@dataclass
class UnitRow:
    unit: Unit
    trail: list[str]  # the names of the units above it, from the top
    people: int       # active people in the unit itself


def unit_listing(viewer, *, search: str = "", status: str = "all") -> list[UnitRow]:
    """The units the viewer manages, in tree order, with the names above each (shown when a
    search has taken them out of their tree) and their number of active people."""
    units = units_in_scope(viewer)
    names = {unit.id: unit.name for unit in units}
    counts = dict(db.session.execute(
        select(Person.unit_id, func.count(Person.id)).where(Person.active.is_(True))
        .group_by(Person.unit_id)).all())
    words = fold_for_search(search).split()
    rows = []
    for unit in units:
        if (status == "active" and not unit.active) or (status == "inactive" and unit.active):
            continue
        text = fold_for_search(f"{unit.name} {unit.short_name or ''} {unit.code or ''}")
        if any(word not in text for word in words):
            continue
        above = [int(part) for part in unit.path.strip("/").split("/")[:-1] if part]
        rows.append(UnitRow(unit, [names[i] for i in above if i in names],
                            counts.get(unit.id, 0)))
    return rows


def _check_unit_fields(name: str, code: str | None) -> None:
    if not name:
        raise ValidationFailed(_l("Enter the unit name."), field="name")
    if code:
        clash = db.session.execute(select(Unit.id).where(Unit.code == code)).scalar()
        if clash is not None:
            raise AlreadyExists(_l("Another unit already has the code %(code)s."), field="code",
                                code=code)


def create_unit(actor, *, name: str, kind: UnitKind, parent: Unit | None,
                short_name: str | None = None, code: str | None = None,
                position: int = 0) -> Unit:
    if parent is None:
        if not is_admin_everywhere(actor):
            raise NotAllowed(_l("Only an organisation-wide administrator can add a top unit."))
    elif not can_manage_org(actor, parent):
        raise NotAllowed()
    name, code = nfc(name), nfc_or_none(code)
    _check_unit_fields(name, code)
    unit = Unit(name=name, short_name=nfc_or_none(short_name), code=code, kind=kind,
                parent=parent, position=position, sort_key=collation_key(name), active=True)
    db.session.add(unit)
    db.session.flush()
    unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    record(actor, "unit.created", unit, name=name, parent_id=parent.id if parent else None)
    return unit


def update_unit(actor, unit: Unit, *, name: str, kind: UnitKind, parent: Unit | None,
                short_name: str | None, code: str | None, position: int) -> Unit:
    if not can_manage_org(actor, unit):
        raise NotAllowed()
    name, code = nfc(name), nfc_or_none(code)
    if code != unit.code:
        _check_unit_fields(name, code)
    elif not name:
        raise ValidationFailed(_l("Enter the unit name."), field="name")
    if parent is not None:
        if parent.path.startswith(unit.path):
            raise ValidationFailed(_l("A unit cannot be placed under itself or its sub-units."),
                                   field="parent")
        if not can_manage_org(actor, parent):
            raise NotAllowed()
    elif unit.parent_id is not None and not is_admin_everywhere(actor):
        raise NotAllowed(_l("Only an organisation-wide administrator can add a top unit."))

    changes = {}
    for field, value in (("name", name), ("kind", kind), ("short_name", nfc_or_none(short_name)),
                         ("code", code), ("position", position)):
        if getattr(unit, field) != value:
            changes[field] = str(value)
            setattr(unit, field, value)
    unit.sort_key = collation_key(name)
    if (parent.id if parent else None) != unit.parent_id:
        changes["parent_id"] = parent.id if parent else None
        old_path = unit.path
        new_path = (parent.path if parent else "/") + f"{unit.id}/"
        unit.parent = parent
        for member in db.session.execute(
            select(Unit).where(Unit.path.startswith(old_path))
        ).scalars():
            member.path = new_path + member.path[len(old_path):]
    db.session.flush()
    record(actor, "unit.updated", unit, changes=changes)
    return unit


def set_unit_active(actor, unit: Unit, active: bool) -> Unit:
    if not can_manage_org(actor, unit):
        raise NotAllowed()
    if not active:
        busy_people = db.session.execute(
            select(func.count(Person.id)).where(Person.unit_id == unit.id, Person.active.is_(True))
        ).scalar_one()
        busy_units = db.session.execute(
            select(func.count(Unit.id)).where(Unit.parent_id == unit.id, Unit.active.is_(True))
        ).scalar_one()
        if busy_people or busy_units:
            raise InvalidState(
                _l("This unit still has %(people)s active people and %(units)s active "
                   "sub-units; move or deactivate them first."),
                people=busy_people, units=busy_units,
            )
    elif unit.parent is not None and not unit.parent.active:
        raise InvalidState(_l("Reactivate the parent unit first."))
    unit.active = active
    record(actor, "unit.activated" if active else "unit.deactivated", unit)
    return unit


# ---------------------------------------------------------------- posts and duty groups


def list_posts(active_only: bool = False) -> list[Post]:
    query = select(Post)
    if active_only:
        query = query.where(Post.active.is_(True))
    return sorted(db.session.execute(query).scalars(),
                  key=lambda p: (p.rank, collation_key(p.name)))


def list_duty_groups(active_only: bool = False) -> list[DutyGroup]:
    query = select(DutyGroup)
    if active_only:
        query = query.where(DutyGroup.active.is_(True))
    return sorted(db.session.execute(query).scalars(), key=lambda g: collation_key(g.name))


def _require_org_admin(actor) -> None:
    # Posts and duty groups are shared by the whole organisation.
    if not is_admin_everywhere(actor):
        raise NotAllowed()


def _name_taken(model, name: str, exclude_id: int | None = None) -> bool:
    query = select(model.id).where(func.lower(model.name) == name.lower())
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return db.session.execute(query).first() is not None


def save_post(actor, post: Post | None, *, name: str, rank: int, is_leadership: bool,
              active: bool = True) -> Post:
    _require_org_admin(actor)
    name = nfc(name)
    if not name:
        raise ValidationFailed(_l("Enter the post name."), field="name")
    if rank < 0:
        raise ValidationFailed(_l("The rank cannot be negative."), field="rank")
    if _name_taken(Post, name, post.id if post else None):
        raise AlreadyExists(_l("A post named %(name)s already exists."), field="name", name=name)
    created = post is None
    if created:
        post = Post()
        db.session.add(post)
    post.name, post.rank, post.is_leadership, post.active = name, rank, is_leadership, active
    db.session.flush()
    record(actor, "post.created" if created else "post.updated", post, name=name, rank=rank,
           is_leadership=is_leadership, active=active)
    return post


def save_duty_group(actor, group: DutyGroup | None, *, name: str, description: str | None,
                    active: bool = True) -> DutyGroup:
    _require_org_admin(actor)
    name = nfc(name)
    if not name:
        raise ValidationFailed(_l("Enter the duty group name."), field="name")
    if _name_taken(DutyGroup, name, group.id if group else None):
        raise AlreadyExists(_l("A duty group named %(name)s already exists."), field="name",
                            name=name)
    created = group is None
    if created:
        group = DutyGroup()
        db.session.add(group)
    group.name, group.description, group.active = name, nfc_or_none(description), active
    db.session.flush()
    record(actor, "duty_group.created" if created else "duty_group.updated", group, name=name,
           active=active)
    return group


def get_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound()
    return post


def get_duty_group(group_id: int) -> DutyGroup:
    group = db.session.get(DutyGroup, group_id)
    if group is None:
        raise NotFound()
    return group


# ---------------------------------------------------------------- people


@dataclass
class PersonData:
    full_name: str
    unit: Unit
    staff_code: str | None = None
    gender: Gender | None = None
    birth_year: int | None = None
    post: Post | None = None
    duty_group: DutyGroup | None = None
    active: bool = True
    staff_kind: StaffKind | None = None
    manager: Person | None = None   # the direct manager: active, in the unit or one above it
    started_on: date | None = None  # started working in the public service (eligibility)


def derived_person_fields(full_name: str, staff_code: str | None) -> dict:
    return {
        "sort_key": person_sort_key(full_name),
        "search_text": fold_for_search(f"{full_name} {staff_code or ''}"),
    }


def _check_person(data: PersonData, exclude_id: int | None) -> None:
    if not data.full_name:
        raise ValidationFailed(_l("Enter the full name."), field="full_name")
    if data.birth_year is not None and not (MIN_BIRTH_YEAR <= data.birth_year
                                            <= max_birth_year()):
        raise ValidationFailed(_l("The year of birth must be between %(low)s and %(high)s."),
                               field="birth_year", low=MIN_BIRTH_YEAR, high=max_birth_year())
    if data.manager is not None:
        if exclude_id is not None and data.manager.id == exclude_id:
            raise ValidationFailed(_l("A person cannot be their own manager."),
                                   field="manager_code")
        if not data.manager.active:
            raise ValidationFailed(_l("%(name)s no longer works here and cannot be a manager."),
                                   field="manager_code", name=data.manager.full_name)
        if not data.unit.path.startswith(data.manager.unit.path):
            raise ValidationFailed(_l("The manager must work in the person's unit or in a unit "
                                      "above it."), field="manager_code")
    if data.started_on is not None and not (date(MIN_BIRTH_YEAR, 1, 1) <= data.started_on
                                            <= date(max_birth_year() + 100, 12, 31)):
        raise ValidationFailed(_l("The start date is not plausible."), field="started_on")
    if data.staff_code:
        query = select(Person.id).where(Person.staff_code == data.staff_code)
        if exclude_id is not None:
            query = query.where(Person.id != exclude_id)
        if db.session.execute(query).first() is not None:
            raise AlreadyExists(_l("Another person already has the staff code %(code)s."),
                                field="staff_code", code=data.staff_code)


def _normalise(data: PersonData) -> PersonData:
    data.full_name = nfc(data.full_name)
    data.staff_code = nfc_or_none(data.staff_code)
    return data


def create_person(actor, data: PersonData) -> Person:
    if not can_manage_org(actor, data.unit):
        raise NotAllowed()
    data = _normalise(data)
    _check_person(data, None)
    person = Person(full_name=data.full_name, staff_code=data.staff_code, gender=data.gender,
                    birth_year=data.birth_year, unit=data.unit, post=data.post,
                    duty_group=data.duty_group, active=data.active,
                    staff_kind=data.staff_kind, manager=data.manager,
                    started_on=data.started_on,
                    **derived_person_fields(data.full_name, data.staff_code))
    db.session.add(person)
    db.session.flush()
    record(actor, "person.created", person, full_name=person.full_name,
           staff_code=person.staff_code, unit_id=data.unit.id)
    return person


def update_person(actor, person: Person, data: PersonData) -> Person:
    if not can_manage_org(actor, person.unit) or not can_manage_org(actor, data.unit):
        raise NotAllowed()
    data = _normalise(data)
    _check_person(data, person.id)
    changes = {}
    for field in ("full_name", "staff_code", "gender", "birth_year", "unit", "post",
                  "duty_group", "active", "staff_kind", "manager", "started_on"):
        new = getattr(data, field)
        if getattr(person, field) != new:
            changes[field] = new.isoformat() if isinstance(new, date) else getattr(new, "id",
                                                                                   new)
            setattr(person, field, new)
    for key, value in derived_person_fields(person.full_name, person.staff_code).items():
        setattr(person, key, value)
    db.session.flush()
    record(actor, "person.updated", person, changes=changes)
    return person


def set_person_active(actor, person: Person, active: bool) -> Person:
    if not can_manage_org(actor, person.unit):
        raise NotAllowed()
    person.active = active
    record(actor, "person.activated" if active else "person.deactivated", person)
    return person


def get_person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None:
        raise NotFound(_l("This person does not exist."))
    return person


PEOPLE_SORTS = ("name", "staff_code", "birth_year", "post", "unit")


def _people_order(sort: str, descending: bool) -> list:
    """ORDER BY for a people list; empty values last either way, ties by name."""
    def direction(column):
        return column.desc() if descending else column.asc()

    by_name = [direction(Person.sort_key), Person.id]
    if sort == "staff_code":
        return [Person.staff_code.is_(None), direction(Person.staff_code), *by_name]
    if sort == "birth_year":
        return [Person.birth_year.is_(None), direction(Person.birth_year), *by_name]
    if sort == "post":
        return [Post.rank.is_(None), direction(Post.rank), direction(Post.name), *by_name]
    if sort == "unit":
        return [direction(Unit.sort_key), Unit.id, *by_name]
    return by_name


def people_query(viewer, *, search: str = "", unit: Unit | None = None,
                 include_sub_units: bool = True, status: str = "active", sort: str = "name",
                 descending: bool = False) -> Select:
    """People the viewer may see, filtered; by default in Vietnamese order of given name then
    full name (sort: one of PEOPLE_SORTS)."""
    query = select(Person).join(Person.unit).outerjoin(Person.post).options(
        contains_eager(Person.unit), contains_eager(Person.post), joinedload(Person.duty_group))
    paths = scope_paths(viewer, Role.ADMIN)
    if paths is not None:
        query = query.where(or_(False, *(Unit.path.startswith(p) for p in paths)))
    if unit is not None:
        query = query.where(Unit.path.startswith(unit.path) if include_sub_units
                            else Person.unit_id == unit.id)
    if status == "active":
        query = query.where(Person.active.is_(True))
    elif status == "inactive":
        query = query.where(Person.active.is_(False))
    for word in fold_for_search(search).split():
        query = query.where(Person.search_text.contains(word, autoescape=True))
    return query.order_by(*_people_order(sort if sort in PEOPLE_SORTS else "name", descending))


def count(query: Select) -> int:
    return db.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()


# ---------------------------------------------------------------- import and export

GENDER_WORDS = {"nam": Gender.MALE, "male": Gender.MALE, "m": Gender.MALE,
                "nu": Gender.FEMALE, "female": Gender.FEMALE, "f": Gender.FEMALE}
YES_WORDS = {"", "co", "x", "1", "yes", "true", "dang cong tac"}
KIND_WORDS = {"cong chuc": StaffKind.CIVIL_SERVANT, "vien chuc": StaffKind.PUBLIC_EMPLOYEE,
              "can bo": StaffKind.OFFICIAL, "khac": StaffKind.OTHER,
              "nguoi lao dong": StaffKind.OTHER,
              **{fold_for_search(kind.value.replace("_", " ")): kind for kind in StaffKind}}
KIND_EXPORT = {StaffKind.CIVIL_SERVANT: "Công chức", StaffKind.PUBLIC_EMPLOYEE: "Viên chức",
               StaffKind.OFFICIAL: "Cán bộ", StaffKind.OTHER: "Khác"}
NO_WORDS = {"khong", "0", "no", "false", "nghi"}


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportPlan:
    """What applying a file would do. Nothing is written while errors is not empty."""

    rows: int
    creates: list[dict]
    updates: list[dict]
    unchanged: int
    new_posts: list[str]
    new_duty_groups: list[str]
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors


def _index_by_folded_name(items) -> dict[str, list]:
    index: dict[str, list] = defaultdict(list)
    for item in items:
        index[nfc(item.name).lower()].append(item)
    return index


def plan_people_import(actor, filename: str, content: bytes) -> ImportPlan:
    """Read and check every row; the plan says what would change, or which rows are wrong."""
    if not is_admin_anywhere(actor):
        raise NotAllowed()
    # The file is read before anything is written, outside SQLite's write lock: a file at the
    # limits of org.spreadsheets takes seconds, and voters must not wait on it.
    rows = read_people_file(filename, content)
    begin_writing()
    if not rows:
        raise ValidationFailed(_l("The file has no rows of people."))
    label = {key: str(heading) for key, (heading, _aliases) in COLUMNS.items()}

    units = list(db.session.execute(select(Unit)).scalars())
    units_by_code = {u.code.lower(): u for u in units if u.code}
    units_by_name = _index_by_folded_name(units)
    posts_by_name = {name: items[0] for name, items in
                     _index_by_folded_name(db.session.execute(select(Post)).scalars()).items()}
    groups_by_name = {name: items[0] for name, items in _index_by_folded_name(
        db.session.execute(select(DutyGroup)).scalars()).items()}
    existing = {
        row.staff_code: row for row in db.session.execute(
            select(Person.id, Person.staff_code, Person.full_name, Person.gender,
                   Person.birth_year, Person.unit_id, Person.post_id, Person.duty_group_id,
                   Person.active, Person.staff_kind, Person.manager_id, Person.started_on,
                   Unit.path).join(Person.unit)
            .where(Person.staff_code.is_not(None))
        )
    }

    errors: list[RowError] = []
    creates: list[dict] = []
    updates: list[dict] = []
    unchanged = 0
    new_posts: dict[str, str] = {}
    new_groups: dict[str, str] = {}
    seen_codes: dict[str, int] = {}
    high_year = max_birth_year()

    for row in rows:
        values = row.values
        row_errors: list[RowError] = []

        def fail(column: str, message, _row=row, _errors=row_errors, **params) -> None:
            text = str(message) % params if params else str(message)
            _errors.append(RowError(_row.number, label[column], text))

        code = values.get("staff_code", "")
        full_name = values.get("full_name", "")
        if not code:
            fail("staff_code", _l("The staff code is empty."))
        elif len(code) > 64:
            fail("staff_code", _l("The staff code is longer than 64 characters."))
        elif code in seen_codes:
            fail("staff_code", _l("The staff code %(code)s is already used on row %(row)s."),
                 code=code, row=seen_codes[code])
        else:
            seen_codes[code] = row.number
        if not full_name:
            fail("full_name", _l("The full name is empty."))
        elif len(full_name) > 255:
            fail("full_name", _l("The full name is longer than 255 characters."))

        unit = None
        unit_text = values.get("unit", "")
        unit_code = values.get("unit_code", "")
        if unit_code:
            # The code names the unit; a name beside it must be that unit's (or its code).
            unit = units_by_code.get(unit_code.lower())
            if unit is None:
                fail("unit_code", _l("There is no unit with the code %(code)s."),
                     code=unit_code)
            elif unit_text and unit_text.lower() not in (nfc(unit.name).lower(),
                                                          unit_code.lower()):
                fail("unit", _l("The unit code %(code)s is %(name)s, not %(other)s."),
                     code=unit_code, name=unit.name, other=unit_text)
                unit = None
            if unit is not None and not can_manage_org(actor, unit):
                fail("unit", _l("You do not manage the unit %(name)s."), name=unit.name)
                unit = None
            elif unit is not None and not unit.active:
                fail("unit", _l("The unit %(name)s is no longer active."), name=unit.name)
                unit = None
        elif not unit_text:
            fail("unit", _l("The unit is empty."))
        else:
            unit = units_by_code.get(unit_text.lower())
            if unit is None:
                matches = units_by_name.get(unit_text.lower(), [])
                if len(matches) > 1:
                    fail("unit", _l("Several units are named %(name)s; write the unit code "
                                    "instead."), name=unit_text)
                elif not matches:
                    fail("unit", _l("There is no unit named %(name)s."), name=unit_text)
                else:
                    unit = matches[0]
            if unit is not None and not can_manage_org(actor, unit):
                fail("unit", _l("You do not manage the unit %(name)s."), name=unit.name)
                unit = None
            elif unit is not None and not unit.active:
                fail("unit", _l("The unit %(name)s is no longer active."), name=unit.name)
                unit = None

        gender = None
        gender_text = fold_for_search(values.get("gender", ""))
        if gender_text:
            gender = GENDER_WORDS.get(gender_text)
            if gender is None:
                fail("gender", _l("The gender must be Nam or Nữ, not %(value)s."),
                     value=values["gender"])

        birth_year = None
        year_text = values.get("birth_year", "")
        if year_text:
            if not year_text.isdigit():
                fail("birth_year", _l("The year of birth %(value)s is not a year."),
                     value=year_text)
            else:
                birth_year = int(year_text)
                if not MIN_BIRTH_YEAR <= birth_year <= high_year:
                    fail("birth_year", _l("The year of birth must be between %(low)s and "
                                          "%(high)s."), low=MIN_BIRTH_YEAR, high=high_year)

        active_text = fold_for_search(values.get("active", ""))
        if active_text in YES_WORDS:
            active = True
        elif active_text in NO_WORDS:
            active = False
        else:
            active = True
            fail("active", _l("Write Có or Không, not %(value)s."), value=values["active"])

        post_name = values.get("post", "")
        if len(post_name) > 255:
            fail("post", _l("The post is longer than 255 characters."))
        group_name = values.get("duty_group", "")
        if len(group_name) > 255:
            fail("duty_group", _l("The duty group is longer than 255 characters."))

        current = existing.get(code)
        if current is not None and not any(
            current.path.startswith(p) for p in (scope_paths(actor, Role.ADMIN) or [""])
        ):
            fail("staff_code", _l("The person with staff code %(code)s belongs to a unit you "
                                  "do not manage."), code=code)

        staff_kind = None
        kind_text = fold_for_search(values.get("staff_kind", ""))
        if kind_text:
            staff_kind = KIND_WORDS.get(kind_text)
            if staff_kind is None:
                fail("staff_kind", _l("The kind must be công chức, viên chức or cán bộ, not "
                                      "%(value)s."), value=values["staff_kind"])
        started_on = None
        if values.get("started_on"):
            try:
                started_on = parse_day_month_year(values["started_on"])
            except ValueError:
                fail("started_on", _l("The start date %(value)s is not a date written as "
                                      "dd/mm/yyyy."), value=values["started_on"])
        manager_code = values.get("manager_code", "")
        if manager_code and manager_code == code:
            fail("manager_code", _l("A person cannot be their own manager."))

        if row_errors:
            errors.extend(row_errors)
            continue

        post = posts_by_name.get(post_name.lower()) if post_name else None
        if post_name and post is None:
            new_posts.setdefault(post_name.lower(), post_name)
        group = groups_by_name.get(group_name.lower()) if group_name else None
        if group_name and group is None:
            new_groups.setdefault(group_name.lower(), group_name)

        change = {
            "row": row.number, "staff_code": code, "full_name": full_name, "gender": gender,
            "birth_year": birth_year, "unit_id": unit.id, "unit_name": unit.name,
            "post_name": post_name or None, "post_id": post.id if post else None,
            "duty_group_name": group_name or None,
            "duty_group_id": group.id if group else None, "active": active,
            # The new columns are written only when the file has them.
            "staff_kind": staff_kind, "started_on": started_on, "manager_code": manager_code,
            "unit_path": unit.path, "present": {key for key in ("staff_kind", "started_on",
                                                                "manager_code")
                                                if key in values},
        }
        needs_new_reference = (post_name and post is None) or (group_name and group is None)
        if current is None:
            creates.append(change)
        else:
            updates.append(change | {"id": current.id})

    # Managers: an existing person or one of the file's rows, active, in the unit or above.
    in_file = {change["staff_code"]: change for change in creates + updates}
    still_updates = []
    for change in creates + updates:
        manager_id = None
        if change["manager_code"]:
            manager = in_file.get(change["manager_code"]) or existing.get(
                change["manager_code"])
            path = active_manager = None
            if manager is not None:
                path = manager["unit_path"] if isinstance(manager, dict) else manager.path
                active_manager = (manager["active"] if isinstance(manager, dict)
                                  else manager.active)
                manager_id = manager.get("id") if isinstance(manager, dict) else manager.id
            if manager is None:
                errors.append(RowError(change["row"], label["manager_code"], str(_l(
                    "No person has the staff code %(code)s.", code=change["manager_code"]))))
            elif not active_manager:
                errors.append(RowError(change["row"], label["manager_code"], str(_l(
                    "The manager %(code)s no longer works here.",
                    code=change["manager_code"]))))
            elif not change["unit_path"].startswith(path):
                errors.append(RowError(change["row"], label["manager_code"], str(_l(
                    "The manager %(code)s works in neither the person's unit nor a unit "
                    "above it.", code=change["manager_code"]))))
        if "id" not in change:
            continue
        current = existing[change["staff_code"]]
        needs_new_reference = ((change["post_name"] and change["post_id"] is None)
                               or (change["duty_group_name"]
                                   and change["duty_group_id"] is None))
        same = not needs_new_reference and (
            current.full_name, current.gender, current.birth_year, current.unit_id,
            current.active, current.post_id, current.duty_group_id,
        ) == (change["full_name"], change["gender"], change["birth_year"], change["unit_id"],
              change["active"], change["post_id"], change["duty_group_id"])
        present = change["present"]
        same = same and ("staff_kind" not in present
                         or current.staff_kind == change["staff_kind"])
        same = same and ("started_on" not in present
                         or current.started_on == change["started_on"])
        same = same and ("manager_code" not in present or (
            current.manager_id == manager_id if change["manager_code"] and manager_id
            else not change["manager_code"] and current.manager_id is None))
        if same:
            unchanged += 1
        else:
            still_updates.append(change)
    updates = still_updates

    return ImportPlan(rows=len(rows), creates=creates, updates=updates, unchanged=unchanged,
                      new_posts=sorted(new_posts.values(), key=collation_key),
                      new_duty_groups=sorted(new_groups.values(), key=collation_key),
                      errors=errors)


def stage_people_import(actor, filename: str,
                        content: bytes) -> tuple[PeopleImport | None, ImportPlan]:
    """Keep an uploaded file for confirmation, with its plan. A file with errors is not kept."""
    plan = plan_people_import(actor, filename, content)
    if not plan.ok:
        return None, plan
    staged = PeopleImport(uploaded_by_id=actor.id, filename=nfc(filename)[:255], content=content,
                          sha256=hashlib.sha256(content).hexdigest())
    db.session.add(staged)
    db.session.flush()
    record(actor, "people_import.staged", staged, filename=staged.filename, rows=plan.rows,
           sha256=staged.sha256)
    return staged, plan


def get_staged_import(actor, import_id: int) -> PeopleImport:
    staged = db.session.get(PeopleImport, import_id)
    if staged is None or staged.uploaded_by_id != actor.id:
        raise NotFound(_l("This import does not exist."))
    if staged.applied_at is not None:
        raise InvalidState(_l("This file has already been imported."))
    return staged


def apply_people_import(actor, staged: PeopleImport) -> ImportPlan:
    """Apply a staged file in one transaction: all rows or, on any error, none."""
    if staged.applied_at is not None:
        raise InvalidState(_l("This file has already been imported."))
    plan = plan_people_import(actor, staged.filename, staged.content)
    db.session.refresh(staged)  # read again under the write lock: applied once only
    if staged.applied_at is not None:
        raise InvalidState(_l("This file has already been imported."))
    if not plan.ok:
        # The directory changed since the preview (a unit was deactivated, say).
        raise ValidationFailed(_l("The file no longer passes the checks; upload it again."),
                               errors=plan.errors)

    post_ids: dict[str, int] = {}
    for name in plan.new_posts:
        post = Post(name=name, rank=100, is_leadership=False, active=True)
        db.session.add(post)
        db.session.flush()
        post_ids[name.lower()] = post.id
    group_ids: dict[str, int] = {}
    for name in plan.new_duty_groups:
        group = DutyGroup(name=name, active=True)
        db.session.add(group)
        db.session.flush()
        group_ids[name.lower()] = group.id

    now = utcnow()

    def columns(change: dict) -> dict:
        post_id = change["post_id"] or (post_ids.get(change["post_name"].lower())
                                        if change["post_name"] else None)
        group_id = change["duty_group_id"] or (
            group_ids.get(change["duty_group_name"].lower()) if change["duty_group_name"]
            else None)
        values = {
            "staff_code": change["staff_code"], "full_name": change["full_name"],
            "gender": change["gender"], "birth_year": change["birth_year"],
            "unit_id": change["unit_id"], "post_id": post_id, "duty_group_id": group_id,
            "active": change["active"], "updated_at": now,
            **derived_person_fields(change["full_name"], change["staff_code"]),
        }
        for key in ("staff_kind", "started_on"):
            if key in change["present"] or "id" not in change:
                values[key] = change[key]
        return values

    if plan.creates:
        db.session.execute(insert(Person),
                           [columns(change) | {"created_at": now} for change in plan.creates])
    if plan.updates:
        db.session.execute(update(Person),
                           [columns(change) | {"id": change["id"]} for change in plan.updates])
    # Managers last: a manager may be one of the rows just created.
    with_manager = [c for c in plan.creates + plan.updates
                    if "manager_code" in c["present"] or "id" not in c]
    if with_manager:
        codes = {c["staff_code"] for c in with_manager} | {
            c["manager_code"] for c in with_manager if c["manager_code"]}
        ids = dict(db.session.execute(select(Person.staff_code, Person.id)
                                      .where(Person.staff_code.in_(sorted(codes)))).all())
        db.session.execute(update(Person), [
            {"id": ids[c["staff_code"]],
             "manager_id": ids.get(c["manager_code"]) if c["manager_code"] else None}
            for c in with_manager])
    staged.applied_at = now
    staged.content = b""  # the people are in the directory now; the file is not needed
    db.session.flush()
    record(actor, "people_import.applied", staged, filename=staged.filename,
           created=len(plan.creates), updated=len(plan.updates), unchanged=plan.unchanged,
           new_posts=len(plan.new_posts), new_duty_groups=len(plan.new_duty_groups))
    return plan


def export_people_xlsx(viewer, **filters) -> bytes:
    query = people_query(viewer, **filters).options(joinedload(Person.manager))
    people = db.session.execute(query).scalars()
    yes, no = str(_l("Yes")), str(_l("No"))
    return write_people_workbook(
        {
            "staff_code": p.staff_code, "full_name": p.full_name,
            "gender": p.gender.label if p.gender else None, "birth_year": p.birth_year,
            "post": p.post.name if p.post else None, "unit_code": p.unit.code,
            "unit": p.unit.name,
            "duty_group": p.duty_group.name if p.duty_group else None,
            "active": yes if p.active else no,
            "staff_kind": KIND_EXPORT.get(p.staff_kind) if p.staff_kind else None,
            "manager_code": p.manager.staff_code if p.manager else None,
            "started_on": p.started_on.strftime("%d/%m/%Y") if p.started_on else None,
        }
        for p in people
    )


def people_template_xlsx(viewer) -> bytes:
    """The import template, its example row in one of the viewer's own units."""
    units = units_in_scope(viewer, active_only=True)
    unit = units[0] if units else None
    posts = list_posts(active_only=True)
    return people_template_workbook({
        "staff_code": "CB0001", "full_name": "Nguyễn Văn An", "gender": "Nam",
        "birth_year": 1980, "post": posts[-1].name if posts else "Chuyên viên",
        "unit_code": unit.code if unit else "SNV",
        "unit": unit.name if unit else "Sở Nội vụ", "duty_group": None, "active": "Có",
        "staff_kind": "Công chức", "manager_code": None, "started_on": "01/09/2015",
    })


def manager_by_code(staff_code: str | None) -> Person | None:
    """The manager named by their staff code on the person form (None when left empty)."""
    code = nfc(staff_code)
    if not code:
        return None
    person = db.session.execute(
        select(Person).where(Person.staff_code == code)).scalar_one_or_none()
    if person is None:
        raise ValidationFailed(_l("No person has the staff code %(code)s."), field="manager_code",
                               code=code)
    return person


MANAGER_CHOICES = 500


def manager_candidates(unit: Unit | None, exclude_id: int | None = None) -> list[Person]:
    """Who may manage someone of `unit`: the active people of the unit and the units above it,
    in Vietnamese order (at most MANAGER_CHOICES, offered as the form's suggestions)."""
    if unit is None:
        return []
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    query = (select(Person).where(Person.unit_id.in_(ids), Person.active.is_(True))
             .options(joinedload(Person.unit)).order_by(Person.sort_key, Person.id)
             .limit(MANAGER_CHOICES))
    if exclude_id is not None:
        query = query.where(Person.id != exclude_id)
    return list(db.session.scalars(query))


def find_person_by_code(staff_code: str | None) -> Person | None:
    """The person with this staff code; None for an empty code; an error for an unknown one."""
    code = nfc(staff_code)
    if not code:
        return None
    person = db.session.execute(
        select(Person).where(Person.staff_code == code)).scalar_one_or_none()
    if person is None:
        raise ValidationFailed(_l("No person has the staff code %(code)s."), field="staff_code",
                               code=code)
    return person
