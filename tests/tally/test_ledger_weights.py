"""tally.ledger.weighted_general and source_weights: a weighted source is carved out of the 30
general points (G × (30 − W) / 30 + Σ w × v / 100); no weight or no value leaves G; exact
hundredths; bad weights refused."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalapp.tally.ledger import round_half_up, source_weights, weighted_general

D = Decimal


def test_examples():
    exam = {"Sát hạch": D("6")}
    assert weighted_general(D("27"), exam, {"Sát hạch": D("85")}) == D("26.70")  # 21.6 + 5.1
    assert weighted_general(D("27"), exam, {"KPI": D("85")}) == D("27.00")       # no value
    assert weighted_general(D("27"), {}, {"Sát hạch": D("85")}) == D("27.00")    # evidence only
    assert weighted_general(D("27"), exam, {"Sát hạch": D("250")}) == D("27.60")  # capped at 100
    whole = {"A": D("20"), "B": D("10")}
    assert weighted_general(D("0"), whole, {"A": D("100"), "B": D("50")}) == D("25.00")
    # 29.99 × 23/30 = 22.992333… ; + 7 × 0.3333 = 2.3331 → 25.325433… → 25.33
    assert weighted_general(D("29.99"), {"A": D("7")}, {"A": D("33.33")}) == D("25.33")


def test_weights_are_read_and_checked():
    assert source_weights(None) == {} and source_weights({"sources": {}}) == {}
    assert source_weights({"sources": {"A": "6", "B": "2,5".replace(",", ".")}}) == {
        "A": D("6.00"), "B": D("2.50")}
    for bad in ({"A": "0"}, {"A": "-1"}, {"A": "31"}, {"A": "20", "B": "11"}, {"A": "x"},
                {"": "5"}, {"A": "1.005"}, {"A": 1.5}, ["A"]):
        with pytest.raises(ValueError, match="bad_sources"):
            source_weights({"sources": bad})


hundredths = st.integers(min_value=0, max_value=3000).map(lambda n: D(n) / 100)


@given(general=hundredths, weight=st.integers(min_value=1, max_value=3000),
       value=st.integers(min_value=0, max_value=10000))
def test_within_bounds_and_exact(general, weight, value):
    w, v = D(weight) / 100, D(value) / 100
    got = weighted_general(general, {"S": w}, {"S": v})
    assert D(0) <= got <= D(30)
    exact = (Fraction(general) * (30 - Fraction(w)) / 30 + Fraction(w) * Fraction(v) / 100)
    assert got == round_half_up(exact)
    # A higher score from the source never lowers the points.
    assert weighted_general(general, {"S": w}, {"S": min(v + 1, D(100))}) >= got
