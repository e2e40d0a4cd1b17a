"""Tables of an evaluation round (đánh giá, xếp loại chất lượng).

- `evaluation_regulation`: a unit's Quy chế, one row per version (its content is JSON: the
  general criteria and the task items with their points, the deadlines, the period, how periods
  make the year). A version is never edited once written; editing writes the next version.
- `evaluation_round`: a round for a period (a year, a quarter, a month) under a preset, its
  settings copied from the preset when it is created and frozen when it opens.
- `evaluation_unit` / `evaluation_person`: who is rated in the round, each a snapshot of the
  directory at the moment the round took them (the unit's name and parent; the person's unit,
  post, job-position group, kind, manager and the Quy chế version that applies), so that later
  changes in the directory do not change a round. UNIQUE (round, unit) and (round, person):
  adding the same people twice adds nothing.
- `evaluation_form`: a filled form of one step (the self-assessment, the manager's assessment,
  the Party committee's comment) about one rated unit or person: the points per item, the
  comments, a proposed level; a draft until sent, then locked (only an admin reopens it).
- `evaluation_event`: facts that force KHT whatever the points (discipline, degradation, ...).
- `evaluation_meeting`: the collective meeting of a unit (date, attendance, comments minuted on
  each person) and, if the round asks for it, its secret opinion ballot: a box owned by
  ("evaluation_meeting", id), whose counts per person and level are copied here once counted.
- `evaluation_decision`: the level decided for a rated unit or person. A changed result is a new
  decision that supersedes the old one (both kept), never an edit.
- `evaluation_petition`: a person's petition against their result, and its answer.

Points are stored as integer hundredths (87.5 points = 8750): exact on every database, and the
rules (evalapp.tally.evaluation) work in Decimal.
"""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalapp.core.time import utcnow
from evalapp.core.types import KeyOf, in_check
from evalapp.extensions import db
from evalapp.org.models import Person, StaffKind, Unit, _enum
from evalapp.tally.scales import Level, Scale

EVALUATION_LEVELS = Scale.EVALUATION.levels


class RoundStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    FINALISED = "finalised"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    RoundStatus.DRAFT: _l("Draft"),
    RoundStatus.OPEN: _l("In progress"),
    RoundStatus.FINALISED: _l("Finalised"),
}


class FormStep(enum.StrEnum):
    """The steps that fill a form about someone: each rated person or unit has at most one form
    per step."""

    SELF = "self"          # tự đánh giá (a unit's head fills the unit's)
    MANAGER = "manager"    # nhận xét, đánh giá của người quản lý trực tiếp
    PARTY = "party"        # ý kiến của cấp ủy (leaders)
    OFFICE = "office"      # đề xuất của cơ quan tham mưu về tổ chức cán bộ

    @property
    def label(self) -> str:
        return str(FORM_STEP_LABELS[self])


FORM_STEP_LABELS = {
    FormStep.SELF: _l("Self-assessment"),
    FormStep.MANAGER: _l("Manager's assessment"),
    FormStep.PARTY: _l("Party committee's comment"),
    FormStep.OFFICE: _l("Personnel office's proposal"),
}


class FormStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"


class MeetingStatus(enum.StrEnum):
    DRAFT = "draft"        # being recorded
    VOTING = "voting"      # the opinion ballot is open
    CLOSED = "closed"      # the opinion ballot is closed, not counted yet
    RECORDED = "recorded"  # minutes complete (and the ballot counted, if any)


class PetitionStatus(enum.StrEnum):
    PENDING = "pending"
    REJECTED = "rejected"
    ACCEPTED = "accepted"  # answered with a new decision

    @property
    def label(self) -> str:
        return str(PETITION_STATUS_LABELS[self])

    @property
    def answered(self) -> bool:
        return self is not PetitionStatus.PENDING


PETITION_STATUS_LABELS = {
    PetitionStatus.PENDING: _l("Waiting for an answer"),
    PetitionStatus.REJECTED: _l("Rejected"),
    PetitionStatus.ACCEPTED: _l("Accepted"),
}


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def points(hundredths: int | None) -> Decimal | None:
    """Integer hundredths as points (8750 -> Decimal('87.50'))."""
    return None if hundredths is None else (Decimal(hundredths) / 100).quantize(Decimal("0.01"))


def hundredths(value: Decimal | None) -> int | None:
    return None if value is None else int((Decimal(value) * 100).to_integral_value())


def _level_check(column: str, name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IS NULL OR " + in_check(column, EVALUATION_LEVELS),
                           name=name)


def _score_check(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IS NULL OR ({column} BETWEEN 0 AND 10000)",
                           name=f"{column}_range")


class JsonContent:
    """A JSON text column `content_json` read and written as `content`."""

    content_json: Mapped[str]

    @property
    def content(self) -> dict:
        return json.loads(self.content_json or "{}")

    @content.setter
    def content(self, value: dict) -> None:
        self.content_json = _json(value)


class Regulation(JsonContent, db.Model):
    """One version of a unit's Quy chế. The applicable one for a person is the latest version
    of the nearest unit above them (or theirs) that has one."""

    __tablename__ = "evaluation_regulation"
    __table_args__ = (UniqueConstraint("unit_id", "version"),
                      CheckConstraint("version >= 1", name="version_positive"))
    audit_type = "evaluation_regulation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    preset: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(255))
    content_json: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(String(1000))  # what changed in this version
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    unit: Mapped[Unit] = relationship()


class EvaluationRound(db.Model):
    __tablename__ = "evaluation_round"
    __table_args__ = (CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),)
    audit_type = "evaluation_round"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    # The unit the round belongs to (its admins run it); people and units rated are at or below.
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    # "year", "q1".."q4", "m01".."m12": the period rated.
    period: Mapped[str] = mapped_column(String(8), default="year")
    preset: Mapped[str] = mapped_column(String(40))
    # The preset's values (evalapp.tally.evaluation.EvaluationPreset.settings) and the round's
    # own choices (deadlines as dates, the opinion ballot, ...): editable while a draft, frozen
    # when the round opens.
    settings_json: Mapped[str] = mapped_column(Text)
    status: Mapped[RoundStatus] = mapped_column(_enum(RoundStatus, "evaluation_round_status"),
                                                default=RoundStatus.DRAFT)
    # The issuing body and the competent authority, on documents.
    body_name: Mapped[str | None] = mapped_column(String(255))
    authority_name: Mapped[str | None] = mapped_column(String(255))
    # The competent authority found the round's unit outstanding (Điều 12.6b, 7.7b): the cap
    # on HTXS is 25 % instead of 20 %.
    outstanding: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finalised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The round's decision (quyết định công nhận kết quả xếp loại).
    decision_number: Mapped[str | None] = mapped_column(String(80))
    decision_date: Mapped[date | None] = mapped_column(Date)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Published to the unit (công khai trên môi trường điện tử, Điều 15.2đ): everyone the round
    # concerns sees the list of decided levels.
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    unit: Mapped[Unit] = relationship()

    @property
    def settings(self) -> dict:
        return json.loads(self.settings_json or "{}")

    @settings.setter
    def settings(self, value: dict) -> None:
        self.settings_json = _json(value)


class RatedUnit(db.Model):
    """A unit rated in the round (before its staff), as it was when the round took it."""

    __tablename__ = "evaluation_unit"
    __table_args__ = (UniqueConstraint("round_id", "unit_id"),
                      _level_check("proposed_level", "unit_proposed_level"),
                      _level_check("level", "unit_level"),
                      _score_check("score"))
    audit_type = "evaluation_unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_round.id", ondelete="CASCADE"),
                                          index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(1000))  # the unit's path when taken
    parent_unit_id: Mapped[int | None] = mapped_column(Integer)
    regulation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluation_regulation.id", ondelete="RESTRICT"))
    # The facts of Điều 7: tasks, on time, exceeded, done, share of the plan done, violation.
    facts_json: Mapped[str] = mapped_column(Text, default="{}")
    score: Mapped[int | None] = mapped_column(Integer)  # hundredths, the points retained
    proposed_level: Mapped[Level | None] = mapped_column(KeyOf(Level))
    level: Mapped[Level | None] = mapped_column(KeyOf(Level))  # the current decision's

    round: Mapped[EvaluationRound] = relationship()
    unit: Mapped[Unit] = relationship()

    @property
    def facts(self) -> dict:
        return json.loads(self.facts_json or "{}")

    @facts.setter
    def facts(self, value: dict) -> None:
        self.facts_json = _json(value)


class RatedPerson(db.Model):
    """A person rated in the round: a snapshot of the directory when the round took them."""

    __tablename__ = "evaluation_person"
    __table_args__ = (UniqueConstraint("round_id", "person_id"),
                      _level_check("proposed_level", "person_proposed_level"),
                      _level_check("level", "person_level"),
                      _score_check("score"),
                      # Someone rated has no reason for being left out (migration 0020).
                      CheckConstraint("NOT included OR excluded_reason IS NULL",
                                      name="included_has_no_exclusion_reason"))
    audit_type = "evaluation_person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_round.id", ondelete="CASCADE"),
                                          index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"),
                                           index=True)
    # The snapshot.
    full_name: Mapped[str] = mapped_column(String(255))
    sort_key: Mapped[bytes] = mapped_column(LargeBinary)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    unit_name: Mapped[str] = mapped_column(String(255))
    post_name: Mapped[str | None] = mapped_column(String(255))
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)
    is_head: Mapped[bool] = mapped_column(Boolean, default=False)  # heads the unit (Điều 12.7)
    duty_group_id: Mapped[int | None] = mapped_column(Integer)
    duty_group_name: Mapped[str | None] = mapped_column(String(255))
    staff_kind: Mapped[StaffKind | None] = mapped_column(_enum(StaffKind, "staff_kind"))
    manager_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"))
    regulation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluation_regulation.id", ondelete="RESTRICT"))
    # Eligibility (Điều 14): months worked in the year (as text, "7.5"), leave, and the result.
    months_worked: Mapped[str | None] = mapped_column(String(12))
    leave: Mapped[str] = mapped_column(String(12), default="none")
    eligible: Mapped[bool] = mapped_column(Boolean, default=True)
    eligibility_note: Mapped[str | None] = mapped_column(String(255))
    # Rated (True) or listed as not rated; an admin may include someone by hand, with a reason.
    included: Mapped[bool] = mapped_column(Boolean, default=True)
    excluded_reason: Mapped[str | None] = mapped_column(String(255))
    included_reason: Mapped[str | None] = mapped_column(String(1000))
    # Scores of periods already tracked (JSON list of "87.50"; a transferred person's include
    # the old unit's), from which the year's task score can be derived.
    period_scores_json: Mapped[str] = mapped_column(Text, default="[]")
    score: Mapped[int | None] = mapped_column(Integer)  # hundredths, the points retained
    proposed_level: Mapped[Level | None] = mapped_column(KeyOf(Level))  # the office's proposal
    level: Mapped[Level | None] = mapped_column(KeyOf(Level))  # the current decision's

    round: Mapped[EvaluationRound] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    unit: Mapped[Unit] = relationship()
    manager: Mapped[Person | None] = relationship(foreign_keys=[manager_person_id])

    @property
    def periods(self) -> list[dict]:
        """The scores of the periods tracked, in order: {"period": "q1", "score": "85.00",
        "source": the old unit's name for a transferred person's periods, or None}."""
        return json.loads(self.period_scores_json or "[]")

    @periods.setter
    def periods(self, entries: list[dict]) -> None:
        self.period_scores_json = _json(entries)

    @property
    def period_scores(self) -> list[Decimal]:
        return [Decimal(entry["score"]) for entry in self.periods]


class EvaluationForm(JsonContent, db.Model):
    """One step's form about one rated unit or person. `content` holds the points given per item
    code ({"points": {"1a": "9.5", ...}, "comments": {"1a": "..."}}) and the step's free
    text; `total` and `proposed_level` are computed and kept for lists and quotas."""

    __tablename__ = "evaluation_form"
    __table_args__ = (
        UniqueConstraint("rated_person_id", "step"),
        UniqueConstraint("rated_unit_id", "step"),
        CheckConstraint("(rated_person_id IS NULL) <> (rated_unit_id IS NULL)",
                        name="about_one_subject"),
        CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        _level_check("proposed_level", "form_proposed_level"),
        _score_check("total"),
    )
    audit_type = "evaluation_form"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_round.id", ondelete="CASCADE"),
                                          index=True)
    step: Mapped[FormStep] = mapped_column(_enum(FormStep, "evaluation_form_step"))
    rated_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluation_person.id", ondelete="CASCADE"))
    rated_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluation_unit.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    content_json: Mapped[str] = mapped_column(Text, default="{}")
    total: Mapped[int | None] = mapped_column(Integer)  # hundredths
    proposed_level: Mapped[Level | None] = mapped_column(KeyOf(Level))
    comment: Mapped[str | None] = mapped_column(Text)
    status: Mapped[FormStatus] = mapped_column(_enum(FormStatus, "evaluation_form_status"),
                                               default=FormStatus.DRAFT)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # sent after its deadline

    rated_person: Mapped[RatedPerson | None] = relationship()
    rated_unit: Mapped[RatedUnit | None] = relationship()

    @property
    def sent(self) -> bool:
        return self.status is FormStatus.SENT


class ForcingEvent(db.Model):
    """A fact that forces KHT whatever the points (evalapp.tally.evaluation.ForcingKind)."""

    __tablename__ = "evaluation_event"
    audit_type = "evaluation_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rated_person_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    act: Mapped[str] = mapped_column(String(255))     # the act (one act counts once)
    year: Mapped[int] = mapped_column(Integer)        # the year it counts in
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    mitigated: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Meeting(JsonContent, db.Model):
    """The collective meeting of a unit about its people; `content` keeps the attendance list
    ({"present": [person ids], "absent": [...]}) and the counts of the opinion ballot once
    counted ({"opinions": {rated_person_id: {"htxs": n, ...}}})."""

    __tablename__ = "evaluation_meeting"
    __table_args__ = (UniqueConstraint("round_id", "unit_id"),
                      CheckConstraint("members_present IS NULL OR members_total IS NULL OR "
                                      "members_present <= members_total",
                                      name="present_within_members"))
    audit_type = "evaluation_meeting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_round.id", ondelete="CASCADE"),
                                          index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    held_on: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(255))
    chair_name: Mapped[str | None] = mapped_column(String(255))
    secretary_name: Mapped[str | None] = mapped_column(String(255))
    members_total: Mapped[int | None] = mapped_column(Integer)
    members_present: Mapped[int | None] = mapped_column(Integer)
    opinion_ballot: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[MeetingStatus] = mapped_column(
        _enum(MeetingStatus, "evaluation_meeting_status"), default=MeetingStatus.DRAFT)
    content_json: Mapped[str] = mapped_column(Text, default="{}")

    round: Mapped[EvaluationRound] = relationship()
    unit: Mapped[Unit] = relationship()


class MeetingComment(db.Model):
    """The comments minuted on one person at the meeting."""

    __tablename__ = "evaluation_meeting_comment"
    __table_args__ = (UniqueConstraint("meeting_id", "rated_person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_meeting.id", ondelete="CASCADE"), index=True)
    rated_person_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_person.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)


class Decision(db.Model):
    """The level decided for a rated person or unit. Never edited: a changed result is a new
    row whose `supersedes_id` names the old one (at most one successor each)."""

    __tablename__ = "evaluation_decision"
    __table_args__ = (
        UniqueConstraint("supersedes_id"),
        CheckConstraint("(rated_person_id IS NULL) <> (rated_unit_id IS NULL)",
                        name="decides_one_subject"),
        CheckConstraint(in_check("level", EVALUATION_LEVELS), name="decision_level"),
        _score_check("score"),
    )
    audit_type = "evaluation_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_round.id", ondelete="CASCADE"),
                                          index=True)
    rated_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluation_person.id", ondelete="CASCADE"), index=True)
    rated_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluation_unit.id", ondelete="CASCADE"), index=True)
    level: Mapped[Level] = mapped_column(KeyOf(Level))
    score: Mapped[int | None] = mapped_column(Integer)  # hundredths
    number: Mapped[str | None] = mapped_column(String(80))
    decided_on: Mapped[date] = mapped_column(Date)
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluation_decision.id", ondelete="RESTRICT"))
    reason: Mapped[str | None] = mapped_column(String(1000))  # why a new decision
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    rated_person: Mapped[RatedPerson | None] = relationship()
    rated_unit: Mapped[RatedUnit | None] = relationship()
    supersedes: Mapped[Decision | None] = relationship(remote_side=[id])


class Petition(db.Model):
    __tablename__ = "evaluation_petition"
    audit_type = "evaluation_petition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rated_person_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_person.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[PetitionStatus] = mapped_column(
        _enum(PetitionStatus, "evaluation_petition_status"), default=PetitionStatus.PENDING)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluation_decision.id", ondelete="SET NULL"))

    rated_person: Mapped[RatedPerson] = relationship()
