"""Permissions as plain predicates on a user, used by routes, services and templates alike."""

from __future__ import annotations

from evalapp.auth.models import Role
from evalapp.org.models import Unit


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
    return has_role(user, Role.ADMIN, unit)


def can_manage_org(user, unit: Unit | None = None) -> bool:
    return is_admin(user, unit)


def can_manage_accounts(user) -> bool:
    """Accounts cross units (a voter may sit on several bodies): only organisation-wide admins."""
    return _is_user(user) and scope_paths(user, Role.ADMIN) is None


def can_use_api(user) -> bool:
    return _is_user(user)


def roles_of(user) -> set[Role]:
    if not _is_user(user):
        return set()
    return {grant.role for grant in user.grants}
