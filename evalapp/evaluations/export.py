"""The results of an evaluation round as .xlsx, in the columns a personnel office sends upward
(to the national CBCCVC database, within 5 days of the decision): staff code, name, unit, post,
job-position group, period, score, self-proposed level, decided level, decision number and date.
Written through evalapp.core.spreadsheets (every text cell neutralised: a name beginning with
"=" stays a name)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from evalapp.core.spreadsheets import new_workbook, workbook_bytes
from evalapp.evaluations import decisions
from evalapp.evaluations.lifecycle import ROUND_STEPS
from evalapp.evaluations.models import EvaluationRound, FormStep, RoundStatus, points


def period_label(round_: EvaluationRound) -> str:
    if round_.period == "year":
        return _("Year %(year)s", year=round_.year)
    if round_.period.startswith("q"):
        return _("Quarter %(n)s/%(year)s", n=round_.period[1:], year=round_.year)
    return _("Month %(n)s/%(year)s", n=round_.period[1:], year=round_.year)


COLUMNS = (_l("Staff code"), _l("Full name"), _l("Unit"), _l("Post"), _l("Job-position group"),
           _l("Period"), _l("Score"), _l("Self-proposed level"), _l("Decided level"),
           _l("Decision number"), _l("Decision date"))


def results_workbook(actor, round_: EvaluationRound) -> bytes:
    """The round's people, one row each (included ones), with their decided level once the
    round is finalised (empty before)."""
    ROUND_STEPS.check(actor, round_, "export")
    seen = decisions.picture(round_)
    forms = decisions._sent_forms(round_)
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = _("Results")[:31]
    sheet.append([str(c) for c in COLUMNS])
    period = period_label(round_)
    decided = round_.status is RoundStatus.FINALISED
    for rated in seen.people:
        line = seen.line(rated)
        own = forms.get(("person", rated.id), {}).get(FormStep.SELF)
        decision = decisions.current_decision(rated) if decided else None
        score = points(rated.score) if decided and rated.score is not None else line.score
        sheet.append([
            rated.person.staff_code or "", rated.full_name, rated.unit_name,
            rated.post_name or "", rated.duty_group_name or "", period,
            score,
            decisions.level_label(own.proposed_level) if own is not None else "",
            decisions.level_label(decision.level) if decision else "",
            decision.number if decision else "",
            decision.decided_on if decision else None,
        ])
        if decision is not None:
            sheet.cell(row=sheet.max_row, column=11).number_format = "DD/MM/YYYY"
    for letter, width in zip("ABCDEFGHIJK", (12, 28, 28, 20, 22, 12, 8, 26, 26, 16, 12),
                             strict=True):
        sheet.column_dimensions[letter].width = width
    return workbook_bytes(workbook)
