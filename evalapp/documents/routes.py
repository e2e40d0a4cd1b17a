from __future__ import annotations

from flask import Blueprint

from evalapp.documents import models  # noqa: F401

bp = Blueprint("documents", __name__)
