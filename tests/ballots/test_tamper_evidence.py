"""Tamper evidence: a ballot, a tracker or a stored count changed in the database after counting
is found by `flask ballots verify`, which counts every counted box again and compares it with
the stored digest and counts (a changed audit entry: tests/audit; a changed signed PDF:
tests/documents/test_verification.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from evalapp.ballots import services
from evalapp.ballots.models import BallotCount, RoundStatus
from evalapp.tally.rules import Level
from tests.ballots.conftest import box_id_of

BALLOTS = [["high", "low"], ["high", "confidence"], ["low", "low"]]


@pytest.fixture
def counted(meeting, db):
    m = meeting(voters=4, candidates=2, state=RoundStatus.COUNTED, ballots=BALLOTS)
    db.session.commit()
    return m


def verify(app):
    return app.test_cli_runner().invoke(args=["ballots", "verify"])


def test_an_untouched_round_agrees_with_its_box(app, counted):
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert services.check_count(counted.reload()) == []


@pytest.mark.parametrize("tamper, digest, counts", [
    ("a mark changed", True, True),
    ("a ballot removed with its marks", True, True),
    ("a tracker removed", True, False),
])
def test_a_changed_box_is_found(app, db, counted, tamper, digest, counts):
    box_id = box_id_of(counted.round_id)
    ballot_id = db.session.execute(text(
        "SELECT ballot_id FROM box_mark WHERE box_id = :b AND line = 1 AND level = 'high' "
        "ORDER BY ballot_id LIMIT 1"), {"b": box_id}).scalar_one()
    if tamper == "a mark changed":
        db.session.execute(text("UPDATE box_mark SET level = 'low' WHERE box_id = :b AND "
                                "ballot_id = :i AND line = 1"), {"b": box_id, "i": ballot_id})
    elif tamper == "a ballot removed with its marks":
        for table in ("box_mark", "box_ballot"):
            column = "ballot_id" if table == "box_mark" else "id"
            db.session.execute(text(f"DELETE FROM {table} WHERE box_id = :b AND {column} = :i"),
                               {"b": box_id, "i": ballot_id})
    else:
        db.session.execute(text("DELETE FROM box_receipt WHERE box_id = :b AND tracker = "
                                "(SELECT min(tracker) FROM box_receipt WHERE box_id = :b)"),
                           {"b": box_id})
    db.session.commit()
    problems = services.check_count(counted.reload())
    kinds = {p.kind for p in problems}
    assert ("digest" in kinds) is digest
    assert bool(kinds & {"ballots", "line"}) is counts
    result = verify(app)
    assert result.exit_code == 1
    assert counted.round.title in result.output


def test_a_changed_stored_count_is_found(app, db, counted):
    candidate = counted.round.active_candidates[0]
    db.session.execute(update(BallotCount).where(
        BallotCount.round_id == counted.round_id, BallotCount.candidate_id == candidate.id,
        BallotCount.level == Level.LOW).values(count=BallotCount.count + 1))
    db.session.commit()
    problems = services.check_count(counted.reload())
    assert [p.kind for p in problems] == ["line"] and candidate.full_name in problems[0].text
    assert verify(app).exit_code == 1
    stored = db.session.execute(select(BallotCount.count).where(
        BallotCount.round_id == counted.round_id, BallotCount.candidate_id == candidate.id,
        BallotCount.level == Level.LOW)).scalar_one()
    assert stored == 2  # the check changes nothing
