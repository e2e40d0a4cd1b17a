"""Tables of the ballot box, for any kind of round.

`box` and `box_line` are public facts: who owns the box (a ballot round, later an evaluation
step), its scale, its storage scheme, its lines in ballot order, whether it is open, and its
digest once counted.

The secret part is four tables (SECRET_MODELS), which share no key, no time and no order:
- `box_participation` says *that* a person voted: box + person, nothing else (a right spent;
  a spent ballot code is marked in `box_code` instead, which names nobody);
- `box_ballot` and `box_mark` hold *what* was voted (the "plain" storage scheme): a random id,
  whether the ballot is valid, and the level marked on each line; a line without a mark row was
  left out as invalid (blank, or several marks);
- `box_code` holds the box's anonymous ballot codes as keyed hashes, each spent or not;
- `box_receipt` holds the voters' trackers: random values, nothing that joins them to a ballot.

Every secret table is keyed by the box first. On SQLite they are WITHOUT ROWID, so rows sit in
the order of their keys (the box, then a random id), never in the order they were cast. On
PostgreSQL they are partitioned by LIST (box_id), one partition per box created when the box
opens: closing a box locks, reads, truncates and refills only that box's partitions (see
services.close_box), so its cost is that box's size, not the database's history, and casting in
other boxes goes on meanwhile. There is deliberately no foreign key between secret tables: on
PostgreSQL a key between two partitioned tables would forbid truncating one box's partitions.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalapp.core.types import KeyOf, in_check
from evalapp.extensions import db
from evalapp.tally.scales import Scale


class BoxStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Owner:
    """What a box belongs to, as the audit trail names it (audit_type, id)."""

    audit_type: str
    id: int


class Box(db.Model):
    __tablename__ = "box"
    __table_args__ = (
        UniqueConstraint("owner_kind", "owner_id"),
        CheckConstraint(in_check("status", BoxStatus), name="box_status"),
    )
    audit_type = "box"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(40))  # the owner's audit type: "ballot_round"
    owner_id: Mapped[int] = mapped_column(Integer)
    scale: Mapped[Scale] = mapped_column(KeyOf(Scale))
    storage: Mapped[str] = mapped_column(String(20), default="plain")  # see storage.SCHEMES
    # The owner's rule for a line left out as invalid (blank, several marks): True voids the
    # whole ballot, False only that line (the ballot stays valid; see services.count_box).
    bad_line_voids_ballot: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20), default=BoxStatus.OPEN.value)
    digest: Mapped[str | None] = mapped_column(String(64))  # written when the box is counted
    # Rights spent without a ballot in this box: the owner handed the voter another way to vote
    # (a paper ballot, a code slip) in the hall (services.spend). The box holds one ballot per
    # right spent with one; the handing out is public on the owner's roll.
    rights_without_ballot: Mapped[int] = mapped_column(Integer, default=0)
    # The encrypted box ("elgamal"): its parameters (crypto.parameters: public key, threshold,
    # the guardians' verification keys, levels, lines) as canonical JSON, and their
    # fingerprint, frozen when the box opens. None for a "plain" box.
    parameters: Mapped[str | None] = mapped_column(Text)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    # Its homomorphic sums (per line and level), computed from its ballots when it closes:
    # what the counting team's partial decryptions decrypt.
    sums: Mapped[str | None] = mapped_column(Text)

    lines: Mapped[list[BoxLine]] = relationship(order_by="BoxLine.number",
                                                cascade="all, delete-orphan")

    @property
    def owner(self) -> Owner:
        return Owner(self.owner_kind, self.owner_id)


class BoxLine(db.Model):
    """A line of the ballot: its number (1, 2, … in ballot order) and what it is about (for a
    confidence round, the person voted on: a ballot_candidate id)."""

    __tablename__ = "box_line"
    __table_args__ = (UniqueConstraint("box_id", "subject_id"),
                      CheckConstraint("number >= 1", name="number_from_one"))

    box_id: Mapped[int] = mapped_column(ForeignKey("box.id", ondelete="CASCADE"),
                                        primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer)


# ---------------------------------------------------------------- the key (encrypted boxes)


class BoxLock(db.Model):
    """A counting-team member's lock, registered before the box opens: the public half of an
    X25519 key derived from their passphrase (Argon2id with this salt and these limits). The
    passphrase itself is never stored. Keyed by the owner, since the box does not exist yet."""

    __tablename__ = "box_lock"
    __table_args__ = (UniqueConstraint("owner_kind", "owner_id", "number"),
                      CheckConstraint("number >= 1", name="number_from_one"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[int] = mapped_column(Integer)   # the guardian's number: 1, 2, …
    holder: Mapped[str] = mapped_column(String(255))  # their name, as the minutes print it
    salt: Mapped[str] = mapped_column(String(64))
    opslimit: Mapped[int] = mapped_column(Integer)
    memlimit: Mapped[int] = mapped_column(Integer)
    public_key: Mapped[str] = mapped_column(String(64))


class BoxShare(db.Model):
    """A guardian's share of the box's private key, sealed to their lock, and its public
    verification key (x_i·G). Dealt when the box opens; the whole key is never stored."""

    __tablename__ = "box_share"

    box_id: Mapped[int] = mapped_column(ForeignKey("box.id", ondelete="CASCADE"),
                                        primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    verification_key: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[str] = mapped_column(String(200))  # crypto_box_seal of 32 bytes, hex
    salt: Mapped[str] = mapped_column(String(64))
    opslimit: Mapped[int] = mapped_column(Integer)
    memlimit: Mapped[int] = mapped_column(Integer)
    lock_public_key: Mapped[str] = mapped_column(String(64))


class BoxDecryption(db.Model):
    """A guardian's partial decryption of the closed box's sums, with its proofs (public: it
    reveals nothing until k of them are combined, and then only the totals)."""

    __tablename__ = "box_decryption"

    box_id: Mapped[int] = mapped_column(ForeignKey("box.id", ondelete="CASCADE"),
                                        primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    content: Mapped[str] = mapped_column(Text)  # canonical JSON (crypto.partial_decryption)


# ---------------------------------------------------------------- the secret part

_SECRET = {"sqlite_with_rowid": False, "postgresql_partition_by": "LIST (box_id)"}


class BoxParticipation(db.Model):
    """That a person voted in a box (their right is spent). No time, no order, no ballot."""

    __tablename__ = "box_participation"
    __table_args__ = _SECRET

    box_id: Mapped[int] = mapped_column(ForeignKey("box.id", ondelete="CASCADE"),
                                        primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"),
                                           primary_key=True)


class BoxBallot(db.Model):
    """One ballot: a random id and whether it is valid as a whole (an invalid one has no
    marks)."""

    __tablename__ = "box_ballot"
    __table_args__ = _SECRET

    box_id: Mapped[int] = mapped_column(ForeignKey("box.id", ondelete="CASCADE"),
                                        primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # 128 random bits, hex
    valid: Mapped[bool] = mapped_column(Boolean)


class BoxMark(db.Model):
    """The level marked on one line of one ballot (a level of the box's scale)."""

    __tablename__ = "box_mark"
    __table_args__ = (
        ForeignKeyConstraint(["box_id", "line"], ["box_line.box_id", "box_line.number"],
                             ondelete="CASCADE"),
        _SECRET,
    )

    box_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ballot_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(40))


class BoxReceipt(db.Model):
    """A voter's tracker: proves a ballot was received and counted, says nothing of it."""

    __tablename__ = "box_receipt"
    __table_args__ = _SECRET

    box_id: Mapped[int] = mapped_column(ForeignKey("box.id", ondelete="CASCADE"),
                                        primary_key=True)
    tracker: Mapped[str] = mapped_column(String(32), primary_key=True)


class BoxSealedBallot(db.Model):
    """An encrypted ballot (the "elgamal" scheme): its tracker (the SHA-256 of its canonical
    JSON, which the voter keeps) and the ballot: ciphertexts and proofs, nothing readable."""

    __tablename__ = "box_sealed_ballot"
    __table_args__ = _SECRET

    box_id: Mapped[int] = mapped_column(ForeignKey("box.id", ondelete="CASCADE"),
                                        primary_key=True)
    tracker: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[str] = mapped_column(Text)


class BoxCode(db.Model):
    """An anonymous ballot code of the box (box/codes.py): only its keyed hash, and whether it
    has been spent. Never a person, never a time, never the code itself. Looked up by its hash
    alone (the voter brings only the code), hence the index."""

    __tablename__ = "box_code"
    __table_args__ = _SECRET

    box_id: Mapped[int] = mapped_column(ForeignKey("box.id", ondelete="CASCADE"),
                                        primary_key=True)
    hash: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    spent: Mapped[bool] = mapped_column(Boolean, default=False)


# Every table that holds a box's secrets: partitioned per box on PostgreSQL, rewritten in a
# random order when the box closes. A new way of spending a right (a ballot code) or a new
# storage scheme adds its tables here.
SECRET_MODELS: tuple[type[db.Model], ...] = (BoxParticipation, BoxBallot, BoxMark, BoxReceipt,
                                              BoxSealedBallot, BoxCode)

_PARTITION = re.compile(r"box_[a-z_]+_p\d+")


def partition_name(model: type[db.Model], box_id: int) -> str:
    """The PostgreSQL partition of a secret table that holds one box's rows."""
    return f"{model.__tablename__}_p{int(box_id)}"


def is_box_partition(name: str | None, type_: str = "table", _parents=None) -> bool:
    return type_ == "table" and bool(name) and bool(_PARTITION.fullmatch(name))


def include_name(name, type_, parent_names) -> bool:
    """Alembic's filter: the per-box partitions are made by the box, not by migrations."""
    return not is_box_partition(name, type_)


__all__ = ["Box", "BoxLine", "BoxStatus", "BoxParticipation", "BoxBallot", "BoxMark",
           "BoxReceipt", "BoxSealedBallot", "BoxCode", "BoxLock", "BoxShare", "BoxDecryption",
           "Owner",
           "SECRET_MODELS", "partition_name", "include_name"]
