"""Paper ballots of a confidence round (issue 12): keyed ballot by ballot by the counting team,
reconciled by its head, or entered as totals counted by hand; and their count, which
count_round adds to the box's.

After voting closes the team numbers the collected ballots (1, 2, 3, …) and keys each one: per
line the level marked, "blank" or "several", or the whole ballot invalid with its reason. A
round needs 1, 2 or 3 independent entries of each ballot, each by a different member of the
team; a saved entry is never changed. Where entries disagree the team head confirms the
ballot's content with a reason (a PaperResolution), which is what is counted. Counting is
refused, naming the ballot numbers, while a ballot lacks entries or has unresolved
disagreements.

Paper carries no name and neither does anything here: an entry is (ballot number, entry
number, operator, content, time). The audit trail records the ballot and entry numbers only,
never what a ballot says.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select

from evalapp.audit.services import record
from evalapp.ballots.lifecycle import ROUND_STEPS
from evalapp.ballots.models import (
    BallotRound,
    BallotVoter,
    PaperEntry,
    PaperLineTotal,
    PaperResolution,
    PaperTotals,
)
from evalapp.ballots.schemas import BallotKinds, Handed, PaperMode
from evalapp.box import services as box
from evalapp.core.errors import InvalidState, ValidationFailed
from evalapp.core.text import nfc
from evalapp.core.time import utcnow
from evalapp.core.transactions import begin_writing
from evalapp.extensions import db
from evalapp.tally import paper as rules
from evalapp.tally.paper import PaperBallot, PaperCount, PaperTotalsIn

MAX_BALLOT_NUMBER = 100_000
REASON_LENGTH = 500

_BALLOT_PROBLEMS = {
    "reason": _l("Choose why the ballot is invalid: not issued by the counting team, a "
                 "printed name crossed out, or a name added."),
    "lines": _l("A ballot invalid as a whole carries no marks; a valid ballot needs a value "
                "on every line. Nothing was saved."),
    "missing": _l("Every line needs a value: a mark, blank, or several marks. Nothing was "
                  "saved."),
    "bad_level": _l("A value is not one of the choices of the ballot. Nothing was saved."),
}


def checked_ballot(round_: BallotRound, lines, invalid_reason: str | None) -> PaperBallot:
    """One paper ballot as keyed (per line a level, blank or several; or invalid as a whole with
    its reason), checked against the round's scale and lines; ValidationFailed in Vietnamese.
    Used by the entry, the reconciliation and the re-check (evalapp.ballots.recheck)."""
    try:
        return rules.check_paper_ballot(round_.scale, len(round_.active_candidates),
                                        list(lines), invalid_reason or None)
    except ValueError as error:
        raise ValidationFailed(_BALLOT_PROBLEMS[str(error)]) from None


def _number(number) -> int:
    if not isinstance(number, int) or not 1 <= number <= MAX_BALLOT_NUMBER:
        raise ValidationFailed(_l("The ballot number is a whole number from 1 to %(most)s."),
                               field="ballot_number", most=MAX_BALLOT_NUMBER)
    return number


def lock_round(round_: BallotRound) -> None:
    """Entries of one round (re-check entries too) one at a time: SQLite's write lock,
    PostgreSQL's row lock on the round (two operators saving the same ballot at once get entry
    numbers in turn)."""
    begin_writing()
    db.session.execute(select(BallotRound.id).where(BallotRound.id == round_.id)
                       .with_for_update())


def entries_of(round_: BallotRound) -> dict[int, list[PaperEntry]]:
    """ballot number -> its entries in entry order."""
    found: dict[int, list[PaperEntry]] = defaultdict(list)
    for entry in db.session.execute(
            select(PaperEntry).where(PaperEntry.round_id == round_.id)
            .order_by(PaperEntry.ballot_number, PaperEntry.entry_number)).scalars():
        found[entry.ballot_number].append(entry)
    return dict(found)


def resolutions_of(round_: BallotRound) -> dict[int, PaperResolution]:
    return {r.ballot_number: r for r in db.session.execute(
        select(PaperResolution).where(PaperResolution.round_id == round_.id)).scalars()}


def content(entry: PaperEntry | PaperResolution) -> PaperBallot:
    return PaperBallot.decoded(entry.invalid_reason, entry.marks)


def enter_ballot(actor, round_: BallotRound, ballot_number: int, lines,
                 invalid_reason: str | None = None) -> PaperEntry:
    """One member of the counting team keys one numbered paper ballot: its next entry."""
    ROUND_STEPS.check(actor, round_, "enter-paper")
    number = _number(ballot_number)
    most = most_ballots(round_)
    if most is not None and number > most:
        raise ValidationFailed(_l("Ballot no. %(number)s is more than the %(most)s paper ballots "
                                  "that can have been issued: check the number written on the "
                                  "ballot."), field="ballot_number", number=number, most=most)
    ballot = checked_ballot(round_, lines, invalid_reason)
    lock_round(round_)
    existing = list(db.session.execute(select(PaperEntry).where(
        PaperEntry.round_id == round_.id, PaperEntry.ballot_number == number)).scalars())
    if any(entry.operator_id == actor.id for entry in existing):
        raise InvalidState(_l("You have already entered ballot no. %(number)s; its other "
                              "entries are made by other members of the counting team."),
                           number=number)
    if len(existing) >= round_.paper_entries:
        raise InvalidState(_l("Ballot no. %(number)s already has its %(n)s entries."),
                           number=number, n=round_.paper_entries)
    if db.session.get(PaperResolution, (round_.id, number)) is not None:
        raise InvalidState(_l("Ballot no. %(number)s has been reconciled by the head of the "
                              "counting team."), number=number)
    entry = PaperEntry(round_id=round_.id, ballot_number=number, entry_number=len(existing) + 1,
                       operator_id=actor.id, valid=ballot.valid,
                       invalid_reason=ballot.invalid_reason.value if ballot.invalid_reason
                       else None, marks=ballot.encoded(), entered_at=utcnow())
    db.session.add(entry)
    db.session.flush()
    # The numbers only: never what the ballot says.
    record(actor, "ballot_round.paper_entered", round_, ballot_number=number,
           entry_number=entry.entry_number)
    return entry


def most_ballots(round_: BallotRound) -> int | None:
    """The highest ballot number there can be (collected ≤ issued ≤ present): the paper
    ballots handed out on the roll where members may vote either way, else the members
    present. A number keyed beyond it is a typing mistake that would leave a gap no entry can
    fill, so it is refused at once."""
    if round_.ballot_kinds is BallotKinds.BOTH:
        return _handed_paper(round_)
    return round_.present_count


def next_number(round_: BallotRound, operator) -> int:
    """The ballot this operator keys next: the lowest number they have not keyed that still
    needs an entry, or the number after the highest."""
    entries = entries_of(round_)
    resolved = resolutions_of(round_)
    for number in range(1, max(entries, default=0) + 1):
        mine = entries.get(number, [])
        if number in resolved or len(mine) >= round_.paper_entries:
            continue
        if all(entry.operator_id != operator.id for entry in mine):
            return number
    return max(entries, default=0) + 1


@dataclass(frozen=True)
class Disagreement:
    ballot_number: int
    entries: list[PaperEntry]
    lines: list[int]  # 0: validity; then the line numbers (from 1) that differ


def disagreements(round_: BallotRound) -> list[Disagreement]:
    """Every ballot whose entries disagree and that the team head has not reconciled. Only
    ballots with all their entries: the entries stay independent, nobody sees how a ballot was
    keyed before they have keyed it themselves (a ballot still short of entries is named by
    count_blockers)."""
    resolved = resolutions_of(round_)
    found = []
    for number, entries in sorted(entries_of(round_).items()):
        if number in resolved or len(entries) < round_.paper_entries:
            continue
        lines = rules.differing_lines([content(e) for e in entries])
        if lines:
            found.append(Disagreement(number, entries, lines))
    return found


def resolve(actor, round_: BallotRound, ballot_number: int, lines,
            invalid_reason: str | None, reason: str) -> PaperResolution:
    """The team head confirms the content of a ballot, with the reason; that content is what is
    counted. Mostly a ballot whose entries disagree; also one whose entries agree but are wrong
    (keyed under another ballot's number, or a single entry mistyped), which nothing else could
    correct since a saved entry is never changed. Once every entry of the ballot is made; once
    per ballot. Audited with the ballot number and the reason only."""
    ROUND_STEPS.check(actor, round_, "reconcile")
    number = _number(ballot_number)
    reason = nfc(reason or "")
    if not reason:
        raise ValidationFailed(_l("Give the reason for the corrected entry (e.g. the ballot was "
                                  "looked at again by the team)."), field="reason")
    if len(reason) > REASON_LENGTH:
        raise ValidationFailed(_l("The reason is at most %(n)s characters."), field="reason",
                               n=REASON_LENGTH)
    ballot = checked_ballot(round_, lines, invalid_reason)
    lock_round(round_)
    keyed = len(entries_of(round_).get(number, []))
    if number in resolutions_of(round_):
        raise InvalidState(_l("The entry of ballot no. %(number)s has already been confirmed by "
                              "the head of the counting team."), number=number)
    if keyed == 0:
        raise InvalidState(_l("Ballot no. %(number)s has not been entered yet: enter it on the "
                              "entry screen first."), number=number)
    if keyed < round_.paper_entries:
        raise InvalidState(_l("Ballot no. %(number)s has %(keyed)s of its %(n)s entries: it is "
                              "reconciled once every entry is made."), number=number,
                           keyed=keyed, n=round_.paper_entries)
    resolution = PaperResolution(
        round_id=round_.id, ballot_number=number, valid=ballot.valid,
        invalid_reason=ballot.invalid_reason.value if ballot.invalid_reason else None,
        marks=ballot.encoded(), reason=reason, confirmed_by_id=actor.id, confirmed_at=utcnow())
    db.session.add(resolution)
    db.session.flush()
    record(actor, "ballot_round.paper_resolved", round_, ballot_number=number, reason=reason)
    return resolution


def _numbers_text(numbers: list[int], most: int = 20) -> str:
    shown = ", ".join(str(n) for n in numbers[:most])
    return shown + (" …" if len(numbers) > most else "")


def count_blockers(round_: BallotRound) -> list[str]:
    """Why the round's paper ballots cannot be counted yet (nothing: they can), naming the
    ballot numbers."""
    if not round_.ballot_kinds.takes_paper:
        return []
    if round_.paper_mode is PaperMode.TOTALS:
        if db.session.get(PaperTotals, round_.id) is None:
            return [str(_l("Enter the totals of the paper ballots counted by hand first."))]
        return []
    entries = entries_of(round_)
    resolved = resolutions_of(round_)
    highest = max(entries, default=0)
    short = [n for n in range(1, highest + 1)
             if n not in resolved and len(entries.get(n, [])) < round_.paper_entries]
    reasons = []
    if short:
        reasons.append(str(_l("These paper ballots have fewer than %(n)s entries: no. "
                              "%(numbers)s.", n=round_.paper_entries,
                              numbers=_numbers_text(short))))
    differ = [d.ballot_number for d in disagreements(round_)]
    if differ:
        reasons.append(str(_l("The entries of these paper ballots disagree; the head of the "
                              "counting team reconciles them: no. %(numbers)s.",
                              numbers=_numbers_text(differ))))
    return reasons


def agreed_ballots(round_: BallotRound) -> dict[int, PaperBallot]:
    """ballot number -> its content as counted: the head's resolution, or its (agreeing)
    entries'. The archive a re-check compares with."""
    resolved = resolutions_of(round_)
    return {number: content(resolved[number]) if number in resolved else content(entries[0])
            for number, entries in sorted(entries_of(round_).items())}


def paper_ballots(round_: BallotRound) -> list[PaperBallot]:
    """Each numbered ballot's content, in ballot order (see agreed_ballots)."""
    return list(agreed_ballots(round_).values())


def count_ballots(round_: BallotRound, ballots) -> PaperCount:
    """Paper ballots counted under the round's scale, lines and bad-line rule."""
    return rules.count_paper(round_.scale, len(round_.active_candidates), ballots,
                             bad_line_voids_ballot=round_.bad_line_voids_ballot)


def paper_count(round_: BallotRound) -> PaperCount | None:
    """The count of the round's paper ballots (None when it takes none). The caller checks
    count_blockers first."""
    if not round_.ballot_kinds.takes_paper:
        return None
    if round_.paper_mode is PaperMode.TOTALS:
        totals = stored_totals(round_)
        return rules.totals_count(totals) if totals is not None else PaperCount(0, 0, 0)
    return count_ballots(round_, paper_ballots(round_))


def paper_issued(round_: BallotRound) -> int | None:
    """Paper ballots issued, where the app knows it: the totals entered by hand, or the paper
    ballots handed out on the roll (None when neither says)."""
    if round_.paper_mode is PaperMode.TOTALS:
        totals = db.session.get(PaperTotals, round_.id)
        return totals.issued if totals else None
    return _handed_paper(round_) or None


# ---------------------------------------------------------------- totals counted by hand


def stored_totals(round_: BallotRound) -> PaperTotalsIn | None:
    totals = db.session.get(PaperTotals, round_.id)
    if totals is None:
        return None
    line_of = {c.id: n for n, c in enumerate(round_.active_candidates, start=1)}
    lines: dict[int, dict[str, int]] = defaultdict(dict)
    for row in db.session.execute(select(PaperLineTotal).where(
            PaperLineTotal.round_id == round_.id)).scalars():
        if row.candidate_id in line_of:
            lines[line_of[row.candidate_id]][row.level] = row.count
    return PaperTotalsIn(issued=totals.issued, collected=totals.collected, valid=totals.valid,
                         invalid=totals.invalid, lines=dict(lines))


def _totals_refusal(round_: BallotRound, problem: rules.TotalsProblem) -> str:
    name = (round_.active_candidates[problem.line - 1].full_name
            if problem.line else "")
    n = problem.numbers
    return str({
        "negative": _l("No number can be negative."),
        "issued_over_present": _l("%(issued)s paper ballots issued is more than the "
                                  "%(present)s members present who did not vote in the "
                                  "browser.", **n)
        if round_.ballot_kinds is BallotKinds.BOTH else
        _l("%(issued)s ballots issued is more than the %(present)s members present.", **n),
        "collected_over_issued": _l("%(collected)s ballots collected is more than the "
                                    "%(issued)s issued.", **n),
        "valid_invalid": _l("%(valid)s valid and %(invalid)s invalid ballots do not add up to "
                            "the %(collected)s collected.", **n),
        "line_over_valid": _l("%(name)s: %(marks)s marks and %(invalid)s invalid lines are "
                              "more than the %(valid)s valid ballots.", name=name, **n),
        "line_under_valid": _l("%(name)s: %(marks)s marks and %(invalid)s invalid lines are "
                               "fewer than the %(valid)s valid ballots: every valid ballot has "
                               "a mark or an invalid line for each person.", name=name, **n),
        "bad_level": _l("%(name)s: a count is not for one of the ballot's choices.",
                        name=name),
        "bad_line": _l("A count is for someone who is not on the ballot."),
    }[problem.kind])


def enter_totals(actor, round_: BallotRound, *, issued: int, collected: int, valid: int,
                 invalid: int, lines: dict[int, dict[str, int]]) -> PaperTotalsIn:
    """The paper ballots counted by hand: the round's totals and, per person voted on (by
    candidate id), the count of each level and of invalid lines. Checked (tally.paper.
    check_totals); a refusal names the person and the numbers. Entering again replaces."""
    ROUND_STEPS.check(actor, round_, "enter-totals")
    line_of = {c.id: n for n, c in enumerate(round_.active_candidates, start=1)}
    if set(lines) - set(line_of):
        raise ValidationFailed(_l("A count is for someone who is not on the ballot."))
    totals = PaperTotalsIn(issued=issued, collected=collected, valid=valid, invalid=invalid,
                           lines={line_of[c]: dict(counts) for c, counts in lines.items()})
    present = round_.present_count or 0
    browser = _browser_issued(round_)
    problems = rules.check_totals(round_.scale, len(line_of), totals,
                                  present=max(present - browser, 0))
    if problems:
        raise ValidationFailed(" ".join(_totals_refusal(round_, p) for p in problems))
    lock_round(round_)
    db.session.execute(delete(PaperLineTotal).where(PaperLineTotal.round_id == round_.id))
    stored = db.session.get(PaperTotals, round_.id)
    if stored is None:
        stored = PaperTotals(round_id=round_.id)
        db.session.add(stored)
    stored.issued, stored.collected, stored.valid, stored.invalid = (issued, collected, valid,
                                                                     invalid)
    stored.entered_by_id, stored.entered_at = getattr(actor, "id", None), utcnow()
    rows = [{"round_id": round_.id, "candidate_id": c, "level": key, "count": n}
            for c, counts in lines.items() for key, n in counts.items()]
    if rows:
        db.session.execute(insert(PaperLineTotal), rows)
    db.session.flush()
    record(actor, "ballot_round.paper_totals_entered", round_, issued=issued,
           collected=collected, valid=valid, invalid=invalid)
    return totals


def _handed_paper(round_: BallotRound) -> int:
    return db.session.execute(select(func.count()).select_from(BallotVoter).where(
        BallotVoter.round_id == round_.id, BallotVoter.handed == Handed.PAPER)).scalar_one()


def _browser_issued(round_: BallotRound) -> int:
    """Present members whose right went to the browser (voted with their account, or handed a
    code slip): every right spent in the box but the paper ballots handed out."""
    spent = box.voted(box.box_of(BallotRound.audit_type, round_.id))
    return max(spent - _handed_paper(round_), 0)
