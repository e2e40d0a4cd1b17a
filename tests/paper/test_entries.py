"""Issue 12, paper ballots keyed ballot by ballot: independent entries by different members of
the counting team, disagreements found line by line and reconciled by the team head, counting
refused (naming the ballots) until every ballot agrees, and the paper count added to the box's
in a mixed round. Numbers are worked out by hand in each test."""

from __future__ import annotations

import json

import pytest

from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder, codes, paper, services
from evalapp.ballots.documents import DocumentKind
from evalapp.ballots.models import PaperEntry, RoundStatus
from evalapp.ballots.schemas import BallotKinds, PaperMode
from evalapp.box import services as box
from evalapp.core.errors import InvalidState, NotAllowed, ValidationFailed
from evalapp.tally.rules import Level
from tests.ballots.conftest import entries_after, last_seq

H, C, L = "high", "confidence", "low"
BALLOTS = [([H, L], None), ([H, "blank"], None), ([], "name_added"), ([C, "several"], None)]


def _key(round_, operator, ballots, first=1):
    for number, (lines, reason) in enumerate(ballots, start=first):
        paper.enter_ballot(operator, round_, number, lines, reason)


def _count(m):
    builder.unlock(m.round)
    result = services.count_round(SYSTEM, m.reload())
    return {(c.candidate_id, level): n for c in result.candidates
            for level, n in c.counts.items() if n}, result


def test_double_and_triple_entry_that_agree_give_the_count_of_a_single_entry(
        paper_meeting, team, db):
    tallies = []
    for entries in (1, 2, 3):
        m = paper_meeting(entries=entries, voters=5, candidates=2, voids=False)
        head, members = team(m)
        seq = last_seq()
        for operator in members[:entries]:
            _key(m.reload(), operator, BALLOTS)
            db.session.commit()
        audit = entries_after(seq)
        assert [json.loads(e.details) for e in audit] == [
            {"ballot_number": n, "entry_number": k} for k in range(1, entries + 1)
            for n in range(1, 5)]
        assert paper.count_blockers(m.reload()) == []
        counts, result = _count(m)
        first, second = (c.id for c in m.round.active_candidates)
        # Per line: ballot 3 invalid as a whole; the blank and the several lines left out.
        assert (result.counts.collected, result.counts.valid, result.counts.invalid) == (4, 3, 1)
        assert m.reload().paper_collected_count == 4
        assert [c.blank for c in result.candidates] == [0, 2]
        tallies.append(sorted((m.round.active_candidates.index(
            next(c for c in m.round.active_candidates if c.id == cid)), level.value, n)
            for (cid, level), n in counts.items()))
        assert counts == {(first, Level.HIGH): 2, (first, Level.CONFIDENCE): 1,
                          (second, Level.LOW): 1}
        assert services.check_count(m.reload()) == []
    assert tallies[0] == tallies[1] == tallies[2]


def test_each_entry_of_a_ballot_by_a_different_member_and_no_more_than_needed(
        paper_meeting, team, db):
    m = paper_meeting(entries=2, voters=4, candidates=2)
    head, (one, two, three) = team(m)
    paper.enter_ballot(one, m.round, 1, [H, L])
    db.session.commit()
    with pytest.raises(InvalidState) as twice:
        paper.enter_ballot(one, m.reload(), 1, [H, L])
    assert "1" in twice.value.text()
    db.session.rollback()
    paper.enter_ballot(two, m.reload(), 1, [H, L])
    db.session.commit()
    with pytest.raises(InvalidState):
        paper.enter_ballot(three, m.reload(), 1, [H, L])
    db.session.rollback()
    for lines, reason in (([H], None), ([H, "maybe"], None), ([H, None], None),
                          ([H, L], "name_added"), ([], "lost")):
        with pytest.raises(ValidationFailed):
            paper.enter_ballot(three, m.reload(), 2, lines, reason)
        db.session.rollback()
    assert db.session.query(PaperEntry).count() == 2
    # The next ballot each operator is offered: the lowest that still needs their entry.
    assert paper.next_number(m.reload(), one) == 2
    assert paper.next_number(m.round, three) == 2


def test_disagreements_block_counting_until_the_head_confirms_a_corrected_entry(
        paper_meeting, team, db):
    m = paper_meeting(entries=2, voters=5, candidates=2)
    head, (one, two, _three) = team(m)
    _key(m.round, one, [([H, L], None), ([H, C], None), ([L, L], None)])
    _key(m.round, two, [([H, L], None), ([H, L], None)])
    db.session.commit()
    found = paper.disagreements(m.reload())
    assert [(d.ballot_number, d.lines) for d in found] == [(2, [2])]
    with pytest.raises(InvalidState) as refused:
        services.count_round(SYSTEM, m.reload())
    text = refused.value.text()
    assert "no. 3" in text or "số 3" in text.lower() or ": 3" in text  # ballot 3 lacks an entry
    assert "2" in text
    db.session.rollback()
    paper.enter_ballot(two, m.reload(), 3, [L, L])
    db.session.commit()
    # Only the head of the team reconciles, with a reason; nothing else is refused silently.
    with pytest.raises(NotAllowed):
        paper.resolve(one, m.reload(), 2, [H, C], None, "Xem lại phiếu")
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        paper.resolve(head, m.reload(), 2, [H, C], None, "  ")
    db.session.rollback()
    with pytest.raises(InvalidState):  # ballot 9 was never keyed: nothing to confirm
        paper.resolve(head, m.reload(), 9, [H, C], None, "Xem lại phiếu")
    db.session.rollback()
    seq = last_seq()
    paper.resolve(head, m.reload(), 2, [H, C], None, "Tổ xem lại phiếu số 2")
    db.session.commit()
    (entry,) = entries_after(seq)
    # The audit entry names the ballot and the reason, never what the ballot says.
    assert json.loads(entry.details) == {"ballot_number": 2, "reason": "Tổ xem lại phiếu số 2"}
    assert paper.disagreements(m.reload()) == [] and paper.count_blockers(m.round) == []
    counts, result = _count(m)
    first, second = (c.id for c in m.round.active_candidates)
    assert counts == {(first, Level.HIGH): 2, (first, Level.LOW): 1,
                      (second, Level.LOW): 2, (second, Level.CONFIDENCE): 1}


def test_a_number_beyond_the_ballots_issued_is_refused_at_once(app, paper_meeting, team, db):
    """A paper-only round with 4 present: ballot no. 40 (a typing slip for 4) is refused on the
    entry screen, in Vietnamese, instead of leaving ballots 5-39 missing so that the round
    could never be counted."""
    m = paper_meeting(entries=1, voters=5, present=4, candidates=1)
    _head, (one, *_rest) = team(m)
    with pytest.raises(ValidationFailed) as refused:
        paper.enter_ballot(one, m.round, 40, [H])
    assert "40" in refused.value.text() and "4" in refused.value.text()
    db.session.rollback()
    client = app.test_client()
    client.post("/login", data={"username": one.username, "password": "correct-horse-9"})
    page = client.post(f"/ballots/{m.round_id}/paper/enter",
                       data={"ballot_number": "40", "line-1": H})
    assert page.status_code == 422 and "số 40" in page.get_data(as_text=True).lower()
    paper.enter_ballot(one, m.reload(), 4, [H])
    db.session.commit()
    assert db.session.query(PaperEntry).count() == 1


def test_a_gap_in_the_numbering_blocks_counting(paper_meeting, team, db):
    m = paper_meeting(entries=1, voters=5, candidates=1)
    _head, (one, *_rest) = team(m)
    paper.enter_ballot(one, m.round, 1, [H])
    paper.enter_ballot(one, m.round, 3, [H])
    db.session.commit()
    assert "2" in " ".join(paper.count_blockers(m.reload()))
    assert paper.next_number(m.round, one) == 2


@pytest.mark.parametrize("state", [RoundStatus.VOTING, RoundStatus.COUNTED])
def test_paper_is_entered_only_after_closing_and_before_counting(paper_meeting, team, db,
                                                                 state):
    m = paper_meeting(voters=3, candidates=1, state=state)
    _head, (one, *_rest) = team(m)
    with pytest.raises(InvalidState):
        paper.enter_ballot(one, m.reload(), 1, [H])


def test_a_round_without_paper_takes_no_entry(paper_meeting, team, db):
    m = paper_meeting(kinds=BallotKinds.BROWSER, voters=3, candidates=1)
    _head, (one, *_rest) = team(m)
    with pytest.raises(InvalidState):
        paper.enter_ballot(one, m.reload(), 1, [H])


def test_a_mixed_round_tallies_browser_and_paper_ballots_to_their_sum(paper_meeting, team, db):
    # 6 summoned, all present; two vote with their account, three are handed paper, one is
    # handed a code slip and votes with the code (which the server cannot tie to them).
    m = paper_meeting(kinds=BallotKinds.BOTH, voters=6, candidates=2, voids=False,
                      state=RoundStatus.VOTING, ballots=[[H, L], [C, L]])
    for person, kind in zip(m.voters[2:6], ["paper", "paper", "paper", "code"], strict=True):
        entry = next(v for v in m.round.voters if v.person_id == person.id)
        services.hand_out(SYSTEM, m.round, entry.id, kind)
    [code] = codes.generate_codes(SYSTEM, m.reload(), 1)
    db.session.commit()
    opened = codes.open_code(code)
    lines = box.line_numbers(opened.box)
    first, second = (c.id for c in m.round.active_candidates)
    codes.cast_with_code(code, box.WrittenBallot(marks={lines[first]: H, lines[second]: H}))
    db.session.commit()
    services.close_voting(SYSTEM, m.reload())
    db.session.commit()
    _head, (one, *_rest) = team(m)
    _key(m.reload(), one, [([H, "blank"], None), ([L, H], None), ([], "not_issued")])
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:  # a fourth paper ballot, three handed out
        paper.enter_ballot(one, m.reload(), 4, [H, H])
    assert "4" in refused.value.text() and "3" in refused.value.text()
    db.session.rollback()
    counts, result = _count(m)  # the shares unlock: one ballot per right spent with one
    assert (result.counts.issued, result.counts.collected, result.counts.valid,
            result.counts.invalid) == (6, 6, 5, 1)
    assert m.reload().paper_collected_count == 3
    assert counts == {(first, Level.HIGH): 3, (first, Level.CONFIDENCE): 1,
                      (first, Level.LOW): 1, (second, Level.LOW): 2, (second, Level.HIGH): 2}
    assert [c.blank for c in result.candidates] == [0, 1]
    assert services.check_count(m.reload()) == []
    # An entry changed after counting is caught by the re-check.
    db.session.query(PaperEntry).filter_by(ballot_number=2).update({"marks": "low,low"})
    db.session.commit()
    assert [p.kind for p in services.check_count(m.reload())] == ["line"]


def test_totals_counted_by_hand_are_checked_and_added(paper_meeting, team, db):
    m = paper_meeting(mode=PaperMode.TOTALS, voters=6, candidates=2, present=5)
    head, (one, *_rest) = team(m)
    first, second = (c.id for c in m.round.active_candidates)
    with pytest.raises(InvalidState):  # this round enters totals, not ballots
        paper.enter_ballot(one, m.round, 1, [H, H])
    db.session.rollback()
    with pytest.raises(ValidationFailed) as refused:
        paper.enter_totals(one, m.reload(), issued=5, collected=5, valid=4, invalid=1,
                           lines={first: {H: 4, L: 1}, second: {H: 3, "invalid": 1}})
    text = refused.value.text()
    assert m.round.active_candidates[0].full_name in text and "4" in text and "1" in text
    db.session.rollback()
    with pytest.raises(ValidationFailed) as refused:
        paper.enter_totals(one, m.reload(), issued=6, collected=5, valid=4, invalid=1,
                           lines={first: {H: 4}, second: {H: 4}})
    assert "6" in refused.value.text() and "5" in refused.value.text()
    db.session.rollback()
    with pytest.raises(InvalidState):  # nothing entered yet
        services.count_round(SYSTEM, m.reload())
    db.session.rollback()
    paper.enter_totals(one, m.reload(), issued=5, collected=5, valid=4, invalid=1,
                       lines={first: {H: 3, L: 1}, second: {H: 3, "invalid": 1}})
    db.session.commit()
    counts, result = _count(m)
    assert (result.counts.issued, result.counts.collected, result.counts.valid) == (5, 5, 4)
    assert counts == {(first, Level.HIGH): 3, (first, Level.LOW): 1, (second, Level.HIGH): 3}
    assert [str(result.candidates[0].percents[level]) for level in
            (Level.HIGH, Level.LOW)] == ["60.00", "20.00"]
    assert services.check_count(m.reload()) == []


def test_the_national_assembly_vote_of_25_10_2023_keyed_ballot_by_ballot(paper_meeting, team,
                                                                          db):
    """A round only paper can count: 483 present, 481 ballots collected and keyed under the
    assembly-2023 preset (a bad line voids only that line). The first person has 480 valid
    lines (437 / 32 / 11, one blank), the second 478 (two blank, one with several marks);
    every percentage is of the 481 collected, as published: 90.85 / 6.65 / 2.29."""
    from evalapp.documents import services as docs
    from tests.documents.helpers import GOLDEN_STAMP
    from tests.documents.pdftext import flat, pdf_text

    m = paper_meeting(preset="assembly-2023", voters=483, present=483, candidates=2)
    assert m.round.bad_line_voids_ballot is False  # the preset's per-line rule
    m.round.locality = "Hà Nội"
    _head, (one, *_rest) = team(m)
    first_lines = [H] * 437 + [C] * 32 + [L] * 11 + ["blank"]
    second_lines = [H] * 400 + [C] * 50 + [L] * 28 + ["blank", "blank", "several"]
    for number, lines in enumerate(zip(first_lines, second_lines, strict=True), start=1):
        paper.enter_ballot(one, m.round, number, list(lines))
    db.session.commit()
    counts, result = _count(m)
    first, second = (c.id for c in m.round.active_candidates)
    assert (result.counts.present, result.counts.collected, result.counts.valid,
            result.counts.invalid, result.base_value) == (483, 481, 481, 0, 481)
    one_line, two_line = result.candidates
    assert sum(one_line.counts.values()) == 480 and sum(two_line.counts.values()) == 478
    assert (one_line.blank, two_line.blank) == (1, 3)
    assert [str(one_line.percents[level]) for level in (Level.HIGH, Level.CONFIDENCE,
                                                        Level.LOW)] == ["90.85", "6.65", "2.29"]
    assert [str(two_line.percents[level]) for level in (Level.HIGH, Level.CONFIDENCE,
                                                        Level.LOW)] == ["83.16", "10.40", "5.82"]
    assert counts[(first, Level.HIGH)] == 437 and counts[(second, Level.LOW)] == 28
    # The minutes print them as published, with the Vietnamese decimal comma.
    words = flat(pdf_text(docs.plan_document(m.reload(), DocumentKind.MINUTES, None)
                          .render(GOLDEN_STAMP).pdf))
    assert "Số phiếu thu về: 481." in words
    assert "437 90,85 32 6,65 11 2,29" in words
    assert "400 83,16 50 10,40 28 5,82" in words


def test_triple_entry_stays_independent_until_every_entry_is_made(app, paper_meeting, team,
                                                                  db):
    """Three entries a ballot: two that disagree are shown to nobody (nor reconcilable) before
    the third is made, so the third operator keys the paper, not what the others typed; then
    the disagreement is listed line by line, blocks counting, and is reconciled."""
    m = paper_meeting(entries=3, voters=4, candidates=2, voids=False)
    head, (one, two, three) = team(m)
    paper.enter_ballot(one, m.round, 1, [H, L])
    paper.enter_ballot(two, m.round, 1, [C, L])
    db.session.commit()
    assert paper.disagreements(m.reload()) == []
    client = app.test_client()
    client.post("/login", data={"username": three.username, "password": "correct-horse-9"})
    page = client.get(f"/ballots/{m.round_id}/paper/reconcile").get_data(as_text=True)
    assert 'id="ballot-1"' not in page and one.full_name not in page
    assert "1" in " ".join(paper.count_blockers(m.round))
    with pytest.raises(InvalidState) as early:
        paper.resolve(head, m.reload(), 1, [H, L], None, "Xem lại phiếu")
    assert "2" in early.value.text() and "3" in early.value.text()
    db.session.rollback()
    paper.enter_ballot(three, m.reload(), 1, [H, "blank"])
    db.session.commit()
    assert [(d.ballot_number, d.lines) for d in paper.disagreements(m.reload())] == [(1, [1, 2])]
    page = client.get(f"/ballots/{m.round_id}/paper/reconcile").get_data(as_text=True)
    assert 'id="ballot-1"' in page and page.count("line-differs") == 2
    with pytest.raises(InvalidState):
        services.count_round(SYSTEM, m.reload())
    db.session.rollback()
    paper.resolve(head, m.reload(), 1, [H, L], None, "Tổ xem lại tờ phiếu số 1")
    db.session.commit()
    counts, result = _count(m)
    first, second = (c.id for c in m.round.active_candidates)
    assert counts == {(first, Level.HIGH): 1, (second, Level.LOW): 1}


def test_a_mixed_round_with_paper_counted_by_hand_adds_the_totals_to_the_browser_ballots(
        paper_meeting, team, db):
    """Both kinds, the paper counted by hand: of 5 present, 2 vote in the browser and 3 are
    handed paper, so at most 3 paper ballots were issued; the totals are added to the box's."""
    m = paper_meeting(kinds=BallotKinds.BOTH, mode=PaperMode.TOTALS, voters=6, candidates=2,
                      present=5, voids=False, state=RoundStatus.VOTING,
                      ballots=[[H, L], [C, L]])
    for person in m.voters[2:5]:
        entry = next(v for v in m.round.voters if v.person_id == person.id)
        services.hand_out(SYSTEM, m.round, entry.id, "paper")
    db.session.commit()
    services.close_voting(SYSTEM, m.reload())
    db.session.commit()
    _head, (one, *_rest) = team(m)
    first, second = (c.id for c in m.round.active_candidates)
    with pytest.raises(ValidationFailed) as refused:  # 4 paper ballots for 3 members
        paper.enter_totals(one, m.reload(), issued=4, collected=3, valid=3, invalid=0,
                           lines={first: {H: 3}, second: {L: 3}})
    assert "4" in refused.value.text() and "3" in refused.value.text()
    assert "không bỏ phiếu trên trình duyệt" in refused.value.text()
    db.session.rollback()
    paper.enter_totals(one, m.reload(), issued=3, collected=3, valid=2, invalid=1,
                       lines={first: {H: 2}, second: {L: 1, "invalid": 1}})
    db.session.commit()
    counts, result = _count(m)
    assert (result.counts.present, result.counts.collected, result.counts.valid,
            result.counts.invalid) == (5, 5, 4, 1)
    assert m.reload().paper_collected_count == 3
    assert counts == {(first, Level.HIGH): 3, (first, Level.CONFIDENCE): 1,
                      (second, Level.LOW): 3}
    assert [c.blank for c in result.candidates] == [0, 1]


def test_the_head_corrects_a_ballot_keyed_under_another_number(app, paper_meeting, team, db):
    """Single entry: the operator keyed ballot 3's paper under no. 2 and then ballot 3 again,
    so ballot 2's own paper could never be keyed (a saved entry is never changed). The head
    confirms what ballot no. 2 reads, with the reason, on the reconciliation page; the count
    is then right, and a second correction of the same ballot is refused."""
    m = paper_meeting(entries=1, voters=4, candidates=1)
    head, (one, *_rest) = team(m)
    _key(m.round, one, [([H], None), ([L], None), ([L], None)])  # no. 2 is really H
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": head.username, "password": "correct-horse-9"})
    url = f"/ballots/{m.round_id}/paper/reconcile"
    assert 'id="correct-any"' in client.get(url).get_data(as_text=True)
    seq = last_seq()
    done = client.post(url, data={"ballot_number": "2", "line-1": H,
                                  "reason": "Phiếu số 3 đã nhập nhầm vào số 2"})
    assert done.status_code == 302
    (entry,) = entries_after(seq)
    assert json.loads(entry.details) == {"ballot_number": 2,
                                         "reason": "Phiếu số 3 đã nhập nhầm vào số 2"}
    again = client.post(url, data={"ballot_number": "2", "line-1": L, "reason": "Lần nữa"})
    assert again.status_code == 409 and "đã được" in again.get_data(as_text=True)
    operator = app.test_client()
    operator.post("/login", data={"username": one.username, "password": "correct-horse-9"})
    assert 'id="correct-any"' not in operator.get(url).get_data(as_text=True)
    counts, _result = _count(m)
    only = m.round.active_candidates[0].id
    assert counts == {(only, Level.HIGH): 2, (only, Level.LOW): 1}
