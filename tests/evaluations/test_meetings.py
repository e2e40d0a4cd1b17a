"""The collective meeting and its secret opinion ballot, through the services."""

from __future__ import annotations

import pytest

from evalapp.auth.permissions import SYSTEM
from evalapp.core.errors import AlreadyVoted, InvalidState, NotAllowed, ValidationFailed
from evalapp.evaluations import meetings
from evalapp.evaluations.models import MeetingStatus
from tests.evaluations.meetings_helpers import meeting_world, to_voting, unlock_and_count

HTXS, HTT, HTNV, KHT = meetings.LEVELS


def test_known_votes_give_the_expected_counts_per_person_and_level(db):
    w = meeting_world(staff=4)
    people = w.people
    assert len(people) == 5
    to_voting(w, present=people[:4])
    ballots = [
        [HTXS, HTT, HTT, HTNV, KHT],
        [HTT, HTT, HTNV, HTNV, KHT],
        [HTXS, HTXS, HTT, KHT, KHT],
        [HTT, HTT, HTT, HTT, HTNV],
    ]
    for voter, levels in zip(people[:4], ballots, strict=True):
        meetings.cast_opinion(voter.person_id, w.round, w.meeting,
                              {p.id: level for p, level in zip(people, levels, strict=True)})
    db.session.commit()
    assert meetings.opinions(w.meeting) is None
    assert meetings.close_ballot(SYSTEM, w.round, w.meeting) == 4
    db.session.commit()
    counts = unlock_and_count(w)
    db.session.commit()
    expected = {}
    for line, person in enumerate(people):
        column = [b[line] for b in ballots]
        expected[person.id] = {level: column.count(level) for level in meetings.LEVELS}
    assert counts == expected
    stored = w.meeting.content["opinions"]
    assert stored == {str(k): v for k, v in expected.items()}
    assert w.meeting.content["ballot"]["collected"] == 4
    assert w.meeting.content["ballot"]["issued"] == 4


def test_only_present_members_vote_and_only_once(db):
    w = meeting_world(staff=3)
    present, absent = w.people[:3], w.people[3]
    to_voting(w, present=present)
    marks = {p.id: HTT for p in w.people}
    with pytest.raises(NotAllowed):
        meetings.cast_opinion(absent.person_id, w.round, w.meeting, marks)
    with pytest.raises(NotAllowed):
        meetings.cast_opinion(None, w.round, w.meeting, marks)
    meetings.cast_opinion(present[0].person_id, w.round, w.meeting, marks)
    db.session.commit()
    with pytest.raises(AlreadyVoted):
        meetings.cast_opinion(present[0].person_id, w.round, w.meeting, marks)
    db.session.rollback()
    assert meetings.voted_count(w.meeting) == 1
    assert meetings.has_voted(w.meeting, present[0].person_id)
    assert not meetings.has_voted(w.meeting, present[1].person_id)


def test_an_incomplete_or_foreign_ballot_is_refused(db):
    w = meeting_world(staff=2)
    to_voting(w)
    voter = w.people[0].person_id
    with pytest.raises(ValidationFailed):
        meetings.cast_opinion(voter, w.round, w.meeting, {w.people[0].id: HTT})
    with pytest.raises(ValidationFailed):
        meetings.cast_opinion(voter, w.round, w.meeting,
                              {p.id: "high" for p in w.people})
    with pytest.raises(ValidationFailed):
        meetings.cast_opinion(voter, w.round, w.meeting,
                              {**{p.id: HTT for p in w.people}, 999999: HTT})
    assert meetings.voted_count(w.meeting) == 0


def test_the_lifecycle_of_a_meeting_is_enforced(db):
    w = meeting_world(staff=2)
    r, m = w.round, w.meeting
    # No ballot without attendance and a counting team of 2 or 3.
    with pytest.raises(InvalidState):
        meetings.open_ballot(SYSTEM, r, m)
    meetings.set_attendance(SYSTEM, r, m, [p.person_id for p in w.people])
    with pytest.raises(InvalidState):
        meetings.open_ballot(SYSTEM, r, m)
    with pytest.raises(ValidationFailed):  # someone outside the unit
        meetings.set_attendance(SYSTEM, r, m, [999999])
    to_voting(w)
    assert m.status == MeetingStatus.VOTING
    # Attendance is fixed while voting; no count before closing; no record before counting.
    with pytest.raises(InvalidState):
        meetings.set_attendance(SYSTEM, r, m, [])
    with pytest.raises(InvalidState):
        meetings.count_ballot(SYSTEM, r, m)
    with pytest.raises(InvalidState):
        meetings.mark_recorded(SYSTEM, r, m)
    meetings.cast_opinion(w.people[0].person_id, r, m, {p.id: HTT for p in w.people})
    meetings.close_ballot(SYSTEM, r, m)
    db.session.commit()
    with pytest.raises(InvalidState):  # too few shares unlocked
        meetings.count_ballot(SYSTEM, r, m)
    db.session.rollback()
    unlock_and_count(w)
    from datetime import date

    meetings.save_details(SYSTEM, r, m, meetings.MeetingDetails(date(2026, 12, 10), "Phòng họp"))
    meetings.mark_recorded(SYSTEM, r, m)
    assert m.status == MeetingStatus.RECORDED
    with pytest.raises(InvalidState):
        meetings.save_comment(SYSTEM, r, m, w.people[0].id, "Sau khi xong")


def test_a_meeting_without_an_opinion_ballot_is_recorded_without_one(db):
    from datetime import date

    from evalapp.evaluations.models import Meeting

    w = meeting_world(staff=2)
    m: Meeting = w.meeting
    m.opinion_ballot = False  # the round's setting, as a round without the ballot makes it
    meetings.set_attendance(SYSTEM, w.round, m, [w.people[0].person_id])
    meetings.save_comment(SYSTEM, w.round, m, w.people[1].id, "Hoàn thành tốt")
    with pytest.raises(InvalidState):
        meetings.register_lock(SYSTEM, w.round, m, "X", "mật khẩu dài dài", "mật khẩu dài dài")
    with pytest.raises(InvalidState):
        meetings.mark_recorded(SYSTEM, w.round, m)  # no date yet
    meetings.save_details(SYSTEM, w.round, m, meetings.MeetingDetails(date(2026, 12, 1), None))
    meetings.mark_recorded(SYSTEM, w.round, m)
    assert m.status == MeetingStatus.RECORDED
    assert m.members_present == 1 and m.members_total == 3
    assert meetings.comments_of(m) == {w.people[1].id: "Hoàn thành tốt"}
