"""Benchmark: closing a round's ballot box with an empty history and with 40,000 other ballots
in the database.

    .venv/bin/python bench/close_box.py [--quick] [--ballots N] [--candidates K]
                                        [--history H] [--database postgresql]

Builds, in this process, rounds of N present voters and K people voted on through the real
services and opens voting. Their boxes are filled by direct inserts (fill_box: the rows
box.cast would write; casting is measured by cast_ballots.py). Then it times
ballots.close_voting + commit (+ the storage scrub, which runs after the commit), which
rewrites the box in a random order:
- first REPEAT rounds while the database holds nothing else;
- then it adds H ballots of other boxes (H/500 boxes of 500 ballots × K marks, by direct
  inserts), and times REPEAT more rounds of the same size.
A last close with history runs while a client thread keeps casting real ballots (box.cast) into
another open box, and the casts' median and longest times are printed: on PostgreSQL a close
locks only its own box's partitions, on SQLite any write waits for the close.

Prints the medians and `ratio close(history)/close(empty) = …` (1 means the close does not
depend on the database's history). Exits 1 when a closed box does not hold exactly its N
ballots. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import threading
import time

from _harness import Database, header, make_app, say, timed, workdir

BOX_SIZE = 500  # ballots in each box of the history


def people(count: int, prefix: str) -> list[int]:
    """`count` people in one statement (the directory is not what is measured)."""
    from sqlalchemy import select

    from evalapp.auth.permissions import SYSTEM
    from evalapp.extensions import db
    from evalapp.org.models import Gender, Person, UnitKind
    from evalapp.org.services import create_unit, derived_person_fields

    unit = create_unit(SYSTEM, name=f"Đơn vị {prefix}", kind=UnitKind.PARTY_COMMITTEE,
                       parent=None, code=prefix)
    rows = []
    for i in range(count):
        name, code = f"Nguyễn Văn {prefix} {i}", f"{prefix}{i:06d}"
        rows.append({"full_name": name, "staff_code": code, "unit_id": unit.id,
                     "gender": Gender.MALE if i % 2 else Gender.FEMALE, "birth_year": 1970,
                     "active": True, **derived_person_fields(name, code)})
    db.session.execute(Person.__table__.insert(), rows)
    db.session.commit()
    return list(db.session.execute(select(Person.id).where(Person.unit_id == unit.id)
                                   .order_by(Person.id)).scalars()), unit


def open_round(unit, candidates: list[int], voters: list[int], n: int):
    """A round open for voting, built through the services."""
    from evalapp.ballots import builder
    from evalapp.ballots.models import RoundStatus

    return builder.build(builder.RoundPlan(
        unit=unit, candidates=candidates, voters=voters,
        title=f"Lấy phiếu tín nhiệm {n} (benchmark)", body_name="Tỉnh ủy"),
        RoundStatus.VOTING).round


def fill_box(box_id: int, person_ids: list[int], lines: int, rng: random.Random) -> None:
    """SETUP SHORTCUT, not the casting path: one ballot per person, the rows box.cast writes
    (a participation, a ballot with a random id, a mark per line, a tracker), inserted by a few
    executemany statements in one transaction."""
    from sqlalchemy import insert

    from evalapp.box.models import BoxBallot, BoxMark, BoxParticipation, BoxReceipt
    from evalapp.extensions import db

    levels = ["high", "confidence", "low"]
    participations, ballots, marks, receipts = [], [], [], []
    for person_id in person_ids:
        ballot_id = secrets.token_hex(16)
        participations.append({"box_id": box_id, "person_id": person_id})
        ballots.append({"box_id": box_id, "id": ballot_id, "valid": True})
        marks.extend({"box_id": box_id, "ballot_id": ballot_id, "line": line,
                      "level": rng.choices(levels, weights=(6, 3, 1))[0]}
                     for line in range(1, lines + 1))
        receipts.append({"box_id": box_id, "tracker": secrets.token_hex(16)})
    for model, rows in ((BoxParticipation, participations), (BoxBallot, ballots),
                        (BoxMark, marks), (BoxReceipt, receipts)):
        for start in range(0, len(rows), 20_000):
            db.session.execute(insert(model), rows[start:start + 20_000])
    db.session.commit()


def close(app, round_id: int) -> float:
    """ballots.close_voting + commit (the scrub runs after the commit), timed."""
    from evalapp.auth.permissions import SYSTEM
    from evalapp.ballots import services as ballots
    from evalapp.extensions import db

    db.session.expire_all()
    round_ = ballots.get_round(round_id)
    began = time.perf_counter()
    ballots.close_voting(SYSTEM, round_)
    db.session.commit()
    return time.perf_counter() - began


def ballots_in(round_id: int) -> int:
    from sqlalchemy import func, select

    from evalapp.ballots import services as ballots
    from evalapp.box.models import BoxBallot
    from evalapp.extensions import db

    box_id = ballots.round_box(ballots.get_round(round_id)).id
    return db.session.execute(select(func.count()).select_from(BoxBallot)
                              .where(BoxBallot.box_id == box_id)).scalar_one()


class Caster(threading.Thread):
    """Casts real ballots into an open box, one after another, timing each."""

    def __init__(self, app, box_id: int, voters: list[int], lines: int):
        super().__init__(daemon=True)
        self.app, self.box_id, self.voters, self.lines = app, box_id, voters, lines
        self.waits: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        from evalapp.box import services as box
        from evalapp.extensions import db

        with self.app.app_context():
            for person_id in self.voters:
                if self.stop.is_set():
                    break
                opened = db.session.get(box.Box, self.box_id)
                began = time.perf_counter()
                box.cast(opened, box.KnownVoter(person_id), box.WrittenBallot(
                    marks={line: "confidence" for line in range(1, self.lines + 1)}))
                db.session.commit()
                self.waits.append(time.perf_counter() - began)
            db.session.remove()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a small run (200 ballots, 8,000 other ballots)")
    parser.add_argument("--ballots", type=int, help="ballots in each closed box (500)")
    parser.add_argument("--candidates", type=int, default=10, help="people voted on (10)")
    parser.add_argument("--history", type=int, help="other ballots in the database (40,000)")
    parser.add_argument("--repeat", type=int, default=3, help="closes of each kind (3)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    size = args.ballots or (200 if args.quick else 500)
    history = args.history or (8_000 if args.quick else 40_000)
    directory = workdir(args.keep)
    header("close_box", database=args.database, ballots=size, candidates=args.candidates,
           history=history, repeat=args.repeat, dir=directory if args.keep else "(temporary)")

    from evalapp.box import services as box
    from evalapp.extensions import db
    from evalapp.tally.scales import Scale

    rng = random.Random(2026)
    failed = False
    with Database(args.database, directory) as database:
        app = make_app(database.url, directory)
        with app.app_context():
            from evalapp.ballots import services as ballots

            seconds, (candidates, unit) = timed(lambda: people(args.candidates, "UV"))
            voters, _unit = people(max(size, BOX_SIZE), "CT")
            say(f"setup: {len(voters)} people ({seconds:.1f} s)")

            def round_with_box(n: int) -> int:
                round_ = open_round(unit, candidates, voters[:size], n)
                fill_box(ballots.round_box(round_).id, voters[:size], args.candidates, rng)
                return round_.id

            close(app, round_with_box(-1))  # warm-up (first-time costs), not counted
            empty = []
            for n in range(args.repeat):
                round_id = round_with_box(n)
                empty.append(close(app, round_id))
                failed |= ballots_in(round_id) != size
            say(f"close, empty history: {', '.join(f'{1000 * t:.0f}' for t in empty)} ms")

            began = time.perf_counter()
            boxes = []
            for n in range(max(1, history // BOX_SIZE)):
                other = box.open_box("bench_history", n, Scale.THREE_LEVEL,
                                     list(range(1, args.candidates + 1)),
                                     bad_line_voids_ballot=True)
                db.session.commit()
                fill_box(other.id, voters[:BOX_SIZE], args.candidates, rng)
                boxes.append(other.id)
            db.session.commit()
            if db.engine.dialect.name == "sqlite":  # the setup's log, not the close's
                box.scrub_storage()
            say(f"setup: {len(boxes) * BOX_SIZE:,} other ballots in {len(boxes)} boxes × "
                f"{args.candidates} marks ({time.perf_counter() - began:.1f} s)")
            # One more open box, with nobody's ballot yet, where a client casts meanwhile.
            live = box.open_box("bench_history", -1, Scale.THREE_LEVEL,
                                list(range(1, args.candidates + 1)), bad_line_voids_ballot=True)
            db.session.commit()
            live_id = live.id

            with_history = []
            for n in range(args.repeat):
                round_id = round_with_box(args.repeat + n)
                with_history.append(close(app, round_id))
                failed |= ballots_in(round_id) != size
            say(f"close, {len(boxes) * BOX_SIZE:,} other ballots: "
                f"{', '.join(f'{1000 * t:.0f}' for t in with_history)} ms")

            # Once more, while a client casts into another open box (same process, so it also
            # shares the interpreter with the close).
            round_id = round_with_box(2 * args.repeat)
            db.session.remove()
            caster = Caster(app, live_id, voters[:400], args.candidates)
            caster.start()
            time.sleep(0.3)
            during = close(app, round_id)
            caster.stop.set()
            caster.join(timeout=120)
            failed |= ballots_in(round_id) != size
            waits = caster.waits
            say(f"close while another box is cast into: {1000 * during:.0f} ms; "
                + (f"{len(waits)} casts meanwhile, median {1000 * statistics.median(waits):.1f} "
                   f"ms, longest {1000 * max(waits):.1f} ms" if waits else "no cast completed"))
            db.session.remove()
            db.engine.dispose()

    ratio = statistics.median(with_history) / statistics.median(empty)
    say(f"median close: empty {1000 * statistics.median(empty):.0f} ms, with history "
        f"{1000 * statistics.median(with_history):.0f} ms")
    say(f"ratio close(history)/close(empty) = {ratio:.2f}")
    if failed:
        say("FAILED: a closed box does not hold exactly its ballots")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
