"""The lifecycle of an evaluation round, declared once (see evalapp.core.lifecycle).

A round is prepared as a draft (settings from the preset, the Quy chế versions, the units and
people taken), opened (settings frozen; units rated first, then people: self-assessments, the
collective meetings, the managers' assessments, the personnel office's proposals; each form has
its deadline from the settings and is locked once sent), and finalised by the decision, which
checks every quota and "a head's level never above their unit's". After it, results are released
to each person, people may petition, and a changed result is a new decision.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from evalapp.auth.permissions import can
from evalapp.core.lifecycle import Lifecycle, Step
from evalapp.evaluations.models import RoundStatus

DRAFT, OPEN, FINALISED = RoundStatus.DRAFT, RoundStatus.OPEN, RoundStatus.FINALISED


def _already_released(round_):
    return _l("The results are already released.") if round_.released_at else None


def _publishable(round_):
    if round_.published_at:
        return _l("The results are already published to the unit.")
    if not round_.released_at:
        return _l("Release the results to each person before publishing them to the unit.")
    return None


ROUND_STEPS: Lifecycle[RoundStatus] = Lifecycle(
    name="evaluation_round",
    states=RoundStatus,
    authorise=can,
    state_label=lambda status: status.label,
    default_refusal=_l("This cannot be done while the round is “%(status)s”."),
    steps=[
        Step("edit", {DRAFT}, who="evaluations.manage",
             refusal=_l("The settings are frozen once the round is open.")),
        # Taking units and people: again and again, safely, until the decision.
        Step("take-people", {DRAFT, OPEN}, who="evaluations.manage"),
        Step("open", {DRAFT}, target=OPEN, who="evaluations.manage", transition=True,
             done=_l("The round is open: forms can be filled.")),
        # The steps of people and units, while the round is open.
        Step("fill-form", {OPEN}, who="evaluations.see",
             refusal=_l("Forms are filled while the round is open.")),
        Step("reopen-form", {OPEN}, who="evaluations.manage"),
        Step("record-meeting", {OPEN}, who="evaluations.run_meeting"),
        # A present member's vote in a meeting's opinion ballot (evaluations.meetings checks
        # that they are on the meeting's present list).
        Step("meeting-vote", {OPEN}, who="evaluations.see",
             refusal=_l("Voting is not open in this round.")),
        Step("record-event", {OPEN}, who="evaluations.manage"),
        Step("propose", {OPEN}, who="evaluations.manage"),
        Step("finalise", {OPEN}, target=FINALISED, who="evaluations.manage", transition=True,
             done=_l("The round is finalised: the decision is taken and nothing can change.")),
        # After the decision.
        Step("release", {FINALISED}, who="evaluations.manage", transition=True,
             when=_already_released,
             done=_l("The results are released: each person sees their own.")),
        Step("publish", {FINALISED}, who="evaluations.manage", transition=True,
             when=_publishable,
             done=_l("The results are published to the unit.")),
        Step("petition", {FINALISED}, who="evaluations.see",
             refusal=_l("A petition is made once the results are decided.")),
        Step("redecide", {FINALISED}, who="evaluations.manage"),
        Step("export", {OPEN, FINALISED}, who="evaluations.manage"),
    ],
    phases={
        "past_draft": {OPEN, FINALISED},
        "unfinished": {DRAFT, OPEN},
        "decided": {FINALISED},
    },
)
