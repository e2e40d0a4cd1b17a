"""The account's own section of the home page: the roles it holds."""

from __future__ import annotations

from evalapp.auth.models import Role
from evalapp.auth.permissions import roles_of
from evalapp.core.home import home_section


@home_section("auth.roles", order=0, template="auth/_home_roles.html")
def roles(user):
    return {"roles": sorted(roles_of(user), key=list(Role).index)}
