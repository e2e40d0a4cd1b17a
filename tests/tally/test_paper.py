"""Issue 12: the count of paper ballots as keyed in (evalapp.tally.paper), exhaustively on
small cases against an oracle written ballot by ballot, and the National Assembly's published
result of 25/10/2023 (481 ballots, counted per line)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from evalapp.tally.paper import (
    BLANK,
    SEVERAL,
    InvalidReason,
    PaperBallot,
    PaperTotalsIn,
    check_paper_ballot,
    check_totals,
    count_paper,
    differing_lines,
    totals_count,
)
from evalapp.tally.rules import Base, Level, RoundCounts, Scale, tally

THREE = Scale.THREE_LEVEL
VALUES = ("high", "confidence", "low", BLANK, SEVERAL)
# Every paper ballot of two lines: 25 valid as a whole, and one of each invalid reason.
BALLOTS = [PaperBallot(lines) for lines in itertools.product(VALUES, repeat=2)] + [
    PaperBallot((), reason) for reason in InvalidReason]


def oracle(ballots, voids):
    """The count, ballot by ballot, written from domain §1 without the function's shortcuts."""
    collected = len(ballots)
    valid_ballots = []
    for ballot in ballots:
        if ballot.invalid_reason is not None:
            continue  # not issued, a name crossed out or added: the whole ballot
        bad = [v for v in ballot.lines if v in (BLANK, SEVERAL)]
        if bad and voids:
            continue  # the older Party wording: one bad line voids the ballot
        valid_ballots.append(ballot)
    marks, left_out = {}, {1: 0, 2: 0}
    for ballot in valid_ballots:
        for line, value in enumerate(ballot.lines, start=1):
            if value in (BLANK, SEVERAL):
                left_out[line] += 1
            else:
                marks[(line, value)] = marks.get((line, value), 0) + 1
    return collected, len(valid_ballots), collected - len(valid_ballots), marks, left_out


@pytest.mark.parametrize("voids", [True, False], ids=["whole-ballot", "per-line"])
def test_every_pair_of_ballots_counts_as_the_oracle_says(voids):
    cases = [()] + [(b,) for b in BALLOTS] + list(itertools.product(BALLOTS, repeat=2))
    for ballots in cases:
        got = count_paper(THREE, 2, ballots, bad_line_voids_ballot=voids)
        collected, valid, invalid, marks, left_out = oracle(ballots, voids)
        assert (got.collected, got.valid, got.invalid) == (collected, valid, invalid), ballots
        assert dict(got.marks) == marks, ballots
        assert dict(got.line_invalid) == left_out, ballots
        # The tally accepts it, and every line's marks plus its left-out lines are the valid.
        for line in (1, 2):
            assert sum(n for (ln, _), n in got.marks.items() if ln == line) \
                + got.line_invalid[line] == got.valid


def test_each_invalid_case_under_both_rules():
    blank = PaperBallot(("high", BLANK))
    several = PaperBallot((SEVERAL, "low"))
    fine = PaperBallot(("high", "low"))
    for reason in InvalidReason:
        for voids in (True, False):
            got = count_paper(THREE, 2, [PaperBallot((), reason), fine],
                              bad_line_voids_ballot=voids)
            assert (got.valid, got.invalid) == (1, 1)
    whole = count_paper(THREE, 2, [blank, several, fine], bad_line_voids_ballot=True)
    assert (whole.valid, whole.invalid, dict(whole.marks)) == (
        1, 2, {(1, "high"): 1, (2, "low"): 1})
    per_line = count_paper(THREE, 2, [blank, several, fine], bad_line_voids_ballot=False)
    assert (per_line.valid, per_line.invalid) == (3, 0)
    assert dict(per_line.marks) == {(1, "high"): 2, (2, "low"): 2}
    assert dict(per_line.line_invalid) == {1: 1, 2: 1}


def test_the_national_assembly_vote_of_25_10_2023_counted_per_line():
    # 481 ballots collected. Person 1: 437 / 32 / 11 (480 marks, one line blank). Person 2:
    # 478 marks (two lines blank, one with several marks).
    one = ["high"] * 437 + ["confidence"] * 32 + ["low"] * 11 + [BLANK]
    two = ["high"] * 400 + ["confidence"] * 50 + ["low"] * 28 + [BLANK, BLANK, SEVERAL]
    ballots = [PaperBallot((a, b)) for a, b in zip(one, two, strict=True)]
    counted = count_paper(THREE, 2, ballots, bad_line_voids_ballot=False)
    assert (counted.collected, counted.valid, counted.invalid) == (481, 481, 0)
    assert dict(counted.line_invalid) == {1: 1, 2: 3}
    result = tally(THREE, Base.COLLECTED, RoundCounts(
        summoned=500, present=483, issued=483, collected=481, valid=481, invalid=0),
        [11, 12], counted.by_subject([11, 12]))
    first, second = result.candidates
    assert sum(first.counts.values()) == 480 and sum(second.counts.values()) == 478
    assert result.base_value == 481
    assert [str(first.percents[level]) for level in THREE.levels] == ["90.85", "6.65", "2.29"]
    assert [str(second.percents[level]) for level in THREE.levels] == ["83.16", "10.40", "5.82"]
    assert (first.blank, second.blank) == (1, 3)
    # One decimal, for bodies that publish one.
    one_place = tally(THREE, Base.COLLECTED, result.counts, [11, 12],
                      counted.by_subject([11, 12]), places=1)
    assert [one_place.candidates[0].percents[level] for level in THREE.levels] == [
        Decimal("90.9"), Decimal("6.7"), Decimal("2.3")]
    # The same ballots under the whole-ballot rule: three ballots void (the last one has a
    # bad line for both people), another base.
    whole = count_paper(THREE, 2, ballots, bad_line_voids_ballot=True)
    assert (whole.valid, whole.invalid) == (478, 3)


def test_entries_are_checked_line_by_line():
    assert check_paper_ballot(THREE, 2, ["high", BLANK]) == PaperBallot(("high", BLANK))
    assert check_paper_ballot(THREE, 2, [None, None], "name_added") == PaperBallot(
        (), InvalidReason.NAME_ADDED)
    for lines, reason, problem in ((["high"], None, "lines"), (["high", None], None, "missing"),
                                   (["high", "no_confidence"], None, "bad_level"),
                                   (["high", "low"], "name_added", "lines"),
                                   ([], "lost", "reason")):
        with pytest.raises(ValueError, match=problem):
            check_paper_ballot(THREE, 2, lines, reason)
    stored = PaperBallot(("low", SEVERAL))
    assert PaperBallot.decoded(None, stored.encoded()) == stored
    assert PaperBallot.decoded("not_issued", "") == PaperBallot((), InvalidReason.NOT_ISSUED)


def test_disagreements_are_found_line_by_line():
    a, b = PaperBallot(("high", "low", BLANK)), PaperBallot(("high", "confidence", SEVERAL))
    assert differing_lines([a, a]) == [] and differing_lines([a]) == []
    assert differing_lines([a, b]) == [2, 3]
    assert differing_lines([a, a, b]) == [2, 3]
    invalid = PaperBallot((), InvalidReason.NOT_ISSUED)
    assert differing_lines([a, invalid]) == [0]
    assert differing_lines([invalid, PaperBallot((), InvalidReason.NAME_ADDED)]) == [0]


def test_totals_counted_by_hand_are_checked():
    good = PaperTotalsIn(issued=10, collected=9, valid=8, invalid=1, lines={
        1: {"high": 6, "confidence": 1, "low": 0, "invalid": 1},
        2: {"high": 8}})
    assert check_totals(THREE, 2, good, present=10) == []
    counted = totals_count(good)
    assert (counted.collected, counted.valid, dict(counted.line_invalid)) == (9, 8, {1: 1, 2: 0})
    kinds = {p.kind: p for p in check_totals(THREE, 2, PaperTotalsIn(
        issued=12, collected=13, valid=10, invalid=2, lines={
            1: {"high": 10, "invalid": 1}, 2: {"high": 5}}), present=11)}
    assert set(kinds) == {"issued_over_present", "collected_over_issued", "valid_invalid",
                          "line_over_valid", "line_under_valid"}
    assert kinds["line_over_valid"].line == 1 and kinds["line_over_valid"].numbers == {
        "marks": 10, "invalid": 1, "valid": 10}
    assert kinds["line_under_valid"].line == 2
    assert [p.kind for p in check_totals(THREE, 2, PaperTotalsIn(
        issued=1, collected=1, valid=1, invalid=-1, lines={}), present=1)] == ["negative"]
    assert Level.HIGH.value == "high"


@pytest.mark.parametrize("places", [1, 2])
def test_the_stored_counts_decide_not_the_rounded_percentages(places):
    """Precision is only how percentages are printed: 1001 and 1000 low of 2001 both print
    as 50.0 (one decimal), yet only the first is more than one half, by the counts."""
    from evalapp.tally.rules import percent

    counts = RoundCounts(summoned=2001, present=2001, issued=2001, collected=2001, valid=2001,
                         invalid=0)
    result = tally(THREE, Base.COLLECTED, counts, [1, 2], {
        (1, Level.LOW): 1001, (1, Level.HIGH): 1000, (2, Level.LOW): 1000,
        (2, Level.HIGH): 1001}, places=places)
    over, under = result.candidates
    shown = {1: Decimal("50.0"), 2: Decimal("50.02")}[places]
    assert over.percents[Level.LOW] == shown
    assert under.percents[Level.LOW] == {1: Decimal("50.0"), 2: Decimal("49.98")}[places]
    assert over.band is not None and under.band is None
    assert (over.counts[Level.LOW], under.counts[Level.LOW]) == (1001, 1000)
    assert percent(1001, 2001, places) == shown
