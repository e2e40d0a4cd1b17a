"""Benchmark: counting a closed round, against the raw SQL aggregate on the same data.

    .venv/bin/python bench/count_round.py [--quick] [--ballots N] [--candidates K]
                                          [--database postgresql]

Builds, in this process, a round with K people voted on and N voters through the real services,
opens voting, then fills the box with N ballots of K marks each by direct inserts (see
fill_box: casting 5,000 ballots one by one would only measure casting again, which
cast_ballots.py does), closes voting through the real service (which rewrites the box in a
random order) and times services.count_round (the box's count: the per-line aggregate, one
pass per ballot for validity and the digest, the trackers). The ceiling is the aggregate
count_round needs, `SELECT line, level, count(*) FROM box_mark WHERE box_id = … GROUP BY line,
level`, run on the driver's connection without the ORM. Both are timed several times and the
median is kept; count_round is rolled back after each timing but the last, which is committed
and compared with the raw aggregate (a difference fails the run).

Prints the times and `ratio count/aggregate = …` (how many times slower than the aggregate).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import time

from _harness import Database, header, make_app, say, timed, workdir

AGGREGATE = """
    SELECT line, level, count(*) FROM box_mark WHERE box_id = {box_id} GROUP BY line, level
"""


def open_round(candidates: int, voters: int):
    """A round open for voting, built through the services (inside an app context)."""
    from sqlalchemy import select

    from evalapp.auth.permissions import SYSTEM
    from evalapp.ballots import builder
    from evalapp.ballots.models import RoundStatus
    from evalapp.extensions import db
    from evalapp.org.models import Gender, Person, UnitKind
    from evalapp.org.services import create_unit, derived_person_fields

    unit = create_unit(SYSTEM, name="Tỉnh ủy", kind=UnitKind.PARTY_COMMITTEE, parent=None,
                       code="TU")
    # People in one statement (the directory is not what is measured here).
    rows = []
    for i in range(candidates + voters):
        name = f"Lê Văn Ứng Viên {i}" if i < candidates else f"Phạm Thị Cử Tri {i}"
        code = f"C{i:06d}"
        rows.append({"full_name": name, "staff_code": code, "unit_id": unit.id,
                     "gender": Gender.MALE if i % 2 else Gender.FEMALE, "birth_year": 1970,
                     "active": True, **derived_person_fields(name, code)})
    db.session.execute(Person.__table__.insert(), rows)
    ids = db.session.execute(select(Person.id).order_by(Person.id)).scalars().all()
    return builder.build(builder.RoundPlan(
        unit=unit, candidates=ids[:candidates], voters=ids[candidates:],
        title="Lấy phiếu tín nhiệm giữa nhiệm kỳ (benchmark)", body_name="Tỉnh ủy"),
        RoundStatus.VOTING).round


def fill_box(round_, seed: int = 2026) -> int:
    """Put one complete ballot per present voter in the box.

    SETUP SHORTCUT, not the casting path: the rows box.cast would write (a participation, a
    ballot with a random id, one mark per line, a tracker) are inserted directly in a few
    executemany statements, without the per-ballot checks and audit entries. The counting that
    follows reads only these tables, so it sees the same data. Returns the box's id.
    """
    from sqlalchemy import insert

    from evalapp.ballots import services as ballots
    from evalapp.box.models import BoxBallot, BoxMark, BoxParticipation, BoxReceipt
    from evalapp.extensions import db

    rng = random.Random(seed)
    levels = ["high", "confidence", "low"]
    box_id = ballots.round_box(round_).id
    lines = range(1, len(round_.active_candidates) + 1)
    ballot_rows, mark_rows, tracker_rows, participation_rows = [], [], [], []
    for voter in round_.voters:
        ballot_id = secrets.token_hex(16)
        ballot_rows.append({"box_id": box_id, "id": ballot_id, "valid": True})
        mark_rows.extend({"box_id": box_id, "ballot_id": ballot_id, "line": line,
                          "level": rng.choices(levels, weights=(6, 3, 1))[0]} for line in lines)
        tracker_rows.append({"box_id": box_id, "tracker": secrets.token_hex(16)})
        participation_rows.append({"box_id": box_id, "person_id": voter.person_id})
    db.session.execute(insert(BoxParticipation), participation_rows)
    db.session.execute(insert(BoxBallot), ballot_rows)
    for start in range(0, len(mark_rows), 20_000):
        db.session.execute(insert(BoxMark), mark_rows[start:start + 20_000])
    db.session.execute(insert(BoxReceipt), tracker_rows)
    db.session.commit()
    return box_id


def raw_aggregate(box_id: int) -> dict[tuple[int, str], int]:
    """The ceiling: the aggregate on the driver's own connection (no ORM, no SQLAlchemy)."""
    from evalapp.extensions import db

    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(AGGREGATE.format(box_id=int(box_id)))
        rows = cursor.fetchall()
        cursor.close()
        connection.rollback()
    finally:
        connection.close()
    return {(line, level): n for line, level, n in rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run (1000 ballots)")
    parser.add_argument("--ballots", type=int, help="ballots in the box (default 5000)")
    parser.add_argument("--candidates", type=int, default=20, help="people voted on (20)")
    parser.add_argument("--repeat", type=int, help="timings of each (default 5, quick 3)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    ballots_wanted = args.ballots or (1000 if args.quick else 5000)
    repeat = args.repeat or (3 if args.quick else 5)
    directory = workdir(args.keep)
    header("count_round", database=args.database, ballots=ballots_wanted,
           candidates=args.candidates, repeat=repeat,
           dir=directory if args.keep else "(temporary)")

    from sqlalchemy import select

    from evalapp.auth.permissions import SYSTEM
    from evalapp.ballots import services as ballots
    from evalapp.ballots.models import BallotCount, RoundStatus
    from evalapp.extensions import db

    with Database(args.database, directory) as database:
        app = make_app(database.url, directory)
        with app.app_context():
            seconds, round_ = timed(lambda: open_round(args.candidates, ballots_wanted))
            say(f"setup: round with {args.candidates} candidates and {ballots_wanted} present "
                f"voters, open ({seconds:.1f} s)")
            seconds, box_id = timed(lambda: fill_box(round_))
            say(f"setup: box filled by direct inserts, {ballots_wanted} ballots × "
                f"{args.candidates} marks ({seconds:.1f} s)")

            def close() -> None:
                ballots.close_voting(SYSTEM, round_)
                db.session.commit()  # the storage scrub runs after the commit

            seconds, _ = timed(close)
            say(f"close_voting + commit + scrub (not compared; see close_box.py): "
                f"{seconds:.2f} s")
            line_subject = {n: c.id for n, c in
                            enumerate(ballots.get_round(round_.id).active_candidates, 1)}
            round_id = round_.id

            aggregate_times, expected = [], {}
            for _ in range(repeat):
                seconds, expected = timed(lambda: raw_aggregate(box_id))
                aggregate_times.append(seconds)

            count_times = []
            for attempt in range(repeat):
                db.session.expire_all()
                round_ = ballots.get_round(round_id)
                began = time.perf_counter()
                ballots.count_round(SYSTEM, round_)
                db.session.flush()
                if attempt == repeat - 1:
                    db.session.commit()
                count_times.append(time.perf_counter() - began)
                if attempt < repeat - 1:
                    db.session.rollback()

            round_ = ballots.get_round(round_id)
            stored = {(c.candidate_id, c.level.value): c.count for c in db.session.execute(
                select(BallotCount).where(BallotCount.round_id == round_id)).scalars()}
            stored_nonzero = {key: n for key, n in stored.items() if n}
            expected = {(line_subject[line], str(level)): n
                        for (line, level), n in expected.items()}
            agrees = (round_.status == RoundStatus.COUNTED and stored_nonzero == expected
                      and round_.collected_count == ballots_wanted)
            db.session.remove()
            db.engine.dispose()

    aggregate = statistics.median(aggregate_times)
    count = statistics.median(count_times)
    say(f"raw aggregate (driver connection, GROUP BY): median {1000 * aggregate:.1f} ms "
        f"of {repeat} ({', '.join(f'{1000 * t:.1f}' for t in aggregate_times)})")
    say(f"services.count_round + flush: median {1000 * count:.1f} ms of {repeat} "
        f"({', '.join(f'{1000 * t:.1f}' for t in count_times)}; the last includes commit)")
    say(f"stored counts {'agree' if agrees else 'DISAGREE'} with the raw aggregate "
        f"({sum(expected.values())} marks)")
    say(f"ratio count/aggregate = {count / aggregate:.1f}")
    return 0 if agrees else 1


if __name__ == "__main__":
    sys.exit(main())
