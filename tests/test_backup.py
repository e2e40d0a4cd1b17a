"""`flask backup` and `flask restore` round-trip a live database (SQLite through its online
backup API, PostgreSQL through pg_dump/pg_restore) with every round, ballot, document and audit
entry intact and the audit trail verified, while voting goes on in another round."""

from __future__ import annotations

import hashlib
import os
import threading
import uuid

import pytest
from sqlalchemy import create_engine, func, select

from evalapp import create_app
from evalapp.audit.models import AuditEntry
from evalapp.audit.services import verify_chain
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder
from evalapp.ballots import services as ballots
from evalapp.ballots.documents import DocumentKind, issue_document
from evalapp.ballots.models import BallotCount, BallotRound, RoundStatus
from evalapp.box.models import (
    BoxBallot,
    BoxMark,
    BoxParticipation,
    BoxReceipt,
    BoxSealedBallot,
)
from evalapp.documents.models import IssuedDocument
from evalapp.extensions import db as _db
from tests.ballots.conftest import make_people
from tests.conftest import DB_KIND, TEST_CONFIG
from tests.documents.helpers import build_round

LIVE_VOTERS = 24


@pytest.fixture
def fresh_database(tmp_path):
    """The URL of a new, empty database of the suite's kind (dropped afterwards)."""
    if DB_KIND == "sqlite":
        yield f"sqlite:///{tmp_path}/restored.sqlite3"
        return
    server = os.environ["EVALAPP_TEST_POSTGRES_URL"]
    name = f"evalapp_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
    yield server.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


def box_rows(round_id: int) -> dict[str, int]:
    box = ballots.round_box(ballots.get_round(round_id))
    return {model.__tablename__: _db.session.execute(
        select(func.count()).select_from(model).where(model.box_id == box.id)).scalar_one()
        for model in (BoxParticipation, BoxSealedBallot, BoxBallot, BoxMark, BoxReceipt)}


def facts(round_id: int, document_id: str) -> dict:
    """What must survive the round trip, read from the current app's database."""
    round_ = _db.session.get(BallotRound, round_id)
    document = _db.session.get(IssuedDocument, document_id)
    return {
        "status": round_.status, "digest": round_.box_digest,
        "counts": (round_.collected_count, round_.valid_count, round_.invalid_count),
        "lines": sorted((c.candidate_id, c.level.value, c.count) for c in _db.session.execute(
            select(BallotCount).where(BallotCount.round_id == round_id)).scalars()),
        "box": box_rows(round_id),
        "box_digest_now": ballots.box_digest(round_),
        "pdf": hashlib.sha256(document.pdf).hexdigest(),
        "slots": [(s.field_name, s.signer_id) for s in document.slots],
    }


def test_backup_and_restore_round_trip_while_voting_goes_on(app, db, factory, fresh_database,
                                                            tmp_path):
    counted = build_round(state=RoundStatus.COUNTED, summoned=8, pinned=False)
    minutes = issue_document(SYSTEM, counted.round, DocumentKind.MINUTES)
    db.session.commit()
    counted_id, minutes_id = counted.round.id, minutes.id

    unit = factory.unit("Sở Nội vụ")
    voters = make_people(unit, LIVE_VOTERS, prefix="Cử tri")
    live = builder.build(builder.RoundPlan(unit=unit, candidates=make_people(unit, 2, "Ứng"),
                                           voters=voters), RoundStatus.VOTING).round
    live_id, voter_ids = live.id, [v.id for v in voters]
    before = facts(counted_id, minutes_id)
    audit_before = db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    db.session.commit()

    cast_errors: list[BaseException] = []

    def cast_meanwhile():
        with app.app_context():
            try:
                round_ = ballots.get_round(live_id)
                for voter_id in voter_ids:
                    ballots.cast_ballot(voter_id, round_, {c.id: "high"
                                                           for c in round_.active_candidates})
                    _db.session.commit()
            except BaseException as error:  # noqa: BLE001 - reported by the test below
                cast_errors.append(error)
            finally:
                _db.session.remove()

    caster = threading.Thread(target=cast_meanwhile)
    caster.start()
    backup_file = tmp_path / "evalapp.backup"
    made = app.test_cli_runner().invoke(args=["backup", str(backup_file)])
    caster.join(timeout=120)
    assert made.exit_code == 0, made.output
    assert cast_errors == []
    assert box_rows(live_id)["box_sealed_ballot"] == LIVE_VOTERS  # voting went on, nothing refused
    assert backup_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    # A second backup never overwrites the first.
    again = app.test_cli_runner().invoke(args=["backup", str(backup_file)])
    assert again.exit_code == 1 and backup_file.stat().st_size > 0

    restored = create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": fresh_database,
                                         "INSTANCE_PATH": str(tmp_path / "instance")})
    done = restored.test_cli_runner().invoke(args=["restore", str(backup_file), "--yes"])
    assert done.exit_code == 0, done.output
    with restored.app_context():
        try:
            assert facts(counted_id, minutes_id) == before
            assert verify_chain() is None
            assert _db.session.execute(
                select(func.count()).select_from(AuditEntry)).scalar_one() >= audit_before
            # The open round as it was at one instant: each ballot whole, with its
            # participation and its tracker, however many had been cast by then.
            live_rows = box_rows(live_id)
            cast = live_rows["box_participation"]
            assert 0 <= cast <= LIVE_VOTERS
            assert live_rows == {"box_participation": cast, "box_sealed_ballot": cast,
                                 "box_ballot": 0, "box_mark": 0, "box_receipt": 0}
            assert _db.session.get(BallotRound, live_id).status is RoundStatus.VOTING
        finally:
            _db.session.remove()
            _db.engine.dispose()


def test_restore_refuses_what_is_not_a_backup_of_this_app(app, db, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a database at all" * 10)
    result = app.test_cli_runner().invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code == 1
    assert "junk.bin" in result.output
    # The database is untouched: the app still answers from it.
    assert verify_chain() is None


@pytest.mark.only_on("sqlite")
def test_restore_refuses_a_backup_of_another_migration(app, db, tmp_path):
    import sqlite3

    other = tmp_path / "old.sqlite3"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
    connection.execute("INSERT INTO alembic_version VALUES ('0001')")
    connection.commit()
    connection.close()
    result = app.test_cli_runner().invoke(args=["restore", str(other), "--yes"])
    assert result.exit_code == 1
    assert "0001" in result.output
