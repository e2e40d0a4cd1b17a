"""The set-up pages of evaluation rounds: creating a round, its settings while a draft, taking
people (repeatable, scoped), including/leaving out/marking heads, opening, the people list, the
dashboard (grouped queries) and the home page sections."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event, func, select

from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.core.time import utcnow
from evalapp.evaluations import builder, home, services, setup
from evalapp.evaluations.models import (
    EvaluationForm,
    EvaluationRound,
    FormStatus,
    FormStep,
    Meeting,
    MeetingStatus,
    RatedPerson,
    RatedUnit,
    RoundStatus,
)
from evalapp.extensions import db as _db
from evalapp.org.models import StaffKind


def _dept(db, *args, **kwargs):
    dept = builder.department(*args, **kwargs)
    db.session.commit()
    return dept


def test_an_admin_creates_a_round_and_lands_on_its_people(db, factory, login_as):
    dept = _dept(db, subunits=1, staff_per_unit=2)
    client = login_as(factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    response = client.post("/evaluations/new", data={
        "title": "Đánh giá năm 2026", "unit_id": str(dept.unit.id), "year": "2026",
        "period": "year", "preset": "decree-233-2026", "body_name": "",
        "authority_name": "Giám đốc Sở"})
    assert response.status_code == 302
    round_ = db.session.scalars(select(EvaluationRound)).one()
    assert response.headers["Location"].endswith(f"/evaluations/{round_.id}/people")
    assert (round_.preset, round_.authority_name, round_.body_name) == (
        "decree-233-2026", "Giám đốc Sở", dept.unit.name)
    assert client.get(f"/evaluations/{round_.id}").status_code == 200
    assert "Đánh giá năm 2026" in client.get("/evaluations/").get_data(as_text=True)


def test_a_bad_year_is_refused_and_creates_nothing(db, factory, login_as):
    dept = _dept(db, subunits=0, staff_per_unit=0)
    client = login_as(factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    response = client.post("/evaluations/new", data={
        "title": "X", "unit_id": str(dept.unit.id), "year": "1900", "period": "year",
        "preset": "decree-335-2025"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(EvaluationRound)) == 0


def test_taking_people_twice_says_how_many_were_already_there(db, factory, login_as):
    dept = _dept(db, subunits=2, staff_per_unit=2)
    round_ = services.create_round(SYSTEM, dept.unit, title="R", year=2026,
                                   preset_key="decree-335-2025")
    db.session.commit()
    client = login_as(factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    data = {"unit_id": str(dept.unit.id), "include_subunits": "y", "units_too": "y"}
    first = client.post(f"/evaluations/{round_.id}/people", data=data)
    assert first.status_code == 200
    assert "7 người được thêm, 0 người đã có" in first.get_data(as_text=True)
    second = client.post(f"/evaluations/{round_.id}/people", data=data)
    assert "0 người được thêm, 7 người đã có" in second.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(RatedPerson)) == 7
    assert db.session.scalar(select(func.count()).select_from(RatedUnit)) == 3


def test_taking_by_group_and_kind_takes_only_those(db, factory, login_as):
    dept = _dept(db, subunits=1, staff_per_unit=3)
    sub = dept.subunits[0]
    dept.people[sub.id][1].staff_kind = StaffKind.PUBLIC_EMPLOYEE
    round_ = services.create_round(SYSTEM, dept.unit, title="R", year=2026,
                                   preset_key="decree-335-2025")
    db.session.commit()
    client = login_as(factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    group = dept.groups[builder.GROUPS[1]]
    response = client.post(f"/evaluations/{round_.id}/people", data={
        "unit_id": str(dept.unit.id), "include_subunits": "y", "groups": [str(group.id)],
        "kinds": ["civil_servant"]})
    assert response.status_code == 200
    taken = {r.person_id for r in services.rated_people(round_)}
    assert taken == {dept.people[sub.id][2].id}  # specialist, civil servant, not support


def test_the_not_eligible_are_listed_with_their_reason(db, factory, login_as):
    dept = _dept(db, subunits=1, staff_per_unit=1)
    late = dept.people[dept.subunits[0].id][1]
    late.started_on = date(2026, 10, 1)
    round_ = services.create_round(SYSTEM, dept.unit, title="R", year=2026,
                                   preset_key="decree-335-2025")
    db.session.commit()
    client = login_as(factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    page = client.post(f"/evaluations/{round_.id}/people", data={
        "unit_id": str(dept.unit.id), "include_subunits": "y"}).get_data(as_text=True)
    assert 'id="not-eligible"' in page and late.full_name in page
    rated = db.session.scalar(select(RatedPerson).filter_by(person_id=late.id))
    assert not rated.included
    # Included by hand, with a reason (audited by the service); without one: 422, no change.
    url = f"/evaluations/{round_.id}/people/{rated.id}/include"
    assert client.post(url, data={"reason": ""}).status_code == 422
    db.session.refresh(rated)
    assert not rated.included
    assert client.post(url, data={"reason": "Theo quyết định"}).status_code == 302
    db.session.refresh(rated)
    assert rated.included and rated.included_reason == "Theo quyết định"
    out = f"/evaluations/{round_.id}/people/{rated.id}/exclude"
    assert client.post(out, data={"reason": "Nghỉ việc"}).status_code == 302
    db.session.refresh(rated)
    assert not rated.included and rated.excluded_reason == "Nghỉ việc"


def test_an_eligible_person_is_excluded_by_hand_with_the_reason(db, factory, login_as):
    # Someone the rules take (eligible) whom the admin leaves out, with the reason; then taken
    # back. (The first check of 0009 refused this row: a 500.)
    dept = _dept(db, subunits=1, staff_per_unit=1)
    round_ = builder.round_for(dept, to=RoundStatus.DRAFT)
    db.session.commit()
    rated = next(r for r in services.rated_people(round_) if r.eligible and r.included)
    client = login_as(factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    out = f"/evaluations/{round_.id}/people/{rated.id}/exclude"
    assert client.post(out, data={"reason": "Nghỉ ốm dài ngày"}).status_code == 302
    db.session.refresh(rated)
    assert (rated.included, rated.eligible, rated.excluded_reason) == (
        False, True, "Nghỉ ốm dài ngày")
    back = f"/evaluations/{round_.id}/people/{rated.id}/include"
    assert client.post(back, data={"reason": "Đã đi làm lại"}).status_code == 302
    db.session.refresh(rated)
    assert (rated.included, rated.excluded_reason) == (True, None)


def test_marking_the_head_of_a_unit(db, factory, login_as):
    dept = _dept(db, subunits=1, staff_per_unit=1)
    round_ = builder.round_for(dept, to=RoundStatus.DRAFT)
    db.session.commit()
    staff = next(r for r in services.rated_people(round_) if not r.is_head)
    client = login_as(factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    url = f"/evaluations/{round_.id}/people/{staff.id}/head"
    assert client.post(url, data={"is_head": "maybe"}).status_code == 422
    assert client.post(url, data={"is_head": "y"}).status_code == 302
    db.session.refresh(staff)
    assert staff.is_head


def test_a_scoped_admin_cannot_take_people_of_another_unit(db, factory, login_as):
    dept = _dept(db, subunits=1, staff_per_unit=1)
    other = builder.department("Sở Tài chính", subunits=1, staff_per_unit=1, surname="Lê")
    round_ = services.create_round(SYSTEM, dept.unit, title="R", year=2026,
                                   preset_key="decree-335-2025")
    other_round = services.create_round(SYSTEM, other.unit, title="O", year=2026,
                                        preset_key="decree-335-2025")
    db.session.commit()
    client = login_as(factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    # Their own round, a unit outside it: refused, nothing taken.
    response = client.post(f"/evaluations/{round_.id}/people", data={
        "unit_id": str(other.unit.id), "include_subunits": "y"})
    assert response.status_code == 422
    # Another unit's round: not even visible.
    response = client.post(f"/evaluations/{other_round.id}/people", data={
        "unit_id": str(other.unit.id), "include_subunits": "y"})
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(RatedPerson)) == 0
    assert db.session.scalar(select(func.count()).select_from(RatedUnit)) == 0


def test_settings_change_while_a_draft_and_freeze_when_open(db, factory, login_as):
    dept = _dept(db, subunits=1, staff_per_unit=1)
    round_ = builder.round_for(dept, to=RoundStatus.DRAFT)
    db.session.commit()
    client = login_as(factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    url = f"/evaluations/{round_.id}/settings"
    assert client.get(url).status_code == 200
    data = {"title": "Đánh giá 2026", "due_units": "10/12/2026", "due_self": "15/11/2026",
            "due_meeting": "20/11/2026", "due_manager": "25/11/2026",
            "due_decision": "05/12/2026", "quota_rounding": "half_up", "outstanding": "y"}
    bad = dict(data, due_self="31/02/2026")
    assert client.post(url, data=bad).status_code == 422
    db.session.refresh(round_)
    assert services.due_dates(round_)["self"] != date(2026, 11, 15)
    assert client.post(url, data=data).status_code == 302
    db.session.refresh(round_)
    assert services.due_dates(round_)["self"] == date(2026, 11, 15)
    assert round_.outstanding and round_.title == "Đánh giá 2026"
    assert round_.settings["opinion_ballot"] is False
    assert round_.settings["quota_rounding"] == "half_up"
    assert client.post(f"/evaluations/{round_.id}/open").status_code == 302
    db.session.refresh(round_)
    assert round_.status == RoundStatus.OPEN
    assert client.post(url, data=dict(data, title="Khác")).status_code == 409
    db.session.refresh(round_)
    assert round_.title == "Đánh giá 2026"


def test_opening_an_empty_round_is_refused(db, factory, login_as):
    dept = _dept(db, subunits=0, staff_per_unit=0)
    round_ = services.create_round(SYSTEM, dept.unit, title="R", year=2026,
                                   preset_key="decree-335-2025")
    db.session.commit()
    client = login_as(factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    assert client.post(f"/evaluations/{round_.id}/open").status_code == 422
    db.session.refresh(round_)
    assert round_.status == RoundStatus.DRAFT


def test_the_people_list_pages_searches_and_sorts_in_vietnamese_order(db, factory, login_as):
    dept = _dept(db, subunits=1, staff_per_unit=0)
    sub = dept.subunits[0]
    for name in ("Nguyễn Văn Đức", "Trần Thị Ánh", "Lê Văn Dũng", "Phạm Văn Bảo"):
        factory.person(name, sub)
    round_ = builder.round_for(dept, to=RoundStatus.DRAFT)
    db.session.commit()
    flt = setup.PeopleFilter(unit_id=sub.id, sort="name")
    names = [r.full_name for r in setup.people_rows(round_, flt, offset=0, size=10)]
    # By given name, in Vietnamese order (Á after A, Đ after D): not the byte order.
    assert [n for n in names if "Trưởng" not in n] == [
        "Trần Thị Ánh", "Phạm Văn Bảo", "Lê Văn Dũng", "Nguyễn Văn Đức"]
    assert setup.people_count(round_, setup.PeopleFilter(search="tran thi")) == 1
    client = login_as(factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    page = client.get(f"/evaluations/{round_.id}/people?q=bao").get_data(as_text=True)
    assert "Phạm Văn Bảo" in page and "Trần Thị Ánh" not in page


def test_the_people_list_never_renders_more_than_a_page(db, factory, login_as):
    dept = _dept(db, subunits=1, staff_per_unit=150)
    round_ = builder.round_for(dept, to=RoundStatus.DRAFT)
    db.session.commit()
    client = login_as(factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    page = client.get(f"/evaluations/{round_.id}/people").get_data(as_text=True)
    assert page.count("data-rated=") == 100
    second = client.get(f"/evaluations/{round_.id}/people?page=2").get_data(as_text=True)
    assert second.count("data-rated=") == 152 - 100


def _send(round_, rated, step, *, late=False):
    form = EvaluationForm(round_id=round_.id, step=step, rated_person_id=rated.id,
                          status=FormStatus.SENT, sent_at=utcnow(), late=late)
    _db.session.add(form)


def _count_statements(callback) -> int:
    engine = _db.engine
    seen = []

    def count(*args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        callback()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_dashboard_counts_done_late_missing_per_unit_and_step(db):
    dept = _dept(db, subunits=2, staff_per_unit=3)
    round_ = builder.round_for(dept)
    sub1, sub2 = dept.subunits
    people = {r.person_id: r for r in services.rated_people(round_)}
    rated1 = [people[p.id] for p in dept.people[sub1.id]]  # 4 people
    _send(round_, rated1[0], FormStep.SELF)
    _send(round_, rated1[1], FormStep.SELF, late=True)
    _send(round_, rated1[0], FormStep.MANAGER)
    draft = EvaluationForm(round_id=round_.id, step=FormStep.SELF,
                           rated_person_id=rated1[2].id, status=FormStatus.DRAFT)
    db.session.add(draft)
    unit_row = next(u for u in services.rated_units(round_) if u.unit_id == sub1.id)
    db.session.add(EvaluationForm(round_id=round_.id, step=FormStep.SELF,
                                  rated_unit_id=unit_row.id, status=FormStatus.SENT,
                                  sent_at=utcnow()))
    db.session.add(Meeting(round_id=round_.id, unit_id=sub1.id, status=MeetingStatus.RECORDED,
                           held_on=services.due_dates(round_)["meeting"] + timedelta(days=1)))
    db.session.commit()
    board = setup.dashboard(round_, today=date(2026, 1, 1))
    row = next(r for r in board.rows if r.unit_id == sub1.id)
    assert row.people == 4
    assert (row.cells["self"].done, row.cells["self"].late, row.cells["self"].missing) == (1, 1, 2)
    assert (row.cells["manager"].done, row.cells["manager"].missing) == (1, 3)
    assert (row.cells["units"].done, row.cells["units"].missing) == (1, 0)
    assert (row.cells["meeting"].late, row.cells["meeting"].done) == (1, 0)
    other = next(r for r in board.rows if r.unit_id == sub2.id)
    assert other.cells["self"].missing == 4 and other.cells["meeting"].missing == 1
    assert not other.cells["self"].overdue
    assert setup.dashboard(round_, today=date(2027, 6, 1)).rows[2].cells["self"].overdue
    assert board.totals["self"].missing == 2 + 4 + 1  # the director's own unit: 1 person
    # The people behind a number: the filtered list.
    missing = setup.people_rows(round_, setup.PeopleFilter(unit_id=sub1.id, step="self",
                                                           state="missing"),
                                offset=0, size=100)
    assert {r.id for r in missing} == {rated1[2].id, rated1[3].id}
    late = setup.people_rows(round_, setup.PeopleFilter(step="self", state="late"),
                             offset=0, size=100)
    assert [r.id for r in late] == [rated1[1].id]


def test_the_dashboard_query_count_does_not_grow_with_people(db):
    small = builder.round_for(_dept(db, "Sở A", subunits=2, staff_per_unit=2))
    big = builder.round_for(_dept(db, "Sở B", subunits=4, staff_per_unit=80, surname="Lê"))
    for rated in services.rated_people(big)[:150]:
        _send(big, rated, FormStep.SELF)
    db.session.commit()
    assert len(services.rated_people(big)) > 300
    db.session.expire_all()
    small_count = _count_statements(lambda: setup.dashboard(small))
    db.session.expire_all()
    big_count = _count_statements(lambda: setup.dashboard(big))
    assert big_count == small_count <= 8


def test_the_dashboard_page_links_each_number_to_its_people(db, factory, login_as):
    dept = _dept(db, subunits=1, staff_per_unit=2)
    round_ = builder.round_for(dept)
    db.session.commit()
    sub = dept.subunits[0]
    client = login_as(factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    page = client.get(f"/evaluations/{round_.id}").get_data(as_text=True)
    assert f"/evaluations/{round_.id}/people?unit={sub.id}&amp;step=self&amp;state=missing" \
        in page
    listed = client.get(f"/evaluations/{round_.id}/people?unit={sub.id}&step=self"
                        "&state=missing").get_data(as_text=True)
    assert listed.count("data-rated=") == 3


def test_home_lists_own_form_colleagues_to_assess_and_rounds_to_move(db, factory, login_as):
    dept = _dept(db, subunits=1, staff_per_unit=2)
    round_ = builder.round_for(dept)
    draft = builder.round_for(dept, to=RoundStatus.DRAFT, title="Dự thảo")
    sub = dept.subunits[0]
    head, staff1, staff2 = dept.people[sub.id]
    rated = {r.person_id: r for r in services.rated_people(round_)}
    _send(round_, rated[staff2.id], FormStep.MANAGER)
    _send(round_, rated[head.id], FormStep.SELF)
    db.session.commit()
    head_user = factory.user("truongphong", roles=(), person=head)
    staff_user = factory.user("chuyenvien", roles=(), person=staff1)
    assert home.own_forms(head_user) == []  # sent
    assert [row["url"] for row in home.own_forms(staff_user)] == [
        f"/evaluations/{round_.id}/forms/self"]
    owed = home.manager_forms(head_user)
    assert [p["url"] for p in owed[0]["people"]] == [
        f"/evaluations/{round_.id}/people/{rated[staff1.id].id}/manager"]
    assert home.manager_forms(staff_user) == []
    admin = factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit)
    outsider = factory.user("qt2", roles=(Role.ADMIN,), unit=factory.unit("Khác"))
    found = home.admin_rounds(admin)
    assert ([r.id for r in found["to_open"]], [r.id for r in found["to_finalise"]]) == (
        [draft.id], [round_.id])
    assert home.admin_rounds(outsider) == {"to_open": [], "to_finalise": []}
    page = login_as(staff_user).get("/").get_data(as_text=True)
    assert f"/evaluations/{round_.id}/forms/self" in page
