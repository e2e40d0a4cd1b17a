"""Benchmark: voters casting ballots through the API, against a bare Flask endpoint.

    .venv/bin/python bench/cast_ballots.py [--quick] [--voters N] [--database postgresql]

Sets up a temporary database (a unit, 3 people voted on, N voters, each with an account and an
API token, a round open for voting) through the real services, serves evalapp with gunicorn
(2 sync workers, wsgi:app) on 127.0.0.1, and POSTs each voter's ballot once from a pool of
client threads. In the same run it serves a bare Flask app ("ok") with the same gunicorn
settings and sends it as many requests, of the same size, with the same client: that is the
ceiling. While voting is still open, the secretary's turnout page (GET .../turnout) is also
measured against the same ceiling. Afterwards the round must hold exactly N ballots.

Prints the rates, the p50/p95 latencies and `ratio cast/bare = …`; exits 1 when a ballot was
lost or refused. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from _harness import (
    ROOT,
    SECRET_KEY,
    Database,
    Gunicorn,
    fire,
    header,
    make_app,
    ratio,
    say,
    workdir,
    write_bare_app,
)

BARE_MINIMUM = 3000

def build_round(app, voters: int) -> tuple[int, list[tuple[str, bytes]], str]:
    """The round, open for voting; returns its id, (token, ballot body) for each voter and the
    secretary's token."""
    from evalapp.auth.models import Role
    from evalapp.auth.permissions import SYSTEM
    from evalapp.auth.services import (
        GrantSpec,
        create_api_token,
        create_user,
        create_voter_accounts,
    )
    from evalapp.ballots import builder
    from evalapp.ballots.models import RoundStatus
    from evalapp.extensions import db
    from evalapp.org.models import Gender, UnitKind
    from evalapp.org.services import PersonData, create_person, create_unit
    from evalapp.tally.rules import Level

    with app.app_context():
        unit = create_unit(SYSTEM, name="Sở Nội vụ", kind=UnitKind.DEPARTMENT, parent=None,
                           code="SNV")

        def person(i: int, name: str):
            return create_person(SYSTEM, PersonData(
                full_name=name, unit=unit, staff_code=f"B{i:06d}",
                gender=Gender.MALE if i % 2 else Gender.FEMALE, birth_year=1960 + i % 40))

        candidates = [person(i, f"Trần Thị Ứng Viên {i}") for i in range(3)]
        people = [person(100 + i, f"Nguyễn Văn Cử Tri {i}") for i in range(voters)]
        accounts = create_voter_accounts(SYSTEM, people)
        tokens = [create_api_token(user, "bench")[1] for user, _password in accounts]
        # An officer must belong to the round's unit or hold a role over it.
        secretary = create_user(SYSTEM, username="bench-thuky", full_name="Thư Ký",
                                password="bench-password-1",
                                grants=[GrantSpec(Role.SECRETARY, unit)])
        secretary_token = create_api_token(secretary, "bench")[1]
        db.session.commit()

        round_ = builder.build(builder.RoundPlan(
            unit=unit, candidates=candidates, voters=people,
            title="Lấy phiếu tín nhiệm (benchmark)", body_name="Tỉnh ủy", place="Hội trường",
            secretary=secretary), RoundStatus.VOTING).round
        levels = [Level.HIGH.value, Level.CONFIDENCE.value, Level.LOW.value]
        lines = [c.id for c in round_.active_candidates]
        bodies = [json.dumps({"marks": {str(c): levels[(i + k) % 3] for k, c in enumerate(lines)}})
                  .encode() for i in range(voters)]
        return round_.id, list(zip(tokens, bodies, strict=True)), secretary_token


def ballots_in_box(app, round_id: int) -> tuple[int, int, int]:
    """(ballots, participations, trackers) stored in the round's box (an encrypted ballot
    carries its tracker: both are rows of box_sealed_ballot)."""
    from sqlalchemy import func, select

    from evalapp.ballots import services as ballots
    from evalapp.box.models import BoxParticipation, BoxSealedBallot
    from evalapp.extensions import db

    with app.app_context():
        box_id = ballots.round_box(ballots.get_round(round_id)).id

        def count(model):
            return db.session.execute(select(func.count()).select_from(model)
                                      .where(model.box_id == box_id)).scalar_one()
        counts = (count(BoxSealedBallot), count(BoxParticipation), count(BoxSealedBallot))
        db.session.remove()
        db.engine.dispose()
        return counts


def statements_per_cast(app, round_id: int, voter_requests, count: int = 5) -> list[int]:
    """SQL statements one API cast sends to the database (in this process, through the test
    client, counted by SQLAlchemy's before_cursor_execute: BEGIN and savepoints included, the
    final COMMIT, sent by the driver, not). Uses the first `count` voters, whose ballots are then
    in the box like the others'."""
    from sqlalchemy import event

    from evalapp.extensions import db

    with app.app_context():
        engine = db.engine
    sent: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    client = app.test_client()
    counts = []
    try:
        for token, body in voter_requests[:count]:
            sent.clear()
            response = client.post(f"/api/v1/ballot-rounds/{round_id}/ballot", data=body,
                                   headers={"Authorization": f"Bearer {token}",
                                            "Content-Type": "application/json"})
            if response.status_code != 201:
                raise SystemExit(f"bench: a cast was refused ({response.status_code})")
            counts.append(len(sent))
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run (300 voters)")
    parser.add_argument("--voters", type=int, help="number of voters (default 2000)")
    parser.add_argument("--threads", type=int, default=16, help="client threads (16)")
    parser.add_argument("--turnout-requests", type=int, help="turnout GETs (default = voters)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--time-limit", type=float, default=120,
                        help="seconds after which a phase stops sending (120)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    voters = args.voters or (300 if args.quick else 2000)
    turnout_requests = args.turnout_requests or voters
    directory = workdir(args.keep)
    header("cast_ballots", database=args.database, voters=voters, threads=args.threads,
           server="gunicorn -w 2 sync", dir=directory if args.keep else "(temporary)")

    with Database(args.database, directory) as database:
        app = make_app(database.url, directory)
        seconds = time.perf_counter()
        round_id, voter_requests, secretary_token = build_round(app, voters)
        say(f"setup: {voters} voters with accounts and tokens, 3 candidates, round open "
            f"({time.perf_counter() - seconds:.1f} s)")
        in_process = statements_per_cast(app, round_id, voter_requests)
        say(f"SQL statements per API cast (in process): {in_process}")
        voter_requests = voter_requests[len(in_process):]
        with app.app_context():
            from evalapp.extensions import db
            db.session.remove()
            db.engine.dispose()  # no connection of this process stays open during the run

        path = f"/api/v1/ballot-rounds/{round_id}/ballot"
        casts = [("POST", path, body, {"Authorization": f"Bearer {token}",
                                       "Content-Type": "application/json"})
                 for token, body in voter_requests]
        turnout_path = f"/api/v1/ballot-rounds/{round_id}/turnout"
        secretary = {"Authorization": f"Bearer {secretary_token}"}
        env = {"DATABASE_URL": database.url, "SECRET_KEY": SECRET_KEY,
               "EVALAPP_ENV": "production",
               # Required in production; its host is then the only one answered.
               "EVALAPP_PUBLIC_BASE_URL": "http://127.0.0.1/"}
        with Gunicorn("evalapp", "wsgi:app", ROOT, env, log_dir=directory) as server:
            server.warm_up(turnout_path, headers=secretary)
            cast = fire(server.port, casts, threads=args.threads, time_limit=args.time_limit)
            say(f"cast   (POST {path}): {cast.describe(201)}")
            turnout = fire(server.port, [("GET", turnout_path, None, secretary)]
                           * turnout_requests, threads=args.threads, time_limit=args.time_limit)
            say(f"turnout (GET {turnout_path}): {turnout.describe(200)}")

        # The ceiling: same server settings, same client, same request sizes; at least
        # BARE_MINIMUM requests, so that it lasts long enough to measure.
        bare_dir = write_bare_app(directory)
        bare_posts = [("POST", "/", body, headers) for _m, _p, body, headers in casts]
        bare_posts = [bare_posts[i % len(bare_posts)]
                      for i in range(max(len(bare_posts), BARE_MINIMUM))]
        bare_gets = [("GET", "/", None, secretary)] * max(turnout_requests, BARE_MINIMUM)
        with Gunicorn("bare", "bare_wsgi:app", bare_dir, log_dir=directory) as server:
            server.warm_up("/")
            bare = fire(server.port, bare_posts, threads=args.threads,
                        time_limit=args.time_limit)
            say(f"bare   (POST /, same bodies and headers): {bare.describe(200)}")
            bare_get = fire(server.port, bare_gets, threads=args.threads,
                            time_limit=args.time_limit)
            say(f"bare   (GET /, same headers as turnout): {bare_get.describe(200)}")

        stored, participations, trackers = ballots_in_box(app, round_id)

    say(f"box: {stored} ballots, {participations} participations, {trackers} trackers "
        f"for {voters} voters; {cast.statuses[201]} casts answered 201 (and "
        f"{len(in_process)} cast in process)")
    say(f"statements per cast = {statistics.median(in_process):.0f}")
    say(f"ratio turnout/bare = {ratio(turnout.rate, bare_get.rate):.2f} "
        f"({turnout.rate:,.0f}/s vs {bare_get.rate:,.0f}/s)")
    say(f"ratio cast/bare = {ratio(cast.rate, bare.rate):.2f} "
        f"({cast.rate:,.0f} casts/s vs {bare.rate:,.0f} req/s)")
    lost = not (stored == participations == trackers == voters
                == cast.statuses[201] + len(in_process))
    if lost:
        say("FAILED: the box does not hold exactly one ballot per voter")
        return 1
    if (turnout.statuses[200] != turnout_requests or bare.statuses[200] != len(bare_posts)
            or bare_get.statuses[200] != len(bare_gets)):
        say("FAILED: some turnout or bare requests were not answered 200")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
