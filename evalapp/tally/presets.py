"""Named rule sets. A round copies one preset's values into its own settings when it is created;
the settings can be changed while the round is a draft and are frozen after that."""

from __future__ import annotations

from dataclasses import dataclass

from evalapp.tally.rules import Base


@dataclass(frozen=True)
class RulePreset:
    key: str
    source: str
    # The rule set's Vietnamese name, shown instead of its key wherever a person reads it (the
    # key stays the identifier in the API and the database).
    name: str
    base: Base
    bad_line_voids_ballot: bool
    results_to_candidates: bool  # each person voted on sees their own result
    publish_to_voters: bool      # results shown to all voters once published
    secrecy_threshold: int = 5   # fewer ballots than this: warn before showing results
    percent_places: int = 2      # decimals of the published percentages (2, or 1)


PRESETS: dict[str, RulePreset] = {
    # Quy định 96-QĐ/TW (02/02/2023). The base is not stated plainly; ballots collected is the
    # usual reading and the setting allows the others.
    "party-2023": RulePreset("party-2023", "Quy định 96-QĐ/TW ngày 02/02/2023",
                             "Quy định 96-QĐ/TW (2023) của Bộ Chính trị", Base.COLLECTED,
                             bad_line_voids_ballot=True, results_to_candidates=True,
                             publish_to_voters=False),
    # Nghị quyết 96/2023/QH15, Điều 19.3: percentages of the ballots collected; results are
    # announced publicly. A bad line on paper voids only that line: on 25/10/2023 the National
    # Assembly collected 481 ballots, one official had 480 marks and another 478, and every
    # percentage was still taken of 481 (domain §1).
    "assembly-2023": RulePreset("assembly-2023", "Nghị quyết 96/2023/QH15",
                                "Nghị quyết 96/2023/QH15 của Quốc hội", Base.COLLECTED,
                                bad_line_voids_ballot=False, results_to_candidates=True,
                                publish_to_voters=True),
    # Nghị quyết 85/2014/QH13 (historic): percentages of the total number of members.
    "assembly-2014": RulePreset("assembly-2014", "Nghị quyết 85/2014/QH13",
                                "Nghị quyết 85/2014/QH13 của Quốc hội (đã hết hiệu lực)",
                                Base.SUMMONED,
                                bad_line_voids_ballot=True, results_to_candidates=True,
                                publish_to_voters=True),
}
DEFAULT_PRESET = "party-2023"
