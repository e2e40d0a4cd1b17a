"""A whole confidence round through the web pages: admin, secretary, voters, counting team."""

import re

import pytest
from sqlalchemy import func, select

from evalapp.auth.models import Role
from evalapp.ballots import builder
from evalapp.ballots.models import BallotRound, RoundStatus
from evalapp.box.models import BoxBallot, BoxSealedBallot
from tests.ballots.conftest import tracker_on
from tests.conftest import PASSWORD


def _login(app, user):
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def committee(factory):
    unit = factory.unit("Tỉnh ủy Thử nghiệm")
    chief = factory.post("Bí thư", rank=1)
    deputy = factory.post("Phó Bí thư", rank=2)
    candidates = [factory.person("Nguyễn Văn Bí", unit, post=chief),
                  factory.person("Trần Thị Phó", unit, post=deputy)]
    voters = []
    for i in range(5):
        person = factory.person(f"Lê Văn Ủy{i}", unit)
        voters.append(factory.user(f"uyvien{i}", roles=(Role.VOTER,), person=person))
    admin = factory.user("bantochuc", roles=(Role.ADMIN,))
    secretary = factory.user("thuky", roles=(Role.SECRETARY,))
    counter = factory.user("kiemphieu", roles=(Role.COUNTER,))
    return {"unit": unit, "candidates": candidates, "voters": voters, "admin": admin,
            "secretary": secretary, "counter": counter}


def test_a_whole_round_through_the_pages(app, db, committee):
    admin = _login(app, committee["admin"])
    response = admin.post("/ballots/new", data={
        "title": "Lấy phiếu tín nhiệm năm 2026", "body_name": "Tỉnh ủy Thử nghiệm",
        "unit_id": str(committee["unit"].id), "place": "Hội trường A",
        "meeting_date": "2026-12-01", "scale": "three_level", "preset": "party-2023"})
    assert response.status_code == 302
    round_id = int(re.search(r"/ballots/(\d+)", response.headers["Location"]).group(1))
    ids = [str(p.id) for p in committee["candidates"]]
    assert admin.post(f"/ballots/{round_id}/candidates", data={"person_id": ids}
                      ).status_code == 302
    assert admin.post(f"/ballots/{round_id}/voters",
                      data={"unit_id": str(committee["unit"].id)}).status_code == 302
    assert admin.post(f"/ballots/{round_id}/officers", data={
        "secretary": str(committee["secretary"].id),
        "counter_head": str(committee["counter"].id)}).status_code == 302
    page = admin.get(f"/ballots/{round_id}").get_data(as_text=True)
    assert "Nguyễn Văn Bí" in page and "Trần Thị Phó" in page
    assert admin.post(f"/ballots/{round_id}/start-attendance").status_code == 302

    secretary = _login(app, committee["secretary"])
    round_ = db.session.get(BallotRound, round_id)
    voter_rows = {v.person_id: v.id for v in round_.voters}
    # Two of seven present (5 voters + 2 candidates are in the unit): no quorum yet.
    present = [voter_rows[u.person_id] for u in committee["voters"][:2]]
    assert secretary.post(f"/ballots/{round_id}/attendance",
                          data={"present": present}).status_code == 302
    assert secretary.post(f"/ballots/{round_id}/open").status_code == 409
    # The counting team protects its shares of the key: the head of the team on their own
    # account, two more members in turn on the secretary's device.
    counter = _login(app, committee["counter"])
    holders = [(counter, "Tổ trưởng Kiểm", "mật khẩu tổ trưởng"),
               (secretary, "Thành viên Hai", "mật khẩu thành viên 2"),
               (secretary, "Thành viên Ba", "mật khẩu thành viên 3")]
    for client, holder, passphrase in holders:
        assert client.post(f"/ballots/{round_id}/keys", data={
            "holder": holder, "passphrase": passphrase, "confirmation": passphrase}
        ).status_code == 302
    mismatched = secretary.post(f"/ballots/{round_id}/keys", data={
        "holder": "Người Bốn", "passphrase": "mật khẩu số bốn", "confirmation": "khác hẳn"})
    assert mismatched.status_code == 422 and "không giống nhau" in mismatched.get_data(
        as_text=True)
    keys_page = secretary.get(f"/ballots/{round_id}/keys").get_data(as_text=True)
    assert "Cần 2 trong 3 thành viên" in keys_page and "Người Bốn" not in keys_page
    present = [voter_rows[u.person_id] for u in committee["voters"]]
    secretary.post(f"/ballots/{round_id}/attendance", data={"present": present})
    html = secretary.get(f"/ballots/{round_id}/attendance").get_data(as_text=True)
    assert "5" in html and "7" in html
    assert secretary.post(f"/ballots/{round_id}/open").status_code == 302

    cids = [c.id for c in db.session.get(BallotRound, round_id).active_candidates]
    choices = [("high", "low"), ("high", "low"), ("confidence", "low"), ("low", "low"),
               ("high", "confidence")]
    for user, (first, second) in zip(committee["voters"], choices, strict=True):
        voter = _login(app, user)
        assert "Lấy phiếu tín nhiệm năm 2026" in voter.get("/vote/").get_data(as_text=True)
        ballot = voter.get(f"/vote/{round_id}")
        assert ballot.status_code == 200 and "Nguyễn Văn Bí" in ballot.get_data(as_text=True)
        marks = {f"mark-{cids[0]}": first, f"mark-{cids[1]}": second}
        incomplete = voter.post(f"/vote/{round_id}/review", data={f"mark-{cids[0]}": first})
        assert incomplete.status_code == 422
        review = voter.post(f"/vote/{round_id}/review", data=marks)
        assert review.status_code == 200 and "cast-button" in review.get_data(as_text=True)
        cast = voter.post(f"/vote/{round_id}/cast", data=marks)
        # Post/redirect/get: the receipt is a page of its own, shown again on a reload.
        assert cast.status_code == 303
        assert cast.headers["Location"].endswith(f"/vote/{round_id}/receipt")
        receipt = voter.get(cast.headers["Location"])
        assert receipt.status_code == 200
        tracker = tracker_on(receipt.get_data(as_text=True))
        assert tracker_on(voter.get(f"/vote/{round_id}/receipt").get_data(as_text=True)) \
            == tracker
        again = voter.post(f"/vote/{round_id}/cast", data=marks)
        assert again.status_code == 409
        # A voter never sees counts or results while voting is open.
        assert voter.get(f"/ballots/{round_id}/results").status_code == 403
        assert voter.get(f"/ballots/{round_id}/turnout.json").status_code == 403

    turnout = secretary.get(f"/ballots/{round_id}/turnout.json").get_json()
    assert (turnout["voted"], turnout["present"], turnout["summoned"]) == (5, 5, 7)
    assert secretary.get(f"/ballots/{round_id}/results").status_code == 403  # not counted
    assert secretary.post(f"/ballots/{round_id}/close").status_code == 302
    # Counting needs two shares unlocked; a wrong passphrase opens nothing.
    early = counter.post(f"/ballots/{round_id}/count")
    assert early.status_code in (302, 409)
    assert db.session.get(BallotRound, round_id).status.value == "closed"
    wrong = counter.post(f"/ballots/{round_id}/keys/unlock",
                         data={"number": "1", "passphrase": "mật khẩu sai rồi"})
    assert wrong.status_code == 422 and "không mở được" in wrong.get_data(as_text=True)
    assert counter.post(f"/ballots/{round_id}/keys/unlock", data={
        "number": "1", "passphrase": "mật khẩu tổ trưởng"}).status_code == 302
    assert secretary.post(f"/ballots/{round_id}/keys/unlock", data={
        "number": "3", "passphrase": "mật khẩu thành viên 3"}).status_code == 302
    assert counter.post(f"/ballots/{round_id}/count").status_code == 302
    assert db.session.execute(select(func.count()).select_from(BoxSealedBallot)
                              ).scalar_one() == 5
    assert db.session.execute(select(func.count()).select_from(BoxBallot)).scalar_one() == 0

    results = counter.get(f"/ballots/{round_id}/results")
    assert results.status_code == 200
    html = results.get_data(as_text=True)
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr ")[1:]
    first_row, second_row = rows
    assert 'count-high">3<' in first_row and 'percent-high">60,00<' in first_row
    assert 'count-low">1<' in first_row and 'percent-low">20,00<' in first_row
    # Four of five low confidence: two thirds or more.
    assert 'count-low">4<' in second_row and 'percent-low">80,00<' in second_row
    assert "badge text-bg-danger" in second_row and "badge" not in first_row
    trackers = counter.get(f"/ballots/{round_id}/trackers").get_data(as_text=True)
    assert len(re.findall(r'<li data-tracker="[0-9a-f]{64}"', trackers)) == 5


def test_results_of_a_tiny_round_are_shown_only_after_a_warning(app, db, factory):
    from datetime import date


    unit = factory.unit("Chi bộ nhỏ")
    people = [factory.person(f"Đảng viên {i}", unit) for i in range(3)]
    admin = factory.user("chibo", roles=(Role.ADMIN,))
    round_ = builder.build(builder.RoundPlan(
        unit=unit, candidates=[people[0]], voters=people, title="Nhỏ", body_name="Chi bộ",
        meeting_date=date(2026, 1, 5)), RoundStatus.COUNTED,
        ballots=[(person, ["high"]) for person in people]).round
    client = _login(app, admin)
    warning = client.get(f"/ballots/{round_.id}/results").get_data(as_text=True)
    assert "secrecy-warning" in warning and "results-table" not in warning
    shown = client.get(f"/ballots/{round_.id}/results?acknowledged=1").get_data(as_text=True)
    assert "results-table" in shown and 'count-high">3<' in shown


def test_a_unit_scoped_admin_cannot_put_outsiders_on_a_round(app, db, factory):
    from datetime import date

    from evalapp.ballots import services
    from evalapp.ballots.models import BallotVoter
    from evalapp.core.errors import NotAllowed

    board = factory.unit("Ban Tuyên giáo")
    other = factory.unit("Sở Y tế")
    insider = factory.person("Lê Văn Trong", board)
    outsider = factory.person("Phạm Văn Ngoài", other)
    scoped = factory.user("bantg", roles=(Role.ADMIN,), unit=board)
    round_ = services.create_round(scoped, services.RoundDetails(
        title="Ban Tuyên giáo 2026", body_name="Ban Tuyên giáo", unit=board,
        meeting_date=date(2026, 3, 1)), services.Scale.THREE_LEVEL, "party-2023")
    db.session.commit()
    for action in (services.add_candidates, services.add_voters):
        with pytest.raises(NotAllowed):
            action(scoped, round_, [insider.id, outsider.id])
        db.session.rollback()
    with pytest.raises(NotAllowed):
        services.add_voters_from_unit(scoped, round_, other)
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(BallotVoter)).scalar_one() == 0
    assert services.add_voters(scoped, round_, [insider.id]) == 1


def test_accounts_are_created_for_voters_without_one(app, db, factory):
    from datetime import date

    from evalapp.audit.models import AuditEntry
    from evalapp.auth.models import User
    from evalapp.auth.permissions import SYSTEM
    from evalapp.ballots import services

    unit = factory.unit("Đảng ủy xã")
    with_account = factory.person("Lê Văn Có", unit, staff_code="X01")
    factory.user("levanco", roles=(Role.VOTER,), person=with_account)
    others = [factory.person("Nguyễn Thị Chưa", unit, staff_code="X02"),
              factory.person("Trần Văn Chưa", unit, staff_code=None)]
    admin = factory.user("xa", roles=(Role.ADMIN,))
    round_ = services.create_round(SYSTEM, services.RoundDetails(
        title="Xã 2026", body_name="Đảng ủy xã", unit=unit, meeting_date=date(2026, 2, 2)),
        services.Scale.THREE_LEVEL, "party-2023")
    services.add_voters(SYSTEM, round_, [with_account.id] + [p.id for p in others])
    db.session.commit()
    client = _login(app, admin)
    html = client.post(f"/ballots/{round_.id}/voters/accounts").get_data(as_text=True)
    slips = re.findall(r'class="username">([^<]+)</code>.*?class="password">([^<]+)</code>',
                       html, re.S)
    assert [u for u, _p in slips] == ["x02", "tranvanchua"]
    entry = db.session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc())).scalars().first()
    assert entry.action == "account.voters_created" and slips[0][1] not in entry.details
    # Each printed password works once handed out; nobody else got a second account.
    for username, password in slips:
        assert app.test_client().post("/login", data={"username": username,
                                                      "password": password}).status_code == 302
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 4
    again = client.post(f"/ballots/{round_.id}/voters/accounts").get_data(as_text=True)
    assert 'class="password"' not in again
