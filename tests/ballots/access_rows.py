"""Access-table rows for the ballot pages (see tests/test_access.py)."""

ROWS: list = []
