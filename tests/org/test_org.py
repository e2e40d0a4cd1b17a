import unicodedata

from sqlalchemy import select

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.org.models import Person, Unit


def _last_audit(db):
    return db.session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc())).scalars().first()


def _audit_count(db):
    return len(db.session.execute(select(AuditEntry.id)).all())


def test_admin_creates_a_sub_unit_through_the_form(client, admin, login_as, factory, db):
    province = factory.unit("UBND tỉnh", code="UB")
    login_as(admin)
    response = client.post("/org/units/new", data={
        "name": "  Sở  Nội vụ ", "code": "SNV", "kind": "department",
        "parent_id": str(province.id), "position": "2"})
    assert response.status_code == 302
    unit = db.session.execute(select(Unit).where(Unit.code == "SNV")).scalar_one()
    assert unit.name == "Sở Nội vụ" and unit.parent_id == province.id
    assert unit.path == f"{province.path}{unit.id}/"
    assert _last_audit(db).action == "unit.created"
    table = client.get("/org/units").get_data(as_text=True).split("<tbody>")[1]
    assert table.index("UBND tỉnh") < table.index("Sở Nội vụ")


def test_moving_a_unit_moves_its_sub_units(factory, admin, db):
    from evalapp.org.models import UnitKind
    from evalapp.org.services import update_unit

    a = factory.unit("A")
    b = factory.unit("B")
    child = factory.unit("A1", parent=a)
    grandchild = factory.unit("A1x", parent=child)
    update_unit(admin, child, name="A1", kind=UnitKind.DEPARTMENT, parent=b, short_name=None,
                code=None, position=0)
    db.session.commit()
    assert child.path == f"{b.path}{child.id}/"
    assert grandchild.path == f"{b.path}{child.id}/{grandchild.id}/"


def test_a_unit_cannot_go_under_its_own_sub_unit(client, admin, login_as, factory, db):
    top = factory.unit("Top")
    below = factory.unit("Below", parent=top)
    login_as(admin)
    before = _audit_count(db)
    response = client.post(f"/org/units/{top.id}", data={
        "name": "Top", "kind": "department", "parent_id": str(below.id), "position": "0"})
    assert response.status_code == 422  # the parent is not even offered
    assert _audit_count(db) == before
    assert db.session.get(Unit, top.id).parent_id is None


def test_a_unit_with_active_people_cannot_be_deactivated(client, admin, login_as, factory, db):
    unit = factory.unit("Phòng Kế hoạch")
    factory.person("Trần Văn Bình", unit)
    login_as(admin)
    response = client.post(f"/org/units/{unit.id}/active", data={"active": "0"})
    assert response.status_code == 409
    assert "Phòng" in response.get_data(as_text=True) or response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).active is True


def test_duplicate_unit_codes_are_refused(client, admin, login_as, factory, db):
    factory.unit("Một", code="X1")
    login_as(admin)
    response = client.post("/org/units/new", data={
        "name": "Hai", "code": "X1", "kind": "department", "parent_id": "", "position": "0"})
    assert response.status_code == 409
    assert db.session.execute(select(Unit).where(Unit.name == "Hai")).first() is None


def test_person_form_normalises_and_validates(client, admin, login_as, factory, db):
    unit = factory.unit("Sở Tài chính")
    login_as(admin)
    decomposed = unicodedata.normalize("NFD", "Đặng  Thị Ánh")
    response = client.post("/org/people/new", data={
        "full_name": decomposed, "staff_code": "TC01", "gender": "female",
        "birth_year": "1985", "unit_id": str(unit.id), "active": "y"})
    assert response.status_code == 302
    person = db.session.execute(select(Person).where(Person.staff_code == "TC01")).scalar_one()
    assert person.full_name == "Đặng Thị Ánh"
    assert unicodedata.is_normalized("NFC", person.full_name)
    assert _last_audit(db).action == "person.created"

    before = _audit_count(db)
    for bad in [{"full_name": "", "birth_year": "1985"},
                {"full_name": "Lê Văn B", "birth_year": "1850"},
                {"full_name": "Lê Văn B", "birth_year": "năm"},
                {"full_name": "Lê Văn B", "staff_code": "TC01"}]:
        data = {"unit_id": str(unit.id), "gender": "", **bad}
        response = client.post("/org/people/new", data=data)
        assert 400 <= response.status_code < 500, bad
    assert _audit_count(db) == before
    assert len(db.session.execute(select(Person)).all()) == 1


def test_editing_a_person_records_the_changes(client, admin, login_as, factory, db):
    unit = factory.unit("Sở Y tế")
    other = factory.unit("Sở Giáo dục")
    person = factory.person("Võ Văn Tâm", unit, staff_code="YT1")
    login_as(admin)
    response = client.post(f"/org/people/{person.id}", data={
        "full_name": "Võ Văn Tâm", "staff_code": "YT1", "gender": "male", "birth_year": "1979",
        "unit_id": str(other.id), "active": "y"})
    assert response.status_code == 302
    entry = _last_audit(db)
    assert entry.action == "person.updated"
    assert f'"unit":{other.id}' in entry.details and '"birth_year":1979' in entry.details


def test_deactivated_people_leave_the_default_list(client, admin, login_as, factory, db):
    person = factory.person("Hồ Thị Lan")
    login_as(admin)
    assert client.post(f"/org/people/{person.id}/active", data={"active": "0"}
                       ).status_code == 302
    assert _last_audit(db).action == "person.deactivated"
    first = client.get("/org/people").get_data(as_text=True)
    # The message names who changed, with an undo button; the list no longer shows her.
    assert "Đã ngừng theo dõi cán bộ Hồ Thị Lan." in first and "Hoàn tác" in first
    assert f'<a href="/org/people/{person.id}">' not in first
    assert "Hồ Thị Lan" not in client.get("/org/people").get_data(as_text=True)
    assert "Hồ Thị Lan" in client.get("/org/people?status=inactive").get_data(as_text=True)


def test_people_are_listed_in_vietnamese_order(client, admin, login_as, factory):
    unit = factory.unit("Văn phòng")
    for name in ["Trần Văn Đạt", "Nguyễn Thị Zung", "Lê Thị Ánh", "Phạm Văn An", "Ngô Thị Ân",
                 "Vũ Văn Dũng", "Bùi Văn Ước", "Hồ Thị Uyên"]:
        factory.person(name, unit)
    login_as(admin)
    html = client.get(f"/org/people?unit={unit.id}").get_data(as_text=True)
    names = [cell.split(">", 1)[1].split("<")[0]
             for cell in html.split('<td class="person-name">')[1:]]
    assert names == ["Phạm Văn An", "Lê Thị Ánh", "Ngô Thị Ân", "Vũ Văn Dũng", "Trần Văn Đạt",
                     "Hồ Thị Uyên", "Bùi Văn Ước", "Nguyễn Thị Zung"]


def test_search_ignores_tones_and_finds_staff_codes(client, admin, login_as, factory):
    unit = factory.unit("Ban Tổ chức")
    factory.person("Nguyễn Văn Đức", unit, staff_code="BTC-7")
    factory.person("Lê Văn Hùng", unit)
    login_as(admin)
    for query in ["nguyen van duc", "ĐỨC", "btc-7"]:
        html = client.get("/org/people", query_string={"q": query}).get_data(as_text=True)
        assert "Nguyễn Văn Đức" in html and "Lê Văn Hùng" not in html, query


def test_a_unit_scoped_admin_sees_and_edits_only_their_units(client, login_as, factory):
    board = factory.unit("Ban Tuyên giáo")
    other = factory.unit("Sở Công thương")
    insider = factory.person("Đỗ Văn Khoa", board)
    outsider = factory.person("Lý Thị Mai", other)
    scoped = factory.user("banadmin", roles=(Role.ADMIN,), unit=board)
    login_as(scoped)
    html = client.get("/org/people?status=all").get_data(as_text=True)
    assert "Đỗ Văn Khoa" in html and "Lý Thị Mai" not in html
    assert client.get(f"/org/people/{insider.id}").status_code == 200
    assert client.get(f"/org/people/{outsider.id}").status_code == 403
    assert client.post(f"/org/people/{outsider.id}/active", data={"active": "0"}
                       ).status_code == 403
    assert client.get("/org/posts/new").status_code == 403
    units_page = client.get("/org/units").get_data(as_text=True)
    assert "Ban Tuyên giáo" in units_page and "Sở Công thương" not in units_page


def test_posts_and_duty_groups_are_managed_with_audit(client, admin, login_as, db):
    login_as(admin)
    assert client.post("/org/posts/new", data={"name": "Giám đốc Sở", "rank": "5",
                                               "is_leadership": "y", "active": "y"}
                       ).status_code == 302
    assert _last_audit(db).action == "post.created"
    assert client.post("/org/posts/new", data={"name": "giám đốc sở", "rank": "5",
                                               "active": "y"}).status_code == 409
    assert client.post("/org/duty-groups/new", data={"name": "Chuyên viên", "active": "y"}
                       ).status_code == 302
    assert _last_audit(db).action == "duty_group.created"
    assert "Giám đốc Sở" in client.get("/org/posts").get_data(as_text=True)
