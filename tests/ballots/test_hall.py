"""The hall: latecomers admitted while voting is open, attendance messages, the turnout's
"present, not voted yet", and each role's to-do list on the home page (issue 7, item 5 and the
home page section).

Numbers are worked out by hand in each test; the latecomer's ballot is the only one with a
"low" mark, so the count shows whether it was counted.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder, home, services
from evalapp.ballots.models import BallotRound, BallotVoter, RoundStatus
from evalapp.box.models import BoxParticipation
from evalapp.core.errors import InvalidState, NotAllowed, NotFound
from evalapp.tally.rules import Level
from tests.ballots.conftest import (
    advance,
    box_id_of,
    entries_after,
    last_seq,
    marks,
    secret_counts,
)

HIGH, LOW = Level.HIGH.value, Level.LOW.value


def _entry_of(meeting, person):
    return next(v for v in meeting.round.voters if v.person_id == person.id)


# ---------------------------------------------------------------- latecomers


def test_a_latecomer_admitted_during_voting_votes_and_is_counted(meeting, db):
    # 6 summoned, 4 present at opening (quorum: 4 * 3 >= 6 * 2); three of them vote "high".
    m = meeting(voters=6, candidates=2, present=4,
                ballots=[[HIGH, HIGH], [HIGH, HIGH], [HIGH, HIGH]])
    assert (m.round.summoned_count, m.round.present_count) == (6, 4)
    late = m.voters[4]
    entry = _entry_of(m, late)
    assert entry.present is False
    seq = last_seq()
    admitted = services.admit_latecomer(SYSTEM, m.round, entry.id)
    db.session.commit()
    assert admitted.id == entry.id

    round_ = m.reload()
    assert round_.present_count == 5 and round_.summoned_count == 6
    assert db.session.get(BallotVoter, entry.id).present is True
    numbers = services.turnout(round_)
    assert (numbers.present, numbers.voted, numbers.not_voted) == (5, 3, 2)

    # One audit entry, by the actor, naming who was admitted and the new number present.
    entries = entries_after(seq)
    assert [e.action for e in entries] == ["ballot_round.latecomer_admitted"]
    details = json.loads(entries[0].details)
    assert details == {"voter_id": entry.id, "person_id": late.id, "name": late.full_name,
                       "present": 5, "summoned": 6}
    assert entries[0].target_type == "ballot_round" and entries[0].target_id == str(m.round_id)
    assert entries[0].actor_label == "system"

    # The latecomer votes; the only "low" marks are theirs.
    services.cast_ballot(late, round_, marks(round_, [LOW, HIGH]))
    db.session.commit()
    advance(m, RoundStatus.COUNTED)
    round_ = m.reload()
    tally = services.tally_of(round_)
    assert (tally.counts.summoned, tally.counts.present, tally.counts.issued,
            tally.counts.collected) == (6, 5, 5, 4)
    first = tally.candidates[0]
    assert first.counts[Level.LOW] == 1 and first.counts[Level.HIGH] == 3


def test_a_latecomer_admission_carries_nothing_of_any_ballot(meeting, db):
    m = meeting(voters=4, candidates=2, present=3, ballots=[[HIGH, LOW], [LOW, HIGH]])
    before = secret_counts(m.round_id)
    seq = last_seq()
    services.admit_latecomer(SYSTEM, m.round, _entry_of(m, m.voters[3]).id)
    db.session.commit()
    # The secret tables are untouched, and the entry says nothing of a ballot or of who voted.
    assert secret_counts(m.round_id) == before
    (entry,) = entries_after(seq)
    assert set(json.loads(entry.details)) == {"voter_id", "person_id", "name", "present",
                                              "summoned"}
    for word in ("high", "low", "confidence", "voted", "ballot"):
        assert word not in entry.details


@pytest.mark.parametrize("state", [RoundStatus.ATTENDANCE, RoundStatus.CLOSED,
                                   RoundStatus.COUNTED])
def test_latecomers_are_admitted_only_while_voting_is_open(meeting, db, state):
    m = meeting(voters=4, candidates=1, present=3, state=state)
    entry = _entry_of(m, m.voters[3])
    seq = last_seq()
    with pytest.raises(InvalidState):
        services.admit_latecomer(SYSTEM, m.round, entry.id)
    db.session.rollback()
    assert entries_after(seq) == []
    assert db.session.get(BallotVoter, entry.id).present is False


def test_admitting_someone_present_unknown_or_by_a_counter_is_refused(meeting, factory, db):
    m = meeting(voters=4, candidates=1, present=3)
    counter = factory.user("kiemphieu", roles=(Role.COUNTER,))
    db.session.add(services.BallotOfficer(round_id=m.round_id, user_id=counter.id,
                                          role=services.OfficerRole.COUNTER))
    db.session.commit()
    seq = last_seq()
    with pytest.raises(InvalidState) as present:
        services.admit_latecomer(SYSTEM, m.round, _entry_of(m, m.voters[0]).id)
    assert m.voters[0].full_name in present.value.text()
    db.session.rollback()
    with pytest.raises(NotFound):
        services.admit_latecomer(SYSTEM, m.round, 987_654)
    db.session.rollback()
    with pytest.raises(NotAllowed):  # the counting team counts; it does not admit
        services.admit_latecomer(counter, m.reload(), _entry_of(m, m.voters[3]).id)
    db.session.rollback()
    assert entries_after(seq) == []
    assert m.reload().present_count == 3


def test_the_secretary_admits_a_latecomer_from_the_attendance_page(app, meeting, factory, db):
    m = meeting(voters=4, candidates=1, present=3)
    secretary = factory.user("thuky", roles=(Role.SECRETARY,))
    db.session.add(services.BallotOfficer(round_id=m.round_id, user_id=secretary.id,
                                          role=services.OfficerRole.SECRETARY))
    db.session.commit()
    late = _entry_of(m, m.voters[3])
    client = app.test_client()
    client.post("/login", data={"username": "thuky", "password": "correct-horse-9"})
    page = client.get(f"/ballots/{m.round_id}/attendance").get_data(as_text=True)
    # Not frozen without a word: the page says what can still be done, and offers it.
    assert 'id="attendance-frozen"' in page
    assert page.count('class="btn btn-sm btn-outline-primary latecomer-button"') == 1
    assert f'name="voter_id" value="{late.id}"' in page
    response = client.post(f"/ballots/{m.round_id}/attendance/latecomer",
                           data={"voter_id": late.id})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert late.full_name in page and "latecomer-button" not in page
    assert m.reload().present_count == 4
    # Twice: refused with a clear message, nothing counted twice.
    again = client.post(f"/ballots/{m.round_id}/attendance/latecomer",
                        data={"voter_id": late.id})
    assert again.status_code == 409 and late.full_name in again.get_data(as_text=True)
    assert m.reload().present_count == 4


# ---------------------------------------------------------------- attendance and turnout


def test_saving_attendance_names_who_changed(meeting, db):
    m = meeting(voters=3, candidates=1, state=RoundStatus.ATTENDANCE)
    ids = {v.person_id: v.id for v in m.round.voters}
    first = services.set_attendance(SYSTEM, m.round, [ids[m.voters[0].id], ids[m.voters[1].id]])
    assert (first.present, first.summoned) == (2, 3)
    assert first.marked_present == sorted([m.voters[0].full_name, m.voters[1].full_name])
    assert first.marked_absent == []
    second = services.set_attendance(SYSTEM, m.round, [ids[m.voters[1].id], ids[m.voters[2].id]])
    assert second.marked_present == [m.voters[2].full_name]
    assert second.marked_absent == [m.voters[0].full_name]
    same = services.set_attendance(SYSTEM, m.round, [ids[m.voters[1].id], ids[m.voters[2].id]])
    assert same.marked_present == same.marked_absent == []


def test_marking_everyone_present_says_who_was_added(app, meeting, factory, db):
    m = meeting(voters=3, candidates=1, state=RoundStatus.ATTENDANCE)
    services.set_attendance(SYSTEM, m.round, [_entry_of(m, m.voters[0]).id])
    factory.user("bantochuc", roles=(Role.ADMIN,))
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "bantochuc", "password": "correct-horse-9"})
    page = client.get(f"/ballots/{m.round_id}/attendance").get_data(as_text=True)
    assert 'data-confirm="' in page.split('id="mark-all"')[1].split("</form>")[0]
    page = client.post(f"/ballots/{m.round_id}/attendance", data={"all": "1"},
                       follow_redirects=True).get_data(as_text=True)
    message = page.split('class="alert alert-success flash-message"')[1].split("</div>")[0]
    assert m.voters[1].full_name in message and m.voters[2].full_name in message
    assert m.voters[0].full_name not in message  # already present: not a change
    assert "3/3" in message


def test_the_close_question_says_how_many_present_have_not_voted(app, meeting, factory, db):
    m = meeting(voters=6, candidates=1, present=5, ballots=[[HIGH], [HIGH]])
    factory.user("bantochuc", roles=(Role.ADMIN,))
    client = app.test_client()
    client.post("/login", data={"username": "bantochuc", "password": "correct-horse-9"})
    page = client.get(f"/ballots/{m.round_id}").get_data(as_text=True)
    form = page.split('id="close-form"')[1].split(">")[0]
    assert 'data-confirm="Còn 3 người có mặt chưa bỏ phiếu. Khóa hòm phiếu?' in form
    assert 'id="fact-not-voted" data-field="not_voted">3<' in page
    turnout = client.get(f"/ballots/{m.round_id}/turnout").get_data(as_text=True)
    assert 'id="turnout-not-voted" data-field="not_voted">3<' in turnout
    assert client.get(f"/ballots/{m.round_id}/turnout.json").get_json()["not_voted"] == 3


# ---------------------------------------------------------------- the home page's to-do lists


def test_voter_rounds_split_waiting_voted_absent_and_upcoming(meeting, factory, db):
    voting = meeting(voters=3, candidates=1, present=2)
    voted = meeting(voters=3, candidates=1, present=2, ballots=[[HIGH]])
    absent = meeting(voters=3, candidates=1, present=2)
    upcoming = meeting(voters=3, candidates=1, state=RoundStatus.ATTENDANCE)
    closed = meeting(voters=3, candidates=1, state=RoundStatus.CLOSED)
    # One member summoned to all five rounds: voters[0] of `voting`.
    member = voting.voters[0]
    # The member on the other rounds' rolls, as each scenario needs.
    for m, present, has_voted in ((voted, True, True), (absent, False, False),
                                  (upcoming, False, False), (closed, True, False)):
        db.session.add(BallotVoter(round_id=m.round_id, person_id=member.id,
                                   full_name=member.full_name, unit_name="x", present=present))
        if has_voted:
            db.session.add(BoxParticipation(box_id=box_id_of(m.round_id), person_id=member.id))
    db.session.commit()
    user = factory.user("uyvien", roles=(Role.VOTER,), person=member)
    rounds = services.voter_rounds(user)
    assert [r.id for r in rounds.waiting] == [voting.round_id]
    assert [r.id for r in rounds.voted] == [voted.round_id]
    assert [r.id for r in rounds.not_present] == [absent.round_id]
    assert [r.id for r in rounds.upcoming] == [upcoming.round_id]
    assert home.rounds_to_vote(user)["rounds"] == rounds
    nobody = factory.user("khong", roles=(Role.VOTER,))
    assert home.rounds_to_vote(nobody) is None


def test_officers_and_admins_see_the_rounds_they_run_with_the_next_step(app, meeting, factory,
                                                                       db):
    attendance = meeting(voters=3, candidates=1, state=RoundStatus.ATTENDANCE)
    voting = meeting(voters=3, candidates=1, present=3, ballots=[[HIGH]])
    closed = meeting(voters=3, candidates=1, state=RoundStatus.CLOSED)
    counted = meeting(voters=3, candidates=1, state=RoundStatus.COUNTED)
    finalised = meeting(voters=3, candidates=1, state=RoundStatus.FINALISED)
    draft = meeting(voters=3, candidates=1, state=RoundStatus.DRAFT)
    secretary = factory.user("thuky", roles=(Role.SECRETARY,))
    counter = factory.user("kiemphieu", roles=(Role.COUNTER,))
    for m in (attendance, voting, closed, counted, finalised, draft):
        for user, role in ((secretary, services.OfficerRole.SECRETARY),
                           (counter, services.OfficerRole.COUNTER)):
            db.session.add(services.BallotOfficer(round_id=m.round_id, user_id=user.id,
                                                  role=role))
    scoped = factory.user("bantochuc", roles=(Role.ADMIN,), unit=closed.unit)
    outsider = factory.user("khac", roles=(Role.SECRETARY,))
    db.session.commit()
    held = [attendance.round_id, voting.round_id, closed.round_id, counted.round_id]

    with app.test_request_context():
        todos = home.rounds_to_run(secretary)["todos"]
        assert [t.round.id for t in todos] == held
        steps = {t.round.id: [s.label for s in t.steps] for t in todos}
        notes = {t.round.id: t.note for t in todos}
        assert steps[attendance.round_id] == ["Điểm danh"]  # no quorum yet: no "open"
        assert steps[voting.round_id] == ["Theo dõi số người đã bỏ phiếu",
                                          "Ghi nhận người đến muộn", "Khóa hòm phiếu…"]
        assert notes[voting.round_id] == ("1/3 người có mặt đã bỏ phiếu; còn 2 người chưa bỏ "
                                          "phiếu.")
        # Closed: the counting team unlocks its shares first, then counts.
        assert steps[closed.round_id] == ["Mở các phần khóa của tổ kiểm phiếu"]
        assert steps[counted.round_id] == ["Kết quả"]  # finalising is for the chair, admins

        counter_steps = {t.round.id: [s.label for s in t.steps]
                         for t in home.rounds_to_run(counter)["todos"]}
        assert counter_steps[attendance.round_id] == []
        assert counter_steps[voting.round_id] == ["Theo dõi số người đã bỏ phiếu"]
        assert counter_steps[closed.round_id] == ["Mở các phần khóa của tổ kiểm phiếu"]
        builder.unlock(closed.round)
        counter_steps = {t.round.id: [s.label for s in t.steps]
                         for t in home.rounds_to_run(counter)["todos"]}
        assert counter_steps[closed.round_id] == ["Kiểm phiếu"]

        assert [t.round.id for t in home.rounds_to_run(scoped)["todos"]] == [closed.round_id]
        assert home.rounds_to_run(outsider) is None

        admin_rounds = home.admin_rounds(scoped)["rounds"]
        assert [r.id for r in admin_rounds] == [closed.round_id]
        assert home.admin_rounds(secretary) is None
        assert home.admin_rounds(outsider) is None


def test_the_person_voted_on_sees_their_own_result_once_available(app, meeting, factory, db):
    counted = meeting(voters=3, candidates=2, state=RoundStatus.COUNTED)
    voting = meeting(voters=3, candidates=1, present=3)
    person = counted.candidate_people[1]
    # The same person is also voted on in the open round.
    db.session.add(services.BallotCandidate(
        round_id=voting.round_id, person_id=person.id, position=2, full_name=person.full_name,
        post_name=None, unit_name="x", excluded=False))
    db.session.commit()
    user = factory.user("canbo", roles=(Role.EVALUEE,), person=person)
    rows = home.own_results(user)["rows"]
    assert [(r["round"].id, r["available"]) for r in rows] == [(voting.round_id, False),
                                                               (counted.round_id, True)]
    candidate = rows[1]["candidate"]
    client = app.test_client()
    client.post("/login", data={"username": "canbo", "password": "correct-horse-9"})
    page = client.get("/").get_data(as_text=True)
    link = f'/ballots/{counted.round_id}/results#result-{candidate.id}'
    assert link in page
    results = client.get(link.split("#")[0] + "?acknowledged=1").get_data(as_text=True)
    assert f'id="result-{candidate.id}"' in results
    assert results.count('<tr data-candidate="') == 1  # their own line only
    # A round that does not release results to the people voted on is not listed as pending.
    db.session.execute(select(BallotRound).where(BallotRound.id == counted.round_id)
                       ).scalar_one().results_to_candidates = False
    db.session.commit()
    assert [r["round"].id for r in home.own_results(user)["rows"]] == [voting.round_id]


def test_each_home_section_renders_for_its_role(app, meeting, factory, db):
    m = meeting(voters=3, candidates=1, present=3)
    voter = factory.user("uyvien", roles=(Role.VOTER,), person=m.voters[0])
    factory.user("bantochuc", roles=(Role.ADMIN,))
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "uyvien", "password": "correct-horse-9"})
    page = client.get("/").get_data(as_text=True)
    assert 'id="rounds-waiting"' in page and f'href="/vote/{m.round_id}"' in page
    assert 'id="home-admin-title"' not in page and 'id="home-run-title"' not in page
    client.post(f"/vote/{m.round_id}/cast", data={
        f"mark-{c.id}": HIGH for c in m.round.active_candidates})
    page = client.get("/").get_data(as_text=True)
    waiting = page.split('id="rounds-waiting"')[1].split("</div>")[0]
    assert f'href="/vote/{m.round_id}"' not in waiting
    assert f'href="/vote/{m.round_id}/receipt"' in page.split('id="rounds-voted"')[1]
    assert 'id="home-receipts"' in page
    assert voter.username  # the voter's receipt is on their home page, from this session

    admin = app.test_client()
    admin.post("/login", data={"username": "bantochuc", "password": "correct-horse-9"})
    page = admin.get("/").get_data(as_text=True)
    assert 'id="home-quick-links"' in page and 'href="/ballots/new"' in page
    assert f'href="/ballots/{m.round_id}"' in page.split('id="home-admin-rounds"')[1]
    assert 'id="home-run"' in page  # the admin of the unit runs it too
