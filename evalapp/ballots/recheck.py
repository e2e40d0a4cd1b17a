"""Re-checks (phúc tra) of a counted round's paper ballots (issue 12).

When asked, the counting team takes a sealed batch of the numbered paper ballots (a range or a
list: "1-20, 25") and keys each one again on the entry screen in re-check mode. The app
compares each ballot as keyed again with its archived agreed content (the head's resolution,
else its agreeing entries), line by line, and the batch's totals as keyed again with those the
published count holds; the signed re-check record (biên bản phúc tra, a document of the round)
gives the batch, who keyed it again, the ballots that differ and how, and the conclusion.

A re-check never changes the published count: a difference is for the competent body to
decide, and the record says so. The audit trail records the batch, the ballot numbers and
whether they matched, never what a ballot says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from evalapp.audit.services import record
from evalapp.ballots import paper
from evalapp.ballots.lifecycle import ROUND_STEPS
from evalapp.ballots.models import BallotRound, PaperRecheck, PaperRecheckEntry
from evalapp.core.errors import InvalidState, NotFound, ValidationFailed
from evalapp.core.time import utcnow
from evalapp.extensions import db
from evalapp.tally import paper as rules
from evalapp.tally.paper import PaperBallot, PaperCount

MAX_BATCH = 2_000
BATCH_TEXT = 1_000


def parse_batch(text: str) -> list[int]:
    """"1-20, 25; 30" -> [1, …, 20, 25, 30]: ranges and numbers separated by commas,
    semicolons or spaces; ValidationFailed (in Vietnamese) on anything else."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_l("Give the ballot numbers of the batch, e.g. 1-20, 25."),
                               field="ballots")
    if len(text) > BATCH_TEXT or not re.fullmatch(r"[\d\s,;\-–]+", text):
        raise ValidationFailed(_l("The batch is written as ballot numbers and ranges, e.g. "
                                  "1-20, 25."), field="ballots")
    numbers: set[int] = set()
    for part in re.split(r"[\s,;]+", text.replace("–", "-").replace(" - ", "-")):
        if not part:
            continue
        bounds = part.split("-")
        if len(bounds) > 2 or not all(b.isdigit() for b in bounds):
            raise ValidationFailed(_l("The batch is written as ballot numbers and ranges, "
                                      "e.g. 1-20, 25."), field="ballots")
        low, high = int(bounds[0]), int(bounds[-1])
        if low < 1 or high < low or high - low >= MAX_BATCH:
            raise ValidationFailed(_l("A range goes from a smaller to a larger ballot number, "
                                      "e.g. 1-20."), field="ballots")
        numbers.update(range(low, high + 1))
        if len(numbers) > MAX_BATCH:
            raise ValidationFailed(_l("A batch holds at most %(n)s ballots."), field="ballots",
                                   n=MAX_BATCH)
    return sorted(numbers)


def batch_text(numbers: list[int]) -> str:
    """[1, 2, 3, 5] -> "1-3, 5"."""
    parts, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            parts.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(parts)


def numbers_of(recheck: PaperRecheck) -> list[int]:
    return parse_batch(recheck.ballots)


def rechecks_of(round_: BallotRound) -> list[PaperRecheck]:
    return list(db.session.execute(select(PaperRecheck).where(
        PaperRecheck.round_id == round_.id).order_by(PaperRecheck.id)).scalars())


def get_recheck(round_: BallotRound, recheck_id: int) -> PaperRecheck:
    recheck = db.session.get(PaperRecheck, recheck_id)
    if recheck is None or recheck.round_id != round_.id:
        raise NotFound(_l("This re-check does not exist."))
    return recheck


def open_recheck(actor, round_: BallotRound, ballots: str) -> PaperRecheck:
    """Open a re-check of a batch of the round's keyed paper ballots (after counting)."""
    ROUND_STEPS.check(actor, round_, "recheck-paper")
    numbers = parse_batch(ballots)
    keyed = paper.entries_of(round_)
    unknown = [n for n in numbers if n not in keyed]
    if unknown:
        raise ValidationFailed(_l("These ballot numbers were never keyed in this round: "
                                  "%(numbers)s."), field="ballots",
                               numbers=batch_text(unknown)[:200])
    if any(r.finished_at is None for r in rechecks_of(round_)):
        raise InvalidState(_l("Another re-check of this round is under way: finish it "
                              "first."))
    recheck = PaperRecheck(round_id=round_.id, ballots=batch_text(numbers),
                           opened_by_id=actor.id, opened_at=utcnow())
    db.session.add(recheck)
    db.session.flush()
    record(actor, "ballot_round.paper_recheck_opened", round_, recheck=recheck.id,
           ballots=recheck.ballots)
    return recheck


def rekeyed(recheck: PaperRecheck) -> dict[int, PaperRecheckEntry]:
    return {e.ballot_number: e for e in db.session.execute(select(PaperRecheckEntry).where(
        PaperRecheckEntry.recheck_id == recheck.id)).scalars()}


def next_number(recheck: PaperRecheck) -> int | None:
    done = rekeyed(recheck)
    return next((n for n in numbers_of(recheck) if n not in done), None)


def _open(recheck: PaperRecheck) -> None:
    if recheck.finished_at is not None:
        raise InvalidState(_l("This re-check is finished; its record has been issued."))


def rekey(actor, round_: BallotRound, recheck: PaperRecheck, ballot_number: int, lines,
          invalid_reason: str | None = None) -> PaperRecheckEntry:
    """One ballot of the batch keyed again (once per re-check)."""
    ROUND_STEPS.check(actor, round_, "recheck-paper")
    _open(recheck)
    if ballot_number not in numbers_of(recheck):
        raise ValidationFailed(_l("Ballot no. %(number)s is not in this re-check's batch "
                                  "(%(batch)s)."), field="ballot_number",
                               number=ballot_number, batch=recheck.ballots[:200])
    ballot = paper.checked_ballot(round_, lines, invalid_reason)
    paper.lock_round(round_)
    if db.session.get(PaperRecheckEntry, (recheck.id, ballot_number)) is not None:
        raise InvalidState(_l("Ballot no. %(number)s has already been keyed again in this "
                              "re-check."), number=ballot_number)
    entry = PaperRecheckEntry(
        recheck_id=recheck.id, ballot_number=ballot_number, operator_id=actor.id,
        valid=ballot.valid,
        invalid_reason=ballot.invalid_reason.value if ballot.invalid_reason else None,
        marks=ballot.encoded(), entered_at=utcnow())
    db.session.add(entry)
    db.session.flush()
    record(actor, "ballot_round.paper_rechecked", round_, recheck=recheck.id,
           ballot_number=ballot_number)
    return entry


@dataclass(frozen=True)
class BallotDifference:
    ballot_number: int
    archived: PaperBallot
    again: PaperBallot
    lines: list[int]   # 0: validity; then the lines (from 1) that differ


@dataclass(frozen=True)
class RecheckResult:
    numbers: list[int]
    operators: list[int]                 # user ids of who keyed the batch again
    differences: list[BallotDifference]
    archived: PaperCount                 # the batch as the published count holds it
    again: PaperCount                    # the batch as keyed again

    @property
    def matches(self) -> bool:
        return not self.differences

    @property
    def totals_match(self) -> bool:
        return (self.archived.collected, self.archived.valid, self.archived.invalid,
                dict(self.archived.marks), dict(self.archived.line_invalid)) == (
            self.again.collected, self.again.valid, self.again.invalid,
            dict(self.again.marks), dict(self.again.line_invalid))


def compare(round_: BallotRound, recheck: PaperRecheck) -> RecheckResult:
    """Each ballot keyed again against its archived content, and the batch's totals."""
    numbers = numbers_of(recheck)
    again_entries = rekeyed(recheck)
    agreed = paper.agreed_ballots(round_)
    differences, archived, again = [], [], []
    for n in numbers:
        kept = agreed[n]
        new = paper.content(again_entries[n])
        archived.append(kept)
        again.append(new)
        lines = rules.differing_lines([kept, new])
        if lines:
            differences.append(BallotDifference(n, kept, new, lines))
    operators = sorted({e.operator_id for e in again_entries.values()})
    return RecheckResult(numbers, operators, differences, paper.count_ballots(round_, archived),
                         paper.count_ballots(round_, again))


def finish(actor, round_: BallotRound, recheck: PaperRecheck) -> RecheckResult:
    """Close the re-check once every ballot of the batch is keyed again; the record is then
    issued (evalapp.ballots.documents, kind "recheck"). Audited with the ballot numbers that
    differ, never their content."""
    ROUND_STEPS.check(actor, round_, "recheck-paper")
    _open(recheck)
    done = rekeyed(recheck)
    missing = [n for n in numbers_of(recheck) if n not in done]
    if missing:
        raise InvalidState(_l("These ballots of the batch have not been keyed again yet: "
                              "%(numbers)s."), numbers=batch_text(missing)[:200])
    result = compare(round_, recheck)
    recheck.finished_at = utcnow()
    db.session.flush()
    record(actor, "ballot_round.paper_recheck_finished", round_, recheck=recheck.id,
           ballots=recheck.ballots, matches=result.matches,
           differing=batch_text([d.ballot_number for d in result.differences])[:500])
    return result
