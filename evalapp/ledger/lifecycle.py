"""The lifecycle of a ledger period, declared once (see evalapp.core.lifecycle).

A period is open while its work items are assigned, proposed, completed and judged; the manager
confirms it (never the person themself), which keeps its scores and locks it; only the manager
or an admin reopens it, with a reason that the audit trail keeps.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from evalapp.auth.permissions import can
from evalapp.core.lifecycle import Lifecycle, Step
from evalapp.ledger.models import PeriodStatus

OPEN, CONFIRMED = PeriodStatus.OPEN, PeriodStatus.CONFIRMED

PERIOD_STEPS: Lifecycle[PeriodStatus] = Lifecycle(
    name="ledger_period",
    states=PeriodStatus,
    authorise=can,
    state_label=lambda status: status.label,
    default_refusal=_l("This period is confirmed and locked. Only the manager or an "
                       "administrator can reopen it, with a reason."),
    steps=[
        Step("assign", {OPEN}, who="ledger.manage"),       # assign, accept, judge, score
        Step("complete", {OPEN}, who="ledger.see"),        # propose, deliver, evidence
        Step("confirm", {OPEN}, target=CONFIRMED, who="ledger.manage", transition=True,
             done=_l("The period is confirmed and locked.")),
        Step("reopen", {CONFIRMED}, target=OPEN, who="ledger.manage", transition=True,
             refusal=_l("Only a confirmed period can be reopened."),
             done=_l("The period is open again.")),
    ],
    phases={"locked": {CONFIRMED}},
)
