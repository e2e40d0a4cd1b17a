"""Settings, read from the environment when the app is created (never at import time)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class ConfigError(RuntimeError):
    """The environment does not describe a runnable app."""


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    env = os.environ
    overrides = dict(overrides or {})
    environment = overrides.get("ENV_NAME") or env.get("EVALAPP_ENV", "development")
    testing = bool(overrides.get("TESTING"))

    default_sqlite = Path(instance_path) / "evalapp.sqlite3"
    database_url = env.get("DATABASE_URL") or f"sqlite:///{default_sqlite}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]

    secret_key = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    if not secret_key:
        if environment == "production":
            raise ConfigError("SECRET_KEY must be set when EVALAPP_ENV=production")
        # Development and tests: a per-process key; sessions do not survive a restart.
        secret_key = secrets.token_hex(32)

    secure_cookies = environment == "production"
    try:
        trusted_proxies = int(overrides.get("TRUSTED_PROXIES",
                                            env.get("EVALAPP_TRUSTED_PROXIES", "0") or 0))
    except ValueError as error:
        raise ConfigError("EVALAPP_TRUSTED_PROXIES must be a whole number (0 = no proxy)") \
            from error
    if trusted_proxies < 0:
        raise ConfigError("EVALAPP_TRUSTED_PROXIES cannot be negative")
    public_base_url, trusted_hosts = _public_address(environment, overrides, env)
    config: dict[str, Any] = {
        "ENV_NAME": environment,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # hide_parameters: a database error's text must never carry a statement's values into
        # a log line (a ballot's marks, for one).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        # "Keep me signed in" (opt-in at login): how long at most, counted from the login; the
        # cookie changes at every use and ends at logout or a password change (auth.remember).
        "REMEMBER_ME_DAYS": int(env.get("EVALAPP_REMEMBER_ME_DAYS", "14")),
        # API tokens: the lifetime offered first when one is made, and the choices.
        "API_TOKEN_DAYS": int(env.get("EVALAPP_API_TOKEN_DAYS", "90")),
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "MAX_CONTENT_LENGTH": int(env.get("EVALAPP_MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": env.get("EVALAPP_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "LANGUAGES": ("vi", "en"),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Failed logins only (a correct password never counts): per account, from clients
        # that have not logged in to it before, and per client address (see auth.throttle).
        "LOGIN_RATE_LIMIT": env.get("EVALAPP_LOGIN_RATE_LIMIT", "10 per minute"),
        "LOGIN_CLIENT_RATE_LIMIT": env.get("EVALAPP_LOGIN_CLIENT_RATE_LIMIT", "60 per minute"),
        # Wrong ballot codes (a code that passes its check symbol but no box knows): per
        # browser (a signed cookie), and a generous ceiling per address, so that a hall behind
        # one Wi-Fi address is not blocked (see auth.throttle).
        "CODE_RATE_LIMIT": env.get("EVALAPP_CODE_RATE_LIMIT", "10 per 10 minutes"),
        "CODE_ADDRESS_RATE_LIMIT": env.get("EVALAPP_CODE_ADDRESS_RATE_LIMIT",
                                           "300 per 10 minutes"),
        # Public service ratings sent (every one counts): per browser and per address, as
        # above; one rating per device, official and day is kept apart (ledger.ratings).
        "RATING_RATE_LIMIT": env.get("EVALAPP_RATING_RATE_LIMIT", "20 per hour"),
        "RATING_ADDRESS_RATE_LIMIT": env.get("EVALAPP_RATING_ADDRESS_RATE_LIMIT",
                                             "600 per hour"),
        # The shortest time a person takes to fill the rating form (spam), in seconds.
        "RATING_MIN_FILL_SECONDS": int(env.get("EVALAPP_RATING_MIN_FILL_SECONDS", "3")),
        # How many proxies in front of the app set X-Forwarded-For/-Proto (Werkzeug's
        # ProxyFix); 0 trusts no such header, so a client cannot choose its own address.
        "TRUSTED_PROXIES": trusted_proxies,
        "PEOPLE_PAGE_SIZE": 50,
        "PASSWORD_HASH_METHOD": env.get("EVALAPP_PASSWORD_HASH", "scrypt"),
        # Argon2id limits that stretch a counting-team member's passphrase into the lock of
        # their key share (libsodium's "interactive" limits: 2 passes over 64 MiB).
        "BOX_LOCK_OPSLIMIT": int(env.get("EVALAPP_BOX_LOCK_OPSLIMIT", "2")),
        "BOX_LOCK_MEMLIMIT": int(env.get("EVALAPP_BOX_LOCK_MEMLIMIT", str(64 * 1024 * 1024))),
        # Fernet key(s) that encrypt the signers' PKCS#12 files, comma-separated (the first
        # encrypts). Required in production once signing is used; elsewhere, when unset,
        # evalapp.documents.signing keeps one in instance/signing.key.
        "SIGNING_KEY": env.get("EVALAPP_SIGNING_KEY") or None,
        # PEM files of the certification authorities whose signatures are trusted.
        "TRUST_ROOTS": [p for p in env.get("EVALAPP_TRUST_ROOTS", "").split(":") if p],
        "VERIFY_RATE_LIMIT": env.get("EVALAPP_VERIFY_RATE_LIMIT", "30 per minute"),
        "VERIFY_MAX_UPLOAD_MB": int(env.get("EVALAPP_VERIFY_MAX_UPLOAD_MB", "10")),
        # Printed documents and voter slips: the public address their QR codes and links lead
        # to (required in production; elsewhere, when unset, the address of the request that
        # issued them), and the place name of the "…, ngày … tháng … năm …" line (dotted for
        # handwriting when unset).
        "PUBLIC_BASE_URL": public_base_url,
        # Host headers answered (Flask's TRUSTED_HOSTS; any other gets 400). In production
        # the public address's host and EVALAPP_TRUSTED_HOSTS; elsewhere any host unless
        # EVALAPP_TRUSTED_HOSTS is set.
        "TRUSTED_HOSTS": trusted_hosts,
        "DOCUMENT_LOCALITY": env.get("EVALAPP_DOCUMENT_LOCALITY") or None,
        # Lay out a round's forms in the background once it is finalised, so that the print
        # that follows finds them made (evalapp.documents.prepared.warm).
        "PREPARED_WARM": env.get("EVALAPP_PREPARED_WARM", "1") != "0",
        "TESTING": testing,
    }
    config.update(overrides)
    config.update(PUBLIC_BASE_URL=public_base_url, TRUSTED_HOSTS=trusted_hosts)
    return config


def _public_address(environment: str, overrides: dict[str, Any],
                    env) -> tuple[str | None, list[str] | None]:
    """(PUBLIC_BASE_URL, TRUSTED_HOSTS). A request's Host header is chosen by whoever sends it:
    in production nothing printed may come from it, so the public address must be configured,
    and requests naming another host are refused."""
    base_url = overrides.get("PUBLIC_BASE_URL", env.get("EVALAPP_PUBLIC_BASE_URL")) or None
    listed = overrides.get("TRUSTED_HOSTS")
    if listed is None:
        listed = [h.strip() for h in env.get("EVALAPP_TRUSTED_HOSTS", "").split(",")
                  if h.strip()] or None
    if base_url is None:
        if environment == "production":
            raise ConfigError(
                "EVALAPP_PUBLIC_BASE_URL must be set when EVALAPP_ENV=production: the public "
                "address people open (e.g. https://bophieu.example.gov.vn/), printed in the "
                "documents' QR codes and links and on voter slips. It is never taken from a "
                "request's Host header.")
        return None, listed
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment:
        raise ConfigError(f"EVALAPP_PUBLIC_BASE_URL must be an http:// or https:// address "
                          f"such as https://bophieu.example.gov.vn/ (got {base_url!r})")
    if environment == "production" or listed is not None:
        listed = list(listed or [])
        if parts.hostname not in listed:
            listed.insert(0, parts.hostname)
    return base_url, listed
