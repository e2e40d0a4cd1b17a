"""What the round services accept, with every field's limit written once.

The services take these (create_round and update_round a RoundDetails, update_round checks its
settings against RoundSettings); the round form reads its limits from here (max_length_of), the
API's request bodies reuse the same annotated types, and the columns of evalapp.ballots.models
take their lengths from here.
"""

from __future__ import annotations

import enum
from datetime import date

from flask_babel import lazy_gettext as _l

from evalapp.core.schemas import Schema, one_of, text, whole
from evalapp.org.models import Unit
from evalapp.tally.rules import Base, Scale
from evalapp.tally.scales import Band, Level, bands_of, levels_of

# The scales a confidence round can use: lấy phiếu (three levels) and bỏ phiếu (two). Their
# levels, labels and bands are data in evalapp.tally.scales.
ROUND_SCALES = (Scale.THREE_LEVEL, Scale.TWO_LEVEL)
RoundScale = one_of(Scale, ROUND_SCALES)
RoundLevel = one_of(Level, levels_of(ROUND_SCALES))
RoundBand = one_of(Band, bands_of(ROUND_SCALES))

class BallotKinds(enum.StrEnum):
    """Which ballots a round takes: in the browser (with an account or a code), on paper, or
    both (each present member gets one or the other, never both)."""

    BROWSER = "browser"
    PAPER = "paper"
    BOTH = "both"

    @property
    def label(self) -> str:
        return str(BALLOT_KINDS_LABELS[self])

    @property
    def takes_paper(self) -> bool:
        return self is not BallotKinds.BROWSER

    @property
    def takes_browser(self) -> bool:
        return self is not BallotKinds.PAPER


BALLOT_KINDS_LABELS = {
    BallotKinds.BROWSER: _l("Browser ballots (account or code)"),
    BallotKinds.PAPER: _l("Paper ballots"),
    BallotKinds.BOTH: _l("Browser and paper ballots"),
}


class PaperMode(enum.StrEnum):
    """How paper ballots are entered: each ballot keyed in, or the totals counted by hand."""

    BALLOTS = "ballots"
    TOTALS = "totals"

    @property
    def label(self) -> str:
        return str(PAPER_MODE_LABELS[self])


PAPER_MODE_LABELS = {
    PaperMode.BALLOTS: _l("Ballot by ballot"),
    PaperMode.TOTALS: _l("Totals counted by hand"),
}


class Handed(enum.StrEnum):
    """What a present member was handed in the hall (recorded on the roll): a paper ballot or
    a code slip (never which one)."""

    PAPER = "paper"
    CODE = "code"


# The texts of a round, as the services accept them (and the columns store them).
Title = text(300)
BodyName = text(300)
Place = text(300)
GoverningBodyName = text(300)
Locality = text(120)
PresetKey = text(40)
ExclusionReason = text(500, blank=False)
SecrecyThreshold = whole(0, 1000)
PaperEntries = whole(1, 3)      # independent entries of each paper ballot
PercentPlaces = whole(1, 2)     # decimals of the published percentages


class RoundDetails(Schema):
    """The details of a round: what create_round and update_round take."""

    title: Title
    body_name: BodyName
    unit: Unit
    place: Place | None = None
    meeting_date: date | None = None
    governing_body_name: GoverningBodyName | None = None  # printed above the body on documents
    locality: Locality | None = None  # the place name of the documents' date line


class RoundRules(Schema):
    """The kind of vote and the rule set a round is created with (fixed afterwards)."""

    scale: RoundScale
    preset: PresetKey


class RoundSettings(Schema):
    """The settings of a round (filled from its rule set, changed while it is a draft)."""

    base: Base
    bad_line_voids_ballot: bool
    results_to_candidates: bool
    publish_to_voters: bool
    secrecy_threshold: SecrecyThreshold
    ballot_kinds: BallotKinds
    paper_entries: PaperEntries
    paper_mode: PaperMode
    percent_places: PercentPlaces


class CandidateExclusion(Schema):
    """Why someone is not voted on (None: they are voted on again)."""

    reason: ExclusionReason | None
