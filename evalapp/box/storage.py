"""How a box stores its ballots: a storage scheme per box, behind one interface.

A scheme writes a ballot and returns the voter's tracker, lists the trackers, and counts the
box (per line and level, per-line invalid lines, collected, valid, invalid, and the digest). The
box (services) does everything around it: the right to vote, the write lock, the open/closed
state, the shuffle and scrub at closing, the owner's facts.

"plain" (today): a ballot is a row of box_ballot (random id, valid or not) and one row of
box_mark per marked line; a line left out was invalid (blank, or several marks on paper). The
tracker is random and stored apart (box_receipt), since a tracker that could be joined to a
readable ballot would let a voter prove how they voted. Counting is SQL aggregates over the
box's own rows: the marks per ballot (the digest's input, and the completeness the bad-line
rule needs) with the ballots' validity, and the marks per line and level; Python only sorts and
hashes one string per ballot.

The shape is the one an encrypted scheme needs (the encrypted-box issue): a ballot is written
as a whole per box, with a value per line and level (here the marked level; there a ciphertext
and its proof for each level, with a proof per line); the tracker is the scheme's to make
(there: the hash of the encrypted ballot); counting returns per-line, per-level sums (there: the
homomorphic sums, decrypted jointly by the counting team, who pass their decryption to the
scheme's count); the digest covers what the scheme stores. Such a scheme registers in SCHEMES
with its own secret tables in models.SECRET_MODELS, and nothing else in the box changes.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import String, cast, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from evalapp.box import crypto
from evalapp.box.models import (
    Box,
    BoxBallot,
    BoxDecryption,
    BoxMark,
    BoxReceipt,
    BoxSealedBallot,
)
from evalapp.extensions import db


@dataclass(frozen=True)
class WrittenBallot:
    """A ballot as written: the level marked on each line (line number -> level key), and
    whether the ballot as a whole is valid. A line that is not in `marks` was left out as
    invalid (blank, or several marks); the owner's rule decides at counting whether that voids
    the ballot or only the line. A ballot invalid as a whole (not issued by the team, a name
    added or crossed out) carries no marks."""

    marks: Mapping[int, str] = field(default_factory=dict)
    valid: bool = True


@dataclass(frozen=True)
class BoxCount:
    """A box's count: what the owner needs for its tally and its minutes."""

    issued: int       # supplied by the owner (each present member received a ballot, …)
    collected: int    # ballots in the box
    valid: int
    invalid: int      # invalid as written, or voided by a bad line where the rule says so
    marks: Mapping[tuple[int, str], int]   # (line, level key) -> valid marks
    line_invalid: Mapping[int, int]        # line -> lines left out on valid ballots
    digest: str

    def by_subject(self, box: Box) -> dict[tuple[int, str], int]:
        """`marks` keyed by the lines' subjects (for a ballot round: candidate ids)."""
        subject = {line.number: line.subject_id for line in box.lines}
        return {(subject[line], level): n for (line, level), n in self.marks.items()}


class BallotNotStored(RuntimeError):
    """The database refused a ballot. Only the kind of error is kept: a database error's text
    carries the statement's parameters (the ballot, on a request from a known voter), so it is
    raised again without them and without the chained error, and no traceback can log them."""


class Scheme(Protocol):
    key: str

    def write(self, box: Box, ballot) -> str:
        """Store one ballot in the box; return the voter's tracker."""

    def trackers(self, box: Box) -> list[str]:
        """Every tracker in the box, sorted."""

    def count(self, box: Box, *, issued: int) -> BoxCount:
        """Count the closed box."""


def _stored(inserts) -> None:
    """Run one ballot's inserts; a database error is raised again as BallotNotStored with its
    kind only (see there)."""
    failure = None
    try:
        inserts()
    except SQLAlchemyError as error:
        failure = type(getattr(error, "orig", None) or error).__name__
    if failure is not None:
        raise BallotNotStored(failure)


def _trackers(model, box: Box) -> list[str]:
    return list(db.session.execute(select(model.tracker).where(
        model.box_id == box.id).order_by(model.tracker)).scalars())


def _joined_lines():
    return func.aggregate_strings(cast(BoxMark.line, String) + "=" + BoxMark.level, ";")


class PlainScheme:
    key = "plain"

    def write(self, box: Box, ballot: WrittenBallot) -> str:
        ballot_id, tracker = secrets.token_hex(16), secrets.token_hex(16)
        def inserts() -> None:
            db.session.execute(insert(BoxBallot), [
                {"box_id": box.id, "id": ballot_id, "valid": ballot.valid}])
            if ballot.marks:
                db.session.execute(insert(BoxMark), [
                    {"box_id": box.id, "ballot_id": ballot_id, "line": line, "level": level}
                    for line, level in ballot.marks.items()])
            db.session.execute(insert(BoxReceipt), [{"box_id": box.id, "tracker": tracker}])

        _stored(inserts)
        return tracker

    def trackers(self, box: Box) -> list[str]:
        return _trackers(BoxReceipt, box)

    def ballots(self, box: Box) -> list[tuple[str, bool, str | None]]:
        """(id, valid, "line=level;…") of every ballot, in no particular order: one pass over
        the box's marks grouped by ballot, and one over its ballots (two single-table scans:
        no join, so no plan depends on statistics of a box just rewritten)."""
        lines = dict(db.session.execute(
            select(BoxMark.ballot_id, _joined_lines())
            .where(BoxMark.box_id == box.id).group_by(BoxMark.ballot_id)).all())
        return [(ballot_id, valid, lines.get(ballot_id)) for ballot_id, valid in
                db.session.execute(select(BoxBallot.id, BoxBallot.valid)
                                   .where(BoxBallot.box_id == box.id))]

    def digest(self, box: Box, ballots=None) -> str:
        """SHA-256 of the box: every ballot's content ("valid;1=high;2=low", its lines sorted),
        the ballots sorted, then every tracker, sorted. The order rows are stored in plays no
        part, so shuffling at closing keeps the digest."""
        if ballots is None:
            ballots = self.ballots(box)
        contents = sorted(";".join(["valid" if valid else "invalid",
                                    *sorted(lines.split(";") if lines else ())])
                          for _id, valid, lines in ballots)
        payload = "\n".join(contents) + "\n--\n" + "\n".join(self.trackers(box))
        return hashlib.sha256(payload.encode()).hexdigest()

    def count(self, box: Box, *, issued: int) -> BoxCount:
        ballots = self.ballots(box)
        line_count = len(box.lines)
        collected = len(ballots)
        invalid_written = sum(1 for _id, valid, _lines in ballots if not valid)
        incomplete = [ballot_id for ballot_id, valid, lines in ballots
                      if valid and (lines.count(";") + 1 if lines else 0) < line_count]
        voided = incomplete if box.bad_line_voids_ballot else []
        invalid = invalid_written + len(voided)
        valid = collected - invalid

        query = (select(BoxMark.line, BoxMark.level, func.count())
                 .where(BoxMark.box_id == box.id).group_by(BoxMark.line, BoxMark.level))
        if invalid_written:  # marks never belong to an invalid ballot; make sure of it
            query = query.where(BoxMark.ballot_id.not_in(select(BoxBallot.id).where(
                BoxBallot.box_id == box.id, BoxBallot.valid.is_(False))))
        if voided:
            query = query.where(BoxMark.ballot_id.not_in(
                select(BoxMark.ballot_id).where(BoxMark.box_id == box.id)
                .group_by(BoxMark.ballot_id).having(func.count() < line_count)))
        marks = {(line, level): n for line, level, n in db.session.execute(query)}
        marked = {line.number: 0 for line in box.lines}
        for (line, _level), n in marks.items():
            marked[line] += n
        return BoxCount(issued=issued, collected=collected, valid=valid, invalid=invalid,
                        marks=marks,
                        line_invalid={line: valid - n for line, n in marked.items()},
                        digest=self.digest(box, ballots))


SCHEMES: dict[str, Scheme] = {PlainScheme.key: PlainScheme()}


# ---------------------------------------------------------------- the encrypted box


@dataclass(frozen=True)
class SealedBallot:
    """An encrypted ballot whose proofs have been checked (crypto.check_ballot): ciphertexts
    and proofs, as the voter's device (or, without JavaScript, the server) made them."""

    content: Mapping[str, object]

    @property
    def tracker(self) -> str:
        return crypto.tracker(dict(self.content))


class DuplicateBallot(ValueError):
    """A ballot already in the box: a replayed copy of someone else's ballot."""


class ElGamalScheme:
    """Encrypted ballots (design §3, docs/crypto.md): one row per ballot, its tracker and its
    ciphertexts with their proofs. Counting adds the ciphertexts up (the sums are computed when
    the box closes) and decrypts only the sums, with the counting team's partial decryptions.
    Every ballot is valid as a whole with exactly one mark per line (the proofs say so), so a
    browser ballot has no invalid lines; paper ballots are added by their owner as totals."""

    key = "elgamal"

    def write(self, box: Box, ballot: SealedBallot) -> str:
        tracker = ballot.tracker
        if db.session.execute(select(BoxSealedBallot.tracker).where(
                BoxSealedBallot.box_id == box.id, BoxSealedBallot.tracker == tracker)).first():
            raise DuplicateBallot()
        _stored(lambda: db.session.execute(insert(BoxSealedBallot), [
            {"box_id": box.id, "tracker": tracker,
             "content": crypto.canonical(dict(ballot.content))}]))
        return tracker

    def trackers(self, box: Box) -> list[str]:
        return _trackers(BoxSealedBallot, box)

    def ballots(self, box: Box) -> list[tuple[str, dict]]:
        """(tracker, ballot) of every ballot, sorted by tracker."""
        return [(t, json.loads(c)) for t, c in db.session.execute(
            select(BoxSealedBallot.tracker, BoxSealedBallot.content)
            .where(BoxSealedBallot.box_id == box.id).order_by(BoxSealedBallot.tracker))]

    def digest(self, box: Box, ballots=None) -> str:
        """SHA-256 of the box's fingerprint and the tracker of every ballot as stored (the hash
        of its content, computed again here), sorted: the digest covers every ciphertext and
        proof, and the order rows are stored in plays no part."""
        if ballots is None:
            ballots = self.ballots(box)
        return crypto.box_digest(box.fingerprint or "",
                                 [crypto.tracker(ballot) for _t, ballot in ballots])

    def sums(self, box: Box, ballots=None) -> list:
        if ballots is None:
            ballots = self.ballots(box)
        return crypto.sums(json.loads(box.parameters), [b for _t, b in ballots])

    def seal(self, box: Box) -> None:
        """When the box closes: its sums, kept on the box for the counting team."""
        box.sums = crypto.canonical(self.sums(box))

    def count(self, box: Box, *, issued: int) -> BoxCount:
        """The counts, from the sums recomputed from the ballots and the counting team's
        partial decryptions (each checked again). Raises crypto.BadBallot when they do not
        make a count (fewer than k, or the sums changed since they were made)."""
        params = json.loads(box.parameters)
        ballots = self.ballots(box)
        if any(crypto.tracker(ballot) != tracker for tracker, ballot in ballots):
            raise crypto.BadBallot("tracker")
        sums = self.sums(box, ballots)
        if box.sums is not None and json.loads(box.sums) != sums:
            raise crypto.BadBallot("sums_changed")
        partials = [json.loads(c) for c in db.session.execute(
            select(BoxDecryption.content).where(BoxDecryption.box_id == box.id)
            .order_by(BoxDecryption.number)).scalars()]
        fingerprint = crypto.fingerprint(params)
        for partial in partials:
            crypto.check_partial_decryption(params, sums, partial, fingerprint)
        counts = crypto.combine(params, sums, partials, len(ballots))
        levels = [level.value for level in box.scale.levels]
        marks = {(line, levels[i]): n for line, row in enumerate(counts, start=1)
                 for i, n in enumerate(row) if n}
        collected = len(ballots)
        return BoxCount(issued=issued, collected=collected, valid=collected, invalid=0,
                        marks=marks, line_invalid={line.number: 0 for line in box.lines},
                        digest=self.digest(box, ballots))


SCHEMES[ElGamalScheme.key] = ElGamalScheme()
