"""The ballot box: the one place that stores secret ballots, for any kind of round.

A box belongs to an owner (a ballot round today, an evaluation's opinion step later), has a
scale and ordered lines, and goes open → closed. The owner decides who may vote and when; the
box makes sure that a right is spent once, that a ballot is stored with nothing that ties it to
its voter, and counts.

- open_box: a new open box with its lines (PostgreSQL: its own partitions of the secret
  tables, attached without blocking casts in other boxes).
- cast: spend a right (rights.py) and write a ballot (storage.py) in one transaction, under
  SQLite's write lock and a shared lock on the box's row, so that a close waits for ballots in
  flight and ballots arriving after it are refused. Writes no audit entry (its time would give
  the casting order); an encrypted box ("elgamal") checks the ballot's proofs first, or
  encrypts marks that came in clear, so that only ciphertexts are ever written.
- close_box: rewrite the box's rows in a random order, then — after the commit, whoever commits
  — scrub the storage (scrub_storage).
- count_box: the count and the digest, from the closed box; "issued" is the owner's fact.

Why a partition per box on PostgreSQL. Rows written in casting order keep that order in the
heap (ctid), in their transaction ids (xmin) and in dead copies left by UPDATE/DELETE; only
rewriting the rows into fresh files removes it, and TRUNCATE gives a table a new, empty file.
Before this box, closing one round truncated and rewrote the whole secret tables — every round
in the database — under an exclusive lock: 51–65 s with 41,000 other ballots, while every cast
anywhere waited. With LIST partitions (one per box, created at opening), closing locks,
reads, truncates and refills only its own four partitions: its cost is its own size, other
boxes' casts touch other partitions and go on (plans are made per statement,
plan_cache_mode=force_custom_plan, so a query on another box never locks this one's
partitions; see extensions.py). The audit head is locked only at the end of the close, by the
owner's audit entry, for a moment. bench/close_box.py measures it.
SQLite locks the whole database for any write anyway; there the box's rows are deleted
(secure_delete zeroes them) and inserted again in a random order, and the write-ahead log,
which still holds the pages as they were while people voted, is checkpointed after the commit.
Closing reads and writes only the box's own key range, so it too costs the box's size.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import joinedload

from evalapp.box import codes, crypto, keys
from evalapp.box.models import (
    SECRET_MODELS,
    Box,
    BoxBallot,
    BoxCode,
    BoxLine,
    BoxParticipation,
    BoxSealedBallot,
    BoxStatus,
    partition_name,
)
from evalapp.box.rights import BallotCode, KnownVoter, Right
from evalapp.box.storage import (
    SCHEMES,
    BallotNotStored,
    BoxCount,
    DuplicateBallot,
    ElGamalScheme,
    Scheme,
    SealedBallot,
    WrittenBallot,
)
from evalapp.core.errors import InvalidState, ValidationFailed
from evalapp.core.transactions import after_commit, begin_writing, remember, remembered
from evalapp.extensions import db
from evalapp.tally.scales import Scale

log = logging.getLogger(__name__)

VOTING_NOT_OPEN = _l("Voting is not open in this round.")

__all__ = ["open_box", "box_of", "line_numbers", "cast", "spend", "spent_by_known_voters",
           "close_box", "count_box", "digest",
           "trackers", "voted", "scrub_storage", "storage_tables", "Box", "BoxCount",
           "WrittenBallot", "SealedBallot", "KnownVoter", "Right", "BallotNotStored",
           "parameters", "encrypted", "BallotCode", "add_codes", "find_code", "codes_count"]


def encrypted(box: Box | None) -> bool:
    return box is not None and box.storage == ElGamalScheme.key


def parameters(box: Box) -> dict:
    """The encrypted box's public parameters and fingerprint (what a voter's device encrypts
    under)."""
    return keys.parameters(box)


def _scheme(box: Box) -> Scheme:
    return SCHEMES[box.storage]


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _memo_key(owner_kind: str, owner_id: int) -> tuple:
    return ("box", owner_kind, owner_id)


# ---------------------------------------------------------------- opening


def open_box(owner_kind: str, owner_id: int, scale: Scale, subjects: Sequence[int], *,
             bad_line_voids_ballot: bool, storage: str = "plain",
             threshold: int | None = None) -> Box:
    """A new, open box for the owner, one line per subject in ballot order (line 1 is
    subjects[0]). The owner's rule for a bad line is kept with the box. An encrypted box
    ("elgamal") gets its key here, dealt to the owner's registered locks, any `threshold` of
    them able to count (None: a majority; see keys.deal). Flushes; the caller commits with the
    rest of its step."""
    if storage not in SCHEMES:
        raise ValueError(f"unknown storage scheme {storage!r}")
    if len(set(subjects)) != len(subjects):
        raise ValueError("a subject appears on two lines")
    box = Box(owner_kind=owner_kind, owner_id=owner_id, scale=Scale(scale), storage=storage,
              bad_line_voids_ballot=bad_line_voids_ballot, status=BoxStatus.OPEN.value,
              lines=[BoxLine(number=n, subject_id=s) for n, s in enumerate(subjects, 1)])
    db.session.add(box)
    db.session.flush()
    if storage == ElGamalScheme.key:
        keys.deal(box, threshold)
    if _postgresql():
        _create_partitions(box.id)
    remember(_memo_key(owner_kind, owner_id), box)
    return box


def _create_partitions(box_id: int) -> None:
    """The box's own partition of each secret table. Created apart and then attached: ATTACH
    takes a SHARE UPDATE EXCLUSIVE lock on the parent, which casts (ROW EXCLUSIVE) do not wait
    for, where CREATE TABLE … PARTITION OF would take an ACCESS EXCLUSIVE one. A partition
    left from an earlier life of the same id (a test database emptied with RESTART IDENTITY)
    is reused when empty."""
    for model in SECRET_MODELS:
        parent, name = model.__tablename__, partition_name(model, box_id)
        if db.session.execute(text("SELECT to_regclass(:name)"), {"name": name}).scalar():
            # nosec B608 - `name` is built from a table name and an integer id (partition_name)
            if db.session.execute(text(f"SELECT 1 FROM {name} LIMIT 1")).first():  # nosec B608
                raise RuntimeError(f"the partition {name} of a new box is not empty")
            continue
        db.session.execute(text(
            f"CREATE TABLE {name} (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
        db.session.execute(text(
            f"ALTER TABLE {parent} ATTACH PARTITION {name} FOR VALUES IN ({int(box_id)})"))


def box_of(owner_kind: str, owner_id: int) -> Box | None:
    """The owner's box (None before it is opened), read once per transaction."""
    return remembered(_memo_key(owner_kind, owner_id), lambda: db.session.execute(
        select(Box).options(joinedload(Box.lines))
        .where(Box.owner_kind == owner_kind, Box.owner_id == owner_id)
    ).unique().scalar_one_or_none())


def line_numbers(box: Box) -> dict[int, int]:
    """subject id -> line number."""
    return {line.subject_id: line.number for line in box.lines}


# ---------------------------------------------------------------- casting


def _check_written(box: Box, ballot: WrittenBallot) -> None:
    """A ballot that fits the box: known lines, levels of the box's scale, no marks on a
    ballot invalid as a whole. The messages never repeat what the ballot says."""
    numbers = {line.number for line in box.lines}
    levels = {level.value for level in box.scale.levels}
    if not ballot.valid and ballot.marks:
        raise ValidationFailed(_l("An invalid ballot carries no marks. Nothing was recorded."))
    if not set(ballot.marks) <= numbers:
        raise ValidationFailed(_l("The ballot names someone who is not on it. Nothing was "
                                  "recorded."))
    if not all(str(level) in levels for level in ballot.marks.values()):
        raise ValidationFailed(_l("A mark is not one of the choices on the ballot. Nothing was "
                                  "recorded."))


# Why an encrypted ballot was refused, by crypto.BadBallot's reason: never what it says.
_BAD_BALLOT = _l("The encrypted ballot is not valid for this box (its proofs do not hold). "
                 "Nothing was recorded; reload the ballot page and vote again.")
_BAD_SHAPE = _l("The encrypted ballot does not have the form of this box's ballots. Nothing "
                "was recorded; reload the ballot page and vote again.")


def _sealed(box: Box, ballot: WrittenBallot | SealedBallot | dict) -> SealedBallot:
    """The ballot for an encrypted box: checked when it came encrypted, encrypted here when it
    came as marks (a browser without JavaScript, the API): the marks never leave this call."""
    params = json.loads(box.parameters)
    if isinstance(ballot, WrittenBallot):
        _check_written(box, ballot)
        levels = [level.value for level in box.scale.levels]
        if not ballot.valid or len(ballot.marks) != len(box.lines):
            raise ValidationFailed(_l("Every person on the ballot needs exactly one mark. "
                                      "Nothing was recorded; complete the ballot and send it "
                                      "again."))
        choices = [levels.index(str(ballot.marks[line.number])) for line in box.lines]
        return SealedBallot(crypto.encrypt_ballot(params, choices))
    content = ballot.content if isinstance(ballot, SealedBallot) else ballot
    try:
        return SealedBallot(crypto.check_ballot(params, content, box.fingerprint))
    except crypto.BadBallot as error:
        raise ValidationFailed(_BAD_SHAPE if error.reason in {"shape", "encoding", "proof_shape"}
                               else _BAD_BALLOT) from None


def cast(box: Box, right: Right, ballot: WrittenBallot | SealedBallot | dict) -> str:
    """Put one ballot in the box, spending `right`; returns the voter's tracker.

    The checks of the ballot run first, without any lock. Then SQLite's write lock is taken
    (core.transactions.begin_writing) and the box's row is read afresh under a shared lock: a
    close that has begun holds it exclusively and this ballot is refused; a close that begins
    later waits for this transaction and shuffles this ballot with the others. The right and
    the ballot are written in that one transaction. Facts the owner checked before (the voter
    on the roll and present) must be ones that cannot be undone while the box is open.
    """
    if encrypted(box):
        written = _sealed(box, ballot)
    else:
        _check_written(box, ballot)
        written = WrittenBallot(marks={int(line): str(level)
                                       for line, level in ballot.marks.items()},
                                valid=ballot.valid)
    begin_writing()
    status = db.session.execute(select(Box.status).where(Box.id == box.id)
                                .with_for_update(read=True)).scalar_one()
    if status != BoxStatus.OPEN:
        raise InvalidState(VOTING_NOT_OPEN)
    right.spend(box)
    try:
        return _scheme(box).write(box, written)
    except DuplicateBallot:
        raise ValidationFailed(_l("This ballot is a copy of a ballot already in the box. "
                                  "Nothing was recorded.")) from None
    # No audit entry per ballot: its time would give the order of casting (a login entry
    # just before it names the voter). The owner records the number at closing.


def spend(box: Box, right: Right) -> None:
    """Spend `right` in the open box without a ballot: the owner gave the voter another way to
    vote (a paper ballot, a code slip handed out in the hall). The same locks as cast: a close
    that has begun refuses it, one that begins later waits for it."""
    begin_writing()
    status = db.session.execute(select(Box.status).where(Box.id == box.id)
                                .with_for_update(read=True)).scalar_one()
    if status != BoxStatus.OPEN:
        raise InvalidState(VOTING_NOT_OPEN)
    right.spend(box)
    db.session.execute(update(Box).where(Box.id == box.id).values(
        rights_without_ballot=Box.rights_without_ballot + 1)
        .execution_options(synchronize_session=False))
    db.session.refresh(box, ["rights_without_ballot"])


def spent_by_known_voters(box: Box | None) -> set[int]:
    """The person ids whose own right is spent in the box (their owner's roll shows who has
    voted or was handed something; never which ballot)."""
    if box is None:
        return set()
    return set(db.session.execute(select(BoxParticipation.person_id).where(
        BoxParticipation.box_id == box.id)).scalars())


def voted(box: Box | None) -> int:
    """How many rights have been spent in the box (a number, never who)."""
    if box is None:
        return 0
    return db.session.execute(select(func.count()).select_from(BoxParticipation).where(
        BoxParticipation.box_id == box.id)).scalar_one()


# ---------------------------------------------------------------- anonymous ballot codes

# One download of slips: 500 slips are 50 A4 pages, rendered in about 10 s on an idle core
# (27 s measured on a loaded one), inside gunicorn's 30 s worker timeout; 2000 were not, and the
# codes, committed before the slips are rendered, were lost to the secretary. More codes are
# generated in several downloads.
MAX_CODES_AT_ONCE = 500


def add_codes(box: Box, count: int) -> list[str]:
    """`count` new ballot codes for the open box, returned once, in clear, to be printed: only
    their keyed hashes are stored (box/codes.py). The caller hands the codes to the printer and
    never stores, logs or audits them. Generating again adds new codes; none can be shown
    again."""
    if not 1 <= count <= MAX_CODES_AT_ONCE:
        raise ValidationFailed(_l("Between 1 and %(most)s codes can be generated at once."),
                               most=MAX_CODES_AT_ONCE)
    begin_writing()
    status = db.session.execute(select(Box.status).where(Box.id == box.id)
                                .with_for_update(read=True)).scalar_one()
    if status != BoxStatus.OPEN:
        raise InvalidState(VOTING_NOT_OPEN)
    made = {}
    while len(made) < count:
        code = codes.generate()
        made[codes.code_hash(codes.canonical(code))] = code
    # Stored in the order of their keyed hashes, not the order printed on the slips: a copy of
    # the tables (rows lie in the order written) cannot tell which slip of the sheet is which row.
    db.session.execute(insert(BoxCode), [{"box_id": box.id, "hash": digest_, "spent": False}
                                         for digest_ in sorted(made)])
    return list(made.values())


def find_code(symbols: str) -> tuple[Box, BallotCode, bool] | None:
    """The box a code (canonical symbols, codes.canonical) belongs to, the right it gives, and
    whether it is spent; None for a code no box knows. Looked up by its keyed hash only."""
    right = BallotCode(codes.code_hash(symbols))
    found = db.session.execute(select(BoxCode.box_id, BoxCode.spent)
                               .where(BoxCode.hash == right.hash)).first()
    if found is None:
        return None
    return db.session.get(Box, found.box_id), right, bool(found.spent)


def codes_count(box: Box | None) -> tuple[int, int]:
    """(codes generated, codes spent) in the box: numbers, never which."""
    if box is None:
        return 0, 0
    total, spent = db.session.execute(
        select(func.count(), func.count().filter(BoxCode.spent.is_(True)))
        .where(BoxCode.box_id == box.id)).one()
    return total, spent


# ---------------------------------------------------------------- closing


def close_box(box: Box) -> int:
    """Close the box and rewrite its rows in a random order; returns how many ballots it holds.

    The caller commits; the storage scrub runs after that commit (scrub_storage, queued here),
    whoever commits. The box's row is locked first, so the ballots being cast right now (each
    holds it shared) are in the shuffle; a close of an already closed box is refused.
    """
    db.session.execute(select(Box).where(Box.id == box.id).with_for_update()
                       .execution_options(populate_existing=True))
    if box.status != BoxStatus.OPEN:
        raise InvalidState(VOTING_NOT_OPEN)
    ballots = _rewrite_in_random_order(box)
    box.status = BoxStatus.CLOSED.value
    if encrypted(box):
        SCHEMES[box.storage].seal(box)
    db.session.flush()
    after_commit(scrub_storage, key="box.scrub_storage")
    return ballots


def _rewrite_in_random_order(box: Box) -> int:
    """Read the box's secret rows, remove them, write them again in a random order (one batch
    per table, which keeps the order of its rows: the shuffled one)."""
    rng = random.SystemRandom()
    models = SECRET_MODELS
    if _postgresql():
        names = {model: partition_name(model, box.id) for model in models}
        db.session.execute(text(f"LOCK TABLE {', '.join(names.values())} "
                                "IN ACCESS EXCLUSIVE MODE"))
    contents = {}
    for model in models:
        rows = [tuple(row) for row in db.session.execute(
            select(*model.__table__.columns).where(model.box_id == box.id))]
        rng.shuffle(rows)
        contents[model] = rows
    if _postgresql():
        # TRUNCATE gives the partitions new, empty files: no dead copy of a row as it was
        # cast survives, whatever snapshot another transaction still holds.
        db.session.execute(text(f"TRUNCATE {', '.join(names.values())}"))
        driver = db.session.connection().connection.driver_connection
        with driver.cursor() as cursor:
            for model in models:
                if not contents[model]:
                    continue
                columns = ", ".join(c.name for c in model.__table__.columns)
                with cursor.copy(f"COPY {names[model]} ({columns}) FROM STDIN") as copy:
                    for row in contents[model]:
                        copy.write_row(row)
    else:
        for model in reversed(models):
            db.session.execute(delete(model).where(model.box_id == box.id))
        for model in models:
            if contents[model]:
                columns = [c.name for c in model.__table__.columns]
                db.session.execute(insert(model), [dict(zip(columns, row, strict=True))
                                                   for row in contents[model]])
    return len(contents[BoxBallot]) + len(contents[BoxSealedBallot])


def scrub_storage() -> None:
    """After a close has been committed: leave no earlier copy of the box behind.

    SQLite: secure_delete zeroed the freed cells and pages; a checkpoint now empties the
    write-ahead log, which still holds the pages as they were while people voted. PostgreSQL:
    nothing more (the close truncated and refilled the box's partitions). Run once per commit
    that closed boxes (queued by close_box through core.transactions.after_commit).
    """
    engine = db.engine
    if engine.dialect.name == "sqlite":
        # On the driver's connection directly: a checkpoint cannot run inside a transaction.
        raw = engine.raw_connection()
        try:
            busy, _log, _done = raw.driver_connection.execute(
                "PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            raw.close()
        if busy:
            # Another connection kept a transaction open; the next checkpoint will empty the
            # log. Say so, since the log still holds the order in which ballots were written.
            log.warning("The write-ahead log could not be emptied after closing a ballot box; "
                        "it will be at the next checkpoint.")
            return
    log.info("Ballot box storage scrubbed after closing.")


# ---------------------------------------------------------------- counting


def count_box(box: Box, *, issued: int) -> BoxCount:
    """Count the closed box: per line and level, lines left out per line, collected, valid,
    invalid, and the digest (kept on the box). `issued` is the owner's fact (how many ballots
    were handed out), never inferred by the box.

    The owner's bad-line rule (kept with the box) applies to ballots written with lines left
    out: with bad_line_voids_ballot such a ballot is invalid; without it the ballot is valid and
    only that line counts as invalid for its subject, the base staying the ballots collected.
    """
    result = recount(box, issued=issued)
    box.digest = result.digest
    return result


def recount(box: Box, *, issued: int) -> BoxCount:
    """The closed box counted again from its rows, storing nothing: what a check of the stored
    count and digest compares them with."""
    if box.status != BoxStatus.CLOSED:
        raise InvalidState(_l("The ballot box is counted once it is closed."))
    try:
        return _scheme(box).count(box, issued=issued)
    except crypto.BadBallot as error:
        if error.reason == "too_few_decryptions":
            shares = keys.shares_of(box)
            raise InvalidState(
                _l("The box opens when %(k)s of the %(n)s members of the counting team have "
                   "unlocked their shares; %(done)s have so far."),
                k=json.loads(box.parameters)["threshold"], n=len(shares),
                done=len(keys.unlocked(box))) from None
        raise InvalidState(_l("The counting team's decryptions do not open this box's sums: "
                              "the box has changed since it was closed.")) from None


def digest(box: Box) -> str:
    """SHA-256 of the box's content (see storage); the same before and after the shuffle."""
    return _scheme(box).digest(box)


def trackers(box: Box | None) -> list[str]:
    """Every tracker in the box, sorted (published once the box is closed)."""
    return [] if box is None else _scheme(box).trackers(box)


def storage_tables(box: Box) -> dict[str, str]:
    """secret table -> where this box's rows are stored (its partition on PostgreSQL)."""
    postgresql = _postgresql()
    return {model.__tablename__: partition_name(model, box.id) if postgresql
            else model.__tablename__ for model in SECRET_MODELS}


# ---------------------------------------------------------------- the counting team's key


def register_lock(owner_kind: str, owner_id: int, holder: str, passphrase: str,
                  confirmation: str | None = None):
    """A counting-team member's lock for the owner's next encrypted box (keys.register_lock)."""
    return keys.register_lock(owner_kind, owner_id, holder, passphrase, confirmation)


def register_key_file(owner_kind: str, owner_id: int, holder: str):
    """A counting-team member's lock held as a key file: (lock, the file's text, given once)."""
    return keys.register_key_file(owner_kind, owner_id, holder)


def key_from_file(content: bytes) -> bytes:
    return keys.key_from_file(content)


def forget_lock(owner_kind: str, owner_id: int, number: int):
    return keys.forget_lock(owner_kind, owner_id, number)


def locks_of(owner_kind: str, owner_id: int):
    return keys.locks_of(owner_kind, owner_id)


def shares_of(box: Box):
    return keys.shares_of(box)


def unlocked(box: Box) -> list[int]:
    return keys.unlocked(box)


def unlock_share(box: Box, number: int, passphrase: str):
    """Member `number` unlocks their share: their partial decryption of the closed box's sums
    is stored (keys.unlock)."""
    return keys.unlock(box, number, passphrase)


def threshold(box: Box) -> int | None:
    return json.loads(box.parameters)["threshold"] if encrypted(box) else None


def bundle(box: Box) -> dict:
    """The published box (docs/crypto.md): the parameters and their fingerprint, the box's
    digest (printed in the minutes), every encrypted ballot with its tracker, the sums, the
    counting team's partial decryptions with their proofs, and the counts per line and level.
    What `flask box verify` and the standalone crypto.py re-check. Only for a counted
    encrypted box."""
    if not encrypted(box) or box.status != BoxStatus.CLOSED or box.sums is None:
        raise InvalidState(_l("The box is published once it has been counted."))
    scheme = SCHEMES[box.storage]
    params = json.loads(box.parameters)
    ballots = scheme.ballots(box)
    sums = json.loads(box.sums)
    partials = [json.loads(row.content) for row in db.session.execute(
        select(keys.BoxDecryption).where(keys.BoxDecryption.box_id == box.id)
        .order_by(keys.BoxDecryption.number)).scalars()]
    counts = crypto.combine(params, sums, partials, len(ballots))
    return {"parameters": params, "fingerprint": box.fingerprint,
            "digest": crypto.box_digest(box.fingerprint, [t for t, _b in ballots]),
            "ballots": [{"tracker": t, "ballot": b} for t, b in ballots],
            "sums": sums, "decryptions": partials, "counts": counts}
