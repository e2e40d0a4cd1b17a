"""The product ledger's pages (url prefix /ledger)."""

from __future__ import annotations

from flask import Blueprint

from evalapp.ledger import permissions, services  # noqa: F401  (actions, the period source)

bp = Blueprint("ledger", __name__, url_prefix="/ledger")
