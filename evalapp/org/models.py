from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalapp.core.time import utcnow
from evalapp.extensions import db


class UnitKind(enum.StrEnum):
    PARTY_COMMITTEE = "party_committee"
    PEOPLES_COUNCIL = "peoples_council"
    PEOPLES_COMMITTEE = "peoples_committee"
    DEPARTMENT = "department"
    COMMUNE = "commune"
    PUBLIC_SERVICE_UNIT = "public_service_unit"
    ARMED_FORCES = "armed_forces"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(UNIT_KIND_LABELS[self])

    @property
    def is_party(self) -> bool:
        return self is UnitKind.PARTY_COMMITTEE


UNIT_KIND_LABELS = {
    UnitKind.PARTY_COMMITTEE: _l("Party committee"),
    UnitKind.PEOPLES_COUNCIL: _l("People's Council"),
    UnitKind.PEOPLES_COMMITTEE: _l("People's Committee"),
    UnitKind.DEPARTMENT: _l("Department or office"),
    UnitKind.COMMUNE: _l("Commune or ward"),
    UnitKind.PUBLIC_SERVICE_UNIT: _l("Public service unit"),
    UnitKind.ARMED_FORCES: _l("Armed forces unit"),
    UnitKind.OTHER: _l("Other"),
}


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"

    @property
    def label(self) -> str:
        return str(GENDER_LABELS[self])


GENDER_LABELS = {Gender.MALE: _l("Male"), Gender.FEMALE: _l("Female")}


class StaffKind(enum.StrEnum):
    """Which rules rate a person: công chức (NĐ 335/2025), viên chức (NĐ 233/2026), cán bộ."""

    CIVIL_SERVANT = "civil_servant"      # công chức
    PUBLIC_EMPLOYEE = "public_employee"  # viên chức
    OFFICIAL = "official"                # cán bộ
    OTHER = "other"                      # người lao động, hợp đồng

    @property
    def label(self) -> str:
        return str(STAFF_KIND_LABELS[self])


STAFF_KIND_LABELS = {
    StaffKind.CIVIL_SERVANT: _l("Civil servant (công chức)"),
    StaffKind.PUBLIC_EMPLOYEE: _l("Public employee (viên chức)"),
    StaffKind.OFFICIAL: _l("Official (cán bộ)"),
    StaffKind.OTHER: _l("Other staff"),
}


def _enum(enum_cls, name: str) -> Enum:
    # Stored as the value ("male"), checked by a CHECK constraint on every database.
    return Enum(enum_cls, name=name, native_enum=False, create_constraint=True, length=40,
                values_callable=lambda cls: [member.value for member in cls],
                validate_strings=True)


class Unit(db.Model):
    """A body or part of one. `path` is the chain of ids from the root ("/1/4/9/"), so that
    "this unit and its sub-units" is one prefix comparison on any database."""

    __tablename__ = "unit"
    audit_type = "unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    short_name: Mapped[str | None] = mapped_column(String(80))
    # The body's own code for the unit; imports name units by code when names repeat.
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    kind: Mapped[UnitKind] = mapped_column(_enum(UnitKind, "unit_kind"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("unit.id", ondelete="RESTRICT"), index=True
    )
    path: Mapped[str] = mapped_column(String(1000), index=True, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    sort_key: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2 if self.path else 0

    def contains(self, other: Unit) -> bool:
        return other.path.startswith(self.path)


class Post(db.Model):
    """A post (chức vụ). `rank` orders posts from the highest (1) down, the usual order of names
    on a ballot."""

    __tablename__ = "post"
    __table_args__ = (CheckConstraint("rank >= 0", name="rank_not_negative"),)
    audit_type = "post"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    rank: Mapped[int] = mapped_column(Integer, default=100)
    is_leadership: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DutyGroup(db.Model):
    """People with similar duties; the evaluation quota is counted within each group."""

    __tablename__ = "duty_group"
    audit_type = "duty_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(String(1000))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Person(db.Model):
    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint("birth_year IS NULL OR (birth_year BETWEEN 1900 AND 2100)",
                        name="birth_year_range"),
        CheckConstraint("full_name <> ''", name="full_name_not_empty"),
    )
    audit_type = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_code: Mapped[str | None] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    gender: Mapped[Gender | None] = mapped_column(_enum(Gender, "gender"))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="RESTRICT"),
                                                index=True)
    duty_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("duty_group.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # For evaluation rounds: the kind of staff, the direct manager (none: the head of the unit)
    # and the day the person started working here (months worked in the year, Điều 14).
    staff_kind: Mapped[StaffKind | None] = mapped_column(_enum(StaffKind, "staff_kind"))
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True)
    started_on: Mapped[date | None] = mapped_column(Date)
    # Derived from full_name on every write (see org.services): Vietnamese order and
    # tone-insensitive search.
    sort_key: Mapped[bytes] = mapped_column(LargeBinary, index=True)
    search_text: Mapped[str] = mapped_column(String(600))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)

    unit: Mapped[Unit] = relationship()
    post: Mapped[Post | None] = relationship()
    duty_group: Mapped[DutyGroup | None] = relationship()
    manager: Mapped[Person | None] = relationship(remote_side=[id])


class PeopleImport(db.Model):
    """An uploaded people file waiting for the admin to confirm its preview.

    The file is kept in the database (not on a worker's disk) so that any app server can apply
    it; it is applied at most once.
    """

    __tablename__ = "people_import"
    audit_type = "people_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uploaded_by_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
