"""The opinion ballot of a collective meeting keeps the secrecy of a confidence ballot: the box
stores ciphertexts only, the audit trail has no entry per ballot and no content, nothing in the
readable tables joins a member to marks, and a member racing themself gets one ballot."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from evalapp import create_app
from evalapp.audit.models import AuditEntry
from evalapp.auth.permissions import SYSTEM
from evalapp.box.models import Box, BoxParticipation, BoxSealedBallot
from evalapp.core.errors import AlreadyVoted
from evalapp.evaluations import meetings, services
from evalapp.extensions import db as _db
from tests.conftest import TEST_CONFIG
from tests.evaluations.meetings_helpers import meeting_world, to_voting, unlock_and_count

LEVEL_KEYS = ("htxs", "htt", "htnv", "kht")


def test_ballots_are_stored_encrypted_without_audit_entries_or_content(db):
    w = meeting_world(staff=3)
    to_voting(w)
    db.session.commit()
    seq_before = db.session.scalar(select(func.max(AuditEntry.seq)))
    for voter in w.people:
        meetings.cast_opinion(voter.person_id, w.round, w.meeting,
                              {p.id: "kht" if p.id == voter.id else "htxs" for p in w.people})
    db.session.commit()
    # No audit entry per ballot: casting wrote nothing to the trail.
    assert db.session.scalar(select(func.max(AuditEntry.seq))) == seq_before
    box = meetings.meeting_box(w.meeting)
    assert box.storage == "elgamal"
    sealed = db.session.scalars(select(BoxSealedBallot).where(
        BoxSealedBallot.box_id == box.id)).all()
    assert len(sealed) == len(w.people)
    sizes = set()
    for row in sealed:
        flat = json.dumps(json.loads(row.content))
        assert not any(level in flat for level in LEVEL_KEYS)
        sizes.add(len(row.content))
    assert len(sizes) == 1  # the same size whatever was proposed
    # The participation rows say who voted, and nothing else (no time, no order, no tracker).
    columns = {c.name for c in BoxParticipation.__table__.columns}
    assert columns == {"box_id", "person_id"}
    meetings.close_ballot(SYSTEM, w.round, w.meeting)
    db.session.commit()
    unlock_and_count(w)
    db.session.commit()
    # The trail after closing and counting: one entry per step, none naming a voter.
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.seq > seq_before)).all()
    assert [e.action for e in entries if e.action.startswith("evaluation_meeting.ballot")] == [
        "evaluation_meeting.ballot_closed", "evaluation_meeting.ballot_counted"]
    for entry in entries:
        details = json.loads(entry.details or "{}")
        assert not {"person_id", "voter", "marks", "ballot"} & set(details)


def test_nothing_is_shown_before_counting(db):
    w = meeting_world(staff=2)
    to_voting(w)
    meetings.cast_opinion(w.people[0].person_id, w.round, w.meeting,
                          {p.id: "htt" for p in w.people})
    db.session.commit()
    assert meetings.opinions(w.meeting) is None
    assert "opinions" not in w.meeting.content
    meetings.close_ballot(SYSTEM, w.round, w.meeting)
    db.session.commit()
    assert meetings.opinions(w.meeting) is None  # closed but not counted


@pytest.fixture(scope="module")
def racing_app(app, database_url, tmp_path_factory):
    application = create_app(TEST_CONFIG | {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("racing-instance")),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 12,
                                      "max_overflow": 2, "pool_timeout": 60},
    })
    yield application
    with application.app_context():
        _db.engine.dispose()


def test_one_member_racing_themself_gets_exactly_one_ballot(db, racing_app):
    w = meeting_world(staff=2)
    to_voting(w)
    db.session.commit()
    round_id, meeting_id, person_id = w.round.id, w.meeting.id, w.people[0].person_id
    lines = [p.id for p in w.people]
    start = threading.Barrier(10)

    def cast():
        with racing_app.app_context():
            try:
                start.wait(timeout=60)
                round_ = services.get_round(round_id)
                meeting = meetings.get_meeting(round_, meeting_id)
                meetings.cast_opinion(person_id, round_, meeting, dict.fromkeys(lines, "htt"))
                _db.session.commit()
                return "ok"
            except AlreadyVoted:
                _db.session.rollback()
                return "already"
            except Exception as error:  # noqa: BLE001 - reported
                _db.session.rollback()
                return f"error {type(error).__name__}: {error}"[:300]
            finally:
                _db.session.remove()

    db.session.commit()
    db.session.close()
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda _: cast(), range(10)))
    assert results.count("ok") == 1 and results.count("already") == 9, results
    box = db.session.scalars(select(Box).where(Box.owner_kind == "evaluation_meeting",
                                               Box.owner_id == meeting_id)).one()
    assert db.session.scalar(select(func.count()).select_from(BoxSealedBallot)
                             .where(BoxSealedBallot.box_id == box.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(BoxParticipation)
                             .where(BoxParticipation.box_id == box.id)) == 1
    assert db.session.execute(text("SELECT 1")).scalar() == 1
