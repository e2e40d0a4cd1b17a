"""Access-table rows for the ballot endpoints of the JSON API (see tests/test_access.py)."""

ROWS: list = []
