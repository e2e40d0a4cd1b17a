""""Keep me signed in": opt-in, bounded and rotating, and ended with the account's sessions.

Flask-Login's own remember cookie is not used (it holds the same value for every login and lasts
a year). Ours is a signed value holding the account, its session version, the end of the
remembering (REMEMBER_ME_DAYS after the login that asked for it, never extended) and a random
nonce. Each time it restores a session it is replaced by a new value with the same end, so the
value changes at every login and every use. Logout, a password change or reset and deactivation
bump the account's session version (auth.services), and from then on every earlier cookie, on
any device, is refused. Without server state an older value of this device's cookie stays valid
until then or until its end: the rotation makes a copy stale, the version ends it.
"""

from __future__ import annotations

import secrets
import time

from flask import after_this_request, current_app, request
from flask_login import login_user
from itsdangerous import BadData, URLSafeTimedSerializer

from evalapp.auth.models import User
from evalapp.extensions import db

COOKIE = "evalapp_remember"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="evalapp.remember-me")


def _days() -> int:
    return int(current_app.config["REMEMBER_ME_DAYS"])


def issue(response, user: User, ends_at: int | None = None) -> None:
    """Set a new remember-me cookie for `user` (from a login: ends REMEMBER_ME_DAYS from now)."""
    now = int(time.time())
    ends_at = ends_at if ends_at is not None else now + _days() * 86400
    value = _serializer().dumps({"u": user.id, "v": user.session_version, "e": ends_at,
                                 "n": secrets.token_urlsafe(16)})
    response.set_cookie(COOKIE, value, max_age=max(0, ends_at - now), httponly=True,
                        secure=current_app.config["REMEMBER_COOKIE_SECURE"], samesite="Lax")


def forget(response) -> None:
    response.delete_cookie(COOKIE, httponly=True,
                           secure=current_app.config["REMEMBER_COOKIE_SECURE"], samesite="Lax")


def read(raw: str | None) -> tuple[User, int] | None:
    """The account a cookie value stands for and when its remembering ends, if it still
    holds: signed by us, not past its end, the account active and its session version the
    same as when the cookie was made."""
    if not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=_days() * 86400)
        user_id, version, ends_at = int(data["u"]), int(data["v"]), int(data["e"])
    except (BadData, KeyError, TypeError, ValueError):
        return None
    if ends_at <= time.time():
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user, ends_at


def load_remembered_user(_request) -> User | None:
    """Flask-Login's request loader (asked when the session has no account): a valid cookie
    opens a new, not fresh, session and is replaced by a new value with the same end."""
    found = read(request.cookies.get(COOKIE))
    if found is None:
        return None
    user, ends_at = found
    login_user(user, fresh=False)

    @after_this_request
    def rotate(response):
        issue(response, user, ends_at)
        return response

    return user
