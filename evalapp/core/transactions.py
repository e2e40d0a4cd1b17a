"""Transactions: work that runs after a commit, facts a transaction remembers, and when SQLite
takes its write lock. One place for each, whoever commits (a page, the API, the demo, a command).

**After commit.** `after_commit(action)` queues a callable that runs once the current
transaction has committed, and never if it rolls back (an outbox in the session, run by the
session's after_commit event). Closing a ballot box queues its storage scrub this way, so the
page, the API, the demo and the command line cannot forget it or run it twice.

**Remembered facts.** `remembered(key, load)` loads a fact once per transaction (a voter's roll
entry, a round's ballot box) however many checks ask for it; the memory ends with the
transaction, so nothing stale survives a commit or a rollback.

**SQLite's write lock — the rule.** A transaction that only reads takes no write lock: it
begins DEFERRED. A transaction that writes takes the lock *before the reads its writes depend
on* (BEGIN IMMEDIATE), because a deferred transaction that has read and then writes must
"upgrade", and the upgrade fails (SQLITE_BUSY_SNAPSHOT, not retried by the busy timeout) when
another connection committed in between. So:

- outside a request (commands, the demo, scripts, tests calling services) every transaction is
  a writer, as before, except inside `with reading_first():` (a command that reads a file
  first), which begins readers like a `@reads_first` view;
- in a request, GET/HEAD/OPTIONS begin readers and the other methods begin writers;
- a view marked `@reads_first` (casting a ballot: permissions, the round, the roll and the
  ballot's lines are read first) begins a reader, and its service calls `begin_writing()`
  before its checks-and-writes: the read snapshot is ended (it wrote nothing) and an IMMEDIATE
  transaction begins. What the writes rely on is read again after that, or is a fact that
  cannot change while it matters (said where begin_writing is called);
- a write statement in a reader is refused (ReadOnlyTransaction), in every mode: a forgotten
  declaration fails loudly in the tests, never as a rare "database is locked" in production.

PostgreSQL needs none of this (row locks and READ COMMITTED): begin_writing does nothing there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from evalapp.extensions import db

log = logging.getLogger(__name__)

_QUEUE = "evalapp.after_commit"
_MEMO = "evalapp.remembered"
_MODE = "evalapp.sqlite_mode"
READ, WRITE = "read", "write"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITING = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


class ReadOnlyTransaction(RuntimeError):
    """A write in a transaction that began as a reader (see the rule above)."""


# ---------------------------------------------------------------- after commit


def after_commit(action: Callable[[], Any], key: str | None = None) -> None:
    """Run `action` once, after the current transaction commits; never if it rolls back.

    Actions queued under the same key run once. They run outside the transaction (the session
    cannot be used in them) and in the order they were queued; one that fails is logged and
    does not stop the others (the commit has happened).
    """
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback from here on drops the action
    queue: dict = session.info.setdefault(_QUEUE, {})
    queue.setdefault(key or action, action)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction goes on
        return
    session.info.pop(_MEMO, None)
    queue = session.info.pop(_QUEUE, None)
    for key, action in (queue or {}).items():
        try:
            action()
        except Exception:  # noqa: BLE001 - the commit stands; say that the follow-up failed
            log.exception("An action after commit failed: %s", key if isinstance(key, str)
                          else getattr(key, "__qualname__", "?"))


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_QUEUE, None)
        session.info.pop(_MEMO, None)


# ---------------------------------------------------------------- remembered facts


def remembered(key: tuple, load: Callable[[], Any]) -> Any:
    """`load()` the first time in this transaction, the same value afterwards."""
    memo: dict = db.session.info.setdefault(_MEMO, {})
    if key not in memo:
        memo[key] = load()
    return memo[key]


def remember(key: tuple, value: Any) -> None:
    """What `remembered(key, …)` returns for the rest of this transaction (a fact this
    transaction has just created)."""
    db.session.info.setdefault(_MEMO, {})[key] = value


# ---------------------------------------------------------------- SQLite's write lock


def reads_first(view):
    """Mark a view whose transaction begins as a reader although it writes (its service calls
    begin_writing() before writing)."""
    view.reads_first = True
    return view


_OUTSIDE_REQUESTS: ContextVar[str] = ContextVar("evalapp_transaction_mode", default=WRITE)


@contextmanager
def reading_first() -> Iterator[None]:
    """Outside a request (a command reading a file): transactions begun inside begin as
    readers, as a `@reads_first` view's do, until the service calls begin_writing()."""
    token = _OUTSIDE_REQUESTS.set(READ)
    try:
        yield
    finally:
        _OUTSIDE_REQUESTS.reset(token)


def _mode_of_new_transaction() -> str:
    if has_request_context():
        return g.get("_transaction_mode", WRITE)
    return _OUTSIDE_REQUESTS.get()


def _choose_mode() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    reads = request.method in SAFE_METHODS or getattr(view, "reads_first", False)
    g._transaction_mode = READ if reads else WRITE


@event.listens_for(Engine, "begin")
def _begin(connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    mode = _mode_of_new_transaction()
    connection.info[_MODE] = mode
    connection.exec_driver_sql("BEGIN IMMEDIATE" if mode == WRITE else "BEGIN")


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_writes_in_readers(connection, _cursor, statement, *_args) -> None:
    if connection.dialect.name != "sqlite" or connection.info.get(_MODE) != READ:
        return
    if statement.lstrip()[:7].upper().startswith(_WRITING):
        raise ReadOnlyTransaction(
            "a write in a transaction that began as a reader: declare the write first "
            "(evalapp.core.transactions)")


def begin_writing() -> None:
    """From here on this transaction holds SQLite's write lock (no-op elsewhere).

    A reader is ended (it has written nothing: writes are refused in readers) and BEGIN
    IMMEDIATE starts the writer, on the same connection, so the session keeps its objects. They
    may be stale: what the caller's writes depend on must be read after this call or be
    something that cannot change meanwhile.
    """
    session = db.session()
    connection = session.connection()
    if connection.dialect.name != "sqlite" or connection.info.get(_MODE) == WRITE:
        return
    if session.in_nested_transaction():
        raise ReadOnlyTransaction("begin_writing() inside a savepoint")
    connection.exec_driver_sql("COMMIT")
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    connection.info[_MODE] = WRITE


def init_app(app: Flask) -> None:
    app.before_request(_choose_mode)
