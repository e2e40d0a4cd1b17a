"""The Quy chế editor: seeding from a rule set, editing as rows per list (each save a new
version, versions never edited), errors next to the list they concern, read-only versions and
the rounds that used them, and who may edit."""

from __future__ import annotations

from sqlalchemy import func, select

from evalapp.auth.models import Role
from evalapp.evaluations import builder, services
from evalapp.evaluations.models import Regulation, RoundStatus


def _form(content: dict, **changes) -> dict:
    data = {"title": "Quy chế đánh giá", "period": content["period"],
            "year_from": content["year_from"], "petition_days": str(content["petition_days"]),
            "action": "save"}
    for step, (month, day) in content["deadlines"].items():
        data[f"due-{step}"] = f"{day:02d}/{month:02d}"
    for part in ("general", "task_staff", "task_leader", "unit_general", "unit_task"):
        for i, item in enumerate(content[part]):
            data[f"{part}-{i}-code"] = item["code"]
            data[f"{part}-{i}-title"] = item["title"]
            data[f"{part}-{i}-points"] = str(item["points"])
    data.update(changes)
    return data


def _versions(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Regulation))


def test_seed_edit_and_view_versions(db, factory, login_as):
    dept = builder.department(subunits=1, staff_per_unit=1)
    db.session.commit()
    client = login_as(factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    page = client.get("/evaluations/regulations").get_data(as_text=True)
    assert f'data-unit="{dept.unit.id}"' in page
    response = client.post(f"/evaluations/regulations/{dept.unit.id}/seed",
                           data={"preset": "decree-233-2026"})
    assert response.status_code == 302
    first = services.latest_regulation(dept.unit)
    assert first.version == 1 and first.preset == "decree-233-2026"
    editor = client.get(f"/evaluations/regulations/{dept.unit.id}/edit")
    assert editor.status_code == 200
    content = first.content
    # Move the first general criterion's point to a new one: still 30.
    general = content["general"]
    assert general[0]["points"] == "1"
    data = _form(content, **{"general-0-points": "0",
                             f"general-{len(general)}-code": "X",
                             f"general-{len(general)}-title": "Tiêu chí riêng của đơn vị",
                             f"general-{len(general)}-points": "1,0",
                             "petition_days": "15", "due-self": "10/11"})
    response = client.post(f"/evaluations/regulations/{dept.unit.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    second = services.latest_regulation(dept.unit)
    assert second.version == 2
    assert second.content["general"][-1] == {"code": "X", "title": "Tiêu chí riêng của đơn vị",
                                             "points": "1.0"}
    assert second.content["petition_days"] == 15
    assert second.content["deadlines"]["self"] == [11, 10]
    db.session.refresh(first)
    assert first.content == content  # the old version is unchanged
    # A round under version 2 is listed on that version's page, not on version 1's.
    round_ = builder.round_for(dept, to=RoundStatus.DRAFT)
    db.session.commit()
    v2 = client.get(f"/evaluations/regulations/{dept.unit.id}/versions/2").get_data(
        as_text=True)
    assert round_.title in v2.split('id="rounds-using"')[1]
    v1 = client.get(f"/evaluations/regulations/{dept.unit.id}/versions/1").get_data(
        as_text=True)
    assert 'id="rounds-using"' not in v1
    assert client.get(f"/evaluations/regulations/{dept.unit.id}/versions/9").status_code \
        == 404


def test_errors_are_shown_next_to_their_list_and_nothing_is_saved(db, factory, login_as):
    dept = builder.department(subunits=0, staff_per_unit=0)
    services.seed_regulation(factory_actor(), dept.unit, "decree-335-2025")
    db.session.commit()
    client = login_as(factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    content = services.latest_regulation(dept.unit).content
    data = _form(content, **{"task_staff-0-points": "99", "petition_days": "0"})
    response = client.post(f"/evaluations/regulations/{dept.unit.id}/edit", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    staff_box = html.split('id="problems-task_staff"')[1].split("</div>")[0]
    assert "70 điểm" in staff_box
    assert 'id="problems-general"' not in html
    assert 'id="problems-settings"' in html
    assert _versions(db) == 1
    # Removing a row (its box ticked) is a change like any other: here it breaks the sum.
    data = _form(content, **{"general-0-remove": "1"})
    response = client.post(f"/evaluations/regulations/{dept.unit.id}/edit", data=data)
    assert response.status_code == 422 and 'id="problems-general"' in response.get_data(
        as_text=True)
    # "More empty rows" saves nothing and offers more rows.
    more = client.post(f"/evaluations/regulations/{dept.unit.id}/edit",
                       data=_form(content, action="more"))
    assert more.status_code == 200 and _versions(db) == 1
    assert f'name="general-{len(content["general"]) + 5}-code"' in more.get_data(as_text=True)


def test_a_scoped_admin_cannot_edit_another_units_quy_che(db, factory, login_as):
    dept = builder.department(subunits=0, staff_per_unit=0)
    other = builder.department("Sở Tài chính", subunits=0, staff_per_unit=0, surname="Lê")
    services.seed_regulation(factory_actor(), other.unit, "decree-335-2025")
    db.session.commit()
    client = login_as(factory.user("qt", roles=(Role.ADMIN,), unit=dept.unit))
    content = services.latest_regulation(other.unit).content
    assert client.post(f"/evaluations/regulations/{other.unit.id}/seed",
                       data={"preset": "decree-335-2025"}).status_code == 403
    assert client.post(f"/evaluations/regulations/{other.unit.id}/edit",
                       data=_form(content)).status_code == 403
    assert _versions(db) == 1
    page = client.get("/evaluations/regulations").get_data(as_text=True)
    assert f'data-unit="{other.unit.id}"' not in page


def factory_actor():
    from evalapp.auth.permissions import SYSTEM

    return SYSTEM
