"""Around the ledger's periods: the import templates, scores imported from other sources (a
competency exam, a KPI system, a training record), the general criteria given once a year, and
how both reach the evaluation rounds through evaluations' registries (period_sources).

- Imported scores (`import_scores`): one row per person, period (or whole year) and source;
  every row is checked first and any wrong row fails the whole file, nothing saved. A row for a
  person, period and source already imported replaces its score (the source sent it again).
  They reach the rounds as evidence (`period_sources.evidence_source`), shown next to the
  general criteria; a source counts in the score only where the Quy chế gives it a weight
  (tally.ledger.weighted_general).

Services take the acting user, flush, write one audit entry per change and never commit.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from evalapp.audit.services import record
from evalapp.auth.permissions import can, require
from evalapp.core.errors import NotAllowed, NotFound, ValidationFailed
from evalapp.core.spreadsheets import new_workbook, workbook_bytes
from evalapp.core.text import fold_for_search
from evalapp.core.time import utcnow
from evalapp.evaluations import period_sources
from evalapp.evaluations.models import hundredths, points
from evalapp.extensions import db
from evalapp.ledger import services
from evalapp.ledger.models import ImportedScore, Period, PeriodStatus, YearGeneral
from evalapp.org.models import Person, Unit
from evalapp.org.services import RowError
from evalapp.org.spreadsheets import table_rows
from evalapp.tally import ledger as rules

# The headings the import reads (services.COLUMNS' Vietnamese aliases).
ITEM_HEADINGS = ("Mã cán bộ", "Kỳ", "Sản phẩm", "Mức độ", "Số lượng", "Hạn hoàn thành")
SCORE_HEADINGS = ("Mã cán bộ", "Kỳ", "Nguồn", "Điểm", "Ghi chú")
SCORE_MAX = Decimal(1000)
SOURCE_MAX = 80
NOTE_MAX = 1000
YEAR = "year"


def _template(headings, example) -> bytes:
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = "Nhap"
    sheet.append(list(headings))
    sheet.append(list(example))
    return workbook_bytes(workbook)


def items_template(unit: Unit) -> bytes:
    """The work items' template: the heading row and an example row (a product of the unit's
    catalogue when it has one) to replace."""
    products = services.catalogue(unit)
    product = products[0].name if products else "Báo cáo chuyên đề"
    return _template(ITEM_HEADINGS, ("CB0001", "03/2026", product, "", "2", "20/03/2026"))


def scores_template() -> bytes:
    return _template(SCORE_HEADINGS, ("CB0001", "2026", "Sát hạch năng lực", "85", ""))


# ---------------------------------------------------------------- imported scores

SCORE_COLUMNS = {
    "staff_code": (_l("Staff code"), ("ma can bo", "ma so", "ma cbccvc", "staff code")),
    "period": (_l("Period or year"), ("ky", "thang", "quy", "nam", "ky danh gia", "period",
                                      "period or year", "year")),
    "source": (_l("Source"), ("nguon", "ten nguon", "nguon danh gia", "source")),
    "score": (_l("Score"), ("diem", "ket qua", "score")),
    "note": (_l("Note"), ("ghi chu", "note")),
}
SCORE_REQUIRED = ("staff_code", "period", "source", "score")


period_or_year = services.period_or_year


def _cell(value) -> str:
    return services._cell_text(value).strip()


def import_scores(actor, unit: Unit, filename: str, content: bytes) -> int:
    """Scores from another source for the people of `unit` (.xlsx or .csv: staff code, period
    or year, source, score, note). Every row is checked first; any wrong row fails the whole
    file with the errors row by row and nothing is saved. Returns how many rows were saved."""
    require(actor, "ledger.catalogue", unit)
    rows = iter(table_rows(filename, content))
    headings = next((row for row in rows if any(_cell(c) for c in row)), None)
    if headings is None:
        raise ValidationFailed(_l("The file is empty."))
    aliases = {alias: key for key, (_label, names) in SCORE_COLUMNS.items() for alias in names}
    columns = {i: aliases.get(fold_for_search(_cell(cell))) for i, cell in enumerate(headings)}
    missing = [str(SCORE_COLUMNS[key][0]) for key in SCORE_REQUIRED
               if key not in columns.values()]
    if missing:
        raise ValidationFailed(_l("Required columns are missing: %(names)s."),
                               names=", ".join(missing))
    people: dict[str, Person | None] = {}
    errors: list[RowError] = []
    plan: dict[tuple, tuple] = {}
    for number, cells in enumerate(rows, start=2):
        values = {key: _cell(cells[i]) for i, key in columns.items() if key and i < len(cells)}
        if not any(values.values()):
            continue
        row_errors: list[RowError] = []

        def fail(column, message, _number=number, _errors=row_errors):
            _errors.append(RowError(_number, str(SCORE_COLUMNS[column][0]), str(message)))

        code = values.get("staff_code", "")
        if code not in people:
            people[code] = db.session.scalar(select(Person).where(Person.staff_code == code))
        person = people[code]
        if person is None or not person.unit.path.startswith(unit.path) \
                or not can(actor, "ledger.manage", person):
            fail("staff_code", _l("No one with this staff code whose work you manage."))
        try:
            year, key = period_or_year(values.get("period", ""))
        except (ValueError, IndexError):
            fail("period", _l("Write 2026 (the whole year), 03/2026 (a month) or Q1/2026 "
                              "(a quarter)."))
        source = values.get("source", "")
        if not source:
            fail("source", _l("Name the source of the score."))
        elif len(source) > SOURCE_MAX:
            fail("source", _l("This text is too long."))
        try:
            score = services._decimal(values.get("score"), "score", maximum=SCORE_MAX)
        except ValidationFailed as exc:
            fail("score", exc.text())
        note = values.get("note") or None
        if note and len(note) > NOTE_MAX:
            fail("note", _l("This text is too long."))
        if not row_errors:
            slot = (person.id, year, key, source)
            if slot in plan:
                fail("source", _l("Row %(row)s already gives this person's score from this "
                                  "source for this period.", row=plan[slot][0]))
        if row_errors:
            errors.extend(row_errors)
            continue
        plan[slot] = (number, person, score, note)
    if errors:
        raise ValidationFailed(_l("The file has errors; nothing was saved."), errors=errors)
    if not plan:
        raise ValidationFailed(_l("The file has no score."))
    for (person_id, year, key, source), (_n, person, score, note) in plan.items():
        row = db.session.scalar(select(ImportedScore).where(
            ImportedScore.person_id == person_id, ImportedScore.year == year,
            ImportedScore.period == key, ImportedScore.source == source))
        if row is None:
            row = ImportedScore(person_id=person_id, year=year, period=key, source=source)
            db.session.add(row)
        row.unit_id = person.unit_id
        row.score = hundredths(score)
        row.note = note
        row.imported_by_id = getattr(actor, "id", None)
    db.session.flush()
    record(actor, "ledger_period.scores_imported", unit, rows=len(plan),
           sources=sorted({slot[3] for slot in plan}))
    for person_id, year in sorted({(slot[0], slot[1]) for slot in plan}):
        period_sources.refresh(actor, person_id, year)
    return len(plan)


def scores_of(person_id: int, year: int) -> list[ImportedScore]:
    return list(db.session.scalars(select(ImportedScore).where(
        ImportedScore.person_id == person_id, ImportedScore.year == year)
        .order_by(ImportedScore.source, ImportedScore.period)))


@period_sources.evidence_source
def imported_evidence(person_ids: list[int], year: int
                      ) -> dict[int, list[period_sources.EvidenceEntry]]:
    """The imported scores of these people in the year, as evidence (one score each)."""
    found: dict[int, list[period_sources.EvidenceEntry]] = {}
    ids = list(person_ids)
    for start in range(0, len(ids), 500):
        for row in db.session.scalars(select(ImportedScore).where(
                ImportedScore.person_id.in_(ids[start:start + 500]),
                ImportedScore.year == year).order_by(ImportedScore.id)):
            found.setdefault(row.person_id, []).append(period_sources.EvidenceEntry(
                source=row.source, period=row.period, count=1, value=points(row.score),
                note=row.note))
    return found


# ---------------------------------------------------------------- general criteria per year
#
# When the Quy chế gives the 30 points of the general criteria once a year
# (LedgerRules.general_per == "year"), a confirmed period's score is its task score alone (out
# of 70) and services.confirmed_periods does not feed it to the rounds. The manager gives the
# year's points here (table ledger_year_general); from then on the periods are fed with
# score = task score + the year's general points. The year's way from the periods (mean, last,
# lowest) commutes with adding the same number to each, so the round's year score is exactly
# year task score (from the periods) + the year's general points (tally.ledger.year_score).


def year_general(person_id: int, year: int) -> YearGeneral | None:
    return db.session.scalar(select(YearGeneral).where(YearGeneral.person_id == person_id,
                                                       YearGeneral.year == year))


def score_year(actor, person: Person, year: int, general) -> YearGeneral:
    """The manager (never the person) gives the general criteria's points (0–30) for the year;
    the year's unfinished rounds follow (period_sources.refresh)."""
    if not can(actor, "ledger.see", person):
        raise NotFound()
    if not can(actor, "ledger.manage", person):
        raise NotAllowed(_l("Only the person's manager scores their general criteria."))
    if not 2000 <= int(year) <= 2100:
        raise ValidationFailed(_l("This is not a period of the unit's ledger."), field="year")
    if services.rules_for_unit(person.unit).general_per != "year":
        raise ValidationFailed(_l("The Quy chế scores the general criteria each period, on "
                                  "the period's page."), field="general")
    value = services._decimal(general, "general", maximum=rules.GENERAL_MAX)
    row = year_general(person.id, year)
    if row is None:
        row = YearGeneral(person_id=person.id, year=year)
        db.session.add(row)
    row.unit_id = person.unit_id
    row.general = hundredths(value)
    row.scored_by_id = getattr(actor, "id", None)
    row.scored_at = utcnow()
    db.session.flush()
    record(actor, "ledger_period.year_scored", person, year=year, general=str(value))
    period_sources.refresh(actor, person.id, year)
    return row


def confirmed_of(person_id: int, year: int) -> list[Period]:
    return list(db.session.scalars(select(Period).where(
        Period.person_id == person_id, Period.year == year,
        Period.status == PeriodStatus.CONFIRMED).order_by(Period.period)))


@period_sources.period_source
def year_general_periods(person_ids: list[int], year: int
                         ) -> dict[int, list[period_sources.PeriodEntry]]:
    """The confirmed periods kept under a Quy chế that gives the general criteria once a year,
    of the people whose year's general points are given: each fed as task score + those
    points (out of 100)."""
    found: dict[int, list[period_sources.PeriodEntry]] = {}
    ids = list(person_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        generals = {row.person_id: row.general for row in db.session.scalars(
            select(YearGeneral).where(YearGeneral.person_id.in_(chunk),
                                      YearGeneral.year == year))}
        if not generals:
            continue
        rows = db.session.execute(
            select(Period, Unit.name).join(Unit, Period.unit_id == Unit.id)
            .where(Period.person_id.in_(sorted(generals)), Period.year == year,
                   Period.status == PeriodStatus.CONFIRMED)
            .order_by(Period.person_id, Period.period)).all()
        for period, unit_name in rows:
            if services.rules_for(period).general_per != "year":
                continue
            general = year_general_points(period, generals[period.person_id])
            found.setdefault(period.person_id, []).append(period_sources.PeriodEntry(
                period=period.period, score=str(points(period.task_score) + general),
                unit_id=period.unit_id, unit_name=unit_name))
    return found


# ---------------------------------------------------------------- weighted sources
#
# A source the Quy chế weighs (content["sources"], tally.ledger.weighted_general) changes the
# general criteria's points fed to the rounds, never the period's kept score: scores imported
# after a period was confirmed still count, and the rounds follow (import_scores refreshes).
# A source's value for a period: its score for that period, else its score for the whole year;
# for the year's general points: its score for the whole year, else the mean of its periods'.


def _weights(period: Period) -> dict[str, Decimal]:
    try:
        return rules.source_weights(period.regulation.content if period.regulation else None)
    except ValueError:
        return {}


def _source_values(person_id: int, year: int, key: str | None) -> dict[str, Decimal]:
    by_source: dict[str, dict[str, int]] = {}
    for row in scores_of(person_id, year):
        by_source.setdefault(row.source, {})[row.period] = row.score
    values = {}
    for source, scores in by_source.items():
        if key is not None and key in scores:
            values[source] = points(scores[key])
        elif YEAR in scores:
            values[source] = points(scores[YEAR])
        elif key is None:
            values[source] = rules.round_half_up(
                Fraction(sum(scores.values()), 100 * len(scores)))
    # The public's ratings of the period (or the year), when the person had a desk.
    from evalapp.ledger import ratings

    rated = ratings.weighable_value(person_id, year, key or YEAR)
    if rated is not None:
        values.setdefault(ratings.source_name(), rated)
    return values


def fed_score(period: Period) -> Decimal:
    """A confirmed period's score as fed to the rounds under a Quy chế giving the general
    criteria per period: task + the general points with the weighted sources."""
    weights = _weights(period)
    if not weights or period.general is None:
        return points(period.score)
    general = rules.weighted_general(points(period.general), weights, _source_values(
        period.person_id, period.year, period.period))
    return points(period.task_score) + general


def year_general_points(period: Period, general: int) -> Decimal:
    """The year's general points fed with a period (hundredths in, points out), with the
    weighted sources' values for the year."""
    weights = _weights(period)
    if not weights:
        return points(general)
    return rules.weighted_general(points(general), weights,
                                  _source_values(period.person_id, period.year, None))
