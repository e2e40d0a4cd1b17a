"""How a right to vote is spent, in the same transaction as the ballot it allows.

A right is anything with `spend(box)` (record that it is used, or raise AlreadyVoted) and
`is_spent(box)`. The box calls `spend` inside the casting transaction, after taking the write
lock and checking that the box is open, so that "one right, one ballot" holds even for
submissions that arrive at the same instant.

Two kinds today. KnownVoter: a voter logged in with their own account, whose right is a
participation row (box, person) guarded by its primary key. What the owner checks before (that
the person is on the roll and present) stays with the owner. Later kinds plug in the same way,
each with its own secret table added to models.SECRET_MODELS:
- BallotCode, an anonymous ballot code (box/codes.py): `spend` marks the code's hash as used in
  the box (an UPDATE … WHERE NOT spent whose row count says whether it was unused), and nothing
  names the person;
- a keyed paper ballot: the counting team keys a numbered paper ballot; its right was spent in
  the hall when the team handed it out, so `spend` records only that the number was keyed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from evalapp.box.models import Box, BoxCode, BoxParticipation
from evalapp.core.errors import AlreadyVoted
from evalapp.extensions import db


class Right(Protocol):
    def spend(self, box: Box) -> None:
        """Record that the right is used in `box`; AlreadyVoted if it was already."""

    def is_spent(self, box: Box) -> bool:
        """Whether the right has been used in `box`."""


def _insert(model):
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


@dataclass(frozen=True)
class KnownVoter:
    """A voter the server knows (logged in with their account): a participation row."""

    person_id: int

    def spend(self, box: Box) -> None:
        # One statement, no savepoint: a second ballot from the same person (even one racing
        # this one) inserts nothing, and the transaction stays usable on every database.
        written = db.session.execute(
            _insert(BoxParticipation).values(box_id=box.id, person_id=self.person_id)
            .on_conflict_do_nothing().execution_options(preserve_rowcount=True)).rowcount
        if written != 1:
            raise AlreadyVoted()

    def is_spent(self, box: Box) -> bool:
        return db.session.get(BoxParticipation, (box.id, self.person_id)) is not None


@dataclass(frozen=True)
class BallotCode:
    """An anonymous ballot code, by its keyed hash (codes.code_hash): a row of box_code."""

    hash: str

    def spend(self, box: Box) -> None:
        # One statement: of submissions of one code racing each other, exactly one sees the row
        # unspent (PostgreSQL re-checks the WHERE after waiting for the row's lock; SQLite has
        # one writer at a time).
        written = db.session.execute(
            update(BoxCode).where(BoxCode.box_id == box.id, BoxCode.hash == self.hash,
                                  BoxCode.spent.is_(False)).values(spent=True)
            .execution_options(synchronize_session=False, preserve_rowcount=True)).rowcount
        if written != 1:
            raise AlreadyVoted()

    def is_spent(self, box: Box) -> bool:
        return bool(db.session.execute(select(BoxCode.spent).where(
            BoxCode.box_id == box.id, BoxCode.hash == self.hash)).scalar())
