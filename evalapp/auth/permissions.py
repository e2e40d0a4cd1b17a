"""Permissions as one vocabulary: `can(user, action, scope)`, used by routes, services, the API
and templates alike.

Each action is a named predicate `(user, scope) -> bool`. This module defines the ones about
accounts and roles; every area registers its own in its `permissions` module (`auth` imports no
area that builds on it: ballots register "ballots.manage" and the like, see
evalapp/ballots/permissions.py):

    @action("ballots.manage")
    def can_manage_round(user, round_) -> bool: ...

    can(current_user, "ballots.manage", round_)      # in a route, a service or a template
    require(actor, "ballots.manage", round_)         # in a service: NotAllowed (403) unless

The scope is what the action is asked about: a unit, a round, or nothing ("anywhere").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evalapp.auth.models import Role
from evalapp.core.errors import NotAllowed
from evalapp.org.models import Unit

Predicate = Callable[[Any, Any], bool]
_ACTIONS: dict[str, Predicate] = {}


def action(name: str) -> Callable[[Callable], Callable]:
    """Register `predicate(user, scope=None) -> bool` as the action `name`."""

    def register(predicate: Callable) -> Callable:
        if _ACTIONS.get(name, predicate) is not predicate:
            raise ValueError(f"the permission {name} is registered twice")
        _ACTIONS[name] = predicate
        return predicate

    return register


def actions() -> dict[str, Predicate]:
    """Every registered action, by name (for tests and documentation)."""
    return dict(_ACTIONS)


def can(user, name: str, scope: Any = None) -> bool:
    """Whether `user` may do the action `name` on `scope` (a unit, a round, ... or None)."""
    try:
        predicate = _ACTIONS[name]
    except KeyError:
        raise LookupError(f"no permission is registered as {name!r}") from None
    return bool(predicate(user, scope) if scope is not None else predicate(user))


def require(user, name: str, scope: Any = None, message: Any = None) -> None:
    """NotAllowed (403) unless can(user, name, scope)."""
    if not can(user, name, scope):
        raise NotAllowed(message)


class SystemActor:
    """The command line and the demo loader: acts with every permission, audited as "system"."""

    id = None
    username = "system"
    is_authenticated = True
    is_active = True
    grants: tuple = ()


SYSTEM = SystemActor()


def _is_user(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def has_role(user, role: Role, unit: Unit | None = None) -> bool:
    """True when the user holds `role` over `unit` (a grant on it or on a unit above it).

    Without a unit: true when the user holds the role anywhere.
    """
    if user is SYSTEM:
        return True
    if not _is_user(user):
        return False
    for grant in user.grants:
        if grant.role != role:
            continue
        if unit is None or grant.unit is None or unit.path.startswith(grant.unit.path):
            return True
    return False


def scope_paths(user, role: Role) -> list[str] | None:
    """The unit paths under which `user` holds `role`: None means everywhere, [] nowhere."""
    if user is SYSTEM:
        return None
    if not _is_user(user):
        return []
    paths: list[str] = []
    for grant in user.grants:
        if grant.role != role:
            continue
        if grant.unit is None:
            return None
        paths.append(grant.unit.path)
    return paths


def is_admin(user, unit: Unit | None = None) -> bool:
    """An administrator of `unit` (a grant on it or above it); without a unit, of any unit."""
    return has_role(user, Role.ADMIN, unit)


@action("admin.anywhere")
def is_admin_anywhere(user) -> bool:
    """An administrator of at least one unit (or of the whole organisation): the admin menus,
    the org pages, creating rounds."""
    return has_role(user, Role.ADMIN)


@action("admin.everywhere")
def is_admin_everywhere(user) -> bool:
    """An administrator of the whole organisation (a grant on no unit in particular)."""
    return _is_user(user) and scope_paths(user, Role.ADMIN) is None


@action("org.manage")
def can_manage_org(user, unit: Unit | None = None) -> bool:
    return is_admin(user, unit)


@action("accounts.manage")
def can_manage_accounts(user) -> bool:
    """Accounts cross units (a voter may sit on several bodies): only organisation-wide admins."""
    return is_admin_everywhere(user)


@action("api.use")
def can_use_api(user) -> bool:
    return _is_user(user)


def roles_of(user) -> set[Role]:
    if not _is_user(user):
        return set()
    return {grant.role for grant in user.grants}


# ---------------------------------------------------------------- people voting now
#
# Design §2: an administrator cannot vote on anyone's behalf. Setting a voter's password, or
# linking their person to another account, while their round is taking attendance or voting
# would let whoever did it log in as them and cast. Auth knows no kind of round: each area whose
# rounds have a roll registers a function `person_id -> [LiveRound, ...]` (the rounds in which
# that person is summoned and voting is not over), and auth refuses such changes while any
# answer is not empty (evalapp.auth.services).


@dataclass(frozen=True)
class LiveRound:
    """A round in which a person is on the roll and voting is not over."""

    target: Any   # the round itself: it has an `audit_type` and an `id` (for the audit entry)
    title: str


LiveRolls = Callable[[int], list[LiveRound]]
_LIVE_ROLLS: dict[str, LiveRolls] = {}


def live_roll(name: str) -> Callable[[LiveRolls], LiveRolls]:
    """Register `rounds_of(person_id) -> list[LiveRound]` under `name` (the area's name)."""

    def register(rounds_of: LiveRolls) -> LiveRolls:
        if _LIVE_ROLLS.get(name, rounds_of) is not rounds_of:
            raise ValueError(f"the live roll {name} is registered twice")
        _LIVE_ROLLS[name] = rounds_of
        return rounds_of

    return register


def live_rounds_of(person_id: int | None) -> list[LiveRound]:
    """Every round, of every area, in which the person is summoned and voting is not over."""
    if person_id is None:
        return []
    return [found for rounds_of in _LIVE_ROLLS.values() for found in rounds_of(person_id)]
