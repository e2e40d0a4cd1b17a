"""Scales as data: the levels a ballot line offers, their labels, the adverse level and its bands.

A scale is a named, ordered list of levels; it says which level the consequence bands look at
(the adverse level) and what the bands are. Everything that shows or checks a level — the
ballot form, the tally, the results page, the documents, the API's JSON and OpenAPI, the
database constraints of the tables that are restricted to some scales — reads it from here, so
adding a scale is adding a member below and nothing else.

The keys ("three_level", "high", …) are what the database stores and the API sends; they never
change. The labels are English message ids marked with N_ (pybabel extracts them; the
Vietnamese is in the catalog) and translated where they are shown, since this package stays
free of Flask.
"""

from __future__ import annotations

import enum
from fractions import Fraction


def N_(message: str) -> str:  # noqa: N802 - the conventional name of the gettext marker
    """Marks a message id for extraction; it is translated where it is shown."""
    return message


class Level(enum.StrEnum):
    """A level a line can be marked with: its key (stored, in JSON), its label and its short
    name (where a line is printed in a few letters: the paper entry log)."""

    label: str
    short: str

    def __new__(cls, key: str, label: str, short: str):
        member = str.__new__(cls, key)
        member._value_ = key
        member.label, member.short = label, short
        return member

    HIGH = "high", N_("High confidence"), N_("High conf.")                  # Tín nhiệm cao
    CONFIDENCE = "confidence", N_("Confidence"), N_("Conf.")                # Tín nhiệm
    LOW = "low", N_("Low confidence"), N_("Low conf.")                      # Tín nhiệm thấp
    NO_CONFIDENCE = "no_confidence", N_("No confidence"), N_("No conf.")    # Không tín nhiệm
    EXCELLENT = "htxs", N_("Completed duties excellently"), N_("Excellent")  # Hoàn thành xuất sắc
    GOOD = "htt", N_("Completed duties well"), N_("Well")                  # Hoàn thành tốt
    COMPLETED = "htnv", N_("Completed duties"), N_("Completed")            # Hoàn thành nhiệm vụ
    NOT_COMPLETED = "kht", N_("Did not complete duties"), N_("Not completed")  # Không hoàn thành


class Band(enum.StrEnum):
    """A consequence band: the adverse level's share of the base reaches `share` (or exceeds
    it, when not `inclusive`). The app flags bands; the competent body decides."""

    label: str
    share: Fraction
    inclusive: bool

    def __new__(cls, key: str, label: str, share: Fraction, inclusive: bool):
        member = str.__new__(cls, key)
        member._value_ = key
        member.label, member.share, member.inclusive = label, share, inclusive
        return member

    # > 1/2 and < 2/3 Tín nhiệm thấp (the stronger band is looked at first, see Scale.band_for)
    OVER_HALF = "over_half", N_("Over one half low confidence"), Fraction(1, 2), False
    TWO_THIRDS = "two_thirds", N_("Two thirds or more low confidence"), Fraction(2, 3), True
    NO_CONFIDENCE = "no_confidence", N_("Over one half no confidence"), Fraction(1, 2), False

    def holds(self, adverse: int, base: int) -> bool:
        """Whether `adverse` of `base` is in this band (integers only, never floats)."""
        if base <= 0:
            return False
        left, right = adverse * self.share.denominator, self.share.numerator * base
        return left >= right if self.inclusive else left > right


class Scale(enum.StrEnum):
    """The choices on a ballot line, as data."""

    label: str          # what the scale is, where one is chosen ("Confidence vote (…)")
    size_label: str     # its number of levels in words ("three levels")
    levels: tuple[Level, ...]       # in ballot order
    adverse: Level | None           # the level the bands look at
    bands: tuple[Band, ...]         # weakest first; a band's number is its place here, from 1

    def __new__(cls, key: str, label: str, size_label: str, levels: tuple[Level, ...],
                adverse: Level | None, bands: tuple[Band, ...]):
        if adverse is not None and adverse not in levels:
            raise ValueError(f"the adverse level of {key} is not one of its levels")
        member = str.__new__(cls, key)
        member._value_ = key
        member.label, member.size_label = label, size_label
        member.levels, member.adverse, member.bands = levels, adverse, bands
        return member

    # lấy phiếu tín nhiệm (Quy định 96-QĐ/TW, Nghị quyết 96/2023/QH15)
    THREE_LEVEL = ("three_level", N_("Confidence vote (lấy phiếu tín nhiệm, three levels)"),
                   N_("three levels"), (Level.HIGH, Level.CONFIDENCE, Level.LOW), Level.LOW,
                   (Band.OVER_HALF, Band.TWO_THIRDS))
    # bỏ phiếu tín nhiệm
    TWO_LEVEL = ("two_level", N_("No-confidence vote (bỏ phiếu tín nhiệm, two levels)"),
                 N_("two levels"), (Level.CONFIDENCE, Level.NO_CONFIDENCE), Level.NO_CONFIDENCE,
                 (Band.NO_CONFIDENCE,))
    # đánh giá, xếp loại chất lượng: the collective opinion ballot of an evaluation round. Its
    # bands (the quotas of HTXS) are counted elsewhere, not from one level's share.
    EVALUATION = ("evaluation", N_("Evaluation (đánh giá, xếp loại, four levels)"),
                  N_("four levels"),
                  (Level.EXCELLENT, Level.GOOD, Level.COMPLETED, Level.NOT_COMPLETED), None, ())

    def band_for(self, adverse: int, base: int) -> Band | None:
        """The strongest band `adverse` of `base` is in; None below every band (and exactly
        one half is in none)."""
        for band in reversed(self.bands):
            if band.holds(adverse, base):
                return band
        return None

    def band_number(self, band: Band) -> int:
        """The band's mark in the minutes' notes: (1), (2), … weakest first."""
        return self.bands.index(band) + 1

    def level(self, key: str) -> Level:
        """The level of this scale with this key; ValueError when the scale has none."""
        for level in self.levels:
            if level.value == key:
                return level
        raise ValueError("bad_level")


def levels_of(scales) -> tuple[Level, ...]:
    """Every level of these scales, each once, in order of first appearance."""
    seen: dict[Level, None] = {}
    for scale in scales:
        seen.update(dict.fromkeys(scale.levels))
    return tuple(seen)


def bands_of(scales) -> tuple[Band, ...]:
    """Every band of these scales, each once, in the order of Band."""
    used = {band for scale in scales for band in scale.bands}
    return tuple(band for band in Band if band in used)
