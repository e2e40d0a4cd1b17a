"""What one API cast asks of the database: each fact read once, and few statements.

Not timed: the statements are counted (SQLAlchemy's before_cursor_execute), so the test fails
when a repeated read or a lookup that a cast does not need comes back, on any machine.
"""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import event

from evalapp.auth.models import Role
from evalapp.auth.services import create_api_token
from evalapp.extensions import db as _db
from tests.ballots.conftest import meeting  # noqa: F401 - a fixture
from tests.conftest import DB_KIND

# BEGIN; the token with its account; the round; the voter's roll entry; the box with its lines;
# COMMIT and BEGIN IMMEDIATE (SQLite's write lock, taken after the checks; the marks are
# encrypted and proved before it); the box's status under the lock; the right spent, the check
# that no copy of the ballot is in the box, the encrypted ballot. No audit entry. PostgreSQL
# sends no BEGIN/COMMIT through the cursor, so it is two or three statements fewer.
MOST_STATEMENTS = 12

# What a voter's cast has no use for: the officers, the unit and the account's role grants
# (asked only when the account is not on the roll), the person (the account's person_id is
# enough), the candidates (the box's lines map them to lines).
NOT_READ = {"ballot_officer", "unit", "role_grant", "person", "ballot_candidate"}

_TABLE = re.compile(r'\b(?:FROM|JOIN)\s+"?(\w+)"?', re.IGNORECASE)


def _tables(statement: str) -> set[str]:
    return set(_TABLE.findall(statement))


def test_an_api_cast_reads_each_fact_once(app, db, meeting, factory, client):  # noqa: F811
    m = meeting(voters=3, candidates=3)
    tokens = []
    for person in m.voters[:2]:
        voter = factory.user(f"cutri{person.id}", roles=(Role.VOTER,), person=person)
        tokens.append(create_api_token(voter, "bỏ phiếu")[1])
    db.session.commit()
    ballot = {"marks": {str(c.id): "high" for c in m.round.active_candidates}}
    path = f"/api/v1/ballot-rounds/{m.round_id}/ballot"

    def cast(token: str) -> list[str]:
        sent: list[str] = []

        def listen(_connection, _cursor, statement, *_args):
            sent.append(" ".join(statement.split()))

        _db.session.remove()  # a request begins with an empty session, as in production
        event.listen(_db.engine, "before_cursor_execute", listen)
        try:
            response = client.post(path, json=ballot,
                                   headers={"Authorization": f"Bearer {token}"})
        finally:
            event.remove(_db.engine, "before_cursor_execute", listen)
        assert response.status_code == 201, response.get_data(as_text=True)
        return sent

    cast(tokens[0])
    sent = cast(tokens[1])
    listing = "\n".join(sent)

    assert len(sent) <= MOST_STATEMENTS, listing
    selects = [s for s in sent if s.upper().startswith("SELECT")]
    reads = Counter(table for s in selects for table in _tables(s))
    # Each table once; the box twice: read with its lines before the write lock, then only its
    # status, afresh under the lock (a close may have begun in between).
    assert {table: n for table, n in reads.items() if n > 1} == {"box": 2}, listing
    rechecked = [s for s in selects if "box" in _tables(s)][1]
    assert re.match(r"SELECT box\.status FROM box WHERE box\.id = \S+( FOR SHARE)?$",
                    rechecked), rechecked
    assert not NOT_READ & set(reads), listing
    assert {"api_token", "user_account", "ballot_round", "ballot_voter", "box", "box_line",
            "box_sealed_ballot"} == set(reads), listing
    # The write part is the box's: the right and the encrypted ballot; no audit entry.
    written = [re.match(r"(INSERT INTO|UPDATE) (\w+)", s).group(2) for s in sent
               if s.upper().startswith(("INSERT", "UPDATE"))]
    assert written == ["box_participation", "box_sealed_ballot"], listing
    if DB_KIND == "sqlite":
        # The reads take no write lock; it is taken once, after them, for the writes.
        assert sent[0] == "BEGIN" and sent.count("BEGIN IMMEDIATE") == 1, listing
        assert sent.index("BEGIN IMMEDIATE") < sent.index(rechecked) < min(
            i for i, s in enumerate(sent) if s.startswith("INSERT")), listing
