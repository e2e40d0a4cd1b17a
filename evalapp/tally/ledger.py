"""The rules of the product ledger (issue 13): a period's task score from the person's work items.

Domain guide §3, Nghị định 335/2025 and 233/2026 Điều 11: task results (70 of 100 points) come
from the products a person delivered in a month or a quarter, each converted against the unit's
standard product (factor 1). Three ratios of converted products: a = quantity, b = quality,
c = timeliness. Each major error removes 25 % of that item's quality points and each delay 25 %
of its timeliness points, unless its objective cause is accepted. Staff: (a + b + c) / 3 × 70;
leaders: (a + b + c + d + đ + e) / 6 × 70 with d the results of the unit they run, đ organising
capacity, e uniting staff. The general criteria (30) are scored per period or once a year.

Pure: no Flask, no database, no gettext. Ratios are exact `Fraction`s; points are `Decimal`s
with two decimals, rounded half up once, at the end (tally.evaluation.round_half_up).

Where the decrees leave the definitions to each unit's Quy chế, `LedgerRules` makes them
settings (read from the Quy chế's content["ledger"]):
- quantity: "per_item" (default: each item counts up to what was assigned, so a surplus on one
  item does not hide a shortfall on another) or "pooled" (converted delivered over converted
  assigned for the whole period, capped at 1).
- quality and timeliness weights: "converted" (default: each delivered item weighs its converted
  delivered quantity) or "items" (each delivered item weighs the same).
- deduction: the share removed per unaccepted error or delay, 1/4 by default; not compounding
  (four unaccepted errors leave nothing of that item's quality points), as
  tally.evaluation.deduct reads the decree.
- general_per: "period" (default: the 30 points are given each period and the period's score
  is out of 100) or "year" (given once: a period's score is its task score only, out of 70).

Readings chosen where the text is silent:
- An item delivered after its due date counts one delay even when no delay was recorded; more
  delays may be recorded (a product handed back and late again).
- Items with nothing delivered weigh nothing in b and c (quantity already counts them); a period
  where nothing was delivered has b = c = 0.
- A period without any assigned quantity has no task score (ValueError "no_items").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from evalapp.tally.evaluation import (
    CENT,
    YEAR_FROM,
    _fraction,
    _points,
    round_half_up,
    task_score_from_ratios,
    year_from_periods,
)

QUANTITY_RULES = ("per_item", "pooled")
WEIGHTS = ("converted", "items")
GENERAL_PER = ("period", "year")
LEDGER_PERIODS = ("month", "quarter")
GENERAL_MAX = Decimal(30)
TASK_MAX = Decimal(70)


@dataclass(frozen=True)
class LedgerRules:
    """The Quy chế's settings of the ledger (content["ledger"] of a Regulation)."""

    quantity: str = "per_item"
    quality: str = "converted"
    timeliness: str = "converted"
    deduction: Fraction = Fraction(1, 4)
    general_per: str = "period"
    period: str = "month"          # "month" | "quarter": how the ledger is kept
    year_from: str = "mean"        # tally.evaluation.YEAR_FROM

    def __post_init__(self):
        if (self.quantity not in QUANTITY_RULES or self.quality not in WEIGHTS
                or self.timeliness not in WEIGHTS or self.general_per not in GENERAL_PER
                or self.period not in LEDGER_PERIODS or self.year_from not in YEAR_FROM
                or not isinstance(self.deduction, Fraction) or not 0 < self.deduction <= 1):
            raise ValueError("bad_ledger_rules")

    def settings(self) -> dict:
        return {"quantity": self.quantity, "quality": self.quality,
                "timeliness": self.timeliness, "deduction": str(self.deduction),
                "general_per": self.general_per, "period": self.period,
                "year_from": self.year_from}

    @classmethod
    def from_regulation(cls, content: Mapping | None) -> LedgerRules:
        """The rules of a Quy chế's content: its "ledger" settings, the period and the way to
        the year from the Quy chế itself (a Quy chế tracking by year keeps its ledger by
        quarter); the defaults for anything missing. ValueError("bad_ledger_rules")."""
        content = content if isinstance(content, Mapping) else {}
        raw = content.get("ledger", {})
        if not isinstance(raw, Mapping):
            raise ValueError("bad_ledger_rules")
        values = {key: raw[key] for key in ("quantity", "quality", "timeliness", "general_per")
                  if key in raw}
        try:
            if "deduction" in raw:
                values["deduction"] = Fraction(str(raw["deduction"]))
        except (ValueError, ZeroDivisionError):
            raise ValueError("bad_ledger_rules") from None
        period = raw.get("period", content.get("period", "month"))
        values["period"] = "quarter" if period == "year" else period
        if content.get("year_from") is not None:
            values["year_from"] = content["year_from"]
        return cls(**values)


def period_keys(period: str) -> list[str]:
    """The periods of a year: "m01".."m12" or "q1".."q4" (the keys evaluation rounds use)."""
    if period == "month":
        return [f"m{n:02d}" for n in range(1, 13)]
    if period == "quarter":
        return [f"q{n}" for n in range(1, 5)]
    raise ValueError("bad_period")


def period_of(day: date, period: str) -> str:
    """The key of the period holding `day`."""
    if period == "month":
        return f"m{day.month:02d}"
    if period == "quarter":
        return f"q{(day.month - 1) // 3 + 1}"
    raise ValueError("bad_period")


@dataclass(frozen=True)
class WorkItem:
    """One work item of a period, as the rules see it. Quantities and the factor are exact
    (int, Decimal, Fraction or numeric text; never a float)."""

    assigned: object
    delivered: object = 0
    factor: object = 1
    errors: int = 0
    errors_accepted: int = 0
    delays: int = 0
    delays_accepted: int = 0
    due: date | None = None
    delivered_on: date | None = None

    def check(self) -> None:
        """ValueError naming the first problem: "quantity" (negative), "factor" (not positive),
        "bad_count" (a negative count, or more accepted causes than errors or delays)."""
        if _fraction(self.assigned) < 0 or _fraction(self.delivered) < 0:
            raise ValueError("quantity")
        if _fraction(self.factor) <= 0:
            raise ValueError("factor")
        for total, accepted in ((self.errors, self.errors_accepted),
                                (self.delays, self.delays_accepted)):
            if not isinstance(total, int) or not isinstance(accepted, int) \
                    or total < 0 or accepted < 0 or accepted > total:
                raise ValueError("bad_count")

    @property
    def late(self) -> bool:
        return (self.due is not None and self.delivered_on is not None
                and self.delivered_on > self.due)

    @property
    def delay_count(self) -> int:
        """Delays recorded, at least one when delivered after the due date."""
        return max(self.delays, 1 if self.late else 0)

    @property
    def converted_assigned(self) -> Fraction:
        return _fraction(self.assigned) * _fraction(self.factor)

    @property
    def converted_delivered(self) -> Fraction:
        return _fraction(self.delivered) * _fraction(self.factor)


def kept_share(count: int, accepted: int, deduction: Fraction = Fraction(1, 4)) -> Fraction:
    """What is left of an item's points after `count` errors (or delays) of which `accepted`
    had their objective cause accepted: 1 − deduction per unaccepted one, never below 0."""
    if count < 0 or accepted < 0 or accepted > count:
        raise ValueError("bad_count")
    return max(Fraction(0), 1 - deduction * (count - accepted))


@dataclass(frozen=True)
class Ratios:
    a: Fraction  # quantity
    b: Fraction  # quality
    c: Fraction  # timeliness


def ratios(items: Sequence[WorkItem], rules: LedgerRules = LedgerRules()) -> Ratios:
    """The three ratios of a period's items, each in [0, 1], exact."""
    if not items:
        raise ValueError("no_items")
    for item in items:
        item.check()
    assigned = sum((i.converted_assigned for i in items), Fraction(0))
    if assigned == 0:
        raise ValueError("no_items")
    if rules.quantity == "pooled":
        delivered = sum((i.converted_delivered for i in items), Fraction(0))
    else:
        delivered = sum((min(i.converted_delivered, i.converted_assigned) for i in items),
                        Fraction(0))
    a = min(Fraction(1), delivered / assigned)

    done = [i for i in items if i.converted_delivered > 0]

    def weighted(weighting: str, kept) -> Fraction:
        weights = [i.converted_delivered if weighting == "converted" else Fraction(1)
                   for i in done]
        total = sum(weights, Fraction(0))
        if total == 0:
            return Fraction(0)
        return sum((w * kept(i) for w, i in zip(weights, done, strict=True)),
                   Fraction(0)) / total

    b = weighted(rules.quality,
                 lambda i: kept_share(i.errors, i.errors_accepted, rules.deduction))
    c = weighted(rules.timeliness,
                 lambda i: kept_share(i.delay_count, min(i.delays_accepted, i.delay_count),
                                      rules.deduction))
    return Ratios(a, b, c)


def task_score(r: Ratios, leader: Sequence | None = None) -> Decimal:
    """Staff: (a + b + c) / 3 × 70; a leader (`leader` = (d, đ, e), each a ratio in [0, 1]):
    (a + b + c + d + đ + e) / 6 × 70. Two decimals, half up."""
    parts = [r.a, r.b, r.c]
    if leader is not None:
        if len(leader) != 3:
            raise ValueError("ratio_count")
        parts += [_fraction(x) for x in leader]
    return task_score_from_ratios(parts, TASK_MAX)


def unit_result_ratio(unit_score) -> Fraction:
    """d for a leader from the unit's score out of 100 (the unit's results), in [0, 1]."""
    value = _fraction(unit_score)
    if not 0 <= value <= 100:
        raise ValueError("score_range")
    return value / 100


def general_points(value) -> Decimal:
    """The general criteria's points: a number with at most two decimals in 0..30."""
    points = _points(value)
    if not 0 <= points <= GENERAL_MAX:
        raise ValueError("general_range")
    return points


def period_score(task: Decimal, general, rules: LedgerRules = LedgerRules()) -> Decimal:
    """A period's score: task + general (out of 100) when the general criteria are given per
    period; the task score alone (out of 70) when they are given once a year (`general` must
    then be None)."""
    task = _points(task)
    if rules.general_per == "period":
        if general is None:
            raise ValueError("general_missing")
        return (task + general_points(general)).quantize(CENT)
    if general is not None:
        raise ValueError("general_per_year")
    return task


def year_score(period_scores: Sequence[Decimal], rules: LedgerRules = LedgerRules(),
               general_year=None) -> Decimal:
    """The year's score from the periods (the Quy chế's way: mean, last, lowest), plus the
    year's general criteria when they are given once a year."""
    task_or_total = year_from_periods(period_scores, rules.year_from)
    if rules.general_per == "period":
        return task_or_total
    if general_year is None:
        raise ValueError("general_missing")
    return (task_or_total + general_points(general_year)).quantize(CENT)


def percent(ratio: Fraction) -> Decimal:
    """A ratio as a percentage with two decimals, half up (for pages)."""
    return round_half_up(Fraction(ratio) * 100)


# ---------------------------------------------------------------- weighted sources of evidence
#
# Other sources (a competency exam, a KPI system, a training record, the public's ratings) are
# evidence beside the general criteria, not added, unless the Quy chế gives a source a weight
# (content["sources"] = {source name: weight in points}). A weight is carved out of the 30
# points of the general criteria, never added on top (the total stays out of 100, Điều 11):
#
#     G' = G × (30 − W) / 30 + Σ w_s × v_s / 100
#
# G the manager's points for the general criteria (0–30), v_s the source's value read as a
# percentage (0–100, capped), w_s its weight, the sum and W = Σ w_s over the weighted sources
# that have a value for the person in that period (a source without a value leaves the
# manager's points their whole share). Σ of all weights ≤ 30. Two decimals, half up, once.

SOURCE_SCALE = Decimal(100)
GENERAL_MAX_F = Fraction(30)


def source_weights(content: Mapping | None) -> dict[str, Decimal]:
    """The weighted sources of a Quy chế's content ({} when none); ValueError("bad_sources")
    for weights that are not numbers with two decimals in (0, 30] or add up to more than 30."""
    raw = (content or {}).get("sources") if isinstance(content, Mapping) else None
    if not raw:
        return {}
    if not isinstance(raw, Mapping):
        raise ValueError("bad_sources")
    weights = {}
    for name, value in raw.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError("bad_sources")
        try:
            weight = _points(value)
        except (ValueError, ArithmeticError, TypeError):
            raise ValueError("bad_sources") from None
        if not 0 < weight <= GENERAL_MAX:
            raise ValueError("bad_sources")
        weights[name] = weight
    if sum(weights.values()) > GENERAL_MAX:
        raise ValueError("bad_sources")
    return weights


def weighted_general(general, weights: Mapping[str, Decimal], values: Mapping[str, object]
                     ) -> Decimal:
    """The general criteria's points with the weighted sources (see above); `values` the
    sources' values for the person in the period (any source, weighted or not)."""
    g = _fraction(general_points(general))
    present = {name: Fraction(str(w)) for name, w in weights.items()
               if values.get(name) is not None}
    if not present:
        return general_points(general)
    total_weight = sum(present.values(), Fraction(0))
    if total_weight > GENERAL_MAX:
        raise ValueError("bad_sources")
    result = g * (GENERAL_MAX_F - total_weight) / GENERAL_MAX_F
    for name, weight in present.items():
        value = min(max(_fraction(values[name]), Fraction(0)), Fraction(100))
        result += weight * value / 100
    return round_half_up(result)

