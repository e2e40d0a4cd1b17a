"""Access rows for the Quy chế and round set-up pages (the set-up part)."""

ROWS: list = []
