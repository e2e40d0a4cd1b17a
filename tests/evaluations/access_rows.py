"""Access-table rows for the evaluation pages, one module per part (see access_world.py for
the rounds and ids the URLs use, and tests/ballots/access_rows.py for the conventions)."""

from tests.evaluations.access_rows_api import ROWS as API_ROWS
from tests.evaluations.access_rows_decisions import ROWS as DECISIONS_ROWS
from tests.evaluations.access_rows_documents import ROWS as DOCUMENTS_ROWS
from tests.evaluations.access_rows_finish import ROWS as FINISH_ROWS
from tests.evaluations.access_rows_forms import ROWS as FORMS_ROWS
from tests.evaluations.access_rows_meetings import ROWS as MEETING_ROWS
from tests.evaluations.access_rows_periods import ROWS as PERIOD_ROWS
from tests.evaluations.access_rows_publication import ROWS as PUBLICATION_ROWS
from tests.evaluations.access_rows_quarterly import ROWS as QUARTERLY_ROWS
from tests.evaluations.access_rows_setup import ROWS as SETUP_ROWS

ROWS = (SETUP_ROWS + API_ROWS + MEETING_ROWS + DOCUMENTS_ROWS + DECISIONS_ROWS + FORMS_ROWS
        + PERIOD_ROWS + PUBLICATION_ROWS + FINISH_ROWS + QUARTERLY_ROWS)
