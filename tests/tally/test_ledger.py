"""The product ledger's pure rules (evalapp.tally.ledger): conversion, the a/b/c ratios, the
deductions with and without accepted causes, staff and leaders' formulas, the general criteria,
the year from the periods."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalapp.tally.ledger import (
    LedgerRules,
    WorkItem,
    kept_share,
    period_keys,
    period_of,
    period_score,
    ratios,
    task_score,
    unit_result_ratio,
    year_score,
)

POOLED = LedgerRules(quantity="pooled")
BY_ITEMS = LedgerRules(quality="items", timeliness="items")


def test_kept_share_exhaustive_up_to_five():
    """Each unaccepted error (or delay) removes a quarter, never compounding, never below 0."""
    for count in range(6):
        for accepted in range(count + 1):
            expected = {0: 1, 1: Fraction(3, 4), 2: Fraction(1, 2), 3: Fraction(1, 4)}.get(
                count - accepted, 0)
            assert kept_share(count, accepted) == expected
    with pytest.raises(ValueError):
        kept_share(1, 2)


def test_one_item_exhaustive_on_small_cases():
    """A single item: a = delivered / assigned (capped at 1), b and c its kept shares; the
    factor converts both sides and changes no ratio; an accepted cause is as if no error."""
    for assigned, delivered, factor, errors, delays in itertools.product(
            (1, 2, 3), (0, 1, 2, 4), ("0.5", "1", "2.25"), range(3), range(3)):
        for errors_ok, delays_ok in itertools.product(range(errors + 1), range(delays + 1)):
            item = WorkItem(assigned, delivered, factor, errors, errors_ok, delays, delays_ok)
            r = ratios([item])
            assert r.a == min(1, Fraction(delivered, assigned))
            if delivered == 0:
                assert (r.b, r.c) == (0, 0)
            else:
                assert r.b == max(0, 1 - Fraction(errors - errors_ok, 4))
                assert r.c == max(0, 1 - Fraction(delays - delays_ok, 4))
            if errors_ok == errors and delays_ok == delays and delivered:
                assert (r.b, r.c) == (1, 1)


def test_conversion_weighs_items_by_their_factor():
    """Two items, 10 simple documents (factor 0.5) done of 10 and 1 report (factor 5) missing:
    a = 5 / 10 converted; per item vs pooled; quality weighted by converted quantity or by
    items."""
    simple = WorkItem(10, 10, "0.5", errors=1)
    report = WorkItem(1, 0, 5)
    assert ratios([simple, report]).a == Fraction(1, 2)
    surplus = WorkItem(1, 3, 1)
    shortfall = WorkItem(2, 0, 1)
    assert ratios([surplus, shortfall]).a == Fraction(1, 3)          # per item: 1 of 3
    assert ratios([surplus, shortfall], POOLED).a == 1                # pooled: 3 of 3
    heavy = WorkItem(1, 1, 3, errors=2)    # converted 3, quality kept 1/2
    light = WorkItem(1, 1, 1)              # converted 1, quality kept 1
    assert ratios([heavy, light]).b == Fraction(3 * Fraction(1, 2) + 1, 4)
    assert ratios([heavy, light], BY_ITEMS).b == Fraction(3, 4)


def test_delivered_after_due_counts_one_delay_unless_accepted():
    on_time = WorkItem(1, 1, due=date(2026, 3, 10), delivered_on=date(2026, 3, 10))
    late = WorkItem(1, 1, due=date(2026, 3, 10), delivered_on=date(2026, 3, 11))
    excused = WorkItem(1, 1, due=date(2026, 3, 10), delivered_on=date(2026, 3, 11),
                       delays=1, delays_accepted=1)
    assert ratios([on_time]).c == 1
    assert ratios([late]).c == Fraction(3, 4)
    assert ratios([excused]).c == 1


def test_staff_and_leader_formulas_to_the_hundredth_half_up():
    r = ratios([WorkItem(3, 2)])                      # a = 2/3, b = c = 1
    assert task_score(r) == Decimal("62.22")           # (2/3 + 2) / 3 × 70 = 62.222…
    assert task_score(ratios([WorkItem(1, 1)])) == Decimal("70.00")
    # leader: d from the unit's 80/100, đ = 1, e = 1/2: (2/3+1+1+0.8+1+0.5)/6×70 = 57.944…
    assert task_score(r, (unit_result_ratio(80), 1, Fraction(1, 2))) == Decimal("57.94")
    # a = 3/4, b = 0 (four errors), c = 1: 40.833… → 40.83; a = 1/8, b = c = 1: 49.583… → 49.58
    assert task_score(ratios([WorkItem(4, 3, errors=4)])) == Decimal("40.83")
    assert task_score(ratios([WorkItem(8, 1)])) == Decimal("49.58")
    assert task_score(ratios([WorkItem(1, 0)])) == Decimal("0.00")
    with pytest.raises(ValueError):
        task_score(r, (1, 1))


def test_bad_items_are_refused():
    for item, problem in ((WorkItem(-1), "quantity"), (WorkItem(1, factor=0), "factor"),
                          (WorkItem(1, errors=1, errors_accepted=2), "bad_count")):
        with pytest.raises(ValueError, match=problem):
            ratios([item])
    with pytest.raises(ValueError, match="no_items"):
        ratios([WorkItem(0)])
    with pytest.raises(TypeError):
        ratios([WorkItem(1.5)])


def test_general_criteria_per_period_or_per_year():
    per_period, per_year = LedgerRules(), LedgerRules(general_per="year")
    assert period_score(Decimal("62.22"), "27.5", per_period) == Decimal("89.72")
    assert period_score(Decimal("62.22"), None, per_year) == Decimal("62.22")
    for bad in ("30.01", "-1"):
        with pytest.raises(ValueError):
            period_score(Decimal(60), bad, per_period)
    with pytest.raises(ValueError):
        period_score(Decimal(60), None, per_period)
    with pytest.raises(ValueError):
        period_score(Decimal(60), "20", per_year)
    scores = [Decimal("89.72"), Decimal("90.00"), Decimal("80.01")]
    assert year_score(scores, per_period) == Decimal("86.58")          # 259.73 / 3 = 86.576…
    assert year_score(scores, LedgerRules(year_from="min")) == Decimal("80.01")
    assert year_score([Decimal("62.22"), Decimal("70")], per_year, "28") == Decimal("94.11")


def test_rules_from_a_quy_che_and_the_periods():
    rules = LedgerRules.from_regulation({"period": "quarter", "year_from": "last",
                                         "ledger": {"quantity": "pooled", "deduction": "0.2"}})
    assert (rules.period, rules.year_from, rules.quantity, rules.deduction) == (
        "quarter", "last", "pooled", Fraction(1, 5))
    assert LedgerRules.from_regulation(None) == LedgerRules()
    assert LedgerRules.from_regulation({"period": "year"}).period == "quarter"
    for bad in ({"ledger": {"quantity": "most"}}, {"ledger": {"deduction": "0"}},
                {"ledger": []}, {"ledger": {"deduction": "x"}}):
        with pytest.raises(ValueError):
            LedgerRules.from_regulation(bad)
    assert period_keys("quarter") == ["q1", "q2", "q3", "q4"]
    assert len(period_keys("month")) == 12
    assert period_of(date(2026, 7, 1), "quarter") == "q3"
    assert period_of(date(2026, 7, 1), "month") == "m07"


quantities = st.integers(0, 50)
items_strategy = st.lists(st.builds(
    lambda assigned, extra, factor, errors, delays, e_ok, d_ok: WorkItem(
        assigned + 1, extra, Fraction(factor, 4), errors, min(e_ok, errors), delays,
        min(d_ok, delays)),
    quantities, quantities, st.integers(1, 40), st.integers(0, 6), st.integers(0, 6),
    st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None)
@given(items_strategy, st.sampled_from([LedgerRules(), POOLED, BY_ITEMS]))
def test_ratios_are_shares_and_the_score_stays_within_70(items, rules):
    r = ratios(items, rules)
    assert all(0 <= x <= 1 for x in (r.a, r.b, r.c))
    assert Decimal(0) <= task_score(r) <= Decimal(70)
    assert ratios(items, POOLED).a >= ratios(items).a


@settings(max_examples=150, deadline=None)
@given(items_strategy, st.integers(1, 9))
def test_scaling_every_factor_changes_nothing(items, k):
    scaled = [WorkItem(i.assigned, i.delivered, i.factor * k, i.errors, i.errors_accepted,
                       i.delays, i.delays_accepted) for i in items]
    assert ratios(scaled) == ratios(items)


@settings(max_examples=150, deadline=None)
@given(items_strategy, st.integers(0, 5))
def test_an_unaccepted_error_never_helps_and_an_accepted_one_never_hurts(items, index):
    index %= len(items)
    item = items[index]
    worse = WorkItem(item.assigned, item.delivered, item.factor, item.errors + 1,
                     item.errors_accepted)
    excused = WorkItem(item.assigned, item.delivered, item.factor, item.errors + 1,
                       item.errors_accepted + 1)
    base = ratios(items).b
    assert ratios(items[:index] + [worse] + items[index + 1:]).b <= base
    assert ratios(items[:index] + [excused] + items[index + 1:]).b == base
