"""Tables of the product ledger.

- `ledger_product`: a unit's catalogue of products (sản phẩm), one row per product and Quy chế
  version (`regulation_id`; None while the unit has no Quy chế): name, group (the Home Affairs
  handbook's N1–N5 or the unit's own), unit of measure, conversion factor against the unit's
  standard product (factor 1) and, where the Quy chế uses them, difficulty levels each with its
  own factor. A product is never edited once used: retiring it and adding another keeps past
  periods as they were (each work item copies the product's name, measure and factor).
- `ledger_period`: one person's month or quarter ("m01".."m12", "q1".."q4") in a unit, open
  until the manager confirms it; confirmed, it is locked and its scores are kept (reopened only
  by the manager or an admin, with a reason, audited). UNIQUE (person, year, period): a person
  who moved keeps the old unit's periods under the old unit.
- `ledger_item`: a work item of a period: assigned by the manager (accepted) or proposed by the
  person (counted once the manager accepts it), its quantity and due date; on completion the
  delivered quantity, delivery date and evidence (a link or a file's name); the manager's
  verdict: major errors and delays, and how many of each had their objective cause accepted.

Quantities, factors and points are integer hundredths (exact on every database).
"""

from __future__ import annotations

import enum
import json
from datetime import date, datetime

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
from evalapp.evaluations.models import Regulation
from evalapp.extensions import db
from evalapp.org.models import Person, Unit, _enum


class PeriodStatus(enum.StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"

    @property
    def label(self) -> str:
        return str(PERIOD_STATUS_LABELS[self])


PERIOD_STATUS_LABELS = {
    PeriodStatus.OPEN: _l("Open"),
    PeriodStatus.CONFIRMED: _l("Confirmed"),
}


class ItemOrigin(enum.StrEnum):
    ASSIGNED = "assigned"   # by the manager
    PROPOSED = "proposed"   # by the person, counted once accepted


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class Product(db.Model):
    __tablename__ = "ledger_product"
    __table_args__ = (CheckConstraint("factor > 0", name="factor_positive"),)
    audit_type = "ledger_product"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    regulation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluation_regulation.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    group: Mapped[str] = mapped_column(String(40))
    measure: Mapped[str] = mapped_column(String(40))
    factor: Mapped[int] = mapped_column(Integer)  # hundredths: 100 = the standard product
    # Difficulty levels: [{"name": "Phức tạp", "factor": "1.5"}, ...] (multiplying the factor).
    levels_json: Mapped[str] = mapped_column(Text, default="[]")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    unit: Mapped[Unit] = relationship()
    regulation: Mapped[Regulation | None] = relationship()

    @property
    def levels(self) -> list[dict]:
        return json.loads(self.levels_json or "[]")

    @levels.setter
    def levels(self, value: list[dict]) -> None:
        self.levels_json = _json(value)


class Period(db.Model):
    __tablename__ = "ledger_period"
    __table_args__ = (
        UniqueConstraint("person_id", "year", "period"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
        CheckConstraint("general IS NULL OR (general BETWEEN 0 AND 3000)", name="general_range"),
        CheckConstraint("task_score IS NULL OR (task_score BETWEEN 0 AND 7000)",
                        name="task_score_range"),
        CheckConstraint("score IS NULL OR (score BETWEEN 0 AND 10000)", name="score_range"),
        CheckConstraint("status <> 'confirmed' OR (confirmed_at IS NOT NULL AND "
                        "task_score IS NOT NULL AND score IS NOT NULL)",
                        name="confirmed_has_scores"),
    )
    audit_type = "ledger_period"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"),
                                           index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    regulation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluation_regulation.id", ondelete="RESTRICT"))
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(8))  # "m01".."m12", "q1".."q4"
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[PeriodStatus] = mapped_column(_enum(PeriodStatus, "ledger_period_status"),
                                                 default=PeriodStatus.OPEN)
    general: Mapped[int | None] = mapped_column(Integer)  # hundredths, 0..30 points
    # A leader's d, đ, e as ratios ("0.80"): {"d": ..., "dd": ..., "e": ...}.
    leader_json: Mapped[str] = mapped_column(Text, default="{}")
    task_score: Mapped[int | None] = mapped_column(Integer)  # hundredths, kept on confirming
    score: Mapped[int | None] = mapped_column(Integer)       # hundredths, kept on confirming
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    person: Mapped[Person] = relationship()
    unit: Mapped[Unit] = relationship()
    regulation: Mapped[Regulation | None] = relationship()

    @property
    def leader(self) -> dict:
        return json.loads(self.leader_json or "{}")

    @leader.setter
    def leader(self, value: dict) -> None:
        self.leader_json = _json(value)

    @property
    def confirmed(self) -> bool:
        return self.status is PeriodStatus.CONFIRMED


class Item(db.Model):
    __tablename__ = "ledger_item"
    __table_args__ = (
        CheckConstraint("factor > 0", name="factor_positive"),
        CheckConstraint("assigned >= 0", name="assigned_not_negative"),
        CheckConstraint("delivered IS NULL OR delivered >= 0", name="delivered_not_negative"),
        CheckConstraint("errors_accepted BETWEEN 0 AND errors", name="errors_accepted_range"),
        CheckConstraint("delays_accepted BETWEEN 0 AND delays", name="delays_accepted_range"),
        CheckConstraint("origin IN ('assigned', 'proposed')", name="origin_known"),
    )
    audit_type = "ledger_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("ledger_period.id", ondelete="CASCADE"),
                                           index=True)
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_product.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(255))
    measure: Mapped[str] = mapped_column(String(40))
    level: Mapped[str | None] = mapped_column(String(80))
    factor: Mapped[int] = mapped_column(Integer)      # hundredths, the level's included
    assigned: Mapped[int] = mapped_column(Integer)    # hundredths of the measure
    due_on: Mapped[date | None] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(String(10), default=ItemOrigin.ASSIGNED.value)
    accepted: Mapped[bool] = mapped_column(Boolean, default=True)
    delivered: Mapped[int | None] = mapped_column(Integer)
    delivered_on: Mapped[date | None] = mapped_column(Date)
    evidence: Mapped[str | None] = mapped_column(String(1000))  # a link or a file's name
    errors: Mapped[int] = mapped_column(Integer, default=0)
    errors_accepted: Mapped[int] = mapped_column(Integer, default=0)
    delays: Mapped[int] = mapped_column(Integer, default=0)
    delays_accepted: Mapped[int] = mapped_column(Integer, default=0)
    cause: Mapped[str | None] = mapped_column(String(1000))  # the objective cause stated
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    period: Mapped[Period] = relationship()
    product: Mapped[Product | None] = relationship()


# ---------------------------------------------------------------- public service-quality ratings
#
# - `ledger_desk`: a front-desk official (a Person) marked by their unit's manager or admin as
#   serving the public, with an unguessable random token (the rating address, the desk card's QR
#   code). Off, or the person gone, the token refuses ratings.
# - `ledger_rating`: one rating from the public: the official, the unit they served in, the day
#   (a date, no time), the value on 1–5 (three faces are kept as 1, 3, 5), the optional comment
#   and its moderation state. Nothing of the rater: no address, browser, cookie or account.
# - `ledger_rating_mark`: "this device has rated this official today", as a keyed hash of
#   (device id, official, day) only (HMAC under a key derived from SECRET_KEY), in its own table
#   so that no rating row carries it; marks older than yesterday are deleted as ratings arrive.


class CommentState(enum.StrEnum):
    NONE = "none"          # no comment
    PENDING = "pending"    # waiting for a moderator; shown to nobody else
    APPROVED = "approved"  # shown to whoever sees the official's ledger
    HIDDEN = "hidden"      # kept for the moderators, never shown; the value still counts


class Desk(db.Model):
    __tablename__ = "ledger_desk"
    __table_args__ = (UniqueConstraint("person_id"), UniqueConstraint("token"))
    audit_type = "ledger_desk"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"))
    token: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    person: Mapped[Person] = relationship()


class Rating(db.Model):
    __tablename__ = "ledger_rating"
    __table_args__ = (
        CheckConstraint("value BETWEEN 1 AND 5", name="value_range"),
        CheckConstraint("faces IN (3, 5)", name="faces_known"),
        CheckConstraint("comment_state IN ('none', 'pending', 'approved', 'hidden')",
                        name="comment_state_known"),
        CheckConstraint("(comment IS NULL) = (comment_state = 'none')", name="comment_has_state"),
    )
    audit_type = "ledger_rating"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"),
                                           index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    rated_on: Mapped[date] = mapped_column(Date, index=True)
    value: Mapped[int] = mapped_column(Integer)   # 1..5
    faces: Mapped[int] = mapped_column(Integer)   # the scale shown: 3 or 5
    comment: Mapped[str | None] = mapped_column(String(500))
    comment_state: Mapped[str] = mapped_column(String(10), default=CommentState.NONE.value)
    moderated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship()
    unit: Mapped[Unit] = relationship()


class RatingMark(db.Model):
    __tablename__ = "ledger_rating_mark"
    audit_type = "ledger_rating_mark"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    day: Mapped[date] = mapped_column(Date, index=True)


# ---------------------------------------------------------------- evidence (migration 0018)


class ImportedScore(db.Model):
    """A score a person got from another source (a competency exam, a KPI system, a training
    record), imported from .xlsx: per person, year and period ("m03", "q1", or "year" for the
    whole year) and source, the score (hundredths, 0..1000 points on the source's own scale)
    and a note. Shown as evidence; a Quy chế may give the source a weight (tally.ledger)."""

    __tablename__ = "ledger_imported_score"
    __table_args__ = (
        UniqueConstraint("person_id", "year", "period", "source"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
        CheckConstraint("score BETWEEN 0 AND 100000", name="score_range"),
    )
    audit_type = "ledger_imported_score"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"),
                                           index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(8))   # "m01".."m12", "q1".."q4", "year"
    source: Mapped[str] = mapped_column(String(80))
    score: Mapped[int] = mapped_column(Integer)      # hundredths
    note: Mapped[str | None] = mapped_column(String(1000))
    imported_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class YearGeneral(db.Model):
    """The general criteria's points (0–30, hundredths) given once for the year, when the Quy
    chế scores them per year (LedgerRules.general_per == "year")."""

    __tablename__ = "ledger_year_general"
    __table_args__ = (
        UniqueConstraint("person_id", "year"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
        CheckConstraint("general BETWEEN 0 AND 3000", name="general_range"),
    )
    audit_type = "ledger_year_general"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"),
                                           index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    year: Mapped[int] = mapped_column(Integer)
    general: Mapped[int] = mapped_column(Integer)
    scored_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# ---------------------------------------------------------------- evidence files (migration 0019)

EVIDENCE_FILE_MAX = 5 * 1024 * 1024


class ItemFile(db.Model):
    """The file a work item's evidence is (a scanned document, a photo taken on the phone, a
    report): one per item, replaced by a new upload while the period is open. Kept in the
    database with the ledger (a work record, in the backups like the rest of it); its type is
    what its first bytes are, never what the upload said."""

    __tablename__ = "ledger_item_file"
    __table_args__ = (
        CheckConstraint(f"size BETWEEN 1 AND {EVIDENCE_FILE_MAX}", name="size_range"),
    )
    audit_type = "ledger_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("ledger_item.id", ondelete="CASCADE"),
                                         unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    item: Mapped[Item] = relationship()
