"""Pages of evaluation rounds: the blueprint; the pages of each part are in the modules imported
at the end (one per part of the round: regulations, rounds, forms, meetings, decisions)."""

from __future__ import annotations

from flask import Blueprint

from evalapp.evaluations import lifecycle, models, permissions  # noqa: F401  (registers)

bp = Blueprint("evaluations", __name__, url_prefix="/evaluations")
# The pages of each part add their routes to bp.
from evalapp.evaluations import (  # noqa: E402,F401
    routes_decisions,
    routes_documents,
    routes_evidence,
    routes_forms,
    routes_meetings,
    routes_quarterly,
    routes_setup,
)
