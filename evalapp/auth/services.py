"""Accounts: authentication, passwords, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from evalapp.audit.services import record
from evalapp.auth.models import ApiToken, Role, RoleGrant, User
from evalapp.auth.permissions import can_manage_accounts, has_role
from evalapp.core.errors import AlreadyExists, NotAllowed, NotFound, ValidationFailed
from evalapp.core.text import collation_key, fold_for_search, nfc
from evalapp.core.time import utcnow
from evalapp.extensions import db
from evalapp.org.models import Person, Unit

MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "eva_"

# Checked against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="pbkdf2:sha256:1000")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _check_password_rules(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(_l("The password must have at least %(n)s characters."),
                               field=field, n=MIN_PASSWORD_LENGTH)


def find_user(username: str) -> User | None:
    username = nfc(username).lower()
    return db.session.execute(
        select(User).where(func.lower(User.username) == username)
    ).scalar_one_or_none()


def authenticate(username: str, password: str) -> User | None:
    """The active account with these credentials, or None. Records the login."""
    user = find_user(username)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    record(user, "auth.login", user)
    return user


def record_logout(user: User) -> None:
    record(user, "auth.logout", user)


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not check_password_hash(user.password_hash, current_password):
        raise ValidationFailed(_l("The current password is not correct."),
                               field="current_password")
    _check_password_rules(new_password, "new_password")
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    record(user, "auth.password_changed", user)


@dataclass
class GrantSpec:
    role: Role
    unit: Unit | None


def _check_username(username: str) -> str:
    username = nfc(username).lower()
    if not username or len(username) > 80 or not all(
        ch.isalnum() or ch in "._-@" for ch in username
    ):
        raise ValidationFailed(
            _l("A username may hold only letters, digits and the characters . _ - @."),
            field="username",
        )
    return username


def _apply_grants(user: User, grants: list[GrantSpec]) -> None:
    unique = {(g.role, g.unit.id if g.unit else None): g for g in grants}
    user.grants.clear()
    db.session.flush()
    for grant in unique.values():
        user.grants.append(RoleGrant(role=grant.role, unit=grant.unit))


def _grants_summary(user: User) -> list[str]:
    return sorted(f"{g.role.value}@{g.unit_id or '*'}" for g in user.grants)


def create_user(actor, *, username: str, full_name: str, password: str,
                grants: list[GrantSpec], person: Person | None = None) -> User:
    if not can_manage_accounts(actor):
        raise NotAllowed()
    username = _check_username(username)
    if find_user(username) is not None:
        raise AlreadyExists(_l("The username %(name)s is already taken."), field="username",
                            name=username)
    full_name = nfc(full_name)
    if not full_name:
        raise ValidationFailed(_l("Enter the full name."), field="full_name")
    _check_password_rules(password)
    user = User(username=username, full_name=full_name, password_hash=hash_password(password),
                person=person, active=True, session_version=1)
    db.session.add(user)
    _apply_grants(user, grants)
    db.session.flush()
    record(actor, "account.created", user, username=username, roles=_grants_summary(user))
    return user


def update_user(actor: User, user: User, *, full_name: str, grants: list[GrantSpec],
                person: Person | None) -> User:
    if not can_manage_accounts(actor):
        raise NotAllowed()
    full_name = nfc(full_name)
    if not full_name:
        raise ValidationFailed(_l("Enter the full name."), field="full_name")
    if user.id == actor.id and not any(g.role == Role.ADMIN and g.unit is None for g in grants):
        raise ValidationFailed(
            _l("You cannot remove your own organisation-wide administrator role."),
            field="grants",
        )
    user.full_name = full_name
    user.person = person
    _apply_grants(user, grants)
    db.session.flush()
    record(actor, "account.updated", user, roles=_grants_summary(user))
    return user


def set_user_active(actor: User, user: User, active: bool) -> None:
    if not can_manage_accounts(actor):
        raise NotAllowed()
    if user.id == actor.id and not active:
        raise ValidationFailed(_l("You cannot deactivate your own account."))
    user.active = active
    user.session_version += 1
    record(actor, "account.activated" if active else "account.deactivated", user)


def reset_password(actor: User, user: User, new_password: str) -> None:
    if not can_manage_accounts(actor):
        raise NotAllowed()
    _check_password_rules(new_password, "new_password")
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    record(actor, "account.password_reset", user)


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id carries a version that a password change invalidates."""
    try:
        user_id, version = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_token(actor: User, name: str) -> tuple[ApiToken, str]:
    """A new token for the actor's own use; the plain token is returned only here."""
    name = nfc(name)
    if not name or len(name) > 120:
        raise ValidationFailed(_l("Give the token a name (at most 120 characters)."),
                               field="name")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=actor, name=name, token_hash=_token_digest(plain),
                     prefix=plain[: len(TOKEN_PREFIX) + 4])
    db.session.add(token)
    db.session.flush()
    record(actor, "api_token.created", token, name=name)
    return token, plain


def revoke_api_token(actor: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.id:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(actor, "api_token.revoked", token)
    return token


def user_for_api_token(plain: str) -> User | None:
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == _token_digest(plain))
    ).scalar_one_or_none()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    return token.user


def list_tokens(user: User) -> list[ApiToken]:
    return list(db.session.execute(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    ).scalars())


def list_users() -> list[User]:
    users = db.session.execute(select(User)).scalars().all()
    return sorted(users, key=lambda u: collation_key(u.full_name))


def _free_username(base: str, taken: set[str]) -> str:
    base = "".join(ch for ch in fold_for_search(base) if ch.isalnum() or ch in "._-")[:60]
    base = base or "user"
    candidate, suffix = base, 1
    while candidate in taken:
        suffix += 1
        candidate = f"{base}{suffix}"
    taken.add(candidate)
    return candidate


def create_voter_accounts(actor, people: list[Person]) -> list[tuple[User, str]]:
    """Accounts with the voter role for the people who have none, each with a new random
    password returned here once (to print and hand out) and stored only as a hash."""
    missing = [p for p in people if db.session.execute(
        select(User.id).where(User.person_id == p.id)).first() is None]
    outside = [p.full_name for p in missing if not has_role(actor, Role.ADMIN, p.unit)]
    if outside:
        raise NotAllowed(_l("You do not administer the units of: %(names)s."),
                         names=", ".join(outside[:20]))
    taken = set(db.session.execute(select(func.lower(User.username))).scalars())
    created = []
    for person in missing:
        username = _free_username(person.staff_code or person.full_name, taken)
        password = secrets.token_urlsafe(8)
        user = User(username=username, full_name=person.full_name, person=person,
                    password_hash=hash_password(password), active=True, session_version=1)
        user.grants.append(RoleGrant(role=Role.VOTER, unit=None))
        db.session.add(user)
        created.append((user, password))
    db.session.flush()
    if created:
        record(actor, "account.voters_created", None,
               usernames=[user.username for user, _password in created])
    return created
