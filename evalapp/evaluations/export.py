"""The results of an evaluation round as .xlsx, in the columns a personnel office sends upward
(to the national CBCCVC database, within 5 days of the decision): staff code, name, unit, post,
job-position group, period, score, self-proposed level, decided level, decision number and date.
Written through evalapp.core.spreadsheets (every text cell neutralised: a name beginning with
"=" stays a name).

A second sheet lists the rated units (code, name, period, score, computed and decided level,
decision number and date); a third gives the round's decision and the deadline for sending the
results upward (upward_deadline), marked late once it has passed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from evalapp.core.spreadsheets import new_workbook, workbook_bytes
from evalapp.core.time import as_utc, utcnow
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


UNIT_COLUMNS = (_l("Unit code"), _l("Unit"), _l("Period"), _l("Score"), _l("Computed level"),
                _l("Decided level"), _l("Decision number"), _l("Decision date"))

# NĐ 233/2026 Điều 18.1b: the results go into the national database of cán bộ, công chức, viên
# chức "chậm nhất 05 ngày sau khi có kết quả" — calendar days (the text says "ngày", not "ngày
# làm việc"), counted from the day the round is finalised (the decision: the result exists).
UPWARD_DAYS = 5


@dataclass(frozen=True)
class UpwardDeadline:
    """When the results of a finalised round must have been sent upward."""

    result_on: date  # the day the round was finalised (Vietnam time)
    due: date        # result_on + 5 days
    late: bool       # today is past `due`


def local_date(moment) -> date:
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return as_utc(moment).astimezone(zone).date()


def upward_deadline(round_: EvaluationRound, today: date | None = None) -> UpwardDeadline | None:
    """None before the round is finalised (there is no result to send yet)."""
    if round_.finalised_at is None:
        return None
    result_on = local_date(round_.finalised_at)
    due = result_on + timedelta(days=UPWARD_DAYS)
    today = today if today is not None else local_date(utcnow())
    return UpwardDeadline(result_on, due, today > due)


def _units_sheet(workbook, round_: EvaluationRound, seen, period: str, decided: bool) -> None:
    sheet = workbook.create_sheet(_("Units")[:31])
    sheet.append([str(c) for c in UNIT_COLUMNS])
    for rated in seen.units:
        line = seen.line(rated)
        decision = decisions.current_decision(rated) if decided else None
        score = points(rated.score) if decided and rated.score is not None else line.score
        sheet.append([
            rated.unit.code or "", rated.name, period, score,
            decisions.level_label(line.computed.level) if line.computed else "",
            decisions.level_label(decision.level) if decision else "",
            decision.number if decision else "",
            decision.decided_on if decision else None,
        ])
        if decision is not None:
            sheet.cell(row=sheet.max_row, column=8).number_format = "DD/MM/YYYY"
    for letter, width in zip("ABCDEFGH", (12, 36, 12, 8, 26, 26, 16, 12), strict=True):
        sheet.column_dimensions[letter].width = width


def _upward_sheet(workbook, round_: EvaluationRound) -> None:
    sheet = workbook.create_sheet(_("Sending upward")[:31])
    deadline = upward_deadline(round_)
    sheet.append([_("Evaluation round"), round_.title])
    sheet.append([_("Decision number"), round_.decision_number or ""])
    sheet.append([_("Decision date"), round_.decision_date])
    sheet.append([_("Finalised on"), deadline.result_on if deadline else None])
    sheet.append([_("To be sent upward by"), deadline.due if deadline else None])
    if deadline is None:
        state = _("Not finalised: no result to send yet")
    else:
        state = _("Late") if deadline.late else _("On time")
    sheet.append([_("State"), state])
    for row in (3, 4, 5):
        sheet.cell(row=row, column=2).number_format = "DD/MM/YYYY"
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 48


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
    _units_sheet(workbook, round_, seen, period, decided)
    _upward_sheet(workbook, round_)
    return workbook_bytes(workbook)
