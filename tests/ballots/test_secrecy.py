"""Secrecy against someone holding the whole database (and the logs) after a round closed.

Design §3, threat 2: the table that says who voted and the tables that hold the ballots cannot
be joined by key, time, insertion order, row id or transaction id; ballot contents never reach a
log or the audit trail.

The method: 30 voters vote through the web pages, one after another, in a known (shuffled)
order. Voter i's ballot encodes i in binary across 5 candidates (high = 1, low = 0), and every
tracker is known from the receipt page. The ballots are stored encrypted (issue 9): nobody
holding the database can read them, but an attacker could still try to tie a voter to a
ciphertext by where or when it was written. After closing, the attacker's view is taken: the
database file itself on SQLite, the system columns (ctid, xmin) and the heap files on
PostgreSQL. For every ordering of rows the attacker can compute, rows are paired position by
position with the true casting order (which the test knows: the audit trail no longer has an
entry per ballot) and with every ordering of the other tables; the number of correct pairings
must be what chance gives.

Why that cannot flake: when an ordering carries no information, the number of positions where
two orderings of 30 agree is the number of fixed points of a random permutation, which is
Poisson(1) to many decimals: P(>= 9) = 1.1e-6, while an ordering that carries the casting
order gives (close to) 30. Kendall's tau catches an order that is shifted or only roughly kept
(few exact matches, but still the order): for random orders of 30 its standard deviation is
0.129, so |tau| > 0.65 (5 standard deviations) happens by chance 5 times in 10 million. Each
test makes fewer than 60 distinct comparisons: a false alarm is rarer than 1 run in 10,000.
"""

from __future__ import annotations

import logging
import os
import random
import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from itertools import combinations

import pytest
from flask_babel import force_locale
from sqlalchemy import Date, DateTime, Integer, Time, create_engine, event, inspect, select

from evalapp import create_app
from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.ballots import services
from evalapp.ballots.models import RoundStatus
from evalapp.core.errors import ValidationFailed
from evalapp.extensions import db as _db
from evalapp.tally.rules import Level, Scale
from tests.ballots.conftest import advance, box_id_of, last_seq, secret_counts, tracker_on
from tests.conftest import PASSWORD, TEST_CONFIG

N = 30
BITS = 5  # 2**5 = 32 >= N distinct ballots
CASTING_SEED = 20261201
MAX_MATCHES = 8
MAX_TAU = 0.65
MAX_COMPARISONS = 60
SECRET_TABLES = ("box_participation", "box_sealed_ballot", "box_ballot", "box_mark",
                 "box_receipt")
# Where a confidence round's ballots are: encrypted, one row each (the others stay empty).
STORED = ("box_participation", "box_sealed_ballot")
LEVEL_WORDS = re.compile(r"\b(high|low|confidence|no_confidence|HIGH|LOW|CONFIDENCE)\b")

HIGH, LOW = Level.HIGH.value, Level.LOW.value


def content_of(i: int) -> list[str]:
    """The ballot of voter i: bit j of i on the j-th line."""
    return [HIGH if i >> j & 1 else LOW for j in range(BITS)]


@dataclass
class Box:
    """A closed round of N ballots and everything the test (not the attacker) knows."""

    round_id: int
    box_id: int
    cast_order: list[int]                   # voter indices, in the order they cast
    person_index: dict[int, int]            # person id -> voter index
    tracker_owner: dict[str, int]           # tracker -> voter index
    candidate_bit: dict[int, int]           # candidate id -> bit position
    ballot_owner: dict[str, int] = field(default_factory=dict)  # filled from the dump

    def owner_of_marks(self, marks_of_ballot: dict[int, str]) -> int:
        """The voter of a ballot as the box stores it (line number -> level): line j + 1 is
        the j-th person on the ballot."""
        return sum(1 << (line - 1) for line, level in marks_of_ballot.items() if level == HIGH)


def casting_order() -> list[int]:
    order = list(range(N))
    random.Random(CASTING_SEED).shuffle(order)
    # The roll order (person ids) is itself an ordering the attacker has; the casting order
    # must not coincide with it, or comparing against person-id order would prove nothing.
    assert sum(a == b for a, b in enumerate(order)) <= 2
    assert abs(kendall_tau(order, list(range(N)))) < 0.3
    return order


@pytest.fixture
def closed_box(app, meeting, factory, db) -> Box:
    """N voters log in, vote through the web pages and log out, in a shuffled order; an admin
    closes the round through the web page (which commits and scrubs)."""
    m = meeting(voters=N, candidates=BITS)
    users = [factory.user(f"cutri{i:02d}", roles=(Role.VOTER,), unit=m.unit, person=person)
             for i, person in enumerate(m.voters)]
    admin = factory.user("bantochuc", roles=(Role.ADMIN,), unit=m.unit)
    candidate_bit = {c.id: j for j, c in enumerate(m.round.active_candidates)}
    round_id = m.round_id
    box = Box(round_id=round_id, box_id=0, cast_order=casting_order(),
              person_index={p.id: i for i, p in enumerate(m.voters)}, tracker_owner={},
              candidate_bit=candidate_bit)
    db.session.commit()
    client = app.test_client()
    for i in box.cast_order:
        assert client.post("/login", data={"username": users[i].username,
                                           "password": PASSWORD}).status_code == 302
        form = {f"mark-{c}": content_of(i)[j] for c, j in candidate_bit.items()}
        response = client.post(f"/vote/{round_id}/cast", data=form, follow_redirects=True)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert response.request.path == f"/vote/{round_id}/receipt"
        tracker = tracker_on(response.get_data(as_text=True))
        box.tracker_owner[tracker] = i
        assert client.post("/logout").status_code == 302
    assert client.post("/login", data={"username": admin.username,
                                       "password": PASSWORD}).status_code == 302
    assert client.post(f"/ballots/{round_id}/close").status_code == 302
    box.box_id = box_id_of(round_id)
    return box


# ---------------------------------------------------------------- comparing orderings


def matches(a: list[int], b: list[int]) -> int:
    return sum(x == y for x, y in zip(a, b, strict=True))


def kendall_tau(a: list[int], b: list[int]) -> float:
    position = {v: k for k, v in enumerate(b)}
    ranks = [position[v] for v in a]
    n = len(ranks)
    score = sum((1 if ranks[j] > ranks[i] else -1) for i, j in combinations(range(n), 2))
    return score / (n * (n - 1) / 2)


def first_seen(values) -> list:
    seen, order = set(), []
    for value in values:
        if value not in seen:
            seen.add(value)
            order.append(value)
    return order


def assert_unlinkable(box: Box, orderings: dict[str, list[int]]) -> None:
    """orderings: name ('table: how') -> voter indices in that order. Every one is compared with
    the casting order and with every ordering of another table."""
    truth = box.cast_order
    distinct: dict[tuple, str] = {}
    for name, order in orderings.items():
        assert sorted(order) == list(range(N)), name  # every row accounted for
        distinct.setdefault(tuple(order), name)
    problems = []
    compared = 0
    items = list(distinct.items())
    for order, name in items:
        compared += 1
        hits, tau = matches(list(order), truth), kendall_tau(list(order), truth)
        if hits > MAX_MATCHES or abs(tau) > MAX_TAU:
            problems.append(f"{name} vs casting order: {hits} of {N} paired, tau {tau:.2f}")
    for (order_a, name_a), (order_b, name_b) in combinations(items, 2):
        if name_a.split(":")[0] == name_b.split(":")[0]:
            continue  # two orderings of the same table
        compared += 1
        hits, tau = matches(list(order_a), list(order_b)), kendall_tau(list(order_a),
                                                                         list(order_b))
        if hits > MAX_MATCHES or abs(tau) > MAX_TAU:
            problems.append(f"{name_a} vs {name_b}: {hits} of {N} paired, tau {tau:.2f}")
    assert compared < MAX_COMPARISONS  # the false-alarm bound in the docstring assumes it
    assert not problems, problems


# ---------------------------------------------------------------- SQLite: the file itself


def _sqlite_path(database_url: str) -> str:
    assert database_url.startswith("sqlite:///")
    return database_url[len("sqlite:///"):]


@pytest.mark.only_on("sqlite")
def test_the_sqlite_file_cannot_link_voters_to_ballots(closed_box, database_url, db, tmp_path):
    box = closed_box
    live = _sqlite_path(database_url)
    # Closing checkpointed the write-ahead log, which held the pages as they were while people
    # voted (in casting order).
    wal = live + "-wal"
    assert not os.path.exists(wal) or os.path.getsize(wal) == 0

    # The dump: the database file as it is on the disk (and the WAL, should there be one).
    dump = str(tmp_path / "dump.sqlite3")
    shutil.copyfile(live, dump)
    if os.path.exists(wal):
        shutil.copyfile(wal, dump + "-wal")
    con = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    tables = [name for (name,) in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    without_rowid = set()
    for table in tables:
        try:
            con.execute(f'SELECT rowid, * FROM "{table}"').fetchall()
        except sqlite3.OperationalError as error:
            assert "rowid" in str(error)
            without_rowid.add(table)
    assert set(SECRET_TABLES) <= without_rowid, without_rowid
    for table in SECRET_TABLES:
        with pytest.raises(sqlite3.OperationalError):
            con.execute(f"SELECT rowid FROM {table}")
        with pytest.raises(sqlite3.OperationalError):
            con.execute(f"SELECT _rowid_, oid FROM {table}")
    if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
        # No AUTOINCREMENT counter for the box's tables.
        counters = {name for (name,) in con.execute("SELECT name FROM sqlite_sequence")}
        assert not counters & set(SECRET_TABLES)

    # Who is who: the test knows each voter's tracker (the attacker cannot read the encrypted
    # ballots; it could still try to tie a voter to a ciphertext by where and when it sits).
    rid = box.box_id
    for table in ("box_ballot", "box_mark", "box_receipt"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    stored = [t for (t,) in con.execute("SELECT tracker FROM box_sealed_ballot")]
    assert sorted(box.tracker_owner[t] for t in stored) == list(range(N))
    # The trail says who logged in when, but has no entry per ballot: it does not give the
    # casting order.
    actions = [a for (a,) in con.execute("SELECT action FROM audit_entry")]
    assert "auth.login" in actions and "ballot.cast" not in actions

    def owners(query, key=lambda row: row[0], owner=None):
        return [owner(v) for v in first_seen(key(row) for row in con.execute(query, (rid,)))]

    tracker = box.tracker_owner.__getitem__
    person = box.person_index.__getitem__
    orderings = {
        "box_sealed_ballot: natural": owners(
            "SELECT tracker FROM box_sealed_ballot WHERE box_id = ?", owner=tracker),
        "box_sealed_ballot: full scan": owners(
            "SELECT tracker FROM box_sealed_ballot NOT INDEXED WHERE box_id = ?", owner=tracker),
        "box_sealed_ballot: by content": owners(
            "SELECT tracker FROM box_sealed_ballot WHERE box_id = ? ORDER BY content",
            owner=tracker),
        "box_participation: natural": owners(
            "SELECT person_id FROM box_participation WHERE box_id = ?", owner=person),
    }

    # Physical order in the file: where each ballot id and tracker sits in the bytes (a cell's
    # place in its page follows the order rows were written in).
    raw = open(dump, "rb").read()
    ids = list(box.tracker_owner)
    first = sorted(ids, key=lambda v: raw.find(v.encode()))
    last = sorted(ids, key=lambda v: raw.rfind(v.encode()))
    assert all(raw.find(v.encode()) >= 0 for v in ids)
    orderings["box_sealed_ballot: file offset, first copy"] = [tracker(v) for v in first]
    orderings["box_sealed_ballot: file offset, last copy"] = [tracker(v) for v in last]
    assert_unlinkable(box, orderings)

    # No stale copy of the box anywhere: every page holding a ballot id or a tracker belongs to
    # the live tables and their indexes, and each of those holds each row exactly once (these
    # are index b-trees, where a key sits in one page only, leaf or interior): secure_delete
    # zeroed the cells and pages freed when the box was rewritten.
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    owner_page = {pageno: (name, pagetype) for name, pageno, pagetype in con.execute(
        "SELECT name, pageno, pagetype FROM dbstat")}
    structures = {table: {table} | {name for (name,) in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,))}
        for table in SECRET_TABLES}
    allowed = structures["box_sealed_ballot"]
    copies: dict[tuple[str, str], int] = {}
    for number in range(1, len(raw) // page_size + 1):
        page = raw[(number - 1) * page_size:number * page_size]
        found = [v for v in box.tracker_owner if v.encode() in page]
        if not found:
            continue
        name, _pagetype = owner_page.get(number, ("(free page)", "free"))
        assert name in allowed, f"page {number} ({name}) holds a tracker"
        for value in found:
            copies[(name, value)] = copies.get((name, value), 0) + page.count(value.encode())
    for value in box.tracker_owner:
        for name in structures["box_sealed_ballot"]:
            assert copies[(name, value)] == 1, name
    con.close()


# ---------------------------------------------------------------- PostgreSQL: ctid, xmin, files


def _tid(text: str) -> tuple[int, int]:
    page, item = text.strip("()").split(",")
    return int(page), int(item)


@pytest.mark.only_on("postgresql")
def test_postgresql_system_columns_cannot_link_voters_to_ballots(closed_box, database_url,
                                                                 db):
    box = closed_box
    rid, bid = box.round_id, box.box_id
    engine = create_engine(database_url)  # the attacker's own connection
    try:
        with engine.connect() as con:
            def rows(sql):
                if "%(r)s" in sql or "%(b)s" in sql:
                    return con.exec_driver_sql(sql, {"r": rid, "b": bid}).all()
                return con.exec_driver_sql(sql).all()

            for table in ("box_ballot", "box_mark", "box_receipt"):
                assert rows(f"SELECT count(*) FROM {table}")[0][0] == 0, table
            sealed = rows("SELECT ctid::text, xmin::text::bigint, tracker FROM "
                          "box_sealed_ballot WHERE box_id = %(b)s")
            participation = rows("SELECT ctid::text, xmin::text::bigint, person_id FROM "
                                 "box_participation WHERE box_id = %(b)s")
            round_xmin = rows("SELECT xmin::text::bigint FROM ballot_round "
                              "WHERE id = %(r)s")[0][0]
            natural = {
                "box_sealed_ballot": [r[0] for r in rows(
                    "SELECT tracker FROM box_sealed_ballot")],
                "box_participation": [r[0] for r in rows(
                    "SELECT person_id FROM box_participation")],
            }
            # What sits in shared buffers reaches the table files at the next checkpoint; an
            # attacker reading the files later sees exactly this: the files of the box's own
            # partition of each table (the parents hold no rows).
            con.exec_driver_sql("CHECKPOINT")
            files = {table: bytes(rows(f"SELECT pg_read_binary_file(pg_relation_filepath("
                                       f"'{table}_p{bid}'))")[0][0])
                     for table in STORED}
            assert all(rows(f"SELECT pg_relation_filepath('{table}')")[0][0] is None
                       for table in SECRET_TABLES)
            audit = rows("SELECT a.seq, a.action, u.person_id FROM audit_entry a "
                         "LEFT JOIN user_account u ON u.id = a.actor_id ORDER BY a.seq")
    finally:
        engine.dispose()

    assert sorted(box.tracker_owner[r[2]] for r in sealed) == list(range(N))
    assert "ballot.cast" not in {action for _seq, action, _person in audit}

    # Every row of the box was written by the closing transaction: one xmin for all, the same
    # as the round's (its status changed in that transaction). No transaction id groups a
    # participation row with a ballot and a tracker.
    xmins = {r[1] for r in (*sealed, *participation)}
    assert xmins == {round_xmin}, "secret rows keep transaction ids from the voting"

    tracker_of = box.tracker_owner.__getitem__
    person_of = box.person_index.__getitem__

    def by(rows_, key, owner, value=2):
        return [owner(v) for v in first_seen(r[value] for r in sorted(rows_, key=key))]

    ctid = lambda r: _tid(r[0])  # noqa: E731
    xmin_then_ctid = lambda r: (r[1], _tid(r[0]))  # noqa: E731
    orderings = {
        "box_sealed_ballot: ctid": by(sealed, ctid, tracker_of),
        "box_sealed_ballot: xmin": by(sealed, xmin_then_ctid, tracker_of),
        "box_sealed_ballot: by tracker": by(sealed, lambda r: r[2], tracker_of),
        "box_sealed_ballot: natural": [tracker_of(v) for v in natural["box_sealed_ballot"]
                                       if v in box.tracker_owner],
        "box_participation: ctid": by(participation, ctid, person_of),
        "box_participation: xmin": by(participation, xmin_then_ctid, person_of),
        "box_participation: natural": [person_of(v) for v in natural["box_participation"]
                                       if v in box.person_index],
    }
    raw = files["box_sealed_ballot"]
    orderings["box_sealed_ballot: file offset"] = [tracker_of(v) for v in sorted(
        box.tracker_owner, key=lambda v: raw.find(v.encode()))]
    assert_unlinkable(box, orderings)

    # The heap file holds each row once: no dead copy of a row written while people voted
    # (closing truncated the box's partitions and wrote them again).
    for tracker in box.tracker_owner:
        assert files["box_sealed_ballot"].count(tracker.encode()) == 1


# ---------------------------------------------------------------- the schema


def test_the_schema_has_nothing_that_joins_a_ballot_to_a_person(db):
    inspector = inspect(db.engine)
    forbidden_words = {"person", "user", "voter", "actor", "account", "time", "timestamp", "at",
                       "date", "created", "cast", "seq", "sequence", "order", "position",
                       "serial", "number", "ip", "session", "login"}
    contents = ("box_sealed_ballot", "box_ballot", "box_mark", "box_receipt")
    for table in contents:
        for column in inspector.get_columns(table):
            words = set(column["name"].lower().split("_"))
            assert not words & forbidden_words, (table, column["name"])
            assert not isinstance(column["type"], DateTime | Date | Time), (table, column)
        referred = {fk["referred_table"] for fk in inspector.get_foreign_keys(table)}
        assert referred <= {"box", "box_line"}, (table, referred)
    # The box's keys are the box, then random strings, not counters.
    for table, key in (("box_sealed_ballot", "tracker"), ("box_ballot", "id"),
                       ("box_receipt", "tracker")):
        assert inspector.get_pk_constraint(table)["constrained_columns"] == ["box_id", key]
        column = next(c for c in inspector.get_columns(table) if c["name"] == key)
        assert not isinstance(column["type"], Integer) and not column.get("autoincrement")
    # Participation: box and person, nothing else, and no key to or from the ballots.
    assert {c["name"] for c in inspector.get_columns("box_participation")} == \
        {"box_id", "person_id"}
    assert {fk["referred_table"] for fk in inspector.get_foreign_keys("box_participation")} \
        == {"box", "person"}
    for table in inspector.get_table_names():
        for fk in inspector.get_foreign_keys(table):
            # Nothing refers to a secret table (their partitions included, on PostgreSQL).
            assert not fk["referred_table"].startswith(SECRET_TABLES), (table, fk)


# ---------------------------------------------------------------- the audit trail and the logs


def test_ballot_content_reaches_neither_the_audit_trail_nor_the_logs(app, meeting, factory, db,
                                                                      caplog):
    m = meeting(voters=6, candidates=3)
    users = [factory.user(f"bophieu{i}", roles=(Role.VOTER,), unit=m.unit, person=p)
             for i, p in enumerate(m.voters)]
    ids = [c.id for c in m.round.active_candidates]
    rid = m.round_id
    seq = last_seq()
    db.session.commit()
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="evalapp")
    # Precondition: nobody turned on SQL logging (statement parameters are ballots).
    assert not logging.getLogger("sqlalchemy.engine").isEnabledFor(logging.INFO)
    client = app.test_client()
    levels = [HIGH, Level.CONFIDENCE.value, LOW]
    refused_pages = []
    for i, user in enumerate(users):
        assert client.post("/login", data={"username": user.username,
                                           "password": PASSWORD}).status_code == 302
        # First a tampered ballot (a level not on the ballot) and an incomplete one...
        bad = {f"mark-{ids[0]}": "zz-tampered-9", f"mark-{ids[1]}": HIGH}
        response = client.post(f"/vote/{rid}/cast", data=bad)
        assert response.status_code == 422
        refused_pages.append(response.get_data(as_text=True))
        response = client.post(f"/vote/{rid}/cast", data={f"mark-{ids[0]}": LOW})
        assert response.status_code == 422
        refused_pages.append(response.get_data(as_text=True))
        # ...then the real one.
        form = {f"mark-{c}": levels[(i + j) % 3] for j, c in enumerate(ids)}
        assert client.post(f"/vote/{rid}/cast", data=form).status_code == 303
        assert client.get(f"/vote/{rid}/receipt").status_code == 200
        assert client.post("/logout").status_code == 302
    formatter = logging.Formatter()
    log_text = "\n".join(formatter.format(record) for record in caplog.records)
    assert not LEVEL_WORDS.search(log_text), log_text
    assert "zz-tampered" not in log_text

    for page in refused_pages:
        assert "zz-tampered" not in page
        assert not re.search(r'value="(high|low|confidence)"', page)
    entries = db.session.execute(select(AuditEntry).where(AuditEntry.seq > seq)
                                 .order_by(AuditEntry.seq)).scalars().all()
    # No entry per ballot: its time would give the casting order (each after its login).
    assert not [e for e in entries if e.action == "ballot.cast"]
    for entry in entries:
        assert not LEVEL_WORDS.search(entry.details), entry.details
        assert "zz-tampered" not in entry.details
        for candidate_id in ids:
            assert not re.search(rf'"{candidate_id}"\s*:|\b{candidate_id}\s*=', entry.details)
    # Closing and counting do not write the contents either.
    advance(m, RoundStatus.COUNTED)
    for entry in db.session.execute(select(AuditEntry).where(AuditEntry.seq > seq)).scalars():
        assert not LEVEL_WORDS.search(entry.details), entry.details


def _spoiled(round_):
    ids = [c.id for c in round_.active_candidates]
    return [
        {ids[0]: HIGH},                                         # lines missing
        {**{c: HIGH for c in ids}, 987_654: LOW},               # a name added
        {**{c: HIGH for c in ids}, ids[1]: "zz-tampered-9"},    # a level not on the ballot
        {**{c: HIGH for c in ids}, ids[2]: Level.NO_CONFIDENCE.value},
        {**{c: LOW for c in ids}, ids[0]: None},
    ]


def test_a_refused_ballot_is_not_echoed_by_its_error(meeting, db):
    m = meeting(voters=3, candidates=3)
    ids = [c.id for c in m.round.active_candidates]
    for spoiled in _spoiled(m.round):
        with pytest.raises(ValidationFailed) as refused:
            services.cast_ballot(m.voters[0], m.round, spoiled)
        error = refused.value
        for locale in ("vi", "en"):
            with force_locale(locale):
                said = " ".join([error.text(), str(error), repr(error.args), repr(error.params),
                                 repr(error.errors), repr(error.field)])
            assert not LEVEL_WORDS.search(said), said
            assert "zz-tampered" not in said and "987654" not in said
            assert not any(re.search(rf"\b{c}\b", said) for c in ids), said
        assert error.__cause__ is None
    db.session.commit()
    assert secret_counts(m.round_id) == {"participation": 0, "ballot": 0, "readable": 0}


def test_a_database_failure_while_storing_a_ballot_does_not_log_the_ballot(
        meeting, factory, db, database_url, tmp_path, caplog):
    """The production error handler logs unexpected errors with their traceback, and a
    database error's text carries the failing statement's parameters: for the marks insert,
    the ballot itself, on a request from a known voter."""
    m = meeting(voters=3, candidates=3, scale=Scale.THREE_LEVEL)
    user = factory.user("cutri-loi", roles=(Role.VOTER,), unit=m.unit, person=m.voters[0])
    form = {f"mark-{c.id}": level for c, level in zip(m.round.active_candidates,
                                                      [HIGH, Level.CONFIDENCE.value, LOW],
                                                      strict=True)}
    rid, username = m.round_id, user.username
    db.session.commit()  # SQLite: hold no lock while the other app's requests run
    production = create_app(TEST_CONFIG | {"TESTING": False,
                                           "SQLALCHEMY_DATABASE_URI": database_url,
                                           "INSTANCE_PATH": str(tmp_path / "instance")})
    with production.app_context():
        engine = _db.engine

        def fail_on_marks(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("INSERT INTO BOX_SEALED_BALLOT"):
                raise engine.dialect.loaded_dbapi.OperationalError(
                    "simulated: the server went away")

        event.listen(engine, "before_cursor_execute", fail_on_marks)
    caplog.set_level(logging.DEBUG)
    try:
        client = production.test_client()
        with production.app_context():
            assert client.post("/login", data={"username": username,
                                               "password": PASSWORD}).status_code == 302
            response = client.post(f"/vote/{rid}/cast", data=form)
        assert response.status_code == 500
        body = response.get_data(as_text=True)
        assert not LEVEL_WORDS.search(body.split("<main", 1)[-1])
    finally:
        with production.app_context():
            event.remove(engine, "before_cursor_execute", fail_on_marks)
            engine.dispose()
    logged = "\n".join(logging.Formatter().format(r) for r in caplog.records)
    assert "Unhandled error" in logged  # the failure itself is logged...
    assert not LEVEL_WORDS.search(logged), logged  # ...but not the ballot
    assert secret_counts(rid) == {"participation": 0, "ballot": 0, "readable": 0}
