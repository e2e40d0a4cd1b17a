"""The token's own account: /me."""

from __future__ import annotations

from evalapp.api.base import Out, api_user, endpoint
from evalapp.auth.models import Role
from evalapp.auth.permissions import roles_of


class Me(Out):
    id: int
    username: str
    full_name: str
    roles: list[Role]


@endpoint("/me", summary="The account the token belongs to", ok=Me, tags=("account",))
def me():
    user = api_user()
    return Me(id=user.id, username=user.username, full_name=user.full_name,
              roles=sorted(roles_of(user), key=lambda role: role.value))
