"""Slowing down password guessing without locking out a hall.

Only *failed* logins count (Flask-Limiter's `deduct_when`): a hall of delegates behind one Wi-Fi
router, or every user behind the TLS proxy, logging in correctly is never refused. Two limits:

- per account (LOGIN_RATE_LIMIT, the username tried): stops guessing one account's password
  from any number of clients;
- per client address (LOGIN_CLIENT_RATE_LIMIT, taken through ProxyFix when TRUSTED_PROXIES is
  set): stops one client trying one password on many accounts.

So that someone typing wrong passwords for a colleague's account cannot lock that colleague out
of the phone they already use, a browser that has logged in to an account gets a signed device
cookie (OWASP's "device cookies"). Its failures for that account are counted on their own
(the same per-account limit, keyed to the device), and it is exempt from the per-address limit.
Every client the account has never logged in from shares the account's counter: while it is
exhausted, a new device is refused even with the right password, until the window passes.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeSerializer

from evalapp.core.text import nfc

DEVICE_COOKIE = "evalapp_device"
DEVICE_COOKIE_DAYS = 400
MAX_ACCOUNTS_PER_DEVICE = 20  # a shared office computer
FAILED_STATUS = 401


def canonical_username(username: str | None) -> str:
    """The username as the login looks it up (auth.services.find_user)."""
    return nfc(username).lower()


def _typed_username() -> str:
    return canonical_username(request.form.get("username", ""))[:80]


def _digest(text: str) -> str:
    # Limiter storage (memory, Redis) then holds no usernames.
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="evalapp.login-device")


def _tag(nonce: str, username: str) -> str:
    key = str(current_app.secret_key).encode("utf-8")
    return hmac.new(key, f"{nonce}\0{username}".encode(), hashlib.sha256).hexdigest()[:24]


def _read_device() -> tuple[str, list[str]] | None:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw)
        nonce, tags = data["n"], data["a"]
    except (BadSignature, KeyError, TypeError):
        return None
    if not isinstance(nonce, str) or not isinstance(tags, list):
        return None
    return nonce, [tag for tag in tags if isinstance(tag, str)]


def trusted_device(username: str) -> str | None:
    """This browser's device id when it has logged in to `username` before, else None."""
    device = _read_device()
    if device is None:
        return None
    nonce, tags = device
    return nonce if _tag(nonce, username) in tags else None


def remember_device(response, username: str) -> None:
    """After a successful login: this browser is now a known device of the account."""
    username = canonical_username(username)
    nonce, tags = _read_device() or (secrets.token_urlsafe(16), [])
    tag = _tag(nonce, username)
    tags = [t for t in tags if t != tag][-(MAX_ACCOUNTS_PER_DEVICE - 1):] + [tag]
    config = current_app.config
    response.set_cookie(
        DEVICE_COOKIE, _serializer().dumps({"n": nonce, "a": tags}),
        max_age=DEVICE_COOKIE_DAYS * 24 * 3600, path=url_for("auth.login"), httponly=True,
        secure=config["SESSION_COOKIE_SECURE"], samesite="Lax")


# ---------------------------------------------------------------- Flask-Limiter hooks


def account_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def client_limit() -> str:
    return current_app.config["LOGIN_CLIENT_RATE_LIMIT"]


def account_key() -> str:
    username = _typed_username()
    device = trusted_device(username)
    if device is not None:
        return f"login-device:{_digest(device + chr(0) + username)}"
    return f"login-account:{_digest(username)}"


def client_key() -> str:
    return f"login-client:{get_remote_address()}"


def client_exempt() -> bool:
    return trusted_device(_typed_username()) is not None


def failed(response) -> bool:
    return response.status_code == FAILED_STATUS


def _seconds_left(limit: RequestLimit) -> int:
    return max(1, math.ceil(limit.reset_at - time.time()))


def _refusal(message: str):
    from evalapp.auth.forms import LoginForm

    return current_app.make_response(
        (render_template("auth/login.html", form=LoginForm(), refusal=message), 429))


def refuse_for_account(limit: RequestLimit):
    return _refusal(_("This account has had too many wrong passwords. To protect it, try again "
                      "in %(seconds)s seconds. If you have forgotten the password, ask the "
                      "personnel office to set a new one.", seconds=_seconds_left(limit)))


def refuse_for_client(limit: RequestLimit):
    return _refusal(_("Too many failed logins have come from this network. Try again in "
                      "%(seconds)s seconds.", seconds=_seconds_left(limit)))


# ---------------------------------------------------------------- wrong ballot codes
#
# A ballot code page needs no login, so there is no account to count against. Each browser gets
# a signed cookie with a random client id when it opens the code page; wrong codes are counted
# per client id (CODE_RATE_LIMIT), and, generously, per address (CODE_ADDRESS_RATE_LIMIT): a
# hall of phones behind one address each have their own id, and someone who throws the cookie
# away on every try still meets the address's ceiling. Codes refused by their check symbol are
# typing mistakes that tell nothing about any real code, and are not counted.

CODE_CLIENT_COOKIE = "evalapp_code_client"
CODE_UNKNOWN_STATUS = 404


def _code_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="evalapp.code-client")


def code_client_id() -> str | None:
    raw = request.cookies.get(CODE_CLIENT_COOKIE)
    if not raw:
        return None
    try:
        value = _code_serializer().loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def remember_code_client(response) -> None:
    """Give this browser a client id for the wrong-code limit, unless it has one."""
    if code_client_id() is None:
        response.set_cookie(CODE_CLIENT_COOKIE,
                            _code_serializer().dumps(secrets.token_urlsafe(16)),
                            max_age=DEVICE_COOKIE_DAYS * 24 * 3600, httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax")


def code_limit() -> str:
    return current_app.config["CODE_RATE_LIMIT"]


def code_address_limit() -> str:
    return current_app.config["CODE_ADDRESS_RATE_LIMIT"]


def code_client_key() -> str:
    client = code_client_id()
    # Without a cookie (never opened the code page, or threw it away): the address's own
    # strict counter.
    return f"code-client:{client}" if client else f"code-address-strict:{get_remote_address()}"


def code_address_key() -> str:
    return f"code-address:{get_remote_address()}"


def unknown_code(response) -> bool:
    return response.status_code == CODE_UNKNOWN_STATUS


def refuse_codes(limit: RequestLimit):
    from evalapp.core.web import error_response

    message = _("Too many wrong ballot codes have been tried from this device or network. Try "
                "again in %(seconds)s seconds, or ask the secretary.",
                seconds=_seconds_left(limit))
    return current_app.make_response(error_response(429, message))


# ---------------------------------------------------------------- public service ratings
#
# The rating page (evalapp.ledger.public_ratings) needs no login either. Each browser gets a
# signed cookie holding a random device id when it opens a rating page: ratings sent are counted
# per device id (RATING_RATE_LIMIT) and, generously, per address (RATING_ADDRESS_RATE_LIMIT), as
# the wrong ballot codes are: phones in one waiting room behind one address each have their own
# counter; someone who throws the cookie away meets the address's ceiling. The same id is what
# the ratings keep (as a keyed hash with the official and the day) to count one rating per device,
# official and day; the id itself is stored nowhere.

RATER_COOKIE = "evalapp_rater"


def _rater_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="evalapp.rater-device")


def rater_id() -> str | None:
    raw = request.cookies.get(RATER_COOKIE)
    if not raw:
        return None
    try:
        value = _rater_serializer().loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) and value else None


def remember_rater(response) -> None:
    """Give this browser a rating device id, unless it has one."""
    if rater_id() is None:
        response.set_cookie(RATER_COOKIE, _rater_serializer().dumps(secrets.token_urlsafe(16)),
                            max_age=DEVICE_COOKIE_DAYS * 24 * 3600, httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax")


def rating_limit() -> str:
    return current_app.config["RATING_RATE_LIMIT"]


def rating_address_limit() -> str:
    return current_app.config["RATING_ADDRESS_RATE_LIMIT"]


def rating_client_key() -> str:
    rater = rater_id()
    return f"rater:{_digest(rater)}" if rater else f"rater-address-strict:{get_remote_address()}"


def rating_address_key() -> str:
    return f"rater-address:{get_remote_address()}"


def refuse_ratings(limit: RequestLimit):
    from evalapp.core.web import error_response

    message = _("Too many ratings have been sent from this device or network. Try again in "
                "%(seconds)s seconds.", seconds=_seconds_left(limit))
    return current_app.make_response(error_response(429, message))
