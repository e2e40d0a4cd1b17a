"""The meeting pages: recording, the opinion ballot through the web (no JavaScript: the server
encrypts on arrival), nothing shown before counting, only present members vote."""

from __future__ import annotations

import re

from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.evaluations import meetings
from evalapp.evaluations.models import MeetingStatus
from tests.conftest import PASSWORD
from tests.evaluations.meetings_helpers import meeting_world, to_voting, unlock_and_count

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _login(app, factory, person=None, roles=(Role.VOTER,), name="u"):
    user = factory.user(name, roles=roles, person=person)
    client = app.test_client()
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    return client


def _token(client, url):
    page = client.get(url)
    return CSRF.search(page.get_data(as_text=True)).group(1)


def test_a_present_member_votes_through_the_pages_and_counts_show_only_after_counting(
        app, db, factory):
    w = meeting_world(staff=3)
    present, absent = w.people[:3], w.people[3]
    to_voting(w, present=present)
    db.session.commit()
    base = f"/evaluations/{w.round.id}/meetings/{w.meeting.id}"
    voter = _login(app, factory, present[0].person, name="member1")
    page = voter.get(base + "/vote")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert all(p.full_name in html for p in w.people)
    token = CSRF.search(html).group(1)
    form = {"csrf_token": token, **{f"mark-{p.id}": "2" for p in w.people}}
    review = voter.post(base + "/vote/review", data=form)
    assert review.status_code == 200
    cast = voter.post(base + "/vote/cast", data=form)
    assert cast.status_code == 303
    receipt = voter.get(base + "/vote/receipt").get_data(as_text=True)
    assert 'id="tracker"' in receipt
    again = voter.post(base + "/vote/cast", data=form)
    assert again.status_code == 409
    assert 'id="already-voted"' in voter.get(base + "/vote").get_data(as_text=True)
    # Someone not on the present list: 403.
    outsider = _login(app, factory, absent.person, name="absent1")
    assert outsider.get(base + "/vote").status_code == 403
    assert outsider.post(base + "/vote/cast", data=form).status_code in (400, 403)
    assert meetings.voted_count(w.meeting) == 1
    # The secretary's page: a number of ballots, no counts before counting.
    secretary = _login(app, factory, roles=(Role.SECRETARY,), name="sec1")
    page = secretary.get(base).get_data(as_text=True)
    assert 'id="opinions"' not in page
    assert "Ballots cast: 1 of 3" in page or "1/3" in page or 'id="voted-count"' in page
    meetings.close_ballot(SYSTEM, w.round, w.meeting)
    db.session.commit()
    assert 'id="opinions"' not in secretary.get(base).get_data(as_text=True)
    unlock_and_count(w)
    db.session.commit()
    page = secretary.get(base).get_data(as_text=True)
    assert 'id="opinions"' in page
    assert meetings.opinions(w.meeting)[w.people[0].id] == {"htxs": 0, "htt": 1, "htnv": 0,
                                                            "kht": 0}


def test_the_secretary_records_the_meeting_through_the_pages(app, db, factory):
    w = meeting_world(staff=2)
    db.session.commit()
    secretary = _login(app, factory, roles=(Role.SECRETARY,), name="sec2")
    base = f"/evaluations/{w.round.id}/meetings/{w.meeting.id}"
    token = _token(secretary, base)
    assert secretary.post(base + "/details", data={
        "csrf_token": token, "held_on": "10/12/2026", "place": "Phòng họp 1",
        "chair_user_id": "", "secretary_user_id": ""}).status_code == 302
    assert secretary.post(base + "/attendance", data={
        "csrf_token": token, "present": [str(p.person_id) for p in w.people[:2]]}
    ).status_code == 302
    assert secretary.post(base + "/comments", data={
        "csrf_token": token, f"comment-{w.people[0].id}": "Hoàn thành tốt nhiệm vụ"}
    ).status_code == 302
    # Bad attendance (someone else): refused, nothing changed.
    assert secretary.post(base + "/attendance", data={"csrf_token": token,
                                                      "present": ["999999"]}).status_code == 422
    for i, name in enumerate(("Tổ viên A", "Tổ viên B")):
        phrase = f"mật khẩu thứ {i} rất dài"
        assert secretary.post(base + "/keys", data={
            "csrf_token": token, "holder": name, "passphrase": phrase,
            "confirmation": phrase}).status_code == 302
    assert secretary.post(base + "/open-ballot", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert w.meeting.status == MeetingStatus.VOTING
    assert w.meeting.members_present == 2 and w.meeting.members_total == 3
    assert meetings.comments_of(w.meeting) == {w.people[0].id: "Hoàn thành tốt nhiệm vụ"}
    listing = secretary.get(f"/evaluations/{w.round.id}/meetings")
    assert listing.status_code == 200
