"""Paper ballots as keyed in by the counting team, and their count: pure functions.

A paper ballot is entered as, per line in ballot order, the level marked, "blank" (no mark) or
"several" (more than one mark), or as invalid as a whole with its reason (not issued by the
team, a printed name crossed out, a name added). Counting follows the round's bad-line rule
exactly as the box's plain scheme does (evalapp.box.storage.PlainScheme.count): a ballot
invalid as a whole is invalid; a valid ballot with a bad line (blank or several) is invalid as
a whole when the rule says a bad line voids the ballot, otherwise only that line is left out of
that person's counts (it is counted in `line_invalid`) and the base stays the ballots collected
— the National Assembly's practice of 25/10/2023 (481 ballots, one official with 480 marks and
another with 478, every percentage of 481).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from evalapp.tally.scales import N_, Scale

BLANK = "blank"      # a line left without a mark
SEVERAL = "several"  # a line with more than one mark
BAD_LINES = (BLANK, SEVERAL)


class InvalidReason(enum.StrEnum):
    """Why a paper ballot is invalid as a whole (domain §1)."""

    label: str

    def __new__(cls, key: str, label: str):
        member = str.__new__(cls, key)
        member._value_ = key
        member.label = label
        return member

    NOT_ISSUED = "not_issued", N_("Not issued by the counting team")
    NAME_CROSSED = "name_crossed", N_("A printed name crossed out")
    NAME_ADDED = "name_added", N_("A name added")


@dataclass(frozen=True)
class PaperBallot:
    """One paper ballot as entered: `lines` (level key, BLANK or SEVERAL, one per line in
    ballot order) on a ballot valid as a whole, or no lines and the reason it is invalid."""

    lines: tuple[str, ...] = ()
    invalid_reason: InvalidReason | None = None

    @property
    def valid(self) -> bool:
        return self.invalid_reason is None

    @property
    def complete(self) -> bool:
        """Every line carries exactly one mark."""
        return self.valid and not any(value in BAD_LINES for value in self.lines)

    def encoded(self) -> str:
        """The lines as stored: "high,blank,low"."""
        return ",".join(self.lines)

    @classmethod
    def decoded(cls, invalid_reason: str | None, text: str) -> PaperBallot:
        if invalid_reason:
            return cls((), InvalidReason(invalid_reason))
        return cls(tuple(text.split(",")) if text else ())


def check_paper_ballot(scale: Scale, line_count: int, lines: Sequence[str | None],
                       invalid_reason: str | None = None) -> PaperBallot:
    """The ballot as entered, or ValueError naming what is wrong: "reason" (an unknown reason),
    "lines" (a ballot invalid as a whole carries no lines; a valid one has exactly one value per
    line), "missing" (a line not keyed: keyed lines are a level, blank or several), "bad_level"
    (a value of no level of the scale)."""
    if invalid_reason:
        try:
            reason = InvalidReason(invalid_reason)
        except ValueError:
            raise ValueError("reason") from None
        if any(lines):
            raise ValueError("lines")
        return PaperBallot((), reason)
    if len(lines) != line_count:
        raise ValueError("lines")
    allowed = {level.value for level in Scale(scale).levels} | set(BAD_LINES)
    checked = []
    for value in lines:
        if value is None or value == "":
            raise ValueError("missing")
        if value not in allowed:
            raise ValueError("bad_level")
        checked.append(str(value))
    return PaperBallot(tuple(checked))


def differing_lines(entries: Sequence[PaperBallot]) -> list[int]:
    """Where independent entries of one ballot disagree: 0 for the ballot's validity (or its
    reason), then each line number (from 1) whose values differ. Empty: they all agree."""
    if len(entries) < 2:
        return []
    differ = []
    if len({entry.invalid_reason for entry in entries}) > 1:
        differ.append(0)
    if all(entry.valid for entry in entries):
        width = max(len(entry.lines) for entry in entries)
        for line in range(width):
            if len({entry.lines[line] if line < len(entry.lines) else None
                    for entry in entries}) > 1:
                differ.append(line + 1)
    return differ


@dataclass(frozen=True)
class PaperCount:
    """The count of a round's paper ballots, in the shape of the box's count."""

    collected: int
    valid: int
    invalid: int
    marks: Mapping[tuple[int, str], int] = field(default_factory=dict)  # (line, level) -> n
    line_invalid: Mapping[int, int] = field(default_factory=dict)       # line -> lines left out

    def by_subject(self, subjects: Sequence[int]) -> dict[tuple[int, str], int]:
        """`marks` keyed by the lines' subjects (subjects[0] is line 1)."""
        return {(subjects[line - 1], level): n for (line, level), n in self.marks.items()}


def count_paper(scale: Scale, line_count: int, ballots: Iterable[PaperBallot], *,
                bad_line_voids_ballot: bool) -> PaperCount:
    """Count paper ballots under the round's bad-line rule (see the module's docstring)."""
    levels = {level.value for level in Scale(scale).levels}
    collected = valid = 0
    marks: dict[tuple[int, str], int] = {}
    marked = dict.fromkeys(range(1, line_count + 1), 0)
    for ballot in ballots:
        collected += 1
        if not ballot.valid or (bad_line_voids_ballot and not ballot.complete):
            continue
        if len(ballot.lines) != line_count:
            raise ValueError("lines")
        valid += 1
        for line, value in enumerate(ballot.lines, start=1):
            if value in levels:
                marks[(line, value)] = marks.get((line, value), 0) + 1
                marked[line] += 1
    return PaperCount(collected=collected, valid=valid, invalid=collected - valid, marks=marks,
                      line_invalid={line: valid - n for line, n in marked.items()})


@dataclass(frozen=True)
class PaperTotalsIn:
    """Paper ballots counted by hand: the round's totals and, per line (from 1), the count of
    each level and of the line's invalid marks on valid ballots."""

    issued: int
    collected: int
    valid: int
    invalid: int
    lines: Mapping[int, Mapping[str, int]]  # line -> {level key: n, "invalid": n}


INVALID_LINE = "invalid"


@dataclass(frozen=True)
class TotalsProblem:
    """A refused totals entry: its kind and the numbers to name (line 0: the round's)."""

    kind: str
    line: int = 0
    numbers: Mapping[str, int] = field(default_factory=dict)


def check_totals(scale: Scale, line_count: int, totals: PaperTotalsIn, *,
                 present: int) -> list[TotalsProblem]:
    """The consistency checks of totals counted by hand (issue 12): no negative number;
    collected ≤ issued ≤ present; valid + invalid = collected; per line, the marks plus the
    invalid lines are exactly the valid ballots (none exceeds them; with fewer, ballots would
    have vanished from a line)."""
    problems = []
    numbers = (totals.issued, totals.collected, totals.valid, totals.invalid)
    if min(numbers) < 0 or any(n < 0 for counts in totals.lines.values()
                               for n in counts.values()):
        return [TotalsProblem("negative")]
    if totals.issued > present:
        problems.append(TotalsProblem("issued_over_present",
                                      numbers={"issued": totals.issued, "present": present}))
    if totals.collected > totals.issued:
        problems.append(TotalsProblem("collected_over_issued", numbers={
            "collected": totals.collected, "issued": totals.issued}))
    if totals.valid + totals.invalid != totals.collected:
        problems.append(TotalsProblem("valid_invalid", numbers={
            "valid": totals.valid, "invalid": totals.invalid, "collected": totals.collected}))
    allowed = {level.value for level in Scale(scale).levels} | {INVALID_LINE}
    for line in range(1, line_count + 1):
        counts = totals.lines.get(line, {})
        if set(counts) - allowed:
            problems.append(TotalsProblem("bad_level", line))
            continue
        marks = sum(n for key, n in counts.items() if key != INVALID_LINE)
        bad = counts.get(INVALID_LINE, 0)
        if marks + bad > totals.valid:
            problems.append(TotalsProblem("line_over_valid", line, {
                "marks": marks, "invalid": bad, "valid": totals.valid}))
        elif marks + bad < totals.valid:
            problems.append(TotalsProblem("line_under_valid", line, {
                "marks": marks, "invalid": bad, "valid": totals.valid}))
    if set(totals.lines) - set(range(1, line_count + 1)):
        problems.append(TotalsProblem("bad_line"))
    return problems


def totals_count(totals: PaperTotalsIn) -> PaperCount:
    """Checked totals as a count."""
    return PaperCount(
        collected=totals.collected, valid=totals.valid, invalid=totals.invalid,
        marks={(line, key): n for line, counts in totals.lines.items()
               for key, n in counts.items() if key != INVALID_LINE and n},
        line_invalid={line: counts.get(INVALID_LINE, 0) for line, counts in totals.lines.items()})


__all__ = ["BAD_LINES", "BLANK", "INVALID_LINE", "SEVERAL", "InvalidReason", "PaperBallot",
           "PaperCount", "PaperTotalsIn", "TotalsProblem", "check_paper_ballot", "check_totals",
           "count_paper", "differing_lines", "totals_count"]
