"""The lifecycle of a confidence round, declared once: its states, each step between them or
within one, and who may take it (an action of the permission vocabulary, registered by
evalapp.ballots.services).

Services check a step here before taking it (ROUND_STEPS.check), the pages and the API find a
transition by its name and take it through the service function registered for it
(ROUND_STEPS.take), and templates ask `round_steps.can(current_user, round, "close")`; nothing
else lists steps or compares states. A new step is one line here and one service function.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from evalapp.auth.permissions import can
from evalapp.ballots.models import BallotRound, PaperMode, RoundStatus
from evalapp.core.lifecycle import Lifecycle, Step

DRAFT, ATTENDANCE, VOTING, CLOSED, COUNTED, FINALISED = (
    RoundStatus.DRAFT, RoundStatus.ATTENDANCE, RoundStatus.VOTING, RoundStatus.CLOSED,
    RoundStatus.COUNTED, RoundStatus.FINALISED)


def _already_published(round_: BallotRound):
    return _l("The results are already published.") if round_.published_at else None


def _paper_ballot_by_ballot(round_: BallotRound):
    if not round_.ballot_kinds.takes_paper:
        return _l("This round takes no paper ballots.")
    if round_.paper_mode is not PaperMode.BALLOTS:
        return _l("This round's paper ballots are entered as totals counted by hand.")
    return None


paper_ballot_refusal = _paper_ballot_by_ballot  # for the paper documents' readiness


def _paper_totals(round_: BallotRound):
    if not round_.ballot_kinds.takes_paper:
        return _l("This round takes no paper ballots.")
    if round_.paper_mode is not PaperMode.TOTALS:
        return _l("This round's paper ballots are entered ballot by ballot.")
    return None


def _takes_browser_ballots(round_: BallotRound):
    if not round_.ballot_kinds.takes_browser:
        return _l("This round takes paper ballots only: no ballot codes.")
    return None


ROUND_STEPS: Lifecycle[RoundStatus] = Lifecycle(
    name="ballot_round",
    states=RoundStatus,
    authorise=can,
    state_label=lambda status: status.label,
    default_refusal=_l("This cannot be done while the round is “%(status)s”."),
    steps=[
        # Building the round: the people voted on, the voters, the details and settings.
        Step("edit", {DRAFT}, who="ballots.manage"),
        Step("set-officers", {DRAFT, ATTENDANCE}, who="ballots.manage"),
        # The counting team's key: each member sets a passphrase before voting opens.
        Step("protect-share", {DRAFT, ATTENDANCE}, who="ballots.hold_key",
             refusal=_l("Keys are set before voting opens.")),
        Step("start-attendance", {DRAFT}, target=ATTENDANCE, who="ballots.manage",
             transition=True, done=_l("Attendance can now be taken.")),
        # The meeting.
        Step("take-attendance", {ATTENDANCE}, who="ballots.run_meeting"),
        Step("open", {ATTENDANCE}, target=VOTING, who="ballots.run_meeting",
             transition=True, done=_l("Voting is open.")),
        Step("admit-latecomer", {VOTING}, who="ballots.run_meeting"),
        # Anonymous ballot codes live in the box, which exists from the opening (ballots/codes).
        Step("generate-codes", {VOTING}, who="ballots.run_meeting",
             when=_takes_browser_ballots),
        Step("vote", {VOTING}, who="ballots.vote",
             refusal=_l("Voting is not open in this round.")),
        Step("watch-turnout", {VOTING}, who="ballots.count"),
        # The hall: a present member is handed a paper ballot or a code slip (which spends
        # their own right in the box), recorded on the roll.
        Step("hand-out", {VOTING}, who="ballots.run_meeting",
             refusal=_l("Paper ballots and code slips are handed out while voting is open.")),
        Step("close", {VOTING}, target=CLOSED, who="ballots.run_meeting",
             transition=True, done=_l("Voting is closed. The box has been sealed.")),
        # Paper ballots, once the box is sealed and before counting: keyed ballot by ballot by
        # the counting team (each entry of a ballot by a different member), disagreements
        # settled by the team head, or the totals counted by hand.
        Step("enter-paper", {CLOSED}, who="ballots.count", when=_paper_ballot_by_ballot,
             refusal=_l("Paper ballots are entered once voting is closed, before counting.")),
        Step("reconcile", {CLOSED}, who="ballots.lead_count", when=_paper_ballot_by_ballot,
             refusal=_l("Entries are reconciled once voting is closed, before counting.")),
        Step("enter-totals", {CLOSED}, who="ballots.count", when=_paper_totals,
             refusal=_l("Paper totals are entered once voting is closed, before counting.")),
        # Counting and after.
        Step("unlock-share", {CLOSED}, who="ballots.hold_key",
             refusal=_l("Shares are unlocked once voting is closed, before counting.")),
        Step("count", {CLOSED}, target=COUNTED, who="ballots.count",
             transition=True, done=_l("The ballots have been counted.")),
        # A re-check (phúc tra) of a sealed batch of paper ballots, after counting; it never
        # changes the count.
        Step("recheck-paper", {COUNTED, FINALISED}, who="ballots.count",
             when=_paper_ballot_by_ballot,
             refusal=_l("Paper ballots are re-checked only after they have been counted.")),
        Step("finalise", {COUNTED}, target=FINALISED, who="ballots.finalise",
             transition=True, done=_l("The round is finalised; nothing can change.")),
        Step("publish", {COUNTED, FINALISED}, who="ballots.finalise",
             transition=True, refusal=_l("Results can be published only after counting."),
             when=_already_published, done=_l("The results are published to the voters.")),
    ],
    phases={
        # The voters' to-do list: attendance is being taken or voting is open.
        "summoned": {ATTENDANCE, VOTING},
        # Summoned and present are frozen when voting opens; ballots exist from then on.
        "opened": {VOTING, CLOSED, COUNTED, FINALISED},
        # The box is sealed: the trackers are listed.
        "box_sealed": {CLOSED, COUNTED, FINALISED},
        # Counted: results exist (there are never partial results).
        "results_exist": {COUNTED, FINALISED},
        # Being held: the officers' to-do list.
        "held": {ATTENDANCE, VOTING, CLOSED, COUNTED},
        # Past its draft: the lists are frozen, blank ballots can be printed.
        "past_draft": set(RoundStatus) - {DRAFT},
        # Not finalised yet: the admins' rounds in progress.
        "unfinished": set(RoundStatus) - {FINALISED},
    },
)
