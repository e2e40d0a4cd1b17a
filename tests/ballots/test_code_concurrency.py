"""100 submissions of one ballot code at the same instant: one ballot (the UPDATE … WHERE NOT
spent decides; see tests/ballots/test_concurrency.py for the set-up of racing threads)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from evalapp import create_app
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import codes, services
from evalapp.box import services as box
from evalapp.core.errors import AlreadyVoted
from evalapp.extensions import db as _db
from tests.ballots.conftest import secret_ballots
from tests.conftest import TEST_CONFIG

SUBMISSIONS = 100


@pytest.fixture(scope="module")
def concurrent_app(app, database_url, tmp_path_factory):
    application = create_app(TEST_CONFIG | {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("code-concurrency-instance")),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 25,
                                      "max_overflow": 5, "pool_timeout": 60},
    })
    yield application
    with application.app_context():
        _db.engine.dispose()


def _cast(app, code: str, line: int, start: threading.Barrier):
    with app.app_context():
        try:
            start.wait(timeout=60)
            round_, tracker = codes.cast_with_code(code, box.WrittenBallot(marks={line: "high"}))
            _db.session.commit()
            return ("tracker", tracker)
        except AlreadyVoted:
            _db.session.rollback()
            return ("spent", None)
        except Exception as error:  # noqa: BLE001 - reported, and the test fails on it
            _db.session.rollback()
            return ("error", f"{type(error).__name__}: {error}"[:500])
        finally:
            _db.session.remove()


def test_simultaneous_submissions_of_one_code_give_one_ballot(concurrent_app, meeting, db):
    m = meeting(voters=3, candidates=1)
    [code] = codes.generate_codes(SYSTEM, m.reload(), 1)
    line = box.line_numbers(services.round_box(m.round))[m.round.active_candidates[0].id]
    db.session.commit()  # hold nothing while the threads run
    start = threading.Barrier(SUBMISSIONS)
    with ThreadPoolExecutor(max_workers=SUBMISSIONS) as pool:
        results = list(pool.map(lambda _i: _cast(concurrent_app, code, line, start),
                                range(SUBMISSIONS)))
    outcomes = Counter(kind for kind, _ in results)
    assert not [d for k, d in results if k == "error"]
    assert outcomes == {"tracker": 1, "spent": SUBMISSIONS - 1}
    tracker = next(value for kind, value in results if kind == "tracker")
    assert secret_ballots(m.round_id) == [tracker]
    assert box.codes_count(services.round_box(m.reload())) == (1, 1)
