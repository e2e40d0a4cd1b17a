"""Ballots arriving at the same instant: one person, one ballot; many people, nothing lost; a
close racing a cast leaves the box consistent and shuffled.

Real threads, each with its own app context (Flask-SQLAlchemy scopes a session per app context)
and its own connection, on a dedicated app whose pool holds more connections than there are
threads: the default pool (5 + 10 overflow) would make threads queue for a connection instead of
racing in the database. SQLite serialises writers (every transaction is BEGIN IMMEDIATE, busy
timeout 30 s); on PostgreSQL the participation primary key decides.

While threads run, the test's own session holds no transaction: on SQLite it would hold the
write lock that the threads wait for.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from evalapp import create_app
from evalapp.audit.models import AuditEntry
from evalapp.audit.services import verify_chain
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import services
from evalapp.ballots.models import RoundStatus
from evalapp.core.errors import AlreadyVoted, InvalidState
from evalapp.extensions import db as _db
from evalapp.org.models import Person
from evalapp.tally.rules import Level
from tests.ballots.conftest import advance, box_id_of, marks, secret_counts
from tests.conftest import DB_KIND, TEST_CONFIG

LEVELS = [Level.HIGH.value, Level.CONFIDENCE.value, Level.LOW.value]
THREADS = 20


@pytest.fixture(scope="module")
def concurrent_app(app, database_url, tmp_path_factory):
    """The app again, with a pool of 30 connections (PostgreSQL allows 200 in the test server;
    with two xdist workers this uses at most 2 * (15 + 30))."""
    application = create_app(TEST_CONFIG | {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("concurrent-instance")),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 25,
                                      "max_overflow": 5, "pool_timeout": 60},
    })
    yield application
    with application.app_context():
        _db.engine.dispose()


def cast_in_thread(app, round_id: int, person_id: int, ballot: dict[int, str],
                   start: threading.Barrier | None = None):
    """One voter's request: load the round and the voter, cast, commit.

    Returns ("tracker", tracker), ("already_voted", None), ("invalid_state", None) or
    ("error", description): anything else than the first three is a failure to investigate."""
    with app.app_context():
        try:
            if start is not None:
                start.wait(timeout=60)
            round_ = services.get_round(round_id)
            voter = _db.session.get(Person, person_id)
            tracker = services.cast_ballot(voter, round_, ballot)
            _db.session.commit()
            return ("tracker", tracker)
        except AlreadyVoted:
            _db.session.rollback()
            return ("already_voted", None)
        except InvalidState:
            _db.session.rollback()
            return ("invalid_state", None)
        except Exception as error:  # noqa: BLE001 - reported, and the test fails on it
            _db.session.rollback()
            return ("error", f"{type(error).__name__}: {error}"[:500])
        finally:
            _db.session.remove()


def _cast_entries() -> int:
    return _db.session.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "ballot.cast")).scalar_one()


# ---------------------------------------------------------------- one person, one ballot


@pytest.mark.parametrize("guard, submissions", [("as written", THREADS),
                                               ("participation key only", THREADS),
                                               ("as written", 100)])
def test_simultaneous_submissions_by_one_voter_give_one_ballot(
        concurrent_app, meeting, db, monkeypatch, guard, submissions):
    """20 (and 100: released at once, they then queue for the pool's 30 connections, as they
    would for a server's workers) submissions of one voter's ballot: one ballot."""
    if guard == "participation key only":
        # Without the friendly "already voted?" look-up every thread reaches the insert, and
        # only the participation primary key can stop the second ballot.
        monkeypatch.setattr(services, "has_voted", lambda round_, person_id: False)
    m = meeting(voters=3, candidates=3)
    round_id, person_id = m.round_id, m.voters[0].id
    ballot = marks(m.round, [Level.HIGH.value, Level.CONFIDENCE.value, Level.LOW.value])
    db.session.commit()  # hold nothing while the threads run

    start = threading.Barrier(submissions)
    with ThreadPoolExecutor(max_workers=submissions) as pool:
        results = list(pool.map(
            lambda _i: cast_in_thread(concurrent_app, round_id, person_id, ballot, start),
            range(submissions)))

    outcomes = Counter(kind for kind, _ in results)
    errors = [detail for kind, detail in results if kind == "error"]
    assert not errors, errors
    assert outcomes == {"tracker": 1, "already_voted": submissions - 1}
    tracker = next(value for kind, value in results if kind == "tracker")
    assert secret_counts(round_id) == {"participation": 1, "ballot": 1, "readable": 0}
    assert services.trackers(services.get_round(round_id)) == [tracker]
    assert _cast_entries() == 0  # no audit entry per ballot
    assert verify_chain() is None


# ---------------------------------------------------------------- many people at once


def test_two_hundred_voters_voting_at_once_lose_nothing(concurrent_app, meeting, db):
    voters = 200
    m = meeting(voters=voters, candidates=3)
    round_id = m.round_id
    candidate_ids = [c.id for c in m.round.active_candidates]
    ballots = {}
    expected = Counter()
    for i, person in enumerate(m.voters):
        levels = [LEVELS[(i + i // 3 * j + j) % 3] for j in range(3)]
        ballots[person.id] = dict(zip(candidate_ids, levels, strict=True))
        expected.update(zip(candidate_ids, levels, strict=True))
    db.session.commit()

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(
            lambda item: cast_in_thread(concurrent_app, round_id, item[0], item[1]),
            ballots.items()))
    elapsed = time.monotonic() - began

    errors = [detail for kind, detail in results if kind != "tracker"]
    assert not errors, errors
    trackers = [value for _kind, value in results]
    assert len(set(trackers)) == voters
    assert secret_counts(round_id) == {"participation": voters, "ballot": voters,
                                       "readable": 0}
    assert services.turnout(services.get_round(round_id)).voted == voters
    assert _cast_entries() == 0  # no audit entry per ballot
    assert verify_chain() is None

    advance(m, RoundStatus.COUNTED)
    r = m.round
    assert (r.collected_count, r.valid_count, r.invalid_count) == (voters, voters, 0)
    assert secret_counts(round_id) == {"participation": voters, "ballot": voters,
                                       "readable": 0}
    assert services.trackers(r) == sorted(trackers)
    tally = services.tally_of(r)
    counted = Counter({(c.candidate_id, level.value): n for c in tally.candidates
                       for level, n in c.counts.items() if n})
    assert counted == expected
    print(f"200 ballots cast by {THREADS} threads in {elapsed:.2f} s on {DB_KIND}")


# ---------------------------------------------------------------- closing while people vote


def _closing_xmin_holds(round_id: int) -> bool:
    """PostgreSQL: every secret row of the round was written by the closing transaction (the
    one that last changed the round's row). Elsewhere: True."""
    if DB_KIND != "postgresql":
        return True
    connection = _db.session.connection()
    rows = connection.exec_driver_sql(
        "SELECT xmin::text FROM box_ballot WHERE box_id = %(b)s "
        "UNION ALL SELECT xmin::text FROM box_mark WHERE box_id = %(b)s "
        "UNION ALL SELECT xmin::text FROM box_receipt WHERE box_id = %(b)s "
        "UNION ALL SELECT xmin::text FROM box_participation WHERE box_id = %(b)s",
        {"b": box_id_of(round_id)}).scalars().all()
    closing = connection.exec_driver_sql(
        "SELECT xmin::text FROM ballot_round WHERE id = %(r)s", {"r": round_id}).scalar_one()
    return set(rows) == {closing}


def _close_in_thread(app, round_id: int, wait_for: threading.Event, done: threading.Event):
    with app.app_context():
        try:
            assert wait_for.wait(timeout=30)
            services.close_voting(SYSTEM, services.get_round(round_id))
            _db.session.commit()
            return "closed"
        except Exception as error:  # noqa: BLE001
            _db.session.rollback()
            return f"{type(error).__name__}: {error}"[:500]
        finally:
            done.set()
            _db.session.remove()


@pytest.mark.parametrize("race", ["cast in flight when the close starts",
                                  "close commits while a voter's request is under way"])
def test_a_close_racing_a_cast_leaves_a_consistent_shuffled_box(concurrent_app, meeting, db,
                                                                race):
    m = meeting(voters=4, candidates=2, ballots=[[Level.HIGH.value, Level.LOW.value]] * 3)
    round_id, late_voter = m.round_id, m.voters[3].id
    ballot = marks(m.round, [Level.LOW.value, Level.LOW.value])
    db.session.commit()
    ready, may_go, closed = threading.Event(), threading.Event(), threading.Event()

    def voter():
        with concurrent_app.app_context():
            try:
                round_ = services.get_round(round_id)
                person = _db.session.get(Person, late_voter)
                round_.voters, round_.active_candidates  # noqa: B018 - the page has them
                if race == "cast in flight when the close starts":
                    tracker = services.cast_ballot(person, round_, ballot)
                    ready.set()
                    may_go.wait(timeout=30)  # the close starts meanwhile
                else:
                    ready.set()
                    # The close commits meanwhile (on SQLite it cannot: this transaction
                    # holds the write lock, so the wait times out and the close waits).
                    closed.wait(timeout=2)
                    tracker = services.cast_ballot(person, round_, ballot)
                _db.session.commit()
                return ("tracker", tracker)
            except InvalidState:
                _db.session.rollback()
                return ("invalid_state", None)
            except Exception as error:  # noqa: BLE001
                _db.session.rollback()
                return ("error", f"{type(error).__name__}: {error}"[:500])
            finally:
                ready.set()
                _db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        cast_future = pool.submit(voter)
        close_future = pool.submit(_close_in_thread, concurrent_app, round_id, ready, closed)
        assert ready.wait(timeout=30)
        time.sleep(0.5)  # let the close reach whatever it waits on
        may_go.set()
        kind, detail = cast_future.result(timeout=90)
        assert close_future.result(timeout=90) == "closed"
    assert kind in ("tracker", "invalid_state"), detail

    r = m.reload()
    assert r.status is RoundStatus.CLOSED
    counts = secret_counts(round_id)
    voted = 4 if kind == "tracker" else 3
    assert counts == {"participation": voted, "ballot": voted, "readable": 0}
    assert services.has_voted(r, late_voter) is (kind == "tracker")
    # What the close wrote in the audit trail is what is in the box...
    entry = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "ballot_round.voting_closed")).scalar_one()
    assert f'"ballots":{voted}' in entry.details
    # ...and every ballot in it went through the shuffle (no row keeps a transaction id of its
    # own that would tie the late voter's participation to their ballot).
    assert _closing_xmin_holds(round_id)
    advance(m, RoundStatus.COUNTED)
    assert m.round.collected_count == voted


def test_two_officers_closing_at_once_close_once(concurrent_app, meeting, db):
    """The chair and the secretary press "close" at the same instant: one close, the other is
    told voting is no longer open; the box is shuffled once and audited once."""
    m = meeting(voters=4, candidates=2, ballots=[[Level.HIGH.value, Level.LOW.value]] * 3)
    round_id = m.round_id
    db.session.commit()
    go, done = threading.Event(), threading.Event()
    with ThreadPoolExecutor(max_workers=2) as pool:
        both = [pool.submit(_close_in_thread, concurrent_app, round_id, go, done)
                for _officer in ("chair", "secretary")]
        go.set()  # both released at once
        outcomes = sorted((future.result(timeout=90) for future in both),
                          key=lambda outcome: outcome != "closed")
    assert outcomes[0] == "closed" and outcomes[1].startswith("InvalidState"), outcomes
    assert m.reload().status is RoundStatus.CLOSED
    assert db.session.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "ballot_round.voting_closed")).scalar_one() == 1
    assert secret_counts(round_id) == {"participation": 3, "ballot": 3, "readable": 0}
    assert _closing_xmin_holds(round_id)
    assert verify_chain() is None


# ---------------------------------------------------------------- other rounds closing


def test_casting_in_one_round_while_three_others_close_loses_nothing(
        concurrent_app, meeting, db):
    """Issue 10, fault 3: closing one round while another was casting gave PostgreSQL
    "deadlock detected" to 4 of 30 casts and 5 of 8 closes. Now 24 voters of round B cast
    while rounds A, C and D close, all released at once: no error of any kind (no deadlock,
    nothing that would be a 500), every acknowledged ballot is in B's box, every close holds.
    On SQLite too (writers queue on the lock): no error, nothing lost."""
    closing = [meeting(voters=3, candidates=2, ballots=[[Level.HIGH.value, Level.LOW.value]] * 3)
               for _name in "ACD"]
    b = meeting(voters=24, candidates=2)
    closing_ids, b_id = [m.round_id for m in closing], b.round_id
    ballots = [(person.id, marks(b.round, [LEVELS[i % 3], LEVELS[(i + 1) % 3]]))
               for i, person in enumerate(b.voters)]
    db.session.commit()  # hold nothing while the threads run

    start = threading.Barrier(len(ballots) + len(closing_ids))
    go, done = threading.Event(), threading.Event()

    def close(round_id: int) -> tuple[str, object]:
        start.wait(timeout=60)
        go.set()
        return ("close", _close_in_thread(concurrent_app, round_id, go, done))

    def cast(item) -> tuple[str, object]:
        return cast_in_thread(concurrent_app, b_id, item[0], item[1], start)

    with ThreadPoolExecutor(max_workers=len(ballots) + len(closing_ids)) as pool:
        futures = ([pool.submit(close, round_id) for round_id in closing_ids]
                   + [pool.submit(cast, item) for item in ballots])
        results = [future.result(timeout=300) for future in futures]

    closes = [value for kind, value in results if kind == "close"]
    assert closes == ["closed"] * 3, closes
    errors = [value for kind, value in results if kind not in ("close", "tracker")]
    assert not errors, errors
    trackers = sorted(value for kind, value in results if kind == "tracker")
    assert len(trackers) == len(ballots)
    assert services.trackers(services.get_round(b_id)) == trackers
    assert secret_counts(b_id) == {"participation": 24, "ballot": 24, "readable": 0}
    for round_id in closing_ids:
        assert services.get_round(round_id).status is RoundStatus.CLOSED
        assert secret_counts(round_id)["ballot"] == 3
    assert verify_chain() is None
