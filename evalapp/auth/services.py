"""Accounts: authentication, passwords, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from evalapp.audit.services import record
from evalapp.auth.models import ApiToken, Role, RoleGrant, User
from evalapp.auth.permissions import SYSTEM, can_manage_accounts, has_role, live_rounds_of
from evalapp.core.errors import (
    AlreadyExists,
    InvalidState,
    NotAllowed,
    NotFound,
    ValidationFailed,
)
from evalapp.core.text import fold_for_search, nfc, person_sort_key
from evalapp.core.time import as_utc, utcnow
from evalapp.extensions import db
from evalapp.org.models import Person, Unit

MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "eva_"  # nosec B105 - the visible prefix of API tokens, not a secret



def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def hash_method(password_hash: str) -> str:
    """The algorithm and parameters of a stored hash (`scrypt:32768:8:1`,
    `pbkdf2:sha256:10000`), as werkzeug writes them before the salt."""
    return password_hash.split("$", 1)[0]


# Hashes of a password nobody has, one per method, checked against where an account has no
# hash of that method (or there is no account): see _password_matches.
_DUMMY_HASHES: dict[str, str] = {}


def dummy_hash(method: str) -> str:
    """A hash made by werkzeug with exactly `method`, so checking it costs what checking a
    real hash of that method costs."""
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_urlsafe(24), method=method)
    return _DUMMY_HASHES[method]


def _login_methods() -> tuple[str, str]:
    """The two kinds of hash an account can have: the one people's own passwords get
    (PASSWORD_HASH_METHOD) and the fast one of generated slip passwords."""
    return hash_method(dummy_hash(current_app.config["PASSWORD_HASH_METHOD"])), \
        hash_method(dummy_hash(SLIP_HASH_METHOD))


def _check_password_rules(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(_l("The password must have at least %(n)s characters."),
                               field=field, n=MIN_PASSWORD_LENGTH)


def find_user(username: str) -> User | None:
    username = nfc(username).lower()
    return db.session.execute(
        select(User).where(func.lower(User.username) == username)
    ).scalar_one_or_none()


def _password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether `password` (or the slip password it was typed for) matches `stored_hash`; None
    (an unknown username) matches nothing.

    Every call does the same work whatever the account, so that the time a login takes tells
    nothing about whether the username exists or what kind of account it is: one check of
    each kind of hash (people's own, PASSWORD_HASH_METHOD; slip passwords, SLIP_HASH_METHOD)
    for each way of reading the typed password (as typed, and as a slip password when it reads
    as a different one), every check made even after a match. The account's own hash takes the
    place of the dummy hash of its method; a hash of an older method (the setting changed) takes
    the place of the first kind. The number of checks depends only on what was typed. So a
    voter's login costs one hash of the slow kind more than before: that is the price of not
    telling voters' usernames apart from unknown ones."""
    own, slip_kind = _login_methods()
    typed = [password]
    slip = canonical_slip_password(password)
    if slip is not None and slip != password:
        typed.append(slip)  # a slip typed as read: in capitals, without dashes, "l" for "i"
    stored_method = hash_method(stored_hash) if stored_hash else None
    matched = False
    for method in (own, slip_kind):
        real = stored_method == method or (method == own and stored_method not in (None,
                                                                                   slip_kind))
        target = stored_hash if real else dummy_hash(method)
        for candidate in typed:
            matched |= check_password_hash(target, candidate) and real
    return matched


def authenticate(username: str, password: str) -> User | None:
    """The active account with these credentials, or None. Records the login."""
    user = find_user(username)
    if not _password_matches(user.password_hash if user else None, password):
        return None
    if not user.active:
        return None
    user.last_login_at = utcnow()
    record(user, "auth.login", user)
    return user


def logout(user: User) -> None:
    """The end of every session of the account, on every device: its session version moves on,
    so earlier session and remember-me cookies are refused (load_session_user, auth.remember)."""
    user.session_version += 1
    record(user, "auth.logout", user)


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not check_password_hash(user.password_hash, current_password):
        raise ValidationFailed(_l("The current password is not correct."),
                               field="current_password")
    _check_password_rules(new_password, "new_password")
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    record(user, "auth.password_changed", user)


# ---------------------------------------------------------------- voters' accounts while voting


class VoterAccountLocked(InvalidState):
    """Refused: the account belongs to someone summoned to a round that is taking attendance or
    voting (see evalapp.auth.permissions.live_roll). Unlike other domain errors, the refusal
    itself is recorded (an audit entry per round, shown on the round's page to its officers):
    the caller commits after catching it."""


REFUSALS = {
    "password": _l(
        "%(name)s is summoned to “%(rounds)s”, which is taking attendance or voting. Until "
        "voting ends, no one else can set the password of this account: that would let "
        "someone vote in the voter's place. The voter can still change it themselves. This "
        "attempt has been recorded and is shown to the round's secretary."),
    "link": _l(
        "%(name)s is summoned to “%(rounds)s”, which is taking attendance or voting. Until "
        "voting ends, no account can be linked to this person or unlinked from them: that "
        "would let someone vote in the voter's place. This attempt has been recorded and is "
        "shown to the round's secretary."),
}


def refuse_while_voting(actor, people: list[Person | None], account: str, change: str) -> None:
    """VoterAccountLocked when any of `people` is summoned to a live round, after recording the
    attempt against each such round (`change`: "password" or "link"). The command line and the
    demo (SYSTEM) are not held back: whoever runs them runs the server and holds its database,
    an adversary this check cannot stop (docs/security.md)."""
    if actor is SYSTEM:
        return
    message = REFUSALS[change]
    for person in people:
        rounds = live_rounds_of(person.id) if person is not None else []
        if not rounds:
            continue
        for live in rounds:
            record(actor, "account.voter_password_refused" if change == "password"
                   else "account.voter_link_refused", live.target, username=account,
                   person_id=person.id)
        raise VoterAccountLocked(message, name=person.full_name,
                                 rounds="”, “".join(live.title for live in rounds))


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


def _check_person_free(person: Person | None, user: User | None) -> None:
    """One account per person (user.person_id is unique): a staff code already linked to
    another account is refused here, before anything changes, not by the database."""
    if person is None:
        return
    holder = db.session.scalar(select(User.id).where(User.person_id == person.id))
    if holder is not None and (user is None or holder != user.id):
        raise AlreadyExists(_l("This staff code is already linked to another account."),
                            field="staff_code")


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
    _check_person_free(person, None)
    refuse_while_voting(actor, [person], username, "link")
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
    _check_person_free(person, user)
    if (person.id if person else None) != user.person_id:
        refuse_while_voting(actor, [user.person, person], user.username, "link")
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
    refuse_while_voting(actor, [user.person], user.username, "password")
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    # Whoever had the account may have made tokens: they end with its password.
    revoked = db.session.execute(select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).scalars().all()
    for token in revoked:
        token.revoked_at = utcnow()
    record(actor, "account.password_reset", user, tokens_revoked=len(revoked))


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


# The lifetimes a token may be given, in days (the default is the API_TOKEN_DAYS setting).
TOKEN_LIFETIMES = (7, 30, 90, 180, 365)


def create_api_token(actor: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for the actor's own use, valid `days` days (by default the API_TOKEN_DAYS
    setting, 90); the plain token is returned only here."""
    name = nfc(name)
    if not name or len(name) > 120:
        raise ValidationFailed(_l("Give the token a name (at most 120 characters)."),
                               field="name")
    days = days if days is not None else int(current_app.config["API_TOKEN_DAYS"])
    if not 1 <= days <= max(TOKEN_LIFETIMES):
        raise ValidationFailed(_l("Choose how long the token stays valid from the list."),
                               field="days")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=actor, name=name, token_hash=_token_digest(plain),
                     prefix=plain[: len(TOKEN_PREFIX) + 4],
                     expires_at=utcnow() + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    record(actor, "api_token.created", token, name=name, days=days)
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
    # The account with its token, in one read; its role grants only if a check asks for them
    # (a voter's cast needs none).
    token = db.session.execute(
        select(ApiToken).options(joinedload(ApiToken.user).lazyload(User.grants))
        .where(ApiToken.token_hash == _token_digest(plain))
    ).scalar_one_or_none()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    if token.expired:
        return None
    return token.user


def list_tokens(user: User) -> list[ApiToken]:
    return list(db.session.execute(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    ).scalars())


USER_SORTS = ("name", "username", "last_login", "status")


def list_users(*, search: str = "", role: Role | None = None, status: str = "all",
               sort: str = "name", descending: bool = False) -> list[User]:
    """Accounts, filtered and sorted. Names sort by the Vietnamese alphabet (given name first,
    as everywhere else), which only Python can do on every database, so the filtering and
    sorting are done here; an organisation has thousands of accounts at most."""
    query = select(User)
    if status == "active":
        query = query.where(User.active.is_(True))
    elif status == "inactive":
        query = query.where(User.active.is_(False))
    if role is not None:
        query = query.where(User.grants.any(RoleGrant.role == role))
    users = db.session.execute(query).scalars().all()
    words = fold_for_search(search).split()
    if words:
        users = [u for u in users
                 if all(w in fold_for_search(f"{u.full_name} {u.username}") for w in words)]
    by_name = sorted(users, key=lambda u: person_sort_key(u.full_name))
    if sort == "username":
        return sorted(users, key=lambda u: u.username, reverse=descending)
    if sort == "last_login":  # ties in name order; never logged in last either way
        seen = sorted((u for u in by_name if u.last_login_at),
                      key=lambda u: as_utc(u.last_login_at), reverse=descending)
        return seen + [u for u in by_name if not u.last_login_at]
    if sort == "status":
        return sorted(by_name, key=lambda u: u.active == descending)  # active first
    return by_name[::-1] if descending else by_name


def _free_username(base: str, taken: set[str]) -> str:
    base = "".join(ch for ch in fold_for_search(base) if ch.isalnum() or ch in "._-")[:60]
    base = base or "user"
    candidate, suffix = base, 1
    while candidate in taken:
        suffix += 1
        candidate = f"{base}{suffix}"
    taken.add(candidate)
    return candidate


# ---------------------------------------------------------------- voter accounts and slips

# Passwords printed on voter slips. They are generated, never chosen by a person: 12 symbols
# drawn uniformly from 32 give 2**60 possibilities. The alphabet leaves out what reads like
# something else (0 and o, 1 and l; no capitals at all), and at login an "l" or "1" is read as
# the "i" it was taken for, capitals as small letters, and dashes and spaces are ignored.
SLIP_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
SLIP_GROUPS, SLIP_GROUP_SIZE = 3, 4
_SLIP_LENGTH = SLIP_GROUPS * SLIP_GROUP_SIZE
_SLIP_READ_AS = str.maketrans({"l": "i", "1": "i"})
# Why a fast hash is sound here: scrypt at ~0.3 s each made 300 accounts take minutes (and a
# hall of logins saturate the server). Slow hashes protect *guessable* passwords against offline
# guessing; a 60-bit random one needs ~2**59 guesses on average, and with 10,000 salted
# PBKDF2-SHA256 rounds each (a few milliseconds here) that is beyond any attacker's budget
# (about 6·10**21 SHA-256 pairs per account). Online guessing is held back by the login limits.
# A voter who sets their own password later gets the normal PASSWORD_HASH_METHOD again.
SLIP_HASH_METHOD = "pbkdf2:sha256:10000"


def generate_slip_password() -> str:
    symbols = "".join(secrets.choice(SLIP_ALPHABET) for _ in range(_SLIP_LENGTH))
    return "-".join(symbols[i:i + SLIP_GROUP_SIZE] for i in range(0, _SLIP_LENGTH,
                                                                   SLIP_GROUP_SIZE))


def canonical_slip_password(typed: str) -> str | None:
    """The slip password `typed` stands for, as printed (`hxk7-m4pq-wr9t`), or None when it
    cannot be one."""
    symbols = "".join(ch for ch in typed.lower() if ch not in " -\t").translate(_SLIP_READ_AS)
    if len(symbols) != _SLIP_LENGTH or any(ch not in SLIP_ALPHABET for ch in symbols):
        return None
    return "-".join(symbols[i:i + SLIP_GROUP_SIZE] for i in range(0, _SLIP_LENGTH,
                                                                   SLIP_GROUP_SIZE))


def people_without_account(people: list[Person]) -> list[Person]:
    """Those of `people` (in their order) to whom no account is linked."""
    ids = [p.id for p in people]
    linked = set(db.session.execute(
        select(User.person_id).where(User.person_id.in_(ids))).scalars()) if ids else set()
    return [p for p in people if p.id not in linked]


def create_voter_accounts(actor, people: list[Person],
                          limit: int | None = None) -> list[tuple[User, str]]:
    """Accounts with the voter role for the people who have none (the first `limit` of them, in
    the order given, when a limit is set, so that a long list can be done in batches with a
    progress bar), each with a new slip password returned here once (to print and hand out)
    and stored only as a hash."""
    missing = people_without_account(people)
    outside = [p.full_name for p in missing if not has_role(actor, Role.ADMIN, p.unit)]
    if outside:
        raise NotAllowed(_l("You do not administer the units of: %(names)s."),
                         names=", ".join(outside[:20]))
    if limit is not None:
        missing = missing[:max(0, limit)]
    taken = set(db.session.execute(select(func.lower(User.username))).scalars())
    created = []
    for person in missing:
        username = _free_username(person.staff_code or person.full_name, taken)
        password = generate_slip_password()
        user = User(username=username, full_name=person.full_name, person=person,
                    password_hash=generate_password_hash(password, method=SLIP_HASH_METHOD),
                    active=True, session_version=1)
        user.grants.append(RoleGrant(role=Role.VOTER, unit=None))
        db.session.add(user)
        created.append((user, password))
    db.session.flush()
    if created:
        record(actor, "account.voters_created", None,
               usernames=[user.username for user, _password in created])
    return created
