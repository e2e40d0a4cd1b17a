"""Column types shared by the areas."""

from __future__ import annotations

import enum

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator


class KeyOf(TypeDecorator):
    """A member of a string enum that is data (evalapp.tally's Scale, Level), stored as its key.

    Unlike sqlalchemy.Enum it puts no CHECK of its own on the column: the values a table accepts
    are that table's rule (a CheckConstraint built from the data, when it restricts them), so a
    scale added to tally needs no migration of the tables that take any scale. An unknown key
    is refused before it reaches the database.
    """

    impl = String(40)
    cache_ok = True

    def __init__(self, enum_type: type[enum.Enum]):
        super().__init__()
        self.enum_type = enum_type

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return self.enum_type(value).value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return self.enum_type(value)


def in_check(column: str, members) -> str:
    """The text of a CHECK that `column` holds one of these members' keys."""
    keys = ", ".join(f"'{member.value}'" for member in members)
    return f"{column} IN ({keys})"
