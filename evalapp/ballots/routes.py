from __future__ import annotations

from flask import Blueprint

from evalapp.ballots import services  # noqa: F401

bp = Blueprint("ballots", __name__)
