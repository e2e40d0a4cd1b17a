from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalapp.core.time import as_utc, utcnow
from evalapp.extensions import db
from evalapp.org.models import Person, Unit, _enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    SECRETARY = "secretary"
    COUNTER = "counter"
    VOTER = "voter"
    EVALUEE = "evaluee"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator (personnel office)"),
    Role.SECRETARY: _l("Secretary"),
    Role.COUNTER: _l("Vote-counting team member"),
    Role.VOTER: _l("Voter (committee member)"),
    Role.EVALUEE: _l("Person evaluated"),
}


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    audit_type = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The person in the directory this account belongs to, if any (voters, people evaluated).
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), unique=True
    )
    # Part of every session's and remember-me cookie's id: bumped at logout, when the password
    # changes or is reset and when the account is deactivated, so every earlier session and
    # remember-me cookie of the account ends (auth.services.load_session_user, auth.remember).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    person: Mapped[Person | None] = relationship()
    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class RoleGrant(db.Model):
    """A role held over a unit and its sub-units; no unit means the whole organisation."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("user_id", "role", "unit_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"),
                                                index=True)

    user: Mapped[User] = relationship(back_populates="grants")
    unit: Mapped[Unit | None] = relationship(lazy="joined")


class ApiToken(db.Model):
    """A personal token for the JSON API. Only its SHA-256 is stored; the token itself is shown
    once, when it is created."""

    __tablename__ = "api_token"
    audit_type = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Chosen when the token is made (API_TOKEN_DAYS by default); a password reset revokes it
    # earlier.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()

    @property
    def expired(self) -> bool:
        return as_utc(self.expires_at) <= utcnow()
