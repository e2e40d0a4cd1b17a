"""The transaction rules the box relies on (evalapp.core.transactions): work after commit,
facts read once per transaction, and SQLite's write lock taken only to write."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select, text, update

from evalapp.core.transactions import (
    ReadOnlyTransaction,
    after_commit,
    begin_writing,
    remembered,
)
from evalapp.org.models import Unit


def _sqlite_path(database_url: str) -> str:
    return database_url[len("sqlite:///"):]


def _another_writer_can_start(database_url: str) -> bool:
    """Whether another connection gets the write lock at once (no busy wait)."""
    other = sqlite3.connect(_sqlite_path(database_url), timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    finally:
        other.close()


@pytest.mark.only_on("sqlite")
def test_a_read_only_request_holds_no_write_lock_and_cannot_write(app, db, factory,
                                                                  database_url):
    unit_id = factory.unit("Văn phòng").id
    db.session.commit()  # reading the id began a (writing) transaction outside the request
    with app.test_request_context("/", method="GET"):
        app.preprocess_request()
        assert db.session.execute(select(func.count()).select_from(Unit)).scalar_one() == 1
        assert db.session().in_transaction()
        assert _another_writer_can_start(database_url)  # reading took no write lock
        with pytest.raises(ReadOnlyTransaction):
            db.session.execute(update(Unit).where(Unit.id == unit_id).values(position=5))
        db.session.rollback()


@pytest.mark.only_on("sqlite")
def test_a_request_that_writes_takes_the_lock_before_its_first_read(app, db, database_url):
    with app.test_request_context("/", method="POST"):
        app.preprocess_request()
        db.session.execute(select(func.count()).select_from(Unit)).scalar_one()
        assert not _another_writer_can_start(database_url)
        db.session.rollback()
    # Outside any request (commands, the demo, tests calling services): a writer, as before.
    db.session.execute(select(func.count()).select_from(Unit)).scalar_one()
    assert not _another_writer_can_start(database_url)
    db.session.rollback()


@pytest.mark.only_on("sqlite")
def test_a_deferred_upgrade_fails_after_another_commit_and_begin_writing_does_not(
        app, db, factory, database_url):
    unit_id = factory.unit("Ban Tổ chức").id
    db.session.commit()  # reading the id began a (writing) transaction outside any request
    path = _sqlite_path(database_url)

    # What the rule avoids, shown on bare connections: a transaction that has read, then
    # writes after another connection committed, fails at once (SQLITE_BUSY_SNAPSHOT), and
    # the busy timeout does not help.
    reader = sqlite3.connect(path, timeout=5, isolation_level=None)
    writer = sqlite3.connect(path, timeout=5, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT position FROM unit WHERE id = ?", (unit_id,)).fetchone()
        writer.execute("UPDATE unit SET position = position + 1 WHERE id = ?", (unit_id,))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            reader.execute("UPDATE unit SET position = 7 WHERE id = ?", (unit_id,))
        reader.execute("ROLLBACK")
    finally:
        reader.close()
        writer.close()

    # A view that reads first (casting a ballot): the same interleaving, then begin_writing()
    # ends the read and begins a writer, and the write goes through.
    with app.test_request_context("/vote/1/cast", method="POST"):
        app.preprocess_request()
        db.session.execute(select(Unit.position).where(Unit.id == unit_id)).scalar_one()
        assert _another_writer_can_start(database_url)
        other = sqlite3.connect(path, timeout=5, isolation_level=None)
        other.execute("UPDATE unit SET position = position + 1 WHERE id = ?", (unit_id,))
        other.close()
        begin_writing()
        assert not _another_writer_can_start(database_url)
        current = db.session.execute(text("SELECT position FROM unit WHERE id = :u"),
                                     {"u": unit_id}).scalar_one()
        assert current == 2  # read after begin_writing: the other commits are seen
        db.session.execute(update(Unit).where(Unit.id == unit_id).values(position=current + 1))
        db.session.commit()
    assert db.session.execute(select(Unit.position).where(Unit.id == unit_id)).scalar_one() == 3


def test_actions_after_commit_run_once_after_the_commit_and_never_after_a_rollback(db):
    ran = []
    after_commit(lambda: ran.append("scrub"), key="scrub")
    after_commit(lambda: ran.append("scrub again"), key="scrub")  # the same key: once
    after_commit(lambda: ran.append("other"))
    with db.session.begin_nested():  # a savepoint released is not the commit
        db.session.execute(select(func.count()).select_from(Unit))
    assert ran == []
    db.session.commit()
    assert ran == ["scrub", "other"]
    db.session.commit()
    assert ran == ["scrub", "other"]
    after_commit(lambda: ran.append("rolled back"))
    db.session.rollback()
    db.session.commit()
    assert ran == ["scrub", "other"]


def test_a_failing_action_after_commit_is_logged_and_the_others_run(db, caplog):
    ran = []

    def fails():
        raise RuntimeError("disk full")

    after_commit(fails, key="fails")
    after_commit(lambda: ran.append("next"), key="next")
    db.session.commit()
    assert ran == ["next"]
    assert "An action after commit failed: fails" in caplog.text


def test_a_fact_is_read_once_per_transaction(db, factory):
    factory.unit("Sở Nội vụ")
    loads = []

    def load():
        loads.append(1)
        return db.session.execute(select(func.count()).select_from(Unit)).scalar_one()

    assert remembered(("units",), load) == 1
    assert remembered(("units",), load) == 1
    assert len(loads) == 1
    db.session.commit()  # a new transaction reads it again
    factory.unit("Sở Tài chính")
    assert remembered(("units",), load) == 2
    assert len(loads) == 2
