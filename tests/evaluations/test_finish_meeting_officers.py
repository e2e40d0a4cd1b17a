"""The meeting's chair and secretary are accounts chosen on its page, not names matched by
text: the minutes are signed by the accounts chosen, and a deactivated or unknown account is
refused with a Vietnamese message, changing nothing."""

from __future__ import annotations

import re
from datetime import date

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.auth.services import set_user_active
from evalapp.evaluations import documents, meetings
from tests.evaluations.meetings_helpers import meeting_world
from tests.evaluations.test_meetings_pages import _login, _token


def test_the_minutes_are_signed_by_the_accounts_chosen_even_with_a_namesake(app, db, factory):
    w = meeting_world(staff=2, surname="Hoàng")
    chair_person, secretary_person = w.people[0].person, w.people[1].person
    chair = factory.user("chutoa", roles=(Role.EVALUEE,), person=chair_person,
                         full_name=chair_person.full_name)
    namesake = factory.user("trungten", roles=(Role.EVALUEE,), full_name=chair.full_name)
    secretary = factory.user("thukyhop", roles=(Role.EVALUEE,), person=secretary_person,
                             full_name=secretary_person.full_name)
    gone = factory.user("danghi", roles=(Role.EVALUEE,), person=w.people[2].person,
                        full_name=w.people[2].person.full_name)
    set_user_active(SYSTEM, gone, False)
    db.session.commit()
    clerk = _login(app, factory, roles=(Role.SECRETARY,), name="sec-officers")
    base = f"/evaluations/{w.round.id}/meetings/{w.meeting.id}"
    page = clerk.get(base).get_data(as_text=True)
    offered = set(re.findall(r'<option[^>]*value="(\d+)"',
                             re.search(r'name="chair_user_id".*?</select>', page, re.S).group(0)))
    assert {str(chair.id), str(secretary.id)} <= offered
    # Neither the deactivated account nor the namesake (no person in the unit, no role).
    assert not {str(gone.id), str(namesake.id)} & offered
    token = _token(clerk, base)
    assert clerk.post(base + "/details", data={
        "csrf_token": token, "held_on": "10/12/2026", "place": "Phòng họp 2",
        "chair_user_id": str(chair.id), "secretary_user_id": str(secretary.id)}
    ).status_code == 302
    db.session.refresh(w.meeting)
    assert w.meeting.content["chair_user_id"] == chair.id
    assert (w.meeting.chair_name, w.meeting.secretary_name) == (chair.full_name,
                                                                secretary.full_name)
    signers = documents.minutes_signers(w.meeting)
    assert [(s.user_id, s.roles) for s in signers] == [(secretary.id, ("secretary",)),
                                                       (chair.id, ("chair",))]
    audits = db.session.query(AuditEntry).filter_by(action="evaluation_meeting.saved").count()
    # A deactivated account, an unknown one, garbage, one person in both posts: refused.
    for chair_id, secretary_id in ((gone.id, secretary.id), (999999, secretary.id),
                                   ("abc", ""), (chair.id, chair.id)):
        refused = clerk.post(base + "/details", data={
            "csrf_token": token, "held_on": "11/12/2026", "place": "Nơi khác",
            "chair_user_id": str(chair_id), "secretary_user_id": str(secretary_id)})
        assert refused.status_code == 422
        html = refused.get_data(as_text=True)
        assert ("không phải là tài khoản đang hoạt động" in html
                or "vừa là chủ trì vừa là thư ký" in html)
        db.session.refresh(w.meeting)
        assert w.meeting.content["chair_user_id"] == chair.id
        assert (w.meeting.held_on, w.meeting.place) == (date(2026, 12, 10), "Phòng họp 2")
    assert db.session.query(AuditEntry).filter_by(
        action="evaluation_meeting.saved").count() == audits


def test_a_meeting_recorded_before_keeps_its_signers_by_name(db, factory):
    w = meeting_world(staff=1, surname="Đinh")
    head = w.people[0].person
    chair = factory.user("chutoacu", roles=(Role.EVALUEE,), person=head, full_name=head.full_name)
    w.meeting.chair_name = head.full_name  # typed before the accounts were chosen
    w.meeting.content = {}
    db.session.flush()
    assert [s.user_id for s in documents.minutes_signers(w.meeting)] == [chair.id]
    # Saved with no chair chosen: nobody signs as chair, whatever name was typed before.
    meetings.save_details(SYSTEM, w.round, w.meeting, meetings.MeetingDetails(None, None))
    assert w.meeting.chair_name is None and documents.minutes_signers(w.meeting) == []
