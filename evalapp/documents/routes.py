from __future__ import annotations

from flask import Blueprint

from evalapp.documents import models  # noqa: F401

bp = Blueprint("documents", __name__)


# Signing, certificates and verification pages (same blueprint, their own module).
from evalapp.documents import signing_routes  # noqa: E402,F401
