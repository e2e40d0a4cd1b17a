"""Issue 12, paper ballots: the round's paper settings and the roll's hand-out (a present
member gets a paper ballot or a code slip, which spends their own right in the box: nobody
both votes with their account and gets a ballot in the hall)."""

from __future__ import annotations

import json

import pytest

from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder, codes, services
from evalapp.ballots.models import BallotOfficer, OfficerRole, RoundStatus
from evalapp.ballots.schemas import BallotKinds, Handed, PaperMode
from evalapp.box import services as box
from evalapp.box.models import BoxParticipation
from evalapp.core.errors import AlreadyVoted, InvalidState, NotAllowed, ValidationFailed
from tests.ballots.conftest import entries_after, last_seq, marks
from tests.paper.conftest import set_paper

HIGH = "high"


def _entry(m, person):
    return next(v for v in m.round.voters if v.person_id == person.id)


def test_the_paper_settings_are_kept_with_the_draft_and_frozen_after(meeting, db):
    m = meeting(state=RoundStatus.DRAFT)
    assert (m.round.ballot_kinds, m.round.paper_entries, m.round.paper_mode,
            m.round.percent_places) == (BallotKinds.BROWSER, 1, PaperMode.BALLOTS, 2)
    set_paper(m.round, kinds=BallotKinds.BOTH, entries=3, mode=PaperMode.TOTALS, places=1)
    db.session.commit()
    r = m.reload()
    assert (r.ballot_kinds, r.paper_entries, r.paper_mode, r.percent_places) == (
        BallotKinds.BOTH, 3, PaperMode.TOTALS, 1)
    with pytest.raises(ValidationFailed):
        set_paper(r, entries=4)
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        set_paper(m.reload(), places=3)
    db.session.rollback()
    services.start_attendance(SYSTEM, m.reload())
    db.session.commit()
    with pytest.raises(InvalidState):
        set_paper(m.reload(), entries=1)
    db.session.rollback()
    assert m.reload().paper_entries == 3


def test_presets_set_the_bad_line_rule(meeting, db):
    assert meeting(state=RoundStatus.DRAFT, preset="assembly-2023").round \
        .bad_line_voids_ballot is False
    assert meeting(state=RoundStatus.DRAFT, preset="party-2023").round \
        .bad_line_voids_ballot is True


def test_a_paper_ballot_handed_out_spends_the_members_own_right(paper_meeting, db):
    m = paper_meeting(kinds=BallotKinds.BOTH, voters=4, candidates=1, present=3,
                      state=RoundStatus.VOTING, ballots=[[HIGH]])
    voted, paper, code, absent = (_entry(m, p) for p in m.voters)
    seq = last_seq()
    services.hand_out(SYSTEM, m.round, paper.id, "paper")
    services.hand_out(SYSTEM, m.round, code.id, Handed.CODE)
    db.session.commit()
    assert db.session.query(BoxParticipation).count() == 3
    # Neither can vote with their account any more.
    for person in m.voters[1:3]:
        with pytest.raises(AlreadyVoted):
            services.cast_ballot(person, m.reload(), marks(m.round, [HIGH]))
        db.session.rollback()
    # The roll: handed a paper ballot / a code slip / voted with their account; absent: no line.
    assert services.roll_marks(m.reload()) == {
        voted.id: services.RollMark.ACCOUNT, paper.id: services.RollMark.PAPER,
        code.id: services.RollMark.CODE}
    entries = entries_after(seq)
    assert [e.action for e in entries] == ["ballot_round.handed_out"] * 2
    assert [json.loads(e.details)["handed"] for e in entries] == ["paper", "code"]
    # Refused, each with its reason, and nothing changes.
    seq = last_seq()
    for voter in (voted, paper, code, absent):
        with pytest.raises(InvalidState) as refused:
            services.hand_out(SYSTEM, m.reload(), voter.id, "paper")
        assert voter.full_name in refused.value.text()
        db.session.rollback()
    with pytest.raises(ValidationFailed):
        services.hand_out(SYSTEM, m.reload(), absent.id, "both")
    db.session.rollback()
    assert entries_after(seq) == []
    assert db.session.query(BoxParticipation).count() == 3


def test_what_a_round_takes_decides_what_can_be_handed_and_cast(paper_meeting, db):
    paper_only = paper_meeting(kinds=BallotKinds.PAPER, voters=3, candidates=1,
                               state=RoundStatus.VOTING)
    with pytest.raises(NotAllowed):  # no browser ballot in a paper-only round
        services.cast_ballot(paper_only.voters[0], paper_only.round,
                             marks(paper_only.round, [HIGH]))
    db.session.rollback()
    with pytest.raises(InvalidState):
        services.hand_out(SYSTEM, paper_only.reload(),
                          _entry(paper_only, paper_only.voters[0]).id, "code")
    db.session.rollback()
    browser = paper_meeting(kinds=BallotKinds.BROWSER, voters=3, candidates=1,
                            state=RoundStatus.VOTING)
    with pytest.raises(InvalidState):
        services.hand_out(SYSTEM, browser.round, _entry(browser, browser.voters[0]).id,
                          "paper")
    db.session.rollback()
    assert db.session.query(BoxParticipation).count() == 0


def test_hand_out_only_while_voting_and_only_by_those_who_run_the_meeting(
        paper_meeting, factory, db):
    m = paper_meeting(kinds=BallotKinds.BOTH, voters=3, candidates=1, state=RoundStatus.VOTING)
    counter = factory.user("kiemphieu", roles=(Role.COUNTER,))
    db.session.add(BallotOfficer(round_id=m.round_id, user_id=counter.id,
                                 role=OfficerRole.COUNTER))
    db.session.commit()
    with pytest.raises(NotAllowed):
        services.hand_out(counter, m.reload(), _entry(m, m.voters[0]).id, "paper")
    db.session.rollback()
    closed = paper_meeting(kinds=BallotKinds.BOTH, voters=3, candidates=1,
                           state=RoundStatus.CLOSED)
    with pytest.raises(InvalidState):
        services.hand_out(SYSTEM, closed.round, _entry(closed, closed.voters[0]).id, "paper")


def test_the_secretary_hands_out_from_the_roll(app, paper_meeting, factory, db):
    m = paper_meeting(kinds=BallotKinds.BOTH, voters=3, candidates=1, state=RoundStatus.VOTING)
    secretary = factory.user("thuky", roles=(Role.SECRETARY,))
    db.session.add(BallotOfficer(round_id=m.round_id, user_id=secretary.id,
                                 role=OfficerRole.SECRETARY))
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "thuky", "password": "correct-horse-9"})
    url = f"/ballots/{m.round_id}/attendance"
    page = client.get(url).get_data(as_text=True)
    assert page.count("roll-mark-nothing") == 3 and page.count("hand-out-paper") == 3
    voter = _entry(m, m.voters[0])
    done = client.post(f"/ballots/{m.round_id}/hand-out",
                       data={"voter_id": voter.id, "kind": "paper"})
    assert done.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert page.count("roll-mark-paper") == 1 and page.count("hand-out-paper") == 2
    again = client.post(f"/ballots/{m.round_id}/hand-out",
                        data={"voter_id": voter.id, "kind": "code"})
    assert again.status_code == 409 and voter.full_name in again.get_data(as_text=True)
    assert m.reload().voters and _entry(m, m.voters[0]).handed is Handed.PAPER


def test_a_paper_only_round_has_no_ballot_codes(paper_meeting, factory, login_as, db):
    """Codes are browser ballots: a round that takes paper only neither offers nor generates
    them, and a code that somehow reached its box opens no ballot."""
    paper_only = paper_meeting(kinds=BallotKinds.PAPER, voters=3, candidates=1,
                               state=RoundStatus.VOTING)
    both = paper_meeting(kinds=BallotKinds.BOTH, voters=3, candidates=1,
                         state=RoundStatus.VOTING)
    with pytest.raises(InvalidState):
        codes.generate_codes(SYSTEM, paper_only.round, 2)
    db.session.rollback()
    assert len(codes.generate_codes(SYSTEM, both.reload(), 2)) == 2
    db.session.commit()
    admin = factory.user("quantri-giay", roles=(Role.ADMIN,))
    client = login_as(admin)
    assert 'id="codes-form"' not in client.get(
        f"/ballots/{paper_only.round_id}").get_data(as_text=True)
    assert 'id="codes-form"' in client.get(f"/ballots/{both.round_id}").get_data(as_text=True)
    refused = client.post(f"/ballots/{paper_only.round_id}/codes", data={"count": "2"})
    assert refused.status_code == 409 and refused.mimetype != "application/pdf"
    assert box.codes_count(services.round_box(paper_only.reload())) == (0, 0)
    # Defence in depth: a code in a paper-only round's box casts nothing.
    [smuggled] = box.add_codes(services.round_box(paper_only.reload()), 1)
    db.session.commit()
    with pytest.raises(NotAllowed):
        codes.open_code(smuggled)
    anonymous = client.application.test_client()
    anonymous.get("/code/")
    page = anonymous.post("/code/", data={"code": smuggled})
    assert page.status_code == 403 and str(codes.PAPER_ONLY) in page.get_data(as_text=True)


def test_the_roll_warns_when_more_code_ballots_than_recorded_slips(app, paper_meeting, factory,
                                                                    db):
    """A code slip handed out but not recorded leaves its member's account right unspent: the
    attendance page tells the secretary as soon as code ballots outnumber recorded slips."""
    m = paper_meeting(kinds=BallotKinds.BROWSER, voters=4, candidates=1,
                      state=RoundStatus.VOTING)
    secretary = factory.user("thuky-ma", roles=(Role.SECRETARY,))
    db.session.add(BallotOfficer(round_id=m.round_id, user_id=secretary.id,
                                 role=OfficerRole.SECRETARY))
    made = codes.generate_codes(SYSTEM, m.reload(), 3)
    services.hand_out(SYSTEM, m.reload(), _entry(m, m.voters[0]).id, "code")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "thuky-ma", "password": "correct-horse-9"})
    url = f"/ballots/{m.round_id}/attendance"
    line = box.line_numbers(services.round_box(m.reload()))[m.round.active_candidates[0].id]

    def vote(code):
        codes.cast_with_code(code, box.WrittenBallot(marks={line: HIGH}))
        db.session.commit()

    vote(made[0])
    assert 'id="codes-beyond-slips"' not in client.get(url).get_data(as_text=True)
    vote(made[1])
    page = client.get(url).get_data(as_text=True)
    assert 'id="codes-beyond-slips"' in page
    assert services.codes_beyond_slips(m.reload()) == services.CodeSlips(cast=2, handed=1)
    # Put right on the roll: the warning goes.
    services.hand_out(SYSTEM, m.reload(), _entry(m, m.voters[1]).id, "code")
    db.session.commit()
    assert 'id="codes-beyond-slips"' not in client.get(url).get_data(as_text=True)
    assert services.codes_beyond_slips(m.reload()) is None


def test_the_secretary_hands_paper_to_every_member_waiting_at_once(app, paper_meeting, factory,
                                                                   db):
    """A hall voting on paper: one press hands a paper ballot to every present member who has
    neither voted with their account nor been handed anything; the others keep their mark."""
    m = paper_meeting(kinds=BallotKinds.BOTH, voters=6, candidates=1, present=5,
                      state=RoundStatus.VOTING, ballots=[[HIGH]])  # the first votes online
    secretary = factory.user("thuky-all", roles=(Role.SECRETARY,))
    db.session.add(BallotOfficer(round_id=m.round_id, user_id=secretary.id,
                                 role=OfficerRole.SECRETARY))
    services.hand_out(SYSTEM, m.reload(), _entry(m, m.voters[1]).id, "code")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "thuky-all", "password": "correct-horse-9"})
    url = f"/ballots/{m.round_id}/attendance"
    page = client.get(url).get_data(as_text=True)
    assert "hand-out-all-paper" in page and "hand-out-all-code" in page
    before = last_seq()
    done = client.post(f"/ballots/{m.round_id}/hand-out-all", data={"kind": "paper"})
    assert done.status_code == 302
    roll = services.roll_marks(m.reload())
    assert sorted(mark.value for mark in roll.values()) == [
        "account", "code", "paper", "paper", "paper"]  # the absent sixth gets nothing
    assert sum(v.handed is Handed.PAPER for v in m.round.voters) == 3
    assert not _entry(m, m.voters[5]).present and _entry(m, m.voters[5]).handed is None
    [entry] = entries_after(before)
    assert (entry.action, json.loads(entry.details)["count"]) == (
        "ballot_round.handed_out_all", 3)
    # Their own rights are spent: none of them can vote with their account now.
    with pytest.raises(AlreadyVoted):
        services.cast_ballot(m.voters[2], m.reload(), marks(m.round, [HIGH]))
    db.session.rollback()
    page = client.get(url).get_data(as_text=True)
    assert "hand-out-all-paper" not in page  # nobody left
    again = client.post(f"/ballots/{m.round_id}/hand-out-all", data={"kind": "paper"})
    assert again.status_code == 409 and 'id="attendance-problem"' in again.get_data(as_text=True)
    assert last_seq() == before + 1
    wrong = client.post(f"/ballots/{m.round_id}/hand-out-all", data={"kind": "both"})
    assert wrong.status_code == 422 and last_seq() == before + 1


def test_a_count_with_more_code_ballots_than_recorded_slips_says_why(paper_meeting, db):
    """Two members vote with their accounts and also with two code slips nobody recorded on
    the roll: four ballots for two present. The count is refused, saying it is the slips."""
    m = paper_meeting(kinds=BallotKinds.BROWSER, voters=2, candidates=1,
                      state=RoundStatus.VOTING, ballots=[[HIGH], [HIGH]])
    made = codes.generate_codes(SYSTEM, m.reload(), 2)
    db.session.commit()
    line = box.line_numbers(services.round_box(m.reload()))[m.round.active_candidates[0].id]
    for code in made:
        codes.cast_with_code(code, box.WrittenBallot(marks={line: "low"}))
        db.session.commit()
    services.close_voting(SYSTEM, m.reload())
    db.session.commit()
    builder.unlock(m.reload())
    with pytest.raises(InvalidState) as refused:
        services.count_round(SYSTEM, m.reload())
    text = refused.value.text()
    assert "4" in text and "2" in text and "phiếu mã" in text and "giấy" not in text
    db.session.rollback()
    assert m.reload().status is RoundStatus.CLOSED and m.round.collected_count is None
