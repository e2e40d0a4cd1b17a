"""The directory's fields for evaluation rounds: kind of staff, direct manager, start date —
through the services, the person form, the import (with row-level errors), the export, the
template and the API."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from evalapp.auth.permissions import SYSTEM
from evalapp.core.errors import ValidationFailed
from evalapp.org import services
from evalapp.org.models import Person, StaffKind
from evalapp.org.services import PersonData

HEADINGS = ["Mã cán bộ", "Họ và tên", "Đơn vị", "Loại", "Mã người quản lý",
            "Ngày bắt đầu công tác"]


def xlsx(rows, headings=HEADINGS) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Danh sách")
    sheet.append(headings)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes):
    return client.post("/org/people/import", data={"file": (io.BytesIO(content), "ds.xlsx")},
                       content_type="multipart/form-data")


def apply(client, preview):
    html = preview.get_data(as_text=True)
    staged = int(html.split("/org/people/import/")[1].split("/apply")[0])
    return client.post(f"/org/people/import/{staged}/apply")


@pytest.fixture
def tree(factory):
    top = factory.unit("Sở Nội vụ", code="SNV")
    office = factory.unit("Phòng Tổ chức", parent=top, code="PTC")
    other = factory.unit("Sở Tài chính", code="STC")
    return {"top": top, "office": office, "other": other}


def by_code(db, code) -> Person:
    return db.session.scalar(select(Person).where(Person.staff_code == code))


def test_the_services_keep_kind_manager_and_start(db, factory, tree):
    boss = factory.person("Trần Văn Giám", tree["top"], staff_code="B1")
    person = services.create_person(SYSTEM, PersonData(
        full_name="Lê Thị Viên", unit=tree["office"], staff_code="P1",
        staff_kind=StaffKind.PUBLIC_EMPLOYEE, manager=boss, started_on=date(2020, 3, 1)))
    db.session.commit()
    assert (person.staff_kind, person.manager_id, person.started_on) == (
        StaffKind.PUBLIC_EMPLOYEE, boss.id, date(2020, 3, 1))
    outsider = factory.person("Phạm Văn Ngoài", tree["other"], staff_code="O1")
    # A manager outside the unit and the units above it; oneself; someone gone: refused.
    for manager in (outsider, person):
        with pytest.raises(ValidationFailed):
            services.update_person(SYSTEM, person, PersonData(
                full_name=person.full_name, unit=tree["office"], staff_code="P1",
                manager=manager))
    db.session.rollback()
    boss = by_code(db, "B1")
    services.set_person_active(SYSTEM, boss, False)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        services.create_person(SYSTEM, PersonData(full_name="X", unit=tree["office"],
                                                  staff_code="P2", manager=boss))


def test_the_person_form_sets_and_shows_the_new_fields(db, factory, tree, admin, login_as):
    boss = factory.person("Trần Văn Giám", tree["top"], staff_code="B1")
    factory.person("Phạm Văn Ngoài", tree["other"], staff_code="O1")
    person = factory.person("Lê Thị Viên", tree["office"], staff_code="P1")
    client = login_as(admin)
    page = client.get(f"/org/people/{person.id}").get_data(as_text=True)
    # The suggestions: the unit and the units above it, not another department.
    options = page.split('id="manager-options"')[1].split("</datalist>")[0]
    assert 'value="B1"' in options and 'value="O1"' not in options
    form = {"full_name": "Lê Thị Viên", "staff_code": "P1", "unit_id": str(tree["office"].id),
            "gender": "", "post_id": "", "duty_group_id": "", "active": "y",
            "staff_kind": "public_employee", "manager_code": "B1", "started_on": "01/03/2020"}
    bad = client.post(f"/org/people/{person.id}", data=dict(form, manager_code="O1"))
    assert bad.status_code == 422
    assert "đơn vị cấp trên" in bad.get_data(as_text=True)
    db.session.refresh(person)
    assert person.manager_id is None
    assert client.post(f"/org/people/{person.id}",
                       data=dict(form, manager_code="NOPE")).status_code == 422
    assert client.post(f"/org/people/{person.id}", data=form).status_code == 302
    db.session.refresh(person)
    assert (person.staff_kind, person.manager_id, person.started_on) == (
        StaffKind.PUBLIC_EMPLOYEE, boss.id, date(2020, 3, 1))
    again = client.get(f"/org/people/{person.id}").get_data(as_text=True)
    assert 'value="B1"' in again.split('name="manager_code"')[1].split(">")[0] or \
        'value="B1"' in again.split('id="manager_code"')[1].split(">")[0]
    assert "01/03/2020" in again


def test_import_sets_kind_manager_from_the_file_and_start(db, tree, admin, login_as, client):
    login_as(admin)
    preview = upload(client, xlsx([
        ("B1", "Trần Văn Giám", "SNV", "Công chức", "", "15/01/2010"),
        ("P1", "Lê Thị Viên", "PTC", "viên chức", "B1", date(2020, 3, 1)),
    ]))
    assert preview.status_code == 200, preview.get_data(as_text=True)[:2000]
    assert apply(client, preview).status_code == 302
    boss, person = by_code(db, "B1"), by_code(db, "P1")
    assert (boss.staff_kind, boss.started_on, boss.manager_id) == (
        StaffKind.CIVIL_SERVANT, date(2010, 1, 15), None)
    assert (person.staff_kind, person.manager_id, person.started_on) == (
        StaffKind.PUBLIC_EMPLOYEE, boss.id, date(2020, 3, 1))


def test_import_lists_row_errors_for_the_new_columns_and_writes_nothing(db, tree, factory,
                                                                        admin, login_as,
                                                                        client):
    factory.person("Phạm Văn Ngoài", tree["other"], staff_code="O1")
    login_as(admin)
    before = db.session.scalar(select(func.count()).select_from(Person))
    response = upload(client, xlsx([
        ("P1", "Một", "PTC", "thợ", "", ""),              # row 2: unknown kind
        ("P2", "Hai", "PTC", "", "ZZZ", ""),              # row 3: unknown manager
        ("P3", "Ba", "PTC", "", "O1", ""),                # row 4: manager elsewhere
        ("P4", "Bốn", "PTC", "", "", "31/02/2020"),       # row 5: no such date
        ("P5", "Năm", "PTC", "", "P5", ""),               # row 6: own manager
    ]))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for text in ("thợ", "ZZZ", "O1", "31/02/2020"):
        assert text in html
    for row in (2, 3, 4, 5, 6):
        assert f">{row}<" in html
    assert db.session.scalar(select(func.count()).select_from(Person)) == before


def test_export_and_template_carry_the_new_columns_and_round_trip(db, factory, tree, admin,
                                                                  login_as, client):
    boss = factory.person("Trần Văn Giám", tree["top"], staff_code="B1",
                          staff_kind=StaffKind.CIVIL_SERVANT, started_on=date(2010, 1, 15))
    factory.person("Lê Thị Viên", tree["office"], staff_code="P1", manager=boss,
                   staff_kind=StaffKind.PUBLIC_EMPLOYEE)
    login_as(admin)
    data = client.get("/org/people/export.xlsx").data
    rows = list(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    head = list(rows[0])
    assert head[-3:] == ["Loại", "Mã người quản lý", "Ngày bắt đầu công tác"]
    exported = {r[0]: r[-3:] for r in rows[1:]}
    assert exported["B1"] == ("Công chức", None, "15/01/2010")
    assert exported["P1"] == ("Viên chức", "B1", None)
    preview = upload(client, data)
    assert preview.status_code == 200
    plan = services.plan_people_import(admin, "x.xlsx", data)
    assert plan.ok and not plan.updates and plan.unchanged == 2  # unchanged round trip
    template = client.get("/org/people/import/template.xlsx").data
    heads = list(next(load_workbook(io.BytesIO(template)).worksheets[0]
                      .iter_rows(values_only=True)))
    assert "Mã người quản lý" in heads and "Loại" in heads


def test_the_api_gives_the_new_fields(db, factory, tree, admin, client):
    from evalapp.auth.services import create_api_token

    boss = factory.person("Trần Văn Giám", tree["top"], staff_code="B1")
    person = factory.person("Lê Thị Viên", tree["office"], staff_code="P1", manager=boss,
                            staff_kind=StaffKind.OFFICIAL, started_on=date(2019, 5, 2))
    _, plain = create_api_token(admin, "api")
    db.session.commit()
    body = client.get(f"/api/v1/people/{person.id}",
                      headers={"Authorization": f"Bearer {plain}"}).get_json()
    assert body["staff_kind"] == "official"
    assert body["manager"] == {"id": boss.id, "name": "Trần Văn Giám"}
    assert body["started_on"] == "2019-05-02"
