"""Tamper evidence: a ballot, a tracker or a stored count changed in the database after counting
is found by `flask ballots verify`, which counts every counted box again and compares it with
the stored digest and counts (a changed audit entry: tests/audit; a changed signed PDF:
tests/documents/test_verification.py)."""

from __future__ import annotations

import json

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
    ("a ciphertext changed", True, True),
    ("a ballot removed", True, True),
    ("a tracker changed", False, True),
])
def test_a_changed_box_is_found(app, db, counted, tamper, digest, counts):
    box_id = box_id_of(counted.round_id)
    tracker, content = db.session.execute(text(
        "SELECT tracker, content FROM box_sealed_ballot WHERE box_id = :b ORDER BY tracker "
        "LIMIT 1"), {"b": box_id}).one()
    if tamper == "a ciphertext changed":  # another valid point: the first ballot's β on line 1
        ballot = json.loads(content)
        ballot["ciphertexts"][0][0][1] = ballot["ciphertexts"][0][1][1]
        db.session.execute(text("UPDATE box_sealed_ballot SET content = :c WHERE box_id = :b "
                                "AND tracker = :t"),
                           {"b": box_id, "t": tracker, "c": json.dumps(ballot)})
    elif tamper == "a ballot removed":
        db.session.execute(text("DELETE FROM box_sealed_ballot WHERE box_id = :b AND "
                                "tracker = :t"), {"b": box_id, "t": tracker})
    else:
        db.session.execute(text("UPDATE box_sealed_ballot SET tracker = :n WHERE box_id = :b "
                                "AND tracker = :t"), {"b": box_id, "t": tracker, "n": "0" * 64})
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


@pytest.mark.parametrize("tamper", ["all ballots but one removed", "the sums replaced",
                                    "a ballot added"])
def test_a_box_changed_after_closing_is_not_unlocked(db, meeting, tamper):
    """Someone who can write to the database empties the box but for one voter's ballot (or
    points the sums at it), hoping the counting team decrypts that ballot: no share opens."""
    from evalapp.ballots import builder
    from evalapp.box import crypto
    from evalapp.box.models import BoxDecryption
    from evalapp.core.errors import InvalidState

    m = meeting(voters=4, candidates=2, state=RoundStatus.CLOSED, ballots=BALLOTS)
    box_id = box_id_of(m.round_id)
    rows = db.session.execute(text(
        "SELECT tracker, content FROM box_sealed_ballot WHERE box_id = :b ORDER BY tracker"),
        {"b": box_id}).all()
    if tamper == "all ballots but one removed":
        db.session.execute(text("DELETE FROM box_sealed_ballot WHERE box_id = :b AND "
                                "tracker <> :t"), {"b": box_id, "t": rows[0][0]})
    elif tamper == "the sums replaced":
        one = json.loads(rows[0][1])
        db.session.execute(text("UPDATE box SET sums = :s WHERE id = :b"),
                           {"b": box_id, "s": crypto.canonical(one["ciphertexts"])})
    else:
        params = services.box_parameters(m.round)
        params.pop("fingerprint")
        ballot = crypto.encrypt_ballot(params, [0, 0])
        db.session.execute(text("INSERT INTO box_sealed_ballot (box_id, tracker, content) "
                                "VALUES (:b, :t, :c)"), {"b": box_id, "t": crypto.tracker(
                                    ballot), "c": crypto.canonical(ballot)})
    db.session.commit()
    with pytest.raises(InvalidState) as refused:
        builder.unlock(m.reload())
    db.session.rollback()
    assert "flask ballots verify" in refused.value.text()
    assert db.session.execute(select(BoxDecryption)).first() is None
