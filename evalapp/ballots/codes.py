"""Anonymous ballot codes of a confidence round (the box's BallotCode right, box/codes.py).

The secretary generates codes once voting is open (the box, and so the place of its codes,
exists from then) and downloads them as printed slips; the codes exist in clear only in that
download. The audit trail records how many were generated, never which. A voter brings only a
code: it finds its box by its keyed hash, the box its round, and the ballot is cast with the
code as the right, with no account and nothing that names anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from evalapp.audit.services import record
from evalapp.ballots.lifecycle import ROUND_STEPS
from evalapp.ballots.models import BallotRound
from evalapp.ballots.services import round_box
from evalapp.box import codes as code_format
from evalapp.box import services as box
from evalapp.box.models import Box, BoxStatus
from evalapp.core.errors import AlreadyVoted, InvalidState, NotAllowed, NotFound, ValidationFailed
from evalapp.extensions import db

NOT_A_CODE = _l("This is not a ballot code: check each character against the slip (the code "
                "has 14 letters and digits, without 0, 1, I, L, O or U).")
ACCENTED = _l("The code has letters with accents (such as Ư, Â or Đ): the keyboard is typing "
               "Vietnamese. Switch it to English (or turn Telex/VNI off) and type the code "
               "again; it has only capital letters without accents and digits.")
UNKNOWN_CODE = _l("No round has this ballot code. Check it against the slip.")
CODE_SPENT = _l("This ballot code has already been used: a ballot was cast with it. Each code "
                "casts one ballot.")
PAPER_ONLY = _l("This round takes paper ballots only: vote on the paper ballot handed to you "
                "in the hall.")
CODE_VOID = _l("Voting has closed in this round: its unused ballot codes are void.")


def generate_codes(actor, round_: BallotRound, count: int | None = None) -> list[str]:
    """New codes for the round's open box (by default as many as members present); returned
    once, in clear, for the slips. The audit entry gives only how many."""
    ROUND_STEPS.check(actor, round_, "generate-codes")
    ballot_box = round_box(round_)
    if ballot_box is None:  # voting is open only with its box
        raise InvalidState(box.VOTING_NOT_OPEN)
    count = round_.present_count if count is None else count
    made = box.add_codes(ballot_box, count)
    record(actor, "ballot_round.codes_generated", round_, count=len(made))
    return made


@dataclass(frozen=True)
class CodeBallot:
    """What a code opens: its round and box, and the right to spend."""

    round: BallotRound
    box: Box
    right: box.BallotCode


def open_code(typed: str | None) -> CodeBallot:
    """The ballot a typed code opens, or the reason it opens none: not a code (a typing
    mistake, ValidationFailed 422), unknown (NotFound 404: what the per-client limit counts),
    void (InvalidState 409), spent (AlreadyVoted 409)."""
    symbols = code_format.canonical(typed)
    if symbols is None:
        raise ValidationFailed(ACCENTED if code_format.accented(typed) else NOT_A_CODE)
    found = box.find_code(symbols)
    if found is None or found[0].owner_kind != BallotRound.audit_type:
        raise NotFound(UNKNOWN_CODE)
    ballot_box, right, spent = found
    round_ = db.session.get(BallotRound, ballot_box.owner_id)
    if spent:
        raise AlreadyVoted(CODE_SPENT)
    if ballot_box.status != BoxStatus.OPEN:
        raise InvalidState(CODE_VOID)
    if not round_.ballot_kinds.takes_browser:  # never generated there (ROUND_STEPS): defence
        raise NotAllowed(PAPER_ONLY)
    return CodeBallot(round_, ballot_box, right)


def cast_with_code(typed: str | None, ballot: object) -> tuple[BallotRound, str]:
    """Cast a ballot (encrypted on the device, or marks the box encrypts on arrival) with a
    code; returns the round and the tracker. Nothing about the voter is known or written."""
    opened = open_code(typed)
    try:
        return opened.round, box.cast(opened.box, opened.right, ballot)
    except AlreadyVoted:
        raise AlreadyVoted(CODE_SPENT) from None
    except InvalidState:
        raise InvalidState(CODE_VOID) from None


__all__ = ["generate_codes", "open_code", "cast_with_code", "CodeBallot", "NotAllowed"]
