"""Pages of evaluation rounds: the blueprint; the pages of each part are in the modules imported
at the end (one per part of the round: regulations, rounds, forms, meetings, decisions)."""

from __future__ import annotations

from flask import Blueprint

from evalapp.evaluations import lifecycle, models, permissions  # noqa: F401  (registers)

bp = Blueprint("evaluations", __name__, url_prefix="/evaluations")
from evalapp.evaluations import routes_setup  # noqa: E402,F401
