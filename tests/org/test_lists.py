"""The administrator's lists: people sorted by any column, units searched and paged, accounts
filtered, sorted and paged; one-click changes ask first, say what changed and can be undone."""

from __future__ import annotations

import re

from evalapp.auth.models import Role

NAME_CELL = re.compile(r'<td class="(?:person|user)-name"><a href="[^"]+">([^<]+)</a>')


def names(html: str) -> list[str]:
    return NAME_CELL.findall(html)


def test_people_sort_by_each_column_both_ways(client, admin, login_as, factory):
    top, low = factory.post("Giám đốc", rank=1), factory.post("Chuyên viên", rank=50)
    a_unit, b_unit = factory.unit("Ban Ánh"), factory.unit("Ban Bình")
    factory.person("Lê Văn Cường", b_unit, staff_code="C3", birth_year=1990, post=low)
    factory.person("Trần Thị Ánh", a_unit, staff_code="A1", birth_year=1970, post=top)
    factory.person("Phạm Văn Bình", a_unit, staff_code=None, birth_year=None)
    login_as(admin)

    def order(**args):
        return names(client.get("/org/people", query_string=args).get_data(as_text=True))

    assert order() == ["Trần Thị Ánh", "Phạm Văn Bình", "Lê Văn Cường"]
    assert order(sort="name", dir="desc") == ["Lê Văn Cường", "Phạm Văn Bình", "Trần Thị Ánh"]
    assert order(sort="staff_code") == ["Trần Thị Ánh", "Lê Văn Cường", "Phạm Văn Bình"]
    assert order(sort="staff_code", dir="desc") == ["Lê Văn Cường", "Trần Thị Ánh",
                                                    "Phạm Văn Bình"]  # empty last either way
    assert order(sort="birth_year") == ["Trần Thị Ánh", "Lê Văn Cường", "Phạm Văn Bình"]
    assert order(sort="post") == ["Trần Thị Ánh", "Lê Văn Cường", "Phạm Văn Bình"]
    assert order(sort="unit") == ["Trần Thị Ánh", "Phạm Văn Bình", "Lê Văn Cường"]
    assert order(sort="unit", dir="desc") == ["Lê Văn Cường", "Phạm Văn Bình", "Trần Thị Ánh"]
    assert order(sort="nonsense") == order()

    html = client.get("/org/people?sort=birth_year&q=van").get_data(as_text=True)
    assert re.search(r'<th scope="col" class="sortable "\s+aria-sort="ascending">\s*'
                     r'<a href="/org/people\?sort=birth_year&amp;q=van&amp;dir=desc"', html)
    # The filter form keeps the sort.
    assert '<input type="hidden" name="sort" value="birth_year">' in html


def test_a_long_people_list_pages_and_keeps_its_sort(app, client, admin, login_as, factory):
    unit = factory.unit("Văn phòng")
    for i in range(7):
        factory.person(f"Nguyễn Văn Số{i}", unit, staff_code=f"S{i}")
    app.config["PEOPLE_PAGE_SIZE"] = 3
    try:
        login_as(admin)
        html = client.get("/org/people?sort=staff_code&dir=desc&page=2").get_data(as_text=True)
    finally:
        app.config["PEOPLE_PAGE_SIZE"] = 50
    assert names(html) == ["Nguyễn Văn Số3", "Nguyễn Văn Số2", "Nguyễn Văn Số1"]
    assert 'href="/org/people?sort=staff_code&amp;dir=desc&amp;page=3"' in html


def test_units_are_searched_with_the_units_above_them(client, admin, login_as, factory, db):
    province = factory.unit("Ủy ban nhân dân tỉnh")
    home = factory.unit("Sở Nội vụ", parent=province, code="SNV")
    factory.unit("Phòng Tổ chức biên chế", parent=home)
    other = factory.unit("Sở Y tế", parent=province)
    other.active = False
    db.session.commit()
    login_as(admin)
    html = client.get("/org/units?q=to chuc").get_data(as_text=True)
    assert re.findall(r'<a href="/org/units/\d+">([^<]+)</a>', html) == [
        "Phòng Tổ chức biên chế"]
    assert "Ủy ban nhân dân tỉnh › Sở Nội vụ" in html
    # Each unit leads to the distribution of its levels over the years.
    unit_id = re.findall(r'<a href="/org/units/(\d+)">', html)[0]
    assert f'href="/ledger/units/{unit_id}/history"' in html
    assert client.get(f"/ledger/units/{unit_id}/history").status_code == 200
    assert "snv" in client.get("/org/units?q=snv").get_data(as_text=True).lower()
    inactive = client.get("/org/units?status=inactive").get_data(as_text=True)
    assert re.findall(r'<a href="/org/units/\d+">([^<]+)</a>', inactive) == ["Sở Y tế"]


def test_deactivating_asks_first_names_the_change_and_can_be_undone(client, admin, login_as,
                                                                    factory, db):
    unit = factory.unit("Phòng Hành chính")
    busy = factory.unit("Phòng Đông người")
    person = factory.person("Nguyễn Văn A", busy)
    login_as(admin)

    people = client.get("/org/people").get_data(as_text=True)
    assert re.search(r'data-confirm="Ngừng theo dõi cán bộ Nguyễn Văn A\?', people)
    units = client.get("/org/units").get_data(as_text=True)
    assert 'data-confirm="Ngừng hoạt động đơn vị Phòng Hành chính?' in units

    response = client.post(f"/org/units/{unit.id}/active", data={"active": "0"},
                           headers={"Referer": "http://localhost/org/units?q=phong"})
    assert response.status_code == 302
    assert response.headers["Location"] == "http://localhost/org/units?q=phong"
    page = client.get("/org/units?q=phong").get_data(as_text=True)
    assert "Đã ngừng hoạt động đơn vị Phòng Hành chính." in page
    undo = re.search(r'<form method="post" action="(/org/units/\d+/active)"[^>]*>\s*'
                     r'<input[^>]*>\s*<input type="hidden" name="active" value="1">', page)
    assert undo and undo.group(1) == f"/org/units/{unit.id}/active"
    assert client.post(undo.group(1), data={"active": "1"}).status_code == 302
    db.session.refresh(unit)
    assert unit.active
    assert "Đã kích hoạt lại đơn vị Phòng Hành chính." in client.get("/org/units").get_data(
        as_text=True)

    # A unit that still has people: said on the list, nothing changed, no error page.
    refused = client.post(f"/org/units/{busy.id}/active", data={"active": "0"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and 'id="units-problem"' in html
    assert "1 cán bộ" in html and 'id="units-table"' in html
    db.session.refresh(busy)
    assert busy.active and person.active


def test_accounts_are_filtered_sorted_and_paged(app, client, login_as, factory, db):
    from datetime import UTC, datetime

    admin = factory.user("quantri", roles=(Role.ADMIN,), full_name="Quản Trị Viên")
    unit = factory.unit("Sở Tư pháp")
    factory.user("thuky", roles=(Role.SECRETARY,), unit=unit, full_name="Đỗ Thị Thư")
    old = factory.user("nghihuu", roles=(Role.VOTER,), full_name="Bùi Văn Hưu")
    old.active = False
    for i in range(55):
        factory.user(f"dbieu{i:02d}", roles=(Role.VOTER,), full_name=f"Vũ Văn Biểu{i:02d}")
    seen = factory.user("moivao", roles=(Role.VOTER,), full_name="Lý Thị Mới")
    seen.last_login_at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    db.session.commit()
    login_as(admin)

    def listed(**args):
        response = client.get("/users", query_string=args)
        assert response.status_code == 200
        return names(response.get_data(as_text=True)), response.get_data(as_text=True)

    shown, html = listed()
    assert len(shown) == 50 and "59 tài khoản" in html
    assert 'href="/users?page=2"' in html
    assert len(listed(page=2)[0]) == 9
    assert listed(q="thu")[0] == ["Đỗ Thị Thư"]  # tones ignored
    assert listed(q="THUKY")[0] == ["Đỗ Thị Thư"]
    assert listed(role="secretary")[0] == ["Đỗ Thị Thư"]
    assert listed(status="inactive")[0] == ["Bùi Văn Hưu"]
    assert "Bùi Văn Hưu" not in listed(status="active", q="hưu")[0]
    assert listed(sort="username", q="i")[0][:2] == ["Vũ Văn Biểu00", "Vũ Văn Biểu01"]
    # Last login: the most recent first when descending, those who never logged in last.
    by_login, _html = listed(sort="last_login", dir="desc")
    assert by_login[:2] == ["Quản Trị Viên", "Lý Thị Mới"]
    assert listed(sort="status", dir="desc")[0][0] == "Bùi Văn Hưu"


def test_deactivating_an_account_names_it_and_ones_own_is_refused_on_the_list(
        client, login_as, factory, db):
    admin = factory.user("quantri", roles=(Role.ADMIN,), full_name="Quản Trị Viên")
    voter = factory.user("cutri", roles=(Role.VOTER,), full_name="Hà Văn Cử")
    login_as(admin)
    listing = client.get("/users").get_data(as_text=True)
    assert 'data-confirm="Ngừng hoạt động tài khoản Hà Văn Cử (cutri)?' in listing
    assert client.post(f"/users/{voter.id}/active", data={"active": "0"}).status_code == 302
    assert ("Đã ngừng hoạt động tài khoản Hà Văn Cử (cutri)"
            in client.get("/users").get_data(as_text=True))
    refused = client.post(f"/users/{admin.id}/active", data={"active": "0"})
    assert refused.status_code == 422 and 'id="users-problem"' in refused.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active


def test_revoking_a_token_names_it(client, admin, login_as, db):
    from evalapp.auth.services import create_api_token

    login_as(admin)
    token, _plain = create_api_token(admin, "Đồng bộ nhân sự")
    db.session.commit()
    page = client.get("/account").get_data(as_text=True)
    assert "data-confirm=" in page
    client.post(f"/account/tokens/{token.id}/revoke")
    assert "Đã thu hồi mã truy cập “Đồng bộ nhân sự”" in client.get("/account").get_data(
        as_text=True)

