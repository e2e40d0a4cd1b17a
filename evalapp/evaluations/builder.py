"""Builds evaluation rounds through the real services, for tests, benchmarks and the demo
(the counterpart of evalapp.ballots.builder): a department with sub-units, posts, job-position
groups, people with accounts, a Quy chế, and a round taken to a state.

Everything goes through the services with SYSTEM as the actor; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from evalapp.auth.permissions import SYSTEM
from evalapp.evaluations import services
from evalapp.evaluations.models import EvaluationRound, RoundStatus
from evalapp.extensions import db
from evalapp.org.models import DutyGroup, Person, Post, StaffKind, Unit, UnitKind
from evalapp.org.services import PersonData, create_person, create_unit, save_duty_group, save_post

GROUPS = ("Lãnh đạo, quản lý", "Chuyên môn, nghiệp vụ", "Hỗ trợ, phục vụ")


@dataclass
class Department:
    """A unit with sub-units and their people (heads first in each sub-unit)."""

    unit: Unit
    subunits: list[Unit]
    people: dict[int, list[Person]]            # unit id -> people, the head first
    heads: dict[int, Person]                   # unit id -> head
    groups: dict[str, DutyGroup]
    posts: dict[str, Post] = field(default_factory=dict)


def _post(name: str, rank: int, leadership: bool) -> Post:
    found = db.session.query(Post).filter_by(name=name).one_or_none()
    return found or save_post(SYSTEM, None, name=name, rank=rank, is_leadership=leadership)


def _group(name: str) -> DutyGroup:
    found = db.session.query(DutyGroup).filter_by(name=name).one_or_none()
    return found or save_duty_group(SYSTEM, None, name=name, description=None)


def department(name: str = "Sở Nội vụ", *, subunits: int = 2, staff_per_unit: int = 5,
               kind: StaffKind = StaffKind.CIVIL_SERVANT, parent: Unit | None = None,
               surname: str = "Nguyễn") -> Department:
    """A department whose own head leads it, and `subunits` offices each with a head and
    `staff_per_unit` specialists (the last of them in the support group)."""
    groups = {g: _group(g) for g in GROUPS}
    director = _post("Giám đốc", 1, True)
    head_post = _post("Trưởng phòng", 5, True)
    specialist = _post("Chuyên viên", 50, False)
    unit = create_unit(SYSTEM, name=name, kind=UnitKind.DEPARTMENT, parent=parent, code=None)
    people: dict[int, list[Person]] = {}
    heads: dict[int, Person] = {}
    serial = db.session.query(Person).count()

    def person(full_name, where, post, group):
        nonlocal serial
        serial += 1
        made = create_person(SYSTEM, PersonData(
            full_name=full_name, unit=where, staff_code=f"E{serial:06d}", post=post,
            duty_group=group))
        made.staff_kind = kind
        return made

    top = person(f"{surname} Văn Giám", unit, director, groups[GROUPS[0]])
    people[unit.id], heads[unit.id] = [top], top
    subs = []
    for n in range(1, subunits + 1):
        sub = create_unit(SYSTEM, name=f"Phòng {n} – {name}", kind=UnitKind.DEPARTMENT,
                          parent=unit, code=None)
        subs.append(sub)
        head = person(f"{surname} Thị Trưởng{n}", sub, head_post, groups[GROUPS[0]])
        head.manager_id = top.id
        staff = [head]
        for i in range(1, staff_per_unit + 1):
            group = groups[GROUPS[2]] if i == staff_per_unit else groups[GROUPS[1]]
            staff.append(person(f"{surname} Văn Viên{n}x{i}", sub, specialist, group))
        people[sub.id], heads[sub.id] = staff, head
    db.session.flush()
    return Department(unit, subs, people, heads, groups,
                      {"director": director, "head": head_post, "specialist": specialist})


def round_for(dept: Department, *, year: int = 2026, preset: str = "decree-335-2025",
              to: RoundStatus = RoundStatus.OPEN, title: str | None = None,
              regulation: bool = True) -> EvaluationRound:
    """A round over the whole department (its units and people), with a Quy chế seeded from
    the preset, taken to `to` (DRAFT or OPEN)."""
    if regulation and services.latest_regulation(dept.unit) is None:
        services.seed_regulation(SYSTEM, dept.unit, preset)
    round_ = services.create_round(SYSTEM, dept.unit, title=title or f"Đánh giá năm {year}",
                                   year=year, preset_key=preset)
    services.take_units(SYSTEM, round_, dept.unit)
    services.take_people(SYSTEM, round_, services.Selection(dept.unit))
    if to != RoundStatus.DRAFT:
        services.open_round(SYSTEM, round_)
    db.session.flush()
    return round_


def started(year: int, month: int) -> date:
    return date(year, month, 1)
