"""The results of a counted round as an Excel workbook: the same lines as the results page.

Counts are numbers, percentages are numbers formatted with two decimals (the stored counts are
the truth; the percentages are derived exactly as on the page, half up), bands are words, and
each person's unit is written by name.
"""

from __future__ import annotations

from collections.abc import Collection

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from evalapp.ballots.models import BASE_LABELS, BallotRound
from evalapp.core.spreadsheets import new_workbook, workbook_bytes
from evalapp.tally.rules import Tally

PERCENT_FORMAT = "0.00%"
MAX_WIDTH = 60


def results_workbook(round_: BallotRound, tally: Tally, shown: Collection[int]) -> bytes:
    """The round's counts, then one row per person voted on in `shown` (ballot order)."""
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = str(_l("Results"))[:31]
    bold = Font(bold=True)
    sheet.append([round_.title])
    sheet["A1"].font = Font(bold=True, size=13)
    where = [round_.body_name, round_.place or "",
             format_date(round_.meeting_date, "dd/MM/yyyy") if round_.meeting_date else ""]
    sheet.append([" · ".join(part for part in where if part)])
    sheet.append([])
    c = tally.counts
    for label, value in ((_l("Summoned"), c.summoned), (_l("Present"), c.present),
                         (_l("Ballots issued"), c.issued),
                         (_l("Ballots collected"), c.collected),
                         (_l("Valid ballots"), c.valid), (_l("Invalid ballots"), c.invalid)):
        sheet.append(["", str(label), value])
    sheet.append(["", str(_l("Percentages are taken of")),
                  f"{BASE_LABELS[tally.base]} ({tally.base_value})"])
    sheet.append([])

    levels = round_.scale.levels
    heading = [str(_l("No.")), str(_l("Full name")), str(_l("Post")), str(_l("Unit"))]
    for level in levels:
        heading += [str(_l("%(level)s: votes", level=_(level.label))), f"{_(level.label)}: %"]
    heading.append(str(_l("Flag")))
    sheet.append(heading)
    heading_row = sheet.max_row
    for cell in sheet[heading_row]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    candidates = {cand.id: cand for cand in round_.active_candidates}
    number = 0
    for result in tally.candidates:
        if result.candidate_id not in shown:
            continue
        number += 1
        cand = candidates[result.candidate_id]
        row = [number, cand.full_name, cand.post_name or "", cand.unit_name]
        for level in levels:
            row += [result.counts[level], float(result.percents[level] / 100)]
        row.append(_(result.band.label) if result.band else "")
        sheet.append(row)
        for k in range(len(levels)):
            sheet.cell(row=sheet.max_row, column=6 + 2 * k).number_format = PERCENT_FORMAT
    sheet.freeze_panes = sheet.cell(row=heading_row + 1, column=3)
    _fit_columns(sheet, heading_row)
    return workbook_bytes(workbook)


def _fit_columns(sheet, heading_row: int) -> None:
    """Widths from the longest value of each column below the title lines (headings wrap)."""
    widths: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            if cell.value is None:
                continue
            if cell.row == heading_row:
                length = max(len(word) for word in str(cell.value).split()) + 2
            elif cell.number_format == PERCENT_FORMAT:
                length = 8
            else:
                length = len(str(cell.value))
            widths[cell.column] = max(widths.get(cell.column, 0), length)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(width + 2, MAX_WIDTH)
