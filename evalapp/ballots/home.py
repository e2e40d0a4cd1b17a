"""The ballot rounds' sections of the home page (see evalapp.core.home): each role's to-do list.

- voters: the rounds open for them, those they have voted in, and their receipts (order 10-12);
- chair, secretary, counting team, and admins of the round's unit: the rounds being held, each
  with the next step for them (order 20);
- the person voted on: their own results once available (order 40);
- admins: the rounds in progress and quick links (order 80).

Only steps the user can take are offered: a button never ends on a 403 or 409 page.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import has_request_context, url_for
from flask_babel import gettext as _

from evalapp.auth.permissions import is_admin_anywhere
from evalapp.ballots import receipts, services
from evalapp.ballots.lifecycle import ROUND_STEPS
from evalapp.ballots.models import BallotRound
from evalapp.core.home import home_section
from evalapp.extensions import db


@dataclass(frozen=True)
class Step:
    """One thing the user can do next: a link, or a form posted with an optional question."""

    label: str
    url: str
    post: bool = False
    confirm: str | None = None
    primary: bool = True


@dataclass(frozen=True)
class RoundTodo:
    round: BallotRound
    note: str | None
    steps: list[Step]


@home_section("ballots.to_vote", order=10, template="ballots/_home_vote.html")
def rounds_to_vote(user):
    rounds = services.voter_rounds(user)
    if not (rounds.waiting or rounds.voted or rounds.not_present or rounds.upcoming):
        return None
    return {"rounds": rounds}


@home_section("ballots.receipts", order=12, template="ballots/_home_receipts.html")
def my_receipts(user):
    # The receipts live in this request's session cookie (see receipts), stored for one account.
    kept = receipts.receipts_of(user) if has_request_context() else {}
    if not kept:
        return None
    found = {r.id: r for r in db.session.execute(
        db.select(BallotRound).where(BallotRound.id.in_(kept))).scalars()}
    shown = []
    for round_id, tracker in kept.items():
        round_ = found.get(round_id)
        if round_ is None or services.voter_entry(user, round_) is None:
            continue
        shown.append({"round": round_, "tracker": tracker,
                      "can_check": services.can_see_trackers(user, round_)})
    return {"receipts": shown} if shown else None


@home_section("ballots.to_run", order=20, template="ballots/_home_officer.html")
def rounds_to_run(user):
    todos = [RoundTodo(r, *_next_steps(user, r)) for r in services.rounds_to_run(user)]
    return {"todos": todos} if todos else None


def _next_steps(user, round_: BallotRound) -> tuple[str | None, list[Step]]:
    """A short note on where the round stands, and the user's next steps in it."""
    page = url_for("ballots.round_page", round_id=round_.id)
    numbers = services.turnout(round_)
    if ROUND_STEPS.state_allows(round_, "take-attendance"):
        note = _("%(present)s of %(summoned)s summoned are present.", present=numbers.present,
                 summoned=numbers.summoned)
        if not ROUND_STEPS.allowed(user, round_, "take-attendance"):
            return note, []
        steps = [Step(_("Take attendance"),
                      url_for("ballots.attendance", round_id=round_.id))]
        if numbers.quorum_met and ROUND_STEPS.can(user, round_, "open"):
            steps.append(Step(_("Open voting"), url_for(
                "ballots.transition", round_id=round_.id, step="open"), post=True,
                confirm=_("Open voting now? The numbers summoned and present will be frozen."),
                primary=False))
        return note, steps
    if ROUND_STEPS.state_allows(round_, "vote"):
        note = _("%(voted)s of %(present)s present have voted; %(n)s have not voted yet.",
                 voted=numbers.voted, present=numbers.present, n=numbers.not_voted)
        steps = [Step(_("Live turnout"), url_for("ballots.turnout_page", round_id=round_.id))]
        if ROUND_STEPS.can(user, round_, "close"):
            steps += [Step(_("Admit a latecomer"),
                           url_for("ballots.attendance", round_id=round_.id), primary=False),
                      Step(_("Close voting…"), page + "#next-title", primary=False)]
        return note, steps
    if ROUND_STEPS.state_allows(round_, "count"):
        key = services.round_key(round_)
        if not key.can_count:  # the counting team unlocks its shares first
            return _("Voting is closed; %(done)s of the %(k)s shares needed to count are "
                     "unlocked.", done=key.unlocked, k=key.threshold), [
                Step(_("Unlock the shares of the counting team"),
                     url_for("ballots.keys", round_id=round_.id))]
        return _("Voting is closed; the ballots are waiting to be counted."), [
            Step(_("Count the ballots"),
                 url_for("ballots.transition", round_id=round_.id, step="count"), post=True)]
    # Counted: the results, then finalising and publishing for the chair and the admins.
    steps = [Step(_("Results"), url_for("ballots.results", round_id=round_.id))]
    if ROUND_STEPS.can(user, round_, "finalise"):
        steps.append(Step(_("Finalise the round…"), page + "#next-title", primary=False))
    return _("Counted; the round is not finalised yet."), steps


@home_section("ballots.own_results", order=40, template="ballots/_home_own_results.html")
def own_results(user):
    rows = []
    for round_, candidate in services.own_candidacies(user):
        if ROUND_STEPS.in_phase(round_, "results_exist") and not round_.results_to_candidates:
            continue  # this round does not release results to the people voted on
        available = services.can_see_own_result(user, round_)
        rows.append({"round": round_, "candidate": candidate, "available": available})
    return {"rows": rows} if rows else None


@home_section("ballots.admin", order=80, template="ballots/_home_admin.html")
def admin_rounds(user):
    if not is_admin_anywhere(user):
        return None
    return {"rounds": services.rounds_in_progress(user)}
