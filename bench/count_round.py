"""Benchmark: counting a closed encrypted round, against the bare cryptography it needs.

    .venv/bin/python bench/count_round.py [--quick] [--ballots N] [--candidates K]
                                          [--database postgresql]

Builds, in this process, a round with K people voted on and N voters through the real services
(its counting team's keys set by the builder), opens voting, then fills the box with N encrypted
ballots of K lines by direct inserts (see fill_box: casting them one by one would only measure
casting again, which cast_ballots.py does), closes voting through the real service (which
rewrites the box in a random order and adds the ballots up), lets two of the three members
unlock their shares, and times services.count_round: reading the box, checking each ballot's
tracker, adding the ciphertexts up again, checking the partial decryptions, combining them and
finding each count, then the tally. The ceiling is the cryptography alone on the same ballots,
already in memory: crypto.sums + crypto.combine. Both are timed several times and the median
is kept; count_round is rolled back after each timing but the last, which is committed and
compared with the marks the benchmark drew (a difference fails the run).

Prints the times and `ratio count/crypto = …` (the cost of the app around the cryptography).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

from _harness import Database, header, make_app, say, timed, workdir


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


def fill_box(round_, seed: int = 2026) -> tuple[list[dict], dict[tuple[int, int], int]]:
    """Put one encrypted ballot per present voter in the box; returns the ballots and the
    marks drawn, (line, level index) -> count.

    SETUP SHORTCUT, not the casting path: the rows box.cast would write (a participation, an
    encrypted ballot and its tracker) are inserted directly, and the ballots carry no proofs
    (the server checks proofs when a ballot is cast, not when it counts; verify_ballot.py
    measures the check). The counting that follows reads only these rows.
    """
    from sqlalchemy import insert

    from evalapp.ballots import services as ballots
    from evalapp.box import crypto
    from evalapp.box.models import BoxParticipation, BoxSealedBallot
    from evalapp.extensions import db

    rng = random.Random(seed)
    box = ballots.round_box(round_)
    params = ballots.box_parameters(round_)
    public_key = bytes.fromhex(params["public_key"])
    lines, levels = params["lines"], len(params["levels"])
    drawn: dict[tuple[int, int], int] = {}
    ballot_list, sealed_rows, participation_rows = [], [], []
    for voter in round_.voters:
        rows = []
        for line in range(1, lines + 1):
            choice = rng.choices(range(levels), weights=(6, 3, 1)[:levels])[0]
            drawn[(line, choice)] = drawn.get((line, choice), 0) + 1
            row = []
            for level in range(levels):
                r = crypto.random_scalar()
                row.append([crypto.base_mul(r).hex(), crypto.add(
                    crypto.base_mul(crypto.scalar(int(level == choice))),
                    crypto.mul(r, public_key)).hex()])
            rows.append(row)
        ballot = {"ciphertexts": rows, "line_proofs": [], "proofs": []}
        ballot_list.append(ballot)
        sealed_rows.append({"box_id": box.id, "tracker": crypto.tracker(ballot),
                            "content": crypto.canonical(ballot)})
        participation_rows.append({"box_id": box.id, "person_id": voter.person_id})
    db.session.execute(insert(BoxParticipation), participation_rows)
    for start in range(0, len(sealed_rows), 500):
        db.session.execute(insert(BoxSealedBallot), sealed_rows[start:start + 500])
    db.session.commit()
    return ballot_list, drawn


def bare_crypto(round_, ballot_list: list[dict]) -> list[list[int]]:
    """The ceiling: the sums and the combination of the stored partial decryptions, on the
    ballots already in memory (no database, no JSON, no trackers, no tally)."""
    import json

    from evalapp.ballots import services as ballots
    from evalapp.box import crypto
    from evalapp.box.models import BoxDecryption
    from evalapp.extensions import db

    box = ballots.round_box(round_)
    params = json.loads(box.parameters)
    partials = [json.loads(d.content) for d in db.session.execute(
        db.select(BoxDecryption).where(BoxDecryption.box_id == box.id)).scalars()]
    sums = crypto.sums(params, ballot_list)
    return crypto.combine(params, sums, partials, len(ballot_list))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run (200 ballots)")
    parser.add_argument("--ballots", type=int, help="ballots in the box (default 1000)")
    parser.add_argument("--candidates", type=int, default=20, help="people voted on (20)")
    parser.add_argument("--repeat", type=int, help="timings of each (default 5, quick 3)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    ballots_wanted = args.ballots or (200 if args.quick else 1000)
    repeat = args.repeat or (3 if args.quick else 5)
    directory = workdir(args.keep)
    header("count_round", database=args.database, ballots=ballots_wanted,
           candidates=args.candidates, repeat=repeat,
           dir=directory if args.keep else "(temporary)")

    from sqlalchemy import select

    from evalapp.auth.permissions import SYSTEM
    from evalapp.ballots import builder
    from evalapp.ballots import services as ballots
    from evalapp.ballots.models import BallotCount, RoundStatus
    from evalapp.extensions import db

    with Database(args.database, directory) as database:
        app = make_app(database.url, directory)
        with app.app_context():
            seconds, round_ = timed(lambda: open_round(args.candidates, ballots_wanted))
            say(f"setup: round with {args.candidates} candidates and {ballots_wanted} present "
                f"voters, open ({seconds:.1f} s)")
            seconds, (ballot_list, drawn) = timed(lambda: fill_box(round_))
            say(f"setup: box filled by direct inserts, {ballots_wanted} encrypted ballots × "
                f"{args.candidates} lines ({seconds:.1f} s)")

            def close() -> None:
                ballots.close_voting(SYSTEM, round_)
                db.session.commit()  # the storage scrub runs after the commit

            seconds, _ = timed(close)
            say(f"close_voting + commit + scrub + sums (not compared; see close_box.py): "
                f"{seconds:.2f} s")
            seconds, _ = timed(lambda: builder.unlock(round_))
            say(f"two members unlock their shares (partial decryptions with proofs): "
                f"{seconds:.2f} s")
            levels = [level.value for level in round_.scale.levels]
            line_subject = {n: c.id for n, c in
                            enumerate(ballots.get_round(round_.id).active_candidates, 1)}
            round_id = round_.id

            crypto_times = []
            for _ in range(repeat):
                seconds, decrypted = timed(lambda: bare_crypto(round_, ballot_list))
                crypto_times.append(seconds)
            expected = {(line_subject[line], levels[level]): n
                        for (line, level), n in drawn.items()}
            crypto_agrees = {(line_subject[j], levels[i]): n
                             for j, row in enumerate(decrypted, start=1)
                             for i, n in enumerate(row) if n} == expected

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
            agrees = (round_.status == RoundStatus.COUNTED and stored_nonzero == expected
                      and crypto_agrees and round_.collected_count == ballots_wanted)
            db.session.remove()
            db.engine.dispose()

    bare = statistics.median(crypto_times)
    count = statistics.median(count_times)
    say(f"bare cryptography (sums + combine, in memory): median {1000 * bare:.1f} ms "
        f"of {repeat} ({', '.join(f'{1000 * t:.1f}' for t in crypto_times)})")
    say(f"services.count_round + flush: median {1000 * count:.1f} ms of {repeat} "
        f"({', '.join(f'{1000 * t:.1f}' for t in count_times)}; the last includes commit)")
    say(f"stored counts {'agree' if agrees else 'DISAGREE'} with the marks drawn "
        f"({sum(expected.values())} marks)")
    say(f"ratio count/crypto = {count / bare:.2f}")
    return 0 if agrees else 1


if __name__ == "__main__":
    sys.exit(main())
