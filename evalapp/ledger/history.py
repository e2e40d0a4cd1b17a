"""History pages' services (issue 13, "History"): a person's levels and scores across periods,
quarters and years, and a unit's distribution of levels over time, each with the geometry of a
server-drawn SVG chart (no JavaScript, no outside resource).

Where the figures come from:
- periods: the person's CONFIRMED ledger periods (task score, general criteria, total), in
  every unit they were kept in; an open period has no kept score and is not shown;
- quarters: quarterly leader reviews, i.e. evaluation rounds whose settings carry
  `"round_type": "quarterly"` and whose period is a quarter ("Q1".."Q4", any case);
- years: evaluation rounds of period "year" (not quarterly), their finalised level and
  retained score (`RatedPerson.level` / `score`).
A round's level is read only when the round is FINALISED and its results are RELEASED
(`released_at`): before that nobody but the round's admins sees a level, and this page shows
none at all. When several released rounds rate the same person for the same year or quarter,
the latest finalised one stands.

Who sees what: a person's history is `ledger.see` (the person, whoever manages them, an admin
of their unit); NotFound otherwise. A unit's distribution counts only the rounds whose levels
the user may see in full (the round's admins, `evaluations.manage`) or that were published to
the unit and that the user may see (`evaluations.see`); the page itself is for an admin of the
unit or someone who sees at least one such round, NotFound otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from evalapp.auth.models import Role
from evalapp.auth.permissions import can, has_role
from evalapp.core.errors import NotFound
from evalapp.evaluations import permissions as _evaluation_actions  # noqa: F401  (registers)
from evalapp.evaluations.models import EvaluationRound, RatedPerson, RoundStatus, points
from evalapp.extensions import db
from evalapp.ledger import permissions  # noqa: F401  (registers the ledger's actions)
from evalapp.ledger.models import Item, Period, PeriodStatus
from evalapp.org.models import Person, Unit
from evalapp.tally.scales import Level

# The ordinal axis of levels, lowest first.
LEVELS = (Level.NOT_COMPLETED, Level.COMPLETED, Level.GOOD, Level.EXCELLENT)
RANK = {level: rank for rank, level in enumerate(LEVELS)}
QUARTERS = ("q1", "q2", "q3", "q4")


# ---------------------------------------------------------------- what was released


def quarter_key(round_: EvaluationRound) -> str | None:
    """"q1".."q4" for a quarterly review (settings round_type "quarterly", period Q1..Q4)."""
    if round_.settings.get("round_type") != "quarterly":
        return None
    key = (round_.period or "").lower()
    return key if key in QUARTERS else None


def round_key(round_: EvaluationRound) -> str | None:
    """"year" for a year's round, "q1".."q4" for a quarterly review, None for anything else."""
    if round_.settings.get("round_type") == "quarterly":
        return quarter_key(round_)
    return "year" if round_.period == "year" else None


def _released():
    return (EvaluationRound.status == RoundStatus.FINALISED,
            EvaluationRound.released_at.is_not(None))


def _latest(rows):
    """Keeps one row per (person, year, key): the latest finalised round's."""
    kept: dict[tuple, tuple] = {}
    keys: dict[int, str | None] = {}
    for rated, round_ in rows:
        if round_.id not in keys:
            keys[round_.id] = round_key(round_)
        key = keys[round_.id]
        if key is None:
            continue
        slot = (rated.person_id, round_.year, key)
        order = (round_.finalised_at or round_.released_at, round_.id)
        if slot not in kept or order > kept[slot][0]:
            kept[slot] = (order, rated, round_, key)
    return [(rated, round_, key) for _order, rated, round_, key in kept.values()]


# ---------------------------------------------------------------- a person's history


@dataclass
class ItemRow:
    title: str
    measure: str
    assigned: Decimal
    delivered: Decimal | None
    converted: Decimal | None      # delivered × factor, in standard products
    errors: int
    errors_accepted: int
    late: bool
    delays: int
    delays_accepted: int

    @property
    def on_time(self) -> bool:
        return not self.late and self.delays == 0


@dataclass
class PeriodRow:
    year: int
    key: str                       # "m01".."m12", "q1".."q4"
    unit_name: str
    task: Decimal | None
    general: Decimal | None
    score: Decimal | None
    items: list[ItemRow] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"p-{self.year}-{self.key}"


@dataclass
class LevelRow:
    year: int
    key: str                       # "year" or "q1".."q4"
    level: Level
    score: Decimal | None
    title: str
    unit_name: str

    @property
    def anchor(self) -> str:
        return f"r-{self.year}-{self.key}"


@dataclass
class PersonHistory:
    person: Person
    periods: list[PeriodRow]
    quarters: list[LevelRow]
    years: list[LevelRow]


def _item_row(item: Item) -> ItemRow:
    late = bool(item.due_on and item.delivered_on and item.delivered_on > item.due_on)
    delivered = points(item.delivered)
    converted = None if item.delivered is None else points(
        int((Decimal(item.delivered) * item.factor / 100).to_integral_value()))
    return ItemRow(title=item.title + (f" ({item.level})" if item.level else ""),
                   measure=item.measure, assigned=points(item.assigned), delivered=delivered,
                   converted=converted, errors=item.errors,
                   errors_accepted=item.errors_accepted, late=late, delays=item.delays,
                   delays_accepted=item.delays_accepted)


def person_history(actor, person: Person) -> PersonHistory:
    """The person's confirmed periods (with the products behind each task score), quarterly
    reviews and years, oldest first. NotFound for someone the actor may not see."""
    if person is None or not can(actor, "ledger.see", person):
        raise NotFound()
    periods = db.session.execute(
        select(Period, Unit.name).join(Unit, Period.unit_id == Unit.id)
        .where(Period.person_id == person.id, Period.status == PeriodStatus.CONFIRMED)
        .order_by(Period.year, Period.period)).all()
    rows = [PeriodRow(year=p.year, key=p.period, unit_name=name, task=points(p.task_score),
                      general=points(p.general), score=points(p.score)) for p, name in periods]
    by_id = {p.id: row for (p, _name), row in zip(periods, rows, strict=True)}
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        for item in db.session.scalars(select(Item).where(
                Item.period_id.in_(ids[start:start + 500]), Item.accepted.is_(True))
                .order_by(Item.id)):
            by_id[item.period_id].items.append(_item_row(item))
    rated = db.session.execute(
        select(RatedPerson, EvaluationRound)
        .join(EvaluationRound, RatedPerson.round_id == EvaluationRound.id)
        .where(RatedPerson.person_id == person.id, RatedPerson.included.is_(True),
               RatedPerson.level.is_not(None), *_released())
        .order_by(EvaluationRound.id)).all()
    quarters, years = [], []
    for entry, round_, key in _latest(rated):
        row = LevelRow(year=round_.year, key=key, level=entry.level, score=points(entry.score),
                       title=round_.title, unit_name=entry.unit_name)
        (years if key == "year" else quarters).append(row)
    quarters.sort(key=lambda r: (r.year, r.key))
    years.sort(key=lambda r: r.year)
    return PersonHistory(person, rows, quarters, years)


# ---------------------------------------------------------------- a unit's distribution


@dataclass
class Column:
    year: int
    key: str                       # "year" or "q1".."q4"
    counts: dict[Level, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class UnitHistory:
    unit: Unit
    years: list[Column]
    quarters: list[Column]


def sees_round_levels(user, round_: EvaluationRound) -> bool:
    """Whether `user` may see every level of a released round: its admins, or anyone the
    round concerns once the results are published to the unit."""
    if can(user, "evaluations.manage", round_):
        return True
    return round_.published_at is not None and can(user, "evaluations.see", round_)


def unit_history(actor, unit: Unit) -> UnitHistory:
    """Counts of HTXS / HTT / HTNV / KHT per year and per quarter among the people rated in the
    unit or below it, from the released rounds the actor may see the levels of. NotFound for a
    user who is no admin of the unit and sees no such round."""
    if unit is None:
        raise NotFound()
    rows = db.session.execute(
        select(RatedPerson, EvaluationRound)
        .join(EvaluationRound, RatedPerson.round_id == EvaluationRound.id)
        .join(Unit, RatedPerson.unit_id == Unit.id)
        .where(Unit.path.startswith(unit.path, autoescape=True),
               RatedPerson.included.is_(True), RatedPerson.level.is_not(None), *_released())
        .order_by(EvaluationRound.id)).all()
    visible: dict[int, bool] = {}
    seen = []
    for rated, round_ in rows:
        if round_.id not in visible:
            visible[round_.id] = sees_round_levels(actor, round_)
        if visible[round_.id]:
            seen.append((rated, round_))
    if not seen and not has_role(actor, Role.ADMIN, unit):
        raise NotFound()
    columns: dict[tuple[int, str], Column] = {}
    for rated, round_, key in _latest(seen):
        column = columns.setdefault((round_.year, key), Column(
            round_.year, key, {level: 0 for level in reversed(LEVELS)}))
        column.counts[rated.level] += 1
    ordered = [columns[k] for k in sorted(columns)]
    return UnitHistory(unit, [c for c in ordered if c.key == "year"],
                       [c for c in ordered if c.key != "year"])


# ---------------------------------------------------------------- the charts' geometry
#
# Computed here, drawn by templates/ledger/history/_charts.html as inline SVG with presentation
# attributes only (the CSP allows no inline style). Every figure of a chart is also in the
# table under it. The x axis is time: a year is one band, a month the twelfth of it, a quarter
# a quarter of it; a missing value is a gap (no point, the line broken), never a zero.

WIDTH = 800
LEFT, RIGHT = 64, 16
SCORE_TOP, SCORE_HEIGHT = 16, 180
LEVEL_ROW = 28
MAX_YEAR_LABELS = 15
LEVEL_COLOURS = {Level.EXCELLENT: "#1a7f37", Level.GOOD: "#6cc070",
                 Level.COMPLETED: "#e0a526", Level.NOT_COMPLETED: "#b42318"}


def _position(key: str) -> float:
    """Where in its year a period sits (0..1): a month, a quarter or the year's middle."""
    if key.startswith("m"):
        return (int(key[1:]) - 0.5) / 12
    if key in QUARTERS:
        return (3 * int(key[1]) - 1.5) / 12
    return 0.5


def _slot(year: int, key: str) -> tuple[str, int]:
    if key.startswith("m"):
        return "m", year * 12 + int(key[1:])
    return "q", year * 4 + int(key[1])


@dataclass
class Mark:
    x: float
    y: float
    year: int
    key: str
    value: object                  # a Decimal score or a Level
    anchor: str


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class PersonChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    score_top: int
    score_bottom: int
    level_top: int
    level_bottom: int
    score_grid: list[tuple[float, int]]          # (y, points)
    level_grid: list[tuple[float, Level]]        # (y, level)
    years: list[Tick]                            # a tick at each year's start; label or ""
    year_label_y: int
    periods: list[Mark]                          # one per confirmed period with a score
    lines: list[list[tuple[float, float]]]       # runs of consecutive periods
    year_scores: list[Mark]
    quarters: list[Mark]
    year_levels: list[Mark]


def _year_ticks(first: int, last: int, x_of) -> list[Tick]:
    count = last - first + 1
    step = -(-count // MAX_YEAR_LABELS)
    return [Tick(x_of(year, 0.0), str(year) if (year - first) % step == 0 else "")
            for year in range(first, last + 1)]


def person_chart(history: PersonHistory) -> PersonChart | None:
    """The geometry of a person's chart; None when there is nothing to draw."""
    with_score = [p for p in history.periods if p.score is not None]
    years_with = [r for r in history.years]
    all_years = ([p.year for p in with_score] + [r.year for r in history.quarters]
                 + [r.year for r in years_with])
    if not all_years:
        return None
    first, last = min(all_years), max(all_years)
    plot_right = WIDTH - RIGHT
    span = plot_right - LEFT

    def x_of(year: int, where: float) -> float:
        return round(LEFT + (year - first + where) / (last - first + 1) * span, 2)

    score_bottom = SCORE_TOP + SCORE_HEIGHT

    def y_score(value: Decimal) -> float:
        value = min(max(Decimal(value), Decimal(0)), Decimal(100))
        return round(SCORE_TOP + float(100 - value) / 100 * SCORE_HEIGHT, 2)

    level_top = score_bottom + 44
    level_bottom = level_top + LEVEL_ROW * len(LEVELS)

    def y_level(level: Level) -> float:
        return level_top + (len(LEVELS) - 1 - RANK[level]) * LEVEL_ROW + LEVEL_ROW / 2

    periods, lines, run, previous = [], [], [], None
    for row in with_score:
        mark = Mark(x_of(row.year, _position(row.key)), y_score(row.score), row.year, row.key,
                    row.score, row.anchor)
        periods.append(mark)
        slot = _slot(row.year, row.key)
        if previous is None or slot[0] != previous[0] or slot[1] != previous[1] + 1:
            if len(run) > 1:
                lines.append(run)
            run = []
        run.append((mark.x, mark.y))
        previous = slot
    if len(run) > 1:
        lines.append(run)
    year_scores = [Mark(x_of(r.year, 0.5), y_score(r.score), r.year, r.key, r.score, r.anchor)
                   for r in years_with if r.score is not None]
    quarters = [Mark(x_of(r.year, _position(r.key)), y_level(r.level), r.year, r.key, r.level,
                     r.anchor) for r in history.quarters]
    year_levels = [Mark(x_of(r.year, 0.5), y_level(r.level), r.year, r.key, r.level, r.anchor)
                   for r in years_with]
    return PersonChart(
        width=WIDTH, height=level_bottom + 8, plot_left=LEFT, plot_right=plot_right,
        score_top=SCORE_TOP, score_bottom=score_bottom, level_top=level_top,
        level_bottom=level_bottom,
        score_grid=[(y_score(Decimal(v)), v) for v in (0, 25, 50, 75, 100)],
        level_grid=[(y_level(level), level) for level in LEVELS],
        years=_year_ticks(first, last, x_of), year_label_y=score_bottom + 18,
        periods=periods, lines=lines, year_scores=year_scores, quarters=quarters,
        year_levels=year_levels)


@dataclass
class Bar:
    x: float
    width: float
    column: Column
    label: str                     # "" when thinned out
    parts: list[tuple[Level, float, float, int]]  # (level, y, height, count), KHT at the bottom


@dataclass
class BarChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    top: int
    bottom: int
    grid: list[tuple[float, int]]  # (y, count)
    bars: list[Bar]
    label_y: int


def bar_chart(columns: list[Column], label) -> BarChart | None:
    """A stacked bar per column (KHT at the bottom, HTXS on top), heights to the largest
    total; `label(column)` names a column. None without any column."""
    if not columns:
        return None
    top, height = 16, 200
    bottom = top + height
    plot_right = WIDTH - RIGHT
    band = (plot_right - LEFT) / len(columns)
    width = round(min(48.0, band * 0.7), 2)
    largest = max(max(c.total for c in columns), 1)
    step = max(1, -(-largest // 5))
    grid = [(round(bottom - n / largest * height, 2), n)
            for n in range(0, largest + 1, step)]
    every = -(-len(columns) // 20)
    bars = []
    for i, column in enumerate(columns):
        x = round(LEFT + band * i + (band - width) / 2, 2)
        parts, base = [], float(bottom)
        for level in LEVELS:
            count = column.counts.get(level, 0)
            if count:
                h = round(count / largest * height, 2)
                base -= h
                parts.append((level, round(base, 2), h, count))
        bars.append(Bar(x, width, column, label(column) if i % every == 0 else "", parts))
    return BarChart(WIDTH, bottom + 32, LEFT, plot_right, top, bottom, grid, bars, bottom + 18)
