"""Exhaustive tests of the confidence-ballot rules (domain guide §1–2).

Every oracle here is computed independently of evalapp.tally.rules, with `Fraction` and integer
arithmetic only (never floats), so a change in any rule breaks a test.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalapp.tally.rules import (
    Band,
    Base,
    Level,
    RoundCounts,
    Scale,
    band_for,
    check_ballot,
    percent,
    quorum_met,
    tally,
)

HALF = Fraction(1, 2)
TWO_THIRDS = Fraction(2, 3)


@pytest.fixture(autouse=True)
def db():
    """Pure functions: no app and no database (overrides the shared autouse fixture)."""
    yield None


# --- independent oracles -------------------------------------------------------------------

def quorum_oracle(present: int, summoned: int) -> bool:
    if summoned <= 0:
        return False
    return Fraction(present, summoned) >= TWO_THIRDS


def percent_oracle(count: int, base: int) -> Decimal:
    """count / base in percent, two decimals, half up, from an exact fraction."""
    if base == 0:
        return Decimal("0.00")
    hundredths = math.floor(Fraction(count * 100, base) * 100 + HALF)
    return Decimal(f"{hundredths // 100}.{hundredths % 100:02d}")


def band_oracle(scale: Scale, adverse: int, base: int) -> Band | None:
    """The bands as the rules state them (domain guide §1–3), written out per scale."""
    if base <= 0 or scale is Scale.EVALUATION:  # evaluation: quotas, not bands of one level
        return None
    share = Fraction(adverse, base)
    if scale is Scale.THREE_LEVEL:
        if share >= TWO_THIRDS:
            return Band.TWO_THIRDS
        if share > HALF:
            return Band.OVER_HALF
        return None
    if share > HALF:
        return Band.NO_CONFIDENCE
    return None


# --- quorum ----------------------------------------------------------------------------------

def test_quorum_exhaustive():
    for summoned in range(0, 301):
        for present in range(0, summoned + 1):
            assert quorum_met(present, summoned) is quorum_oracle(present, summoned), (
                present, summoned)


@pytest.mark.parametrize(("present", "summoned", "expected"), [
    (0, 0, False),
    (5, 0, False),
    (2, 3, True),
    (1, 3, False),
    (20, 30, True),
    (19, 30, False),
    (67, 100, True),
    (66, 100, False),  # 66 % is under two thirds
    (1, 1, True),
    (0, 1, False),
    (2, 2, True),
    (1, 2, False),
    (4, 5, True),
    (3, 5, False),
])
def test_quorum_examples(present, summoned, expected):
    assert quorum_met(present, summoned) is expected


def test_quorum_integer_arithmetic_at_scale():
    # Floats cannot tell 6e20 - 3 from 6e20; integers can.
    summoned = 3 * 10**20
    assert quorum_met(2 * 10**20, summoned) is True
    assert quorum_met(2 * 10**20 - 1, summoned) is False


def test_quorum_negative_summoned_is_not_met():
    assert quorum_met(0, -3) is False


# --- percent ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("count", "base", "expected"), [
    (1, 3, "33.33"),
    (2, 3, "66.67"),
    (1, 160, "0.63"),   # 0.625 exactly: half up, not the binary-float 0.62
    (7, 8, "87.50"),
    (25, 47, "53.19"),
    (6, 485, "1.24"),
    (0, 7, "0.00"),
    (0, 1, "0.00"),
    (7, 7, "100.00"),
    (1, 1, "100.00"),
    (0, 0, "0.00"),
    (5, 0, "0.00"),
    (1, 8, "12.50"),
    (1, 200, "0.50"),
    (1, 40000, "0.00"),  # 0.0025 rounds down
    (1, 20000, "0.01"),  # 0.005 rounds half up
    (1, 2, "50.00"),
])
def test_percent_examples(count, base, expected):
    value = percent(count, base)
    assert isinstance(value, Decimal)
    assert value == Decimal(expected)
    assert str(value) == expected
    assert value.as_tuple().exponent == -2


def test_percent_exhaustive():
    for base in range(1, 601):
        for count in range(0, base + 1):
            got = percent(count, base)
            want = percent_oracle(count, base)
            assert got == want, (count, base, got, want)
            assert got.as_tuple().exponent == -2, (count, base, got)


def test_percent_base_zero_has_two_decimals():
    assert str(percent(0, 0)) == "0.00"
    assert percent(0, 0).as_tuple().exponent == -2


@settings(max_examples=200, deadline=None)
@given(data=st.data(), base=st.integers(min_value=1, max_value=10**12))
def test_percent_large_bases(data, base):
    count = data.draw(st.integers(min_value=0, max_value=base))
    got = percent(count, base)
    assert got == percent_oracle(count, base)
    assert str(got) == str(percent_oracle(count, base))
    assert Decimal("0.00") <= got <= Decimal("100.00")


@pytest.mark.parametrize("base", [3 * 10**20 + 1, 10**18 + 3, 7 * 10**17 + 9, 2**61 - 1])
def test_percent_just_below_half_at_scale(base):
    # count * 10000 / base = k + 1/2 - 1/(2 * base): the true value rounds down to k, while a
    # binary float cannot see the difference from k + 1/2 and rounds up.
    count = (-pow(20000, -1, base)) % base
    assert (count * 20000 + 1) % base == 0
    hundredths = (count * 20000 + 1) // base // 2
    expected = Decimal(f"{hundredths // 100}.{hundredths % 100:02d}")
    assert percent(count, base) == expected == percent_oracle(count, base)
    assert percent(count + 1, base) == percent_oracle(count + 1, base)


def test_percent_exact_half_at_scale():
    base = 2 * 10**20
    count = 10**16 * 6667  # exactly 33.335 %
    assert str(percent(count, base)) == "33.34"
    assert str(percent(count - 1, base)) == "33.33"


@pytest.mark.parametrize(("count", "base"), [(-1, 5), (1, -5), (-1, -1), (0, -1), (-3, 0)])
def test_percent_negative_raises(count, base):
    with pytest.raises(ValueError):
        percent(count, base)


# --- bands -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("scale", "adverse", "base", "expected"), [
    (Scale.THREE_LEVEL, 10, 20, None),                # exactly one half: no band
    (Scale.THREE_LEVEL, 11, 20, Band.OVER_HALF),      # just above half
    (Scale.THREE_LEVEL, 13, 20, Band.OVER_HALF),      # 65 %
    (Scale.THREE_LEVEL, 14, 20, Band.TWO_THIRDS),     # 70 %
    (Scale.THREE_LEVEL, 20, 30, Band.TWO_THIRDS),     # exactly two thirds
    (Scale.THREE_LEVEL, 19, 30, Band.OVER_HALF),      # just under two thirds
    (Scale.THREE_LEVEL, 16, 30, Band.OVER_HALF),
    (Scale.THREE_LEVEL, 15, 30, None),
    (Scale.THREE_LEVEL, 30, 30, Band.TWO_THIRDS),
    (Scale.THREE_LEVEL, 0, 30, None),
    (Scale.THREE_LEVEL, 2, 3, Band.TWO_THIRDS),
    (Scale.THREE_LEVEL, 1, 1, Band.TWO_THIRDS),
    (Scale.THREE_LEVEL, 1, 2, None),
    (Scale.THREE_LEVEL, 5, 0, None),                  # base 0
    (Scale.THREE_LEVEL, 0, 0, None),
    (Scale.TWO_LEVEL, 10, 20, None),                  # exactly half: no band
    (Scale.TWO_LEVEL, 11, 20, Band.NO_CONFIDENCE),
    (Scale.TWO_LEVEL, 20, 30, Band.NO_CONFIDENCE),    # never TWO_THIRDS on two levels
    (Scale.TWO_LEVEL, 30, 30, Band.NO_CONFIDENCE),
    (Scale.TWO_LEVEL, 0, 30, None),
    (Scale.TWO_LEVEL, 5, 0, None),                    # base 0
    (Scale.TWO_LEVEL, 0, 0, None),
])
def test_band_examples(scale, adverse, base, expected):
    assert band_for(scale, adverse, base) is expected


@pytest.mark.parametrize("scale", list(Scale))
def test_band_exhaustive(scale):
    for base in range(1, 301):
        for adverse in range(0, base + 1):
            assert band_for(scale, adverse, base) is band_oracle(scale, adverse, base), (
                scale, adverse, base)


def test_band_integer_arithmetic_at_scale():
    base = 3 * 10**20
    assert band_for(Scale.THREE_LEVEL, 2 * 10**20, base) is Band.TWO_THIRDS
    assert band_for(Scale.THREE_LEVEL, 2 * 10**20 - 1, base) is Band.OVER_HALF
    base = 2 * 10**20
    assert band_for(Scale.THREE_LEVEL, 10**20, base) is None
    assert band_for(Scale.THREE_LEVEL, 10**20 + 1, base) is Band.OVER_HALF
    assert band_for(Scale.TWO_LEVEL, 10**20, base) is None
    assert band_for(Scale.TWO_LEVEL, 10**20 + 1, base) is Band.NO_CONFIDENCE


def test_scale_levels_and_adverse_level():
    assert Scale.THREE_LEVEL.levels == (Level.HIGH, Level.CONFIDENCE, Level.LOW)
    assert Scale.TWO_LEVEL.levels == (Level.CONFIDENCE, Level.NO_CONFIDENCE)
    assert Scale.EVALUATION.levels == (Level.EXCELLENT, Level.GOOD, Level.COMPLETED,
                                       Level.NOT_COMPLETED)
    assert [level.value for level in Scale.EVALUATION.levels] == ["htxs", "htt", "htnv", "kht"]
    assert Scale.THREE_LEVEL.adverse is Level.LOW
    assert Scale.TWO_LEVEL.adverse is Level.NO_CONFIDENCE
    assert Scale.EVALUATION.adverse is None and Scale.EVALUATION.bands == ()
    # Stored keys never change: rounds in the database and the API's JSON use them.
    assert [s.value for s in Scale] == ["three_level", "two_level", "evaluation"]
    assert [level.value for level in Level][:4] == ["high", "confidence", "low", "no_confidence"]
    assert [band.value for band in Band] == ["over_half", "two_thirds", "no_confidence"]
    # The minutes number the bands weakest first.
    assert [Scale.THREE_LEVEL.band_number(b) for b in (Band.OVER_HALF, Band.TWO_THIRDS)] == [1, 2]
    assert Scale.TWO_LEVEL.band_number(Band.NO_CONFIDENCE) == 1


# --- check_ballot ----------------------------------------------------------------------------

@pytest.mark.parametrize("scale", list(Scale))
def test_check_ballot_every_complete_ballot_passes(scale):
    candidates = [11, 22, 33]
    values = [level.value for level in Scale(scale).levels]
    for choice in itertools.product(values, repeat=len(candidates)):
        marks = dict(zip(candidates, choice, strict=True))
        checked = check_ballot(scale, candidates, marks)
        assert checked == {cid: Level(value) for cid, value in marks.items()}
        assert set(checked) == set(candidates)
        assert all(type(level) is Level for level in checked.values())


def test_check_ballot_accepts_level_members():
    checked = check_ballot(Scale.TWO_LEVEL, [1, 2],
                           {1: Level.CONFIDENCE, 2: Level.NO_CONFIDENCE})
    assert checked == {1: Level.CONFIDENCE, 2: Level.NO_CONFIDENCE}


def test_check_ballot_no_candidates():
    assert check_ballot(Scale.THREE_LEVEL, [], {}) == {}


def _error(scale, candidates, marks) -> str:
    with pytest.raises(ValueError) as info:
        check_ballot(scale, candidates, marks)
    return str(info.value)


@pytest.mark.parametrize("scale", list(Scale))
def test_check_ballot_unmarked(scale):
    good = Scale(scale).levels[0].value
    assert _error(scale, [1, 2], {1: good}) == "unmarked"          # line missing
    assert _error(scale, [1, 2], {1: good, 2: None}) == "unmarked"
    assert _error(scale, [1, 2], {1: good, 2: ""}) == "unmarked"
    assert _error(scale, [1], {}) == "unmarked"


@pytest.mark.parametrize(("scale", "bad"), [
    (Scale.TWO_LEVEL, "low"),
    (Scale.TWO_LEVEL, "high"),
    (Scale.THREE_LEVEL, "no_confidence"),
    (Scale.THREE_LEVEL, "HIGH"),
    (Scale.THREE_LEVEL, "Tín nhiệm cao"),
    (Scale.TWO_LEVEL, " confidence"),
    (Scale.TWO_LEVEL, "junk"),
])
def test_check_ballot_bad_level(scale, bad):
    good = Scale(scale).levels[0].value
    assert _error(scale, [1, 2], {1: good, 2: bad}) == "bad_level"


@pytest.mark.parametrize("scale", list(Scale))
def test_check_ballot_unknown_candidate(scale):
    good = Scale(scale).levels[0].value
    assert _error(scale, [1, 2], {1: good, 2: good, 3: good}) == "unknown_candidate"
    assert _error(scale, [], {7: good}) == "unknown_candidate"
    assert _error(scale, [1], {1: good, 9: None}) == "unknown_candidate"


ALL_MARKS = [level.value for level in Level] + ["", None, "junk"]
MISSING = object()  # no entry at all for the line


@settings(max_examples=200, deadline=None)
@given(scale=st.sampled_from(list(Scale)),
       candidates=st.lists(st.integers(1, 30), unique=True, max_size=6),
       data=st.data())
def test_check_ballot_property(scale, candidates, data):
    marks = {}
    for cid in candidates:
        mark = data.draw(st.sampled_from([*ALL_MARKS, MISSING]), label=f"mark {cid}")
        if mark is not MISSING:
            marks[cid] = mark
    extra = data.draw(st.lists(st.integers(31, 40), unique=True, max_size=2), label="extra")
    for cid in extra:
        marks[cid] = data.draw(st.sampled_from(ALL_MARKS), label=f"extra {cid}")

    allowed = {level.value for level in Scale(scale).levels}
    unmarked = any(marks.get(cid) in (None, "") for cid in candidates)
    bad = any(marks.get(cid) not in (None, "") and marks[cid] not in allowed
              for cid in candidates)
    if extra:
        assert _error(scale, candidates, marks) == "unknown_candidate"
    elif unmarked or bad:
        # With both faults on one ballot either message is a correct answer.
        possible = ({"unmarked"} if unmarked else set()) | ({"bad_level"} if bad else set())
        assert _error(scale, candidates, marks) in possible
    else:
        assert check_ballot(scale, candidates, marks) == {
            cid: Level(marks[cid]) for cid in candidates}


# --- tally -----------------------------------------------------------------------------------

def test_tally_worked_example_three_level():
    counts = RoundCounts(summoned=50, present=47, issued=47, collected=47, valid=45, invalid=2)
    line_counts = {
        (1, Level.HIGH): 20, (1, Level.CONFIDENCE): 10, (1, Level.LOW): 15,
        (2, Level.HIGH): 10, (2, Level.CONFIDENCE): 10, (2, Level.LOW): 25,
        (3, Level.HIGH): 5, (3, Level.CONFIDENCE): 8, (3, Level.LOW): 32,
        (4, Level.HIGH): 40, (4, Level.LOW): 1,
    }
    result = tally(Scale.THREE_LEVEL, Base.COLLECTED, counts, [1, 2, 3, 4], line_counts)
    assert result.scale is Scale.THREE_LEVEL
    assert result.base is Base.COLLECTED
    assert result.base_value == 47
    assert result.counts == counts
    assert [c.candidate_id for c in result.candidates] == [1, 2, 3, 4]
    one, two, three, four = result.candidates

    assert dict(one.counts) == {Level.HIGH: 20, Level.CONFIDENCE: 10, Level.LOW: 15}
    assert {k: str(v) for k, v in one.percents.items()} == {
        Level.HIGH: "42.55", Level.CONFIDENCE: "21.28", Level.LOW: "31.91"}
    assert one.blank == 0
    assert one.band is None

    assert str(two.percents[Level.LOW]) == "53.19"  # 25 / 47
    assert two.band is Band.OVER_HALF

    assert three.band is Band.TWO_THIRDS  # 3 * 32 = 96 >= 94
    assert str(three.percents[Level.LOW]) == "68.09"

    assert dict(four.counts) == {Level.HIGH: 40, Level.CONFIDENCE: 0, Level.LOW: 1}
    assert four.blank == 4
    assert str(four.percents[Level.CONFIDENCE]) == "0.00"
    assert four.band is None  # a majority of HIGH is no band


def test_tally_two_level_band_on_no_confidence():
    counts = RoundCounts(summoned=30, present=25, issued=24, collected=20, valid=20, invalid=0)
    line_counts = {
        (1, Level.CONFIDENCE): 10, (1, Level.NO_CONFIDENCE): 10,   # exactly half: none
        (2, Level.CONFIDENCE): 9, (2, Level.NO_CONFIDENCE): 11,    # more than half
        (3, Level.CONFIDENCE): 20,
        (3, Level.LOW): 20,   # not on this scale: ignored
        (4, Level.NO_CONFIDENCE): 20,  # all of them: still NO_CONFIDENCE, never TWO_THIRDS
    }
    result = tally(Scale.TWO_LEVEL, Base.COLLECTED, counts, [1, 2, 3, 4], line_counts)
    bands = [c.band for c in result.candidates]
    assert bands == [None, Band.NO_CONFIDENCE, None, Band.NO_CONFIDENCE]
    for candidate in result.candidates:
        assert list(candidate.counts) == [Level.CONFIDENCE, Level.NO_CONFIDENCE]
        assert list(candidate.percents) == [Level.CONFIDENCE, Level.NO_CONFIDENCE]
    assert str(result.candidates[1].percents[Level.NO_CONFIDENCE]) == "55.00"
    assert result.candidates[2].blank == 0


def test_tally_three_level_ignores_no_confidence_key():
    counts = RoundCounts(summoned=10, present=10, issued=10, collected=10, valid=10, invalid=0)
    result = tally(Scale.THREE_LEVEL, Base.COLLECTED, counts, [1],
                   {(1, Level.NO_CONFIDENCE): 10, (1, Level.HIGH): 10})
    (only,) = result.candidates
    assert list(only.counts) == [Level.HIGH, Level.CONFIDENCE, Level.LOW]
    assert only.band is None
    assert only.blank == 0


# Each base field differs, and 27 Tín nhiệm thấp lands in a different band against each.
BASE_COUNTS = RoundCounts(summoned=60, present=50, issued=48, collected=45, valid=40, invalid=5)


@pytest.mark.parametrize(("base", "base_value", "low_percent", "band"), [
    (Base.SUMMONED, 60, "45.00", None),
    (Base.ISSUED, 48, "56.25", Band.OVER_HALF),
    (Base.COLLECTED, 45, "60.00", Band.OVER_HALF),
    (Base.VALID, 40, "67.50", Band.TWO_THIRDS),
])
def test_tally_each_base_picks_its_field(base, base_value, low_percent, band):
    line_counts = {(7, Level.HIGH): 5, (7, Level.CONFIDENCE): 7, (7, Level.LOW): 27}
    result = tally(Scale.THREE_LEVEL, base, BASE_COUNTS, [7], line_counts)
    assert result.base is base
    assert result.base_value == base_value == BASE_COUNTS.base_value(base)
    (candidate,) = result.candidates
    assert str(candidate.percents[Level.LOW]) == low_percent
    assert candidate.percents[Level.HIGH] == percent_oracle(5, base_value)
    assert candidate.percents[Level.CONFIDENCE] == percent_oracle(7, base_value)
    assert candidate.band is band
    assert candidate.blank == 1  # the blank count is always against the valid ballots


def test_tally_missing_candidate_lines_are_blank():
    counts = RoundCounts(summoned=9, present=9, issued=9, collected=9, valid=8, invalid=1)
    result = tally(Scale.THREE_LEVEL, Base.COLLECTED, counts, [5], {})
    (candidate,) = result.candidates
    assert dict(candidate.counts) == {Level.HIGH: 0, Level.CONFIDENCE: 0, Level.LOW: 0}
    assert candidate.blank == 8
    assert all(str(p) == "0.00" for p in candidate.percents.values())
    assert candidate.band is None


def test_tally_zero_base():
    counts = RoundCounts(summoned=0, present=0, issued=0, collected=0, valid=0, invalid=0)
    result = tally(Scale.THREE_LEVEL, Base.SUMMONED, counts, [1], {})
    (candidate,) = result.candidates
    assert candidate.blank == 0
    assert candidate.band is None
    assert all(str(p) == "0.00" for p in candidate.percents.values())


def test_tally_no_candidates():
    result = tally(Scale.TWO_LEVEL, Base.COLLECTED, BASE_COUNTS, [], {})
    assert tuple(result.candidates) == ()


def test_tally_rejects_valid_plus_invalid_not_collected():
    for valid, invalid in [(40, 4), (40, 6), (46, 0), (0, 44)]:
        counts = RoundCounts(summoned=60, present=50, issued=48, collected=45, valid=valid,
                             invalid=invalid)
        with pytest.raises(ValueError):
            tally(Scale.THREE_LEVEL, Base.COLLECTED, counts, [], {})


def test_tally_rejects_more_collected_than_issued():
    counts = RoundCounts(summoned=60, present=50, issued=44, collected=45, valid=40, invalid=5)
    with pytest.raises(ValueError):
        tally(Scale.THREE_LEVEL, Base.COLLECTED, counts, [], {})
    # collected == issued is fine
    ok = RoundCounts(summoned=60, present=50, issued=45, collected=45, valid=40, invalid=5)
    tally(Scale.THREE_LEVEL, Base.COLLECTED, ok, [], {})


@pytest.mark.parametrize("scale", list(Scale))
def test_tally_rejects_more_marks_than_valid(scale):
    first, second = Scale(scale).levels[0], Scale(scale).levels[-1]
    # exactly as many marks as valid ballots is fine
    result = tally(scale, Base.COLLECTED, BASE_COUNTS, [1],
                   {(1, first): 20, (1, second): 20})
    assert result.candidates[0].blank == 0
    with pytest.raises(ValueError):
        tally(scale, Base.COLLECTED, BASE_COUNTS, [1], {(1, first): 20, (1, second): 21})
    with pytest.raises(ValueError):
        tally(scale, Base.COLLECTED, BASE_COUNTS, [1, 2],
              {(1, first): 1, (2, second): 41})


@settings(max_examples=200, deadline=None)
@given(summoned=st.integers(0, 100), present=st.integers(0, 100),
       issued=st.integers(0, 100), collected=st.integers(0, 100),
       valid=st.integers(0, 100), invalid=st.integers(0, 100))
def test_tally_consistency_checks_property(summoned, present, issued, collected, valid,
                                           invalid):
    counts = RoundCounts(summoned, present, issued, collected, valid, invalid)
    consistent = valid + invalid == collected and collected <= issued
    if consistent:
        result = tally(Scale.THREE_LEVEL, Base.COLLECTED, counts, [1], {(1, Level.LOW): valid})
        assert result.candidates[0].blank == 0
    else:
        with pytest.raises(ValueError):
            tally(Scale.THREE_LEVEL, Base.COLLECTED, counts, [1], {(1, Level.LOW): valid})


@st.composite
def rounds(draw):
    """A round of ballots as voters fill them in, and its counts kept by hand."""
    scale = draw(st.sampled_from(list(Scale)))
    levels = Scale(scale).levels
    candidates = draw(st.lists(st.integers(1, 1000), min_size=1, max_size=5, unique=True))
    line = st.one_of(st.sampled_from(levels), st.none())  # None: a void line
    ballot = st.one_of(
        st.just("invalid"),  # a whole ballot void
        st.lists(line, min_size=len(candidates), max_size=len(candidates)),
    )
    ballots = draw(st.lists(ballot, max_size=60))
    unreturned = draw(st.integers(0, 5))
    absent_with_ballot_not_issued = draw(st.integers(0, 5))
    absent = draw(st.integers(0, 20))
    base = draw(st.sampled_from(list(Base)))
    return scale, candidates, ballots, unreturned, absent_with_ballot_not_issued, absent, base


@settings(max_examples=200, deadline=None)
@given(rounds())
def test_tally_property_random_ballots(round_):
    scale, candidates, ballots, unreturned, not_issued, absent, base = round_
    levels = Scale(scale).levels
    valid_ballots = [b for b in ballots if b != "invalid"]
    collected = len(ballots)
    issued = collected + unreturned
    present = issued + not_issued
    summoned = present + absent
    counts = RoundCounts(summoned=summoned, present=present, issued=issued,
                         collected=collected, valid=len(valid_ballots),
                         invalid=collected - len(valid_ballots))
    by_hand: Counter = Counter()
    for b in valid_ballots:
        for cid, choice in zip(candidates, b, strict=True):
            if choice is not None:
                by_hand[(cid, choice)] += 1
    line_counts = dict(by_hand)
    base_value = {Base.SUMMONED: summoned, Base.ISSUED: issued, Base.COLLECTED: collected,
                  Base.VALID: len(valid_ballots)}[base]

    result = tally(scale, base, counts, candidates, line_counts)

    assert result.base_value == base_value
    assert counts.valid + counts.invalid == counts.collected
    assert [c.candidate_id for c in result.candidates] == candidates
    for candidate in result.candidates:
        cid = candidate.candidate_id
        assert list(candidate.counts) == list(levels)
        for level in levels:
            assert candidate.counts[level] == by_hand[(cid, level)]
        voids = sum(1 for b in valid_ballots if b[candidates.index(cid)] is None)
        assert candidate.blank == voids
        assert sum(candidate.counts.values()) + candidate.blank == counts.valid
        for level in levels:
            value = candidate.percents[level]
            assert Decimal("0.00") <= value <= Decimal("100.00")
            assert value == percent(candidate.counts[level], base_value)
            assert value == percent_oracle(candidate.counts[level], base_value)
            assert value.as_tuple().exponent == -2
        adverse = candidate.counts[Scale(scale).adverse] if Scale(scale).adverse else 0
        assert candidate.band is band_oracle(scale, adverse, base_value)
