"""Time helpers: the database stores UTC; pages show Vietnam time as dd/mm/yyyy."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Aware UTC now, with microseconds dropped so every database stores the same value."""
    return datetime.now(UTC).replace(microsecond=0)


def as_utc(value: datetime) -> datetime:
    """The same instant as an aware UTC datetime (SQLite hands back naive values)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
