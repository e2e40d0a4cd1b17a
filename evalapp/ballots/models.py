"""Tables of a confidence round.

The ballots themselves are in the round's ballot box (evalapp.box: its owner is
("ballot_round", round id), its lines are the people voted on in ballot order), whose schema
carries the secrecy (design §3). What is here is public to the round's officers: the round and
its settings, the people voted on, the summoned list with attendance, the officers, and the
counts written when the box is counted.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalapp.ballots.schemas import (
    ROUND_SCALES,
    BallotKinds,
    CandidateExclusion,
    Handed,
    PaperMode,
    RoundDetails,
    RoundRules,
)
from evalapp.core.schemas import max_length_of
from evalapp.core.time import utcnow
from evalapp.core.types import KeyOf, in_check
from evalapp.extensions import db
from evalapp.org.models import Person, Unit, _enum
from evalapp.tally.rules import Base, Level, Scale
from evalapp.tally.scales import levels_of


class RoundStatus(enum.StrEnum):
    DRAFT = "draft"
    ATTENDANCE = "attendance"
    VOTING = "voting"
    CLOSED = "closed"
    COUNTED = "counted"
    FINALISED = "finalised"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    RoundStatus.DRAFT: _l("Draft"),
    RoundStatus.ATTENDANCE: _l("Taking attendance"),
    RoundStatus.VOTING: _l("Voting open"),
    RoundStatus.CLOSED: _l("Voting closed"),
    RoundStatus.COUNTED: _l("Counted"),
    RoundStatus.FINALISED: _l("Finalised"),
}

# Rule sets by the name of the text they follow (the keys stay the identifiers in the API); the
# Vietnamese translations are the names in evalapp.tally.presets (a test keeps them in step).
PRESET_LABELS = {
    "party-2023": _l("Regulation 96-QĐ/TW (2023) of the Politburo"),
    "assembly-2023": _l("Resolution 96/2023/QH15 of the National Assembly"),
    "assembly-2014": _l("Resolution 85/2014/QH13 of the National Assembly (repealed)"),
}


def preset_label(key: str) -> str:
    return str(PRESET_LABELS.get(key, key))


BASE_LABELS = {
    Base.COLLECTED: _l("Ballots collected"),
    Base.ISSUED: _l("Ballots issued"),
    Base.SUMMONED: _l("Members summoned"),
    Base.VALID: _l("Valid ballots"),
}


class OfficerRole(enum.StrEnum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    COUNTER_HEAD = "counter_head"
    COUNTER = "counter"

    @property
    def label(self) -> str:
        return str(OFFICER_LABELS[self])


OFFICER_LABELS = {
    OfficerRole.CHAIR: _l("Chair"),  # chủ trì, the one term for the chair everywhere
    OfficerRole.SECRETARY: _l("Secretary"),
    OfficerRole.COUNTER_HEAD: _l("Head of the counting team"),
    OfficerRole.COUNTER: _l("Counting team member"),
}


def officer_slot_label(slot: str) -> str:
    """The label of one of the officers' slots: "chair", "secretary", "counter_head", or
    "counter_<n>" (the n-th member of the counting team, so that the four are told apart)."""
    number = slot.removeprefix("counter_")
    if number.isdigit():
        return str(_l("Counting team member %(n)s", n=int(number)))
    return OfficerRole(slot).label


_length = max_length_of


class BallotRound(db.Model):
    __tablename__ = "ballot_round"
    __table_args__ = (
        CheckConstraint("secrecy_threshold >= 0", name="secrecy_threshold_not_negative"),
        CheckConstraint("summoned_count IS NULL OR present_count <= summoned_count",
                        name="present_within_summoned"),
        CheckConstraint(in_check("scale", ROUND_SCALES), name="ballot_scale"),
        CheckConstraint("key_threshold IS NULL OR key_threshold >= 1",
                        name="key_threshold_positive"),
        CheckConstraint("paper_entries BETWEEN 1 AND 3", name="paper_entries_range"),
        CheckConstraint("percent_places IN (1, 2)", name="percent_places_range"),
    )
    audit_type = "ballot_round"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Lengths as the services accept them (evalapp.ballots.schemas), written there once.
    title: Mapped[str] = mapped_column(String(_length(RoundDetails, "title")))
    # The issuing body, on documents.
    body_name: Mapped[str] = mapped_column(String(_length(RoundDetails, "body_name")))
    # Printed above the issuing body in the documents' heading ("UBND TỈNH …" over "SỞ NỘI VỤ").
    governing_body_name: Mapped[str | None] = mapped_column(
        String(_length(RoundDetails, "governing_body_name")))
    # The place name of the documents' date line ("Hòa Bình, ngày … tháng … năm …").
    locality: Mapped[str | None] = mapped_column(String(_length(RoundDetails, "locality")))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    place: Mapped[str | None] = mapped_column(String(_length(RoundDetails, "place")))
    meeting_date: Mapped[date | None] = mapped_column(Date)
    scale: Mapped[Scale] = mapped_column(KeyOf(Scale))
    preset: Mapped[str] = mapped_column(String(_length(RoundRules, "preset")))
    # Settings, filled from the preset; frozen once the round leaves the draft.
    base: Mapped[Base] = mapped_column(_enum(Base, "ballot_base"))
    bad_line_voids_ballot: Mapped[bool] = mapped_column(Boolean, default=True)
    results_to_candidates: Mapped[bool] = mapped_column(Boolean, default=True)
    publish_to_voters: Mapped[bool] = mapped_column(Boolean, default=False)
    secrecy_threshold: Mapped[int] = mapped_column(Integer, default=5)
    # How many members of the counting team must unlock their shares to count (None: a
    # majority of those who hold a key). Set before voting opens.
    key_threshold: Mapped[int | None] = mapped_column(Integer)
    # Paper ballots (issue 12): which ballots the round takes, how many independent entries
    # each paper ballot needs, whether paper is keyed ballot by ballot or as totals, and the
    # decimals of the published percentages (the stored counts stay the truth).
    ballot_kinds: Mapped[BallotKinds] = mapped_column(_enum(BallotKinds, "ballot_kinds"),
                                                      default=BallotKinds.BROWSER)
    paper_entries: Mapped[int] = mapped_column(Integer, default=1)
    paper_mode: Mapped[PaperMode] = mapped_column(_enum(PaperMode, "paper_mode"),
                                                  default=PaperMode.BALLOTS)
    percent_places: Mapped[int] = mapped_column(Integer, default=2)

    status: Mapped[RoundStatus] = mapped_column(_enum(RoundStatus, "ballot_round_status"),
                                                default=RoundStatus.DRAFT, index=True)
    # Frozen when voting opens.
    summoned_count: Mapped[int | None] = mapped_column(Integer)
    present_count: Mapped[int | None] = mapped_column(Integer)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    counted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finalised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Written by counting.
    issued_count: Mapped[int | None] = mapped_column(Integer)
    collected_count: Mapped[int | None] = mapped_column(Integer)
    valid_count: Mapped[int | None] = mapped_column(Integer)
    invalid_count: Mapped[int | None] = mapped_column(Integer)
    box_digest: Mapped[str | None] = mapped_column(String(64))
    # Of the ballots collected, how many were paper (the rest came through the browser).
    paper_collected_count: Mapped[int | None] = mapped_column(Integer)

    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    unit: Mapped[Unit] = relationship()
    candidates: Mapped[list[BallotCandidate]] = relationship(
        back_populates="round", order_by="BallotCandidate.position",
        cascade="all, delete-orphan")
    voters: Mapped[list[BallotVoter]] = relationship(
        back_populates="round", cascade="all, delete-orphan")
    officers: Mapped[list[BallotOfficer]] = relationship(
        back_populates="round", cascade="all, delete-orphan")

    @property
    def active_candidates(self) -> list[BallotCandidate]:
        return [c for c in self.candidates if not c.excluded]

    @property
    def excluded_candidates(self) -> list[BallotCandidate]:
        return [c for c in self.candidates if c.excluded]

    @property
    def ballot_numbers(self) -> dict[int, int]:
        """candidate id -> the number printed before the name: the people voted on, counted
        from 1 in ballot order. Excluded people have none. The round page, the ballot and the
        minutes all number people this way."""
        return {c.id: n for n, c in enumerate(self.active_candidates, start=1)}

    @property
    def preset_label(self) -> str:
        return preset_label(self.preset)


class BallotCandidate(db.Model):
    """A person voted on, with name, post and unit as they were when added (a snapshot)."""

    __tablename__ = "ballot_candidate"
    __table_args__ = (UniqueConstraint("round_id", "person_id"),
                      CheckConstraint("NOT excluded OR exclusion_reason IS NOT NULL",
                                      name="exclusion_has_reason"))
    audit_type = "ballot_candidate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("ballot_round.id", ondelete="CASCADE"),
                                          index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer)
    full_name: Mapped[str] = mapped_column(String(255))
    post_name: Mapped[str | None] = mapped_column(String(255))
    unit_name: Mapped[str] = mapped_column(String(255))
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    exclusion_reason: Mapped[str | None] = mapped_column(
        String(_length(CandidateExclusion, "reason")))

    round: Mapped[BallotRound] = relationship(back_populates="candidates")
    person: Mapped[Person] = relationship()


class BallotVoter(db.Model):
    """A member of the summoned list (danh sách triệu tập) and whether they are present."""

    __tablename__ = "ballot_voter"
    __table_args__ = (UniqueConstraint("round_id", "person_id"),)
    audit_type = "ballot_voter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("ballot_round.id", ondelete="CASCADE"),
                                          index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"),
                                           index=True)
    full_name: Mapped[str] = mapped_column(String(255))
    unit_name: Mapped[str] = mapped_column(String(255))
    present: Mapped[bool] = mapped_column(Boolean, default=False)
    # Handed a paper ballot or a code slip in the hall (NULL: nothing). Whoever was handed one
    # has spent their own right in the box: they cannot vote with their account.
    handed: Mapped[Handed | None] = mapped_column(_enum(Handed, "ballot_handed"))

    round: Mapped[BallotRound] = relationship(back_populates="voters")
    person: Mapped[Person] = relationship()


class BallotOfficer(db.Model):
    """The chair, the secretary and the counting team of a round."""

    __tablename__ = "ballot_officer"
    __table_args__ = (UniqueConstraint("round_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("ballot_round.id", ondelete="CASCADE"),
                                          index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"),
                                         index=True)
    role: Mapped[OfficerRole] = mapped_column(_enum(OfficerRole, "ballot_officer_role"))

    round: Mapped[BallotRound] = relationship(back_populates="officers")
    user = relationship("User")


class BallotCount(db.Model):
    """The count of one level for one person voted on, written when the round is counted."""

    __tablename__ = "ballot_count"
    __table_args__ = (CheckConstraint("count >= 0", name="count_not_negative"),
                      CheckConstraint(in_check("level", levels_of(ROUND_SCALES)),
                                      name="ballot_level"))

    round_id: Mapped[int] = mapped_column(ForeignKey("ballot_round.id", ondelete="CASCADE"),
                                          primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ballot_candidate.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[Level] = mapped_column(KeyOf(Level), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class PaperEntry(db.Model):
    """One entry of one numbered paper ballot by one operator of the counting team.

    Paper carries no name and neither does its entry: what is stored is the ballot's number
    (written on it by the team after collecting), the entry's number (1..3: the independent
    entries), the operator, whether the ballot is valid as a whole (or why not) and, per line
    in ballot order, the level marked, "blank" or "several" (marks.py: PaperMark). Saved
    entries are never edited: a disagreement is settled by the team head's PaperResolution.
    """

    __tablename__ = "paper_entry"
    __table_args__ = (
        UniqueConstraint("round_id", "ballot_number", "entry_number"),
        UniqueConstraint("round_id", "ballot_number", "operator_id"),
        CheckConstraint("ballot_number >= 1", name="ballot_number_positive"),
        CheckConstraint("entry_number BETWEEN 1 AND 3", name="entry_number_range"),
        CheckConstraint("valid OR invalid_reason IS NOT NULL", name="invalid_has_reason"),
    )
    audit_type = "paper_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("ballot_round.id", ondelete="CASCADE"),
                                          index=True)
    ballot_number: Mapped[int] = mapped_column(Integer)
    entry_number: Mapped[int] = mapped_column(Integer)
    operator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    valid: Mapped[bool] = mapped_column(Boolean)
    invalid_reason: Mapped[str | None] = mapped_column(String(20))
    # "high,blank,low,several": one value per line in ballot order ("" on an invalid ballot).
    marks: Mapped[str] = mapped_column(Text, default="")
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    operator = relationship("User")


class PaperResolution(db.Model):
    """The team head's confirmed content of a paper ballot whose entries disagreed, with the
    reason: what is counted for that ballot."""

    __tablename__ = "paper_resolution"
    __table_args__ = (
        CheckConstraint("valid OR invalid_reason IS NOT NULL", name="invalid_has_reason"),
    )

    round_id: Mapped[int] = mapped_column(ForeignKey("ballot_round.id", ondelete="CASCADE"),
                                          primary_key=True)
    ballot_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    valid: Mapped[bool] = mapped_column(Boolean)
    invalid_reason: Mapped[str | None] = mapped_column(String(20))
    marks: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(String(500))
    confirmed_by_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"))
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PaperTotals(db.Model):
    """The paper ballots of a round counted by hand: the round's totals."""

    __tablename__ = "paper_totals"
    __table_args__ = (
        CheckConstraint("issued >= 0 AND collected >= 0 AND valid >= 0 AND invalid >= 0",
                        name="totals_not_negative"),
    )

    round_id: Mapped[int] = mapped_column(ForeignKey("ballot_round.id", ondelete="CASCADE"),
                                          primary_key=True)
    issued: Mapped[int] = mapped_column(Integer)
    collected: Mapped[int] = mapped_column(Integer)
    valid: Mapped[int] = mapped_column(Integer)
    invalid: Mapped[int] = mapped_column(Integer)
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PaperLineTotal(db.Model):
    """The paper ballots counted by hand: one person's count of one level, or (level
    "invalid") of their lines left out as invalid on valid ballots."""

    __tablename__ = "paper_line_total"
    __table_args__ = (CheckConstraint("count >= 0", name="count_not_negative"),)

    round_id: Mapped[int] = mapped_column(ForeignKey("ballot_round.id", ondelete="CASCADE"),
                                          primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("ballot_candidate.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class PaperRecheck(db.Model):
    """A re-check (phúc tra) of a counted round's paper ballots: a sealed batch (its ballot
    numbers, as "1-20, 25") keyed again by the counting team, compared with the archived
    entries and the published count. Never changes the count."""

    __tablename__ = "paper_recheck"
    audit_type = "paper_recheck"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("ballot_round.id", ondelete="CASCADE"),
                                          index=True)
    ballots: Mapped[str] = mapped_column(Text)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PaperRecheckEntry(db.Model):
    """One ballot of a re-check batch as keyed again (once per ballot and re-check)."""

    __tablename__ = "paper_recheck_entry"
    __table_args__ = (
        CheckConstraint("valid OR invalid_reason IS NOT NULL", name="invalid_has_reason"),
    )

    recheck_id: Mapped[int] = mapped_column(
        ForeignKey("paper_recheck.id", ondelete="CASCADE"), primary_key=True)
    ballot_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    valid: Mapped[bool] = mapped_column(Boolean)
    invalid_reason: Mapped[str | None] = mapped_column(String(20))
    marks: Mapped[str] = mapped_column(Text, default="")
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


__all__ = ["PaperRecheck", "PaperRecheckEntry", "PaperEntry", "PaperResolution", "PaperTotals",
           "PaperLineTotal", "BallotKinds",
           "PaperMode", "Handed", "BallotRound", "BallotCandidate", "BallotVoter",
           "BallotOfficer", "BallotCount",
           "RoundStatus", "OfficerRole", "ROUND_SCALES"]
