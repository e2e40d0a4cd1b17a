"""Creating a round, taking its units and people (a snapshot, in bulk, safely re-run),
eligibility, Quy chế versions."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, insert, select

from evalapp.audit.models import AuditEntry
from evalapp.auth.permissions import SYSTEM
from evalapp.core.errors import InvalidState, ValidationFailed
from evalapp.core.text import fold_for_search, person_sort_key
from evalapp.evaluations import builder, services
from evalapp.evaluations.models import RatedPerson, RatedUnit, RoundStatus
from evalapp.org.models import Person


def test_a_round_snapshots_units_people_heads_managers_and_quy_che(db):
    dept = builder.department(subunits=2, staff_per_unit=3)
    round_ = builder.round_for(dept, to=RoundStatus.DRAFT)
    db.session.commit()
    people = services.rated_people(round_)
    assert len(people) == 1 + 2 * 4
    by_person = {r.person_id: r for r in people}
    sub = dept.subunits[0]
    head = by_person[dept.heads[sub.id].id]
    assert head.is_head and head.is_leader and head.post_name == "Trưởng phòng"
    assert head.manager_person_id == dept.heads[dept.unit.id].id  # set in the directory
    staff = by_person[dept.people[sub.id][1].id]
    assert not staff.is_head and staff.manager_person_id == head.person_id  # the unit's head
    assert staff.duty_group_name == "Chuyên môn, nghiệp vụ"
    assert staff.staff_kind.value == "civil_servant"
    regulation = services.latest_regulation(dept.unit)
    assert {r.regulation_id for r in people} == {regulation.id}  # inherited from the top unit
    assert len(services.rated_units(round_)) == 3
    # The snapshot stays when the directory changes.
    dept.people[sub.id][1].full_name = "Tên Mới"
    db.session.commit()
    assert db.session.get(RatedPerson, staff.id).full_name != "Tên Mới"


def test_taking_people_again_adds_nobody_and_says_so(db):
    dept = builder.department(subunits=1, staff_per_unit=3)
    round_ = builder.round_for(dept, to=RoundStatus.DRAFT)
    db.session.commit()
    again = services.take_people(SYSTEM, round_, services.Selection(dept.unit))
    assert (again.added, again.already) == (0, 5)
    assert services.take_units(SYSTEM, round_, dept.unit) == 0
    db.session.commit()
    count = db.session.scalar(select(func.count()).select_from(RatedPerson))
    assert count == 5
    assert db.session.scalar(select(func.count()).select_from(RatedUnit)) == 2
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.action == "evaluation_round.units_taken"


def test_under_six_months_is_listed_with_the_reason_and_can_be_included_by_hand(db):
    dept = builder.department(subunits=1, staff_per_unit=2)
    newcomer = dept.people[dept.subunits[0].id][1]
    newcomer.started_on = date(2026, 9, 1)
    round_ = builder.round_for(dept, to=RoundStatus.DRAFT)
    db.session.commit()
    rated = next(r for r in services.rated_people(round_) if r.person_id == newcomer.id)
    assert not rated.eligible and not rated.included and rated.excluded_reason
    with pytest.raises(ValidationFailed):
        services.include_by_hand(SYSTEM, round_, rated, "  ")
    services.include_by_hand(SYSTEM, round_, rated, "Chuyển từ đơn vị khác, đủ thời gian")
    db.session.commit()
    assert rated.included and rated.included_reason.startswith("Chuyển")


def test_selection_by_job_position_group_and_unit_only(db):
    dept = builder.department(subunits=2, staff_per_unit=3)
    round_ = builder.round_for(dept, to=RoundStatus.DRAFT, regulation=False)
    db.session.execute(RatedPerson.__table__.delete())
    support = dept.groups[builder.GROUPS[2]]
    taken = services.take_people(SYSTEM, round_, services.Selection(
        dept.unit, duty_group_ids=frozenset({support.id})))
    assert taken.added == 2
    taken = services.take_people(SYSTEM, round_, services.Selection(
        dept.subunits[0], include_subunits=False))
    assert (taken.added, taken.already) == (3, 1)


def test_settings_freeze_when_the_round_opens(db):
    dept = builder.department(subunits=1, staff_per_unit=1)
    round_ = builder.round_for(dept, to=RoundStatus.DRAFT)
    services.update_settings(SYSTEM, round_, {"opinion_ballot": False})
    with pytest.raises(ValidationFailed):
        services.update_settings(SYSTEM, round_, {"no_such": 1})
    with pytest.raises(ValidationFailed):
        services.update_settings(SYSTEM, round_, {"quota_share": "many"})
    services.open_round(SYSTEM, round_)
    db.session.commit()
    assert round_.settings["opinion_ballot"] is False
    assert services.round_rules(round_).opinion_ballot is False
    with pytest.raises(InvalidState):
        services.update_settings(SYSTEM, round_, {"opinion_ballot": True})


def test_quy_che_versions_are_new_rows_and_bad_ones_are_refused(db):
    dept = builder.department(subunits=0, staff_per_unit=0)
    first = services.seed_regulation(SYSTEM, dept.unit, "decree-233-2026")
    content = first.content
    content["general"][0]["points"] = "99"
    with pytest.raises(ValidationFailed):
        services.save_regulation(SYSTEM, dept.unit, preset_key="decree-233-2026",
                                 title="Quy chế", content=content)
    content = first.content
    content["period"] = "month"
    second = services.save_regulation(SYSTEM, dept.unit, preset_key="decree-233-2026",
                                      title="Quy chế sửa đổi", content=content, note="Theo tháng")
    db.session.commit()
    assert (first.version, second.version) == (1, 2)
    assert first.content["period"] != "month" and second.content["period"] == "month"
    assert [r.version for r in services.regulation_versions(dept.unit)] == [2, 1]


def test_ten_thousand_people_in_one_go_and_again_without_duplicates(db):
    dept = builder.department(subunits=1, staff_per_unit=1)
    sub = dept.subunits[0]
    rows = [dict(full_name=f"Nguyễn Văn Số{i}", unit_id=sub.id, staff_code=f"B{i:06d}",
                 active=True, sort_key=person_sort_key(f"Nguyễn Văn Số{i}"),
                 search_text=fold_for_search(f"Nguyễn Văn Số{i}"), post_id=None,
                 duty_group_id=dept.groups[builder.GROUPS[1]].id)
            for i in range(10_000)]
    db.session.execute(insert(Person), rows)
    round_ = builder.round_for(dept, to=RoundStatus.DRAFT)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(RatedPerson)) == 10_003
    again = services.take_people(SYSTEM, round_, services.Selection(dept.unit))
    db.session.commit()
    assert (again.added, again.already) == (0, 10_003)
    assert db.session.scalar(select(func.count()).select_from(RatedPerson)) == 10_003
