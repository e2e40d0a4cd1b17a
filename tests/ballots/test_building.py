"""Building a round: the people search, the officers' rules (scope, nobody twice, nobody voted
on), one numbering of the people voted on everywhere, the rounds list, and refused actions shown
as a message on the page they came from."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.auth.services import set_user_active
from evalapp.ballots import builder, services
from evalapp.ballots.documents import DocumentKind
from evalapp.ballots.models import RoundStatus
from evalapp.core.errors import ValidationFailed
from evalapp.documents import services as docs
from evalapp.tally.rules import Scale
from tests.ballots.conftest import entries_after, last_seq
from tests.conftest import PASSWORD
from tests.documents.helpers import GOLDEN_STAMP
from tests.documents.pdftext import pdf_text


def _login(app, user):
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _officers(round_) -> list[tuple[str, int]]:
    return sorted((o.role.value, o.user_id) for o in round_.officers)


def _new_round(unit, title="Lấy phiếu tín nhiệm 2026", **kw):
    return services.create_round(SYSTEM, services.RoundDetails(
        title=title, body_name=kw.pop("body", "Ban Thường vụ"), unit=unit,
        meeting_date=kw.pop("meeting_date", date(2026, 12, 1)), place=kw.pop("place", None)),
        Scale.THREE_LEVEL, kw.pop("preset", "party-2023"))


@pytest.fixture
def board(factory, db):
    """A provincial committee with a board under it and a department elsewhere; people with
    accounts in each, and staff accounts with roles."""
    province = factory.unit("Tỉnh ủy Thử nghiệm")
    board = factory.unit("Ban Tổ chức Tỉnh ủy", parent=province)
    division = factory.unit("Phòng Tổ chức cán bộ", parent=board)
    elsewhere = factory.unit("Sở Y tế")
    head_post = factory.post("Trưởng ban", rank=1)
    clerk_post = factory.post("Chuyên viên", rank=40, leadership=False)
    people = {
        "head": factory.person("Nguyễn Văn Trưởng", board, post=head_post, staff_code="BTC01"),
        "deputy": factory.person("Trần Thị Phó", board, staff_code="BTC02"),
        "clerk": factory.person("Lê Thị Ánh", division, post=clerk_post, staff_code="BTC03"),
        "clerk2": factory.person("Phạm Văn Đức", division, post=clerk_post, staff_code="BTC04"),
        "outsider": factory.person("Hoàng Văn Ngoài", elsewhere, staff_code="SYT01"),
    }
    users = {key: factory.user(f"u{key}", roles=(Role.VOTER,), person=person,
                               full_name=person.full_name) for key, person in people.items()}
    users["office"] = factory.user("vanphong", roles=(Role.SECRETARY,), full_name="Đỗ Văn Phòng")
    users["province_admin"] = factory.user("tctinh", roles=(Role.ADMIN,), unit=province,
                                           full_name="Vũ Văn Tỉnh")
    users["other_secretary"] = factory.user("tkyte", roles=(Role.SECRETARY,), unit=elsewhere,
                                            full_name="Ngô Thị Y")
    round_ = _new_round(board)
    services.add_candidates(SYSTEM, round_, [people["head"].id, people["deputy"].id])
    services.add_voters(SYSTEM, round_, [people["clerk"].id, people["clerk2"].id])
    db.session.commit()
    return {"province": province, "board": board, "division": division,
            "elsewhere": elsewhere, "people": people, "users": users, "round": round_}


# ---------------------------------------------------------------- the officers' rules


def test_officers_are_offered_from_the_rounds_scope(board, db):
    offered = {u.username for u in services.officer_candidates(board["round"])}
    # People of the board and its division; staff holding a role over the board (organisation-
    # wide, or on a unit above it). Not the department elsewhere, nor its secretary.
    assert offered == {"uhead", "udeputy", "uclerk", "uclerk2", "vanphong", "tctinh"}
    # A deactivated account is neither offered nor accepted.
    set_user_active(SYSTEM, board["users"]["clerk2"], False)
    db.session.commit()
    assert "uclerk2" not in {u.username for u in services.officer_candidates(board["round"])}
    with pytest.raises(ValidationFailed):
        services.set_officers(SYSTEM, board["round"], chair=None, secretary=None,
                              counter_head=board["users"]["clerk2"], counters=[])


def test_an_account_outside_the_scope_is_refused(board, db):
    round_, users = board["round"], board["users"]
    for outsider in (users["outsider"], users["other_secretary"]):
        with pytest.raises(ValidationFailed) as refused:
            services.set_officers(SYSTEM, round_, chair=None, secretary=outsider,
                                  counter_head=None, counters=[])
        assert refused.value.field == "secretary"
        assert outsider.full_name not in refused.value.text()  # never named (issue 10)
        db.session.rollback()
    assert _officers(round_) == []


@pytest.mark.parametrize("slots, refused_slot", [
    # the same account twice in the counting team
    ({"counters": ["clerk", "clerk"]}, "counter_2"),
    # the same account as secretary and head of the counting team
    ({"secretary": "office", "counter_head": "office"}, "counter_head"),
    # chair, then again in a later slot of the team
    ({"chair": "clerk", "counters": ["clerk2", None, "clerk"]}, "counter_3"),
], ids=["same-counter-twice", "secretary-and-head", "same-account-later-slot"])
def test_one_person_is_never_named_twice(board, db, slots, refused_slot):
    round_, users = board["round"], board["users"]
    services.set_officers(SYSTEM, round_, chair=users["province_admin"], secretary=None,
                          counter_head=None, counters=[])
    db.session.commit()
    before, seq = _officers(round_), last_seq()
    chosen = {"chair": None, "secretary": None, "counter_head": None, "counters": []}
    for slot, value in slots.items():
        chosen[slot] = [users[v] if v else None for v in value] if slot == "counters" \
            else users[value]
    with pytest.raises(ValidationFailed) as refused:
        services.set_officers(SYSTEM, round_, **chosen)
    db.session.rollback()
    assert refused.value.field == refused_slot
    assert "một vị trí" in refused.value.text()  # "mỗi người chỉ giữ một vị trí"
    assert _officers(services.get_round(round_.id)) == before and entries_after(seq) == []


@pytest.mark.parametrize("slot", ["chair", "secretary", "counter_head", "counter_1"])
def test_a_person_voted_on_cannot_be_an_officer(board, db, slot):
    round_, users = board["round"], board["users"]
    seq = last_seq()
    chosen = {"chair": None, "secretary": None, "counter_head": None, "counters": []}
    if slot == "counter_1":
        chosen["counters"] = [users["head"]]
    else:
        chosen[slot] = users["head"]
    with pytest.raises(ValidationFailed) as refused:
        services.set_officers(SYSTEM, round_, **chosen)
    db.session.rollback()
    assert refused.value.field == slot
    assert refused.value.text().startswith("Nguyễn Văn Trưởng là người được lấy phiếu")
    assert _officers(services.get_round(round_.id)) == [] and entries_after(seq) == []


def test_an_officer_cannot_be_added_as_a_person_voted_on(board, db):
    round_, users, people = board["round"], board["users"], board["people"]
    services.set_officers(SYSTEM, round_, chair=None, secretary=users["clerk"],
                          counter_head=None, counters=[])
    db.session.commit()
    seq = last_seq()
    with pytest.raises(ValidationFailed) as refused:
        services.add_candidates(SYSTEM, round_, [people["clerk"].id, people["clerk2"].id])
    db.session.rollback()
    assert "Lê Thị Ánh (Thư ký)" in refused.value.text()
    round_ = services.get_round(round_.id)
    assert {c.person_id for c in round_.candidates} == {people["head"].id, people["deputy"].id}
    assert entries_after(seq) == []


def test_someone_excluded_may_serve_but_is_not_voted_on_again_while_serving(board, db):
    round_, users, people = board["round"], board["users"], board["people"]
    deputy = next(c for c in round_.candidates if c.person_id == people["deputy"].id)
    services.set_candidate_excluded(SYSTEM, round_, deputy.id, "Đã có thông báo nghỉ hưu")
    services.set_officers(SYSTEM, round_, chair=users["deputy"], secretary=None,
                          counter_head=None, counters=[])
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        services.set_candidate_excluded(SYSTEM, round_, deputy.id, None)
    db.session.rollback()
    assert "Chủ trì hội nghị" in refused.value.text()
    assert services.get_round(round_.id).candidates[1].excluded


def test_the_officers_page_offers_the_scope_numbers_the_team_and_refuses_beside_the_field(
        app, db, board):
    round_, users = board["round"], board["users"]
    admin = _login(app, users["province_admin"])
    page = admin.get(f"/ballots/{round_.id}/officers").get_data(as_text=True)
    chair_select = page.split('id="chair"')[1].split("</select>")[0]
    options = re.findall(r'<option value="(\d+)"', chair_select)
    assert {int(o) for o in options} == {u.id for u in services.officer_candidates(round_)}
    assert str(users["outsider"].id) not in options
    for n in range(1, 5):
        assert f'<label class="form-label" for="counter_{n}">Thành viên tổ kiểm phiếu {n}</label>' \
            in page
    # The person voted on is marked in the list.
    assert re.search(r"Nguyễn Văn Trưởng — Trưởng ban, Ban Tổ chức Tỉnh ủy \(uhead\) · "
                     r"người được lấy phiếu", page)

    response = admin.post(f"/ballots/{round_.id}/officers", data={
        "secretary": str(users["office"].id), "counter_1": str(users["clerk"].id),
        "counter_2": str(users["clerk"].id)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(r'id="counter_2-errors" role="alert">([^<]+)<', html).group(1)
    assert error.startswith("Lê Thị Ánh đã được chọn ở ô “Thành viên tổ kiểm phiếu 1”")
    assert 'aria-describedby="counter_2-errors"' in html
    assert _officers(services.get_round(round_.id)) == []

    response = admin.post(f"/ballots/{round_.id}/officers", data={
        "chair": str(users["head"].id)})
    assert response.status_code == 422
    assert re.search(r'id="chair-errors" role="alert">Nguyễn Văn Trưởng là người được lấy '
                     r'phiếu', response.get_data(as_text=True))


# ---------------------------------------------------------------- one numbering everywhere


def test_the_nth_person_voted_on_has_number_n_on_the_round_page_the_ballot_and_the_minutes(
        app, db, factory):
    unit = factory.unit("Chi bộ Thử nghiệm")
    # Short names, so that no name wraps in the minutes' table.
    people = [factory.person(name, unit) for name in
              ("Hà Văn An", "Lê Thị Bình", "Mai Văn Cư", "Vũ Thị Dung", "Tô Văn Em")]
    voters = [factory.person(f"Đào Văn Phiếu{i}", unit) for i in range(3)]
    round_ = _new_round(unit)
    services.add_candidates(SYSTEM, round_, [p.id for p in people])
    services.add_voters(SYSTEM, round_, [p.id for p in voters])
    services.reorder_candidates(SYSTEM, round_, [c.id for c in reversed(round_.candidates)])
    # Exclude the second and the fourth: the three others are numbered 1, 2, 3 everywhere.
    for candidate in (round_.candidates[1], round_.candidates[3]):
        services.set_candidate_excluded(SYSTEM, round_, candidate.id, "Được bổ nhiệm trong năm")
    db.session.commit()
    round_ = services.get_round(round_.id)
    # Reversed: Em, Dung, Cư, Bình, An; without Dung and Bình.
    expected = [("1", "Tô Văn Em"), ("2", "Mai Văn Cư"), ("3", "Hà Văn An")]
    excluded = ["Vũ Thị Dung", "Lê Thị Bình"]
    assert [c.full_name for c in round_.excluded_candidates] == excluded

    admin = _login(app, factory.user("quantri", roles=(Role.ADMIN,)))
    page = admin.get(f"/ballots/{round_.id}").get_data(as_text=True)
    table = page.split('id="candidates-table"')[1].split("</table>")[0]
    rows = re.findall(r'<td class="candidate-number">(\d+)</td>\s*'
                      r'<td class="candidate-name[^"]*">([^<]+)</td>', table)
    assert rows == expected
    apart = page.split('id="excluded-table"')[1].split("</table>")[0]
    assert re.findall(r'<td class="stack-grow candidate-name">([^<]+)</td>', apart) == excluded
    assert "candidate-number" not in apart

    builder.advance(round_, RoundStatus.VOTING)
    voter = _login(app, factory.user("cutri", roles=(Role.VOTER,), person=voters[0]))
    ballot = voter.get(f"/vote/{round_.id}").get_data(as_text=True)
    lines = re.findall(r'<span class="text-body-secondary candidate-number">(\d+)\.</span> '
                       r'([^<]+)</legend>', ballot)
    assert lines == expected

    for person in voters:
        services.cast_ballot(person, round_, {c.id: "high" for c in round_.active_candidates})
        db.session.commit()
    services.close_voting(SYSTEM, round_)
    db.session.commit()
    builder.unlock(round_)
    services.count_round(SYSTEM, round_)
    db.session.commit()
    minutes = pdf_text(docs.plan_document(round_, DocumentKind.MINUTES).render(GOLDEN_STAMP).pdf)
    rows = [line.split() for line in minutes.splitlines()
            if any(name in line for _n, name in expected)]
    assert [(row[0], " ".join(row[1:4])) for row in rows] == expected
    assert not any(name in minutes for name in excluded)


def test_moving_someone_steps_over_the_excluded(db, meeting):
    m = meeting(voters=1, candidates=3, state=RoundStatus.DRAFT)
    round_ = m.round
    first, second, third = round_.candidates
    services.set_candidate_excluded(SYSTEM, round_, second.id, "Nghỉ ốm dài ngày")
    services.move_candidate(SYSTEM, round_, third.id, -1)
    db.session.commit()
    round_ = m.reload()
    assert [c.id for c in round_.active_candidates] == [third.id, first.id]
    services.move_candidate(SYSTEM, round_, third.id, +1)
    db.session.commit()
    assert [c.id for c in m.reload().active_candidates] == [first.id, third.id]


# ---------------------------------------------------------------- the people search


def test_people_are_found_by_name_code_post_and_unit_with_a_unit_filter(board, factory):
    admin = factory.user("tc", roles=(Role.ADMIN,), unit=board["province"])

    def names(search="", unit=None):
        return sorted(p.full_name for p in services.find_people(admin, search=search,
                                                               unit=unit).people)

    assert names("le thi anh") == ["Lê Thị Ánh"]                   # without tones
    assert names("BTC04") == ["Phạm Văn Đức"]                      # staff code
    assert names("chuyên viên") == ["Lê Thị Ánh", "Phạm Văn Đức"]  # post
    assert names("phong to chuc") == ["Lê Thị Ánh", "Phạm Văn Đức"]  # unit
    assert names("chuyen vien duc") == ["Phạm Văn Đức"]            # words combine
    # A unit keeps its sub-units; the scoped admin never finds the department elsewhere.
    assert names(unit=board["board"]) == ["Lê Thị Ánh", "Nguyễn Văn Trưởng", "Phạm Văn Đức",
                                          "Trần Thị Phó"]
    assert names(unit=board["division"]) == ["Lê Thị Ánh", "Phạm Văn Đức"]
    assert names("ngoai") == [] and names("so y te") == []
    assert names() == []  # no search, no unit: nobody, not the whole organisation
    found = services.find_people(admin, unit=board["board"], limit=2)
    assert (len(found.people), found.total) == (2, 4)


def test_the_search_adds_everyone_listed_and_comes_back_to_the_search(app, db, board):
    round_, users, people = board["round"], board["users"], board["people"]
    admin = _login(app, users["province_admin"])
    page = admin.get(f"/ballots/{round_.id}/voters?q=&unit={board['board'].id}")
    html = page.get_data(as_text=True)
    # The two clerks are on the list already (ticked, disabled); two others can be added.
    assert html.count('name="found_id"') == 2
    assert "Chọn tất cả những người trong kết quả chưa có trong danh sách (2)" in html
    response = admin.post(f"/ballots/{round_.id}/voters", data={
        "all_found": "1", "found_id": [people["head"].id, people["deputy"].id],
        "unit": str(board["board"].id)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/ballots/{round_.id}/voters?unit={board['board'].id}")
    round_ = services.get_round(round_.id)
    assert len(round_.voters) == 4

    # The list beside says who has an account.
    html = admin.get(f"/ballots/{round_.id}/voters").get_data(as_text=True)
    assert html.count('class="badge text-bg-success">Đã có tài khoản<') == 4
    assert "4 trên 4 người đã có tài khoản để bỏ phiếu; 0 người chưa có." in html


def test_voters_without_an_account_are_marked(app, db, board, factory):
    round_ = board["round"]
    newcomer = factory.person("Đinh Thị Mới", board["board"], staff_code="BTC09")
    services.add_voters(SYSTEM, round_, [newcomer.id])
    db.session.commit()
    admin = _login(app, board["users"]["province_admin"])
    html = admin.get(f"/ballots/{round_.id}/voters").get_data(as_text=True)
    row = next(r for r in html.split("<tr>") if "Đinh Thị Mới" in r)
    assert 'class="badge text-bg-warning">Chưa có tài khoản<' in row
    assert "2 trên 3 người đã có tài khoản để bỏ phiếu; 1 người chưa có." in html


def test_removing_names_who_was_removed_after_asking(app, db, board):
    round_, users = board["round"], board["users"]
    admin = _login(app, users["province_admin"])
    page = admin.get(f"/ballots/{round_.id}").get_data(as_text=True)
    assert 'data-confirm="Bỏ Nguyễn Văn Trưởng khỏi danh sách người được lấy phiếu?"' in page
    head = next(c for c in round_.candidates if c.full_name == "Nguyễn Văn Trưởng")
    response = admin.post(f"/ballots/{round_.id}/candidates/{head.id}/remove",
                          follow_redirects=True)
    assert "Đã bỏ Nguyễn Văn Trưởng khỏi danh sách người được lấy phiếu." in \
        response.get_data(as_text=True)
    voters_page = admin.get(f"/ballots/{round_.id}/voters").get_data(as_text=True)
    assert 'data-confirm="Bỏ Lê Thị Ánh khỏi danh sách triệu tập?"' in voters_page
    voter = next(v for v in round_.voters if v.full_name == "Lê Thị Ánh")
    response = admin.post(f"/ballots/{round_.id}/voters/{voter.id}/remove",
                          follow_redirects=True)
    assert "Đã bỏ Lê Thị Ánh khỏi danh sách triệu tập." in response.get_data(as_text=True)


# ---------------------------------------------------------------- steps and refusals


def test_a_step_not_yet_possible_is_not_offered_and_a_refusal_comes_back_to_the_page(
        app, db, board):
    round_, users = board["round"], board["users"]
    for voter in list(round_.voters):
        services.remove_voter(SYSTEM, round_, voter.id)
    db.session.commit()
    admin = _login(app, users["province_admin"])
    url = f"/ballots/{round_.id}"
    page = admin.get(url).get_data(as_text=True)
    assert f'action="{url}/start-attendance"' not in page
    assert re.search(r'<button type="button" class="btn btn-primary" disabled '
                     r'aria-describedby="start-blockers">', page)
    assert "Hãy lập danh sách triệu tập (những người bỏ phiếu) trước." in page

    # A stale page sends the step anyway: back to the page it came from, with the reason.
    refused = admin.post(f"{url}/start-attendance", headers={"Referer": f"http://localhost{url}"})
    assert refused.status_code == 303 and refused.headers["Location"] == url
    shown = admin.get(url).get_data(as_text=True)
    assert re.search(r'class="alert alert-danger[^"]*" role="status">\s*Hãy lập danh sách '
                     r'triệu tập', shown)
    assert services.get_round(round_.id).status is RoundStatus.DRAFT
    # Without a page to return to (or from another site), the error page keeps its status.
    assert admin.post(f"{url}/start-attendance").status_code == 409
    assert admin.post(f"{url}/start-attendance",
                      headers={"Referer": f"http://elsewhere.example{url}"}).status_code == 409
    # A page that was the answer to a POST cannot be shown again: the error page.
    assert admin.post(f"{url}/start-attendance", headers={
        "Referer": f"http://localhost/vote/{round_.id}/review"}).status_code == 409


def test_the_api_keeps_its_json_errors_and_statuses(app, client, db, board):
    from evalapp.auth.services import create_api_token

    _token, plain = create_api_token(board["users"]["province_admin"], "test")
    db.session.commit()
    response = client.post(f"/api/v1/ballot-rounds/{board['round'].id}/transitions/open",
                           headers={"Authorization": f"Bearer {plain}",
                                    "Referer": f"http://localhost/ballots/{board['round'].id}"})
    assert response.status_code == 409
    assert response.get_json()["error"]["status"] == 409


def test_opening_voting_is_offered_only_with_the_quorum(app, db, meeting, factory):
    m = meeting(voters=3, candidates=1, state=RoundStatus.ATTENDANCE)
    services.set_attendance(SYSTEM, m.round, [m.round.voters[0].id])
    db.session.commit()
    admin = _login(app, factory.user("quantri", roles=(Role.ADMIN,)))
    url = f"/ballots/{m.round_id}"
    page = admin.get(url).get_data(as_text=True)
    assert f'action="{url}/open"' not in page
    assert "hiện có mặt 1 trên 3 người" in page
    services.set_attendance(SYSTEM, m.round, [v.id for v in m.round.voters[:2]])
    db.session.commit()
    assert f'action="{url}/open"' in admin.get(url).get_data(as_text=True)


# ---------------------------------------------------------------- wording


def test_rule_sets_are_shown_by_their_names(app, db, board, factory):
    from evalapp.ballots.models import PRESET_LABELS
    from evalapp.tally.presets import PRESETS

    # The catalog's Vietnamese labels are the presets' names.
    with app.test_request_context():
        assert {key: str(label) for key, label in PRESET_LABELS.items()} == {
            key: preset.name for key, preset in PRESETS.items()}
    admin = _login(app, board["users"]["province_admin"])
    form = admin.get("/ballots/new").get_data(as_text=True)
    assert '<option value="party-2023">Quy định 96-QĐ/TW (2023) của Bộ Chính trị</option>' \
        in form
    assert ">assembly-2023<" not in form and "assembly-2023 —" not in form
    page = admin.get(f"/ballots/{board['round'].id}").get_data(as_text=True)
    assert 'id="fact-preset">Quy định 96-QĐ/TW (2023) của Bộ Chính trị<' in page
    settings = admin.get(f"/ballots/{board['round'].id}/settings").get_data(as_text=True)
    assert 'id="settings-preset">Quy định 96-QĐ/TW (2023) của Bộ Chính trị<' in settings


def test_closing_voting_and_finalising_are_named_apart(app):
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("vi"):
        close, closed = gettext("Close voting"), gettext("Voting closed")
        finalise, finalised = gettext("Finalise the round"), gettext("Finalised")
    assert (close, closed) == ("Khóa hòm phiếu", "Đã khóa hòm phiếu")
    assert (finalise, finalised) == ("Hoàn tất, khóa kết quả", "Đã hoàn tất, khóa kết quả")


def test_one_term_for_the_chair_and_for_the_summoned_list_in_the_catalog():
    from babel.messages.pofile import read_po

    from tests.test_translations import po_path

    with po_path("vi").open("rb") as handle:
        catalog = read_po(handle)
    texts = [m.string if isinstance(m.string, str) else " ".join(m.string)
             for m in catalog if m.id]
    for other in ("chủ tọa", "chủ toạ", "danh sách cử tri", "danh sách bỏ phiếu",
                  "danh sách người bỏ phiếu", "Kết thúc bỏ phiếu", "kết thúc bỏ phiếu",
                  "Kết thúc đợt", "Đã kết thúc"):
        assert not [t for t in texts if other in t], other


# ---------------------------------------------------------------- the rounds list


def test_the_rounds_list_filters_sorts_and_pages(app, db, factory, board):
    admin = _login(app, factory.user("quantri", roles=(Role.ADMIN,)))
    unit = board["board"]
    titles = ["Bầu cử Ánh", "Đợt Bình", "Đợt An"]
    for i, title in enumerate(titles):
        _new_round(unit, title=title, meeting_date=date(2026, 1, 10 + i),
                   body="Hội đồng nhân dân xã Tân Lập" if i == 1 else "Ban Thường vụ")
    db.session.commit()

    def listed(query=""):
        html = admin.get(f"/ballots/?{query}").get_data(as_text=True)
        return re.findall(r'<td class="stack-grow round-title"><a href="[^"]+">([^<]+)</a>', html)

    assert listed() == ["Đợt An", "Đợt Bình", "Bầu cử Ánh", "Lấy phiếu tín nhiệm 2026"]
    # Vietnamese order: B < Đ < L, and An before Bình.
    assert listed("sort=title") == ["Bầu cử Ánh", "Đợt An", "Đợt Bình",
                                    "Lấy phiếu tín nhiệm 2026"]
    assert listed("sort=date") == ["Lấy phiếu tín nhiệm 2026", "Đợt An", "Đợt Bình",
                                   "Bầu cử Ánh"]
    assert listed("q=hoi dong tan lap") == ["Đợt Bình"]  # the body, without tones
    assert listed("q=dot") == ["Đợt An", "Đợt Bình"]
    m_round = services.get_round(board["round"].id)
    services.start_attendance(SYSTEM, m_round)
    db.session.commit()
    assert listed("status=attendance") == ["Lấy phiếu tín nhiệm 2026"]
    assert listed("status=attendance&q=dot") == []
    assert listed("status=bogus") == listed()  # an unknown status filters nothing


def test_the_rounds_list_pages_and_shows_only_what_one_may_open(app, db, factory, board):
    for i in range(27):
        _new_round(board["board"], title=f"Đợt {i:02d}")
    db.session.commit()
    admin = _login(app, factory.user("quantri", roles=(Role.ADMIN,)))
    first = admin.get("/ballots/").get_data(as_text=True)
    assert first.count('class="stack-grow round-title"') == 25
    assert "28 đợt lấy phiếu. Trang 1 / 2." in first
    second = admin.get("/ballots/?page=2").get_data(as_text=True)
    assert second.count('class="stack-grow round-title"') == 3
    assert '<td class="text-body-secondary">26</td>' in second
    assert admin.get("/ballots/?page=99").status_code == 200  # the last page
    # A voter sees only the round they are summoned to.
    voter = _login(app, board["users"]["clerk"])
    own = voter.get("/ballots/").get_data(as_text=True)
    assert own.count('class="stack-grow round-title"') == 1
    assert "Lấy phiếu tín nhiệm 2026" in own


def test_the_rounds_listed_are_exactly_those_one_may_open(db, factory, board):
    from evalapp.ballots.models import BallotRound

    users, people = board["users"], board["people"]
    own = board["round"]
    services.set_officers(SYSTEM, own, chair=None, secretary=users["office"],
                          counter_head=None, counters=[])
    deputy = next(c for c in own.candidates if c.person_id == people["deputy"].id)
    services.set_candidate_excluded(SYSTEM, own, deputy.id, "Nghỉ ốm dài ngày")
    other = _new_round(board["elsewhere"], title="Sở Y tế 2026")
    services.add_voters(SYSTEM, other, [people["outsider"].id])
    db.session.commit()
    everyone = list(db.session.execute(select(BallotRound)).scalars())
    accounts = [*users.values(), factory.user("toanquyen", roles=(Role.ADMIN,)),
                factory.user("ytead", roles=(Role.ADMIN,), unit=board["elsewhere"])]
    seen = {}
    for user in accounts:
        listed = {r.id for r in services.list_rounds(user)}
        assert listed == {r.id for r in everyone if services.can_see_round(user, r)}, \
            user.username
        seen[user.username] = listed
    # The cases at stake: an officer, a voter, a person voted on, one excluded, admins.
    assert seen["vanphong"] == {own.id} and seen["uclerk"] == {own.id}
    assert seen["uhead"] == {own.id} and seen["udeputy"] == set()
    assert seen["uoutsider"] == {other.id} and seen["ytead"] == {other.id}
    assert seen["tctinh"] == {own.id} and seen["toanquyen"] == {own.id, other.id}
