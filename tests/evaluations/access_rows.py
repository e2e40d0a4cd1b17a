"""Access-table rows for the evaluation pages, one module per part (see access_world.py for
the rounds and ids the URLs use, and tests/ballots/access_rows.py for the conventions)."""

from tests.evaluations.access_rows_forms import ROWS as FORMS_ROWS
from tests.evaluations.access_rows_setup import ROWS as SETUP_ROWS

ROWS = SETUP_ROWS + FORMS_ROWS
