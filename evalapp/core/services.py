"""Services of the ground floor, which knows no area (see evalapp.core.home for the home page)."""

from __future__ import annotations

from sqlalchemy import text

from evalapp.extensions import db


def database_ping() -> None:
    db.session.execute(text("SELECT 1"))
