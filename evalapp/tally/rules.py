"""The rules of a confidence ballot (lấy phiếu / bỏ phiếu tín nhiệm), as plain functions.

Every number that reaches a person (a percentage, a band flag, "quorum met") comes from here, so
that the pages, the API, the documents and the tests all agree to the hundredth of a percent.
The scales (levels, labels, adverse level, bands) are data, in evalapp.tally.scales.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from evalapp.tally.scales import Band, Level, Scale


class Base(enum.StrEnum):
    """What a percentage is taken of."""

    COLLECTED = "collected"  # ballots collected (thu về)
    ISSUED = "issued"        # ballots issued (phát ra)
    SUMMONED = "summoned"    # total members summoned (tổng số thành viên)
    VALID = "valid"          # valid ballots (hợp lệ)


def quorum_met(present: int, summoned: int) -> bool:
    """At least two thirds of those summoned are present (integers, never floats)."""
    if summoned <= 0:
        return False
    return present * 3 >= summoned * 2


PERCENT_PLACES = (1, 2)  # the decimals a round may publish (two by default)


def percent(count: int, base: int, places: int = 2) -> Decimal:
    """count / base as a percentage with `places` decimals (2 or 1), rounded half up, exactly.

    1/160 is 0.625 %, which rounds to 0.63 (binary floating point says 0.62); with one
    decimal, 25/47 = 53.191… % is 53.2.
    """
    if count < 0 or base < 0:
        raise ValueError("counts are never negative")
    if places not in PERCENT_PLACES:
        raise ValueError("a percentage has one or two decimals")
    quantum = Decimal(1).scaleb(-places)
    if base == 0:
        return Decimal(0).quantize(quantum)
    # units of 10^-places percent = count * 100 * 10^places / base, rounded half up in integers.
    scale = 100 * 10 ** places
    units = (count * scale * 2 + base) // (2 * base)
    return Decimal(units).scaleb(-places).quantize(quantum)


def band_for(scale: Scale, adverse: int, base: int) -> Band | None:
    """The consequence band of a count of the scale's adverse level (Tín nhiệm thấp, Không
    tín nhiệm) against the base; None on a scale without bands.

    Exactly one half is in no band. The app flags; the competent body decides.
    """
    return Scale(scale).band_for(adverse, base)


@dataclass(frozen=True)
class RoundCounts:
    summoned: int
    present: int
    issued: int
    collected: int
    valid: int
    invalid: int

    def base_value(self, base: Base) -> int:
        return {Base.COLLECTED: self.collected, Base.ISSUED: self.issued,
                Base.SUMMONED: self.summoned, Base.VALID: self.valid}[base]


@dataclass(frozen=True)
class CandidateResult:
    candidate_id: int
    counts: Mapping[Level, int]
    percents: Mapping[Level, Decimal]
    blank: int  # lines without a valid mark on otherwise valid ballots
    band: Band | None


@dataclass(frozen=True)
class Tally:
    scale: Scale
    base: Base
    base_value: int
    counts: RoundCounts
    candidates: Sequence[CandidateResult] = field(default_factory=tuple)
    places: int = 2  # decimals of the percentages


def check_ballot(scale: Scale, candidate_ids: Iterable[int],
                 marks: Mapping[int, str | None]) -> dict[int, Level]:
    """The marks of a complete electronic ballot, or ValueError naming what is wrong.

    Every candidate line has exactly one level from the scale; no other line is allowed.
    """
    expected = set(candidate_ids)
    given = set(marks)
    if given - expected:
        raise ValueError("unknown_candidate")
    allowed = {level.value for level in Scale(scale).levels}
    checked: dict[int, Level] = {}
    for candidate_id in expected:
        value = marks.get(candidate_id)
        if value is None or value == "":
            raise ValueError("unmarked")
        if value not in allowed:
            raise ValueError("bad_level")
        checked[candidate_id] = Level(value)
    return checked


def tally(scale: Scale, base: Base, counts: RoundCounts, candidate_ids: Sequence[int],
          line_counts: Mapping[tuple[int, Level], int], *, places: int = 2) -> Tally:
    """Per-candidate counts, percentages of the base, and bands.

    `line_counts[(candidate, level)]` counts the valid marks for that level. Lines of a valid
    ballot that carry no valid mark (a paper ballot where only that line is void) are `blank`.
    """
    if counts.valid + counts.invalid != counts.collected:
        raise ValueError("valid + invalid must equal collected")
    if counts.collected > counts.issued:
        raise ValueError("more ballots collected than issued")
    base_value = counts.base_value(base)
    results = []
    scale = Scale(scale)
    levels = scale.levels
    for candidate_id in candidate_ids:
        per_level = {level: line_counts.get((candidate_id, level), 0) for level in levels}
        marked = sum(per_level.values())
        if marked > counts.valid:
            raise ValueError("more marks than valid ballots")
        results.append(CandidateResult(
            candidate_id=candidate_id,
            counts=per_level,
            percents={level: percent(n, base_value, places) for level, n in per_level.items()},
            blank=counts.valid - marked,
            band=(scale.band_for(per_level[scale.adverse], base_value)
                  if scale.adverse is not None else None),
        ))
    return Tally(scale=scale, base=base, base_value=base_value, counts=counts,
                 candidates=tuple(results), places=places)


__all__ = ["Band", "Base", "CandidateResult", "Level", "RoundCounts", "Scale", "Tally",
           "band_for", "check_ballot", "percent", "quorum_met", "tally"]
