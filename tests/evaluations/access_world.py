"""The evaluation rounds of the access table's `world` (tests/test_access.py):

- eval_draft: a draft round in the unit the scoped admin manages (`sub`);
- eval_open: an open round in `sub` rating the VOTER's person and the EVALUEE's person, the
  VOTER's person being the EVALUEE's manager (so VOTER sees the round as a manager, EVALUEE as
  the one rated); eval_rated: the EVALUEE's row in it, eval_rated_voter: the VOTER's;
  eval_rated_unit: the unit's row;
- eval_other: a draft round in `other_unit` (outside the scoped admin's units);
- eval_quarterly: a draft quarterly review of leaders (preset quarterly-leaders, Q2) in `sub`.
SECRETARY holds an organisation-wide secretary role, so may record meetings in any round.
"""

from __future__ import annotations

from evalapp.auth.permissions import SYSTEM
from evalapp.evaluations import services
from evalapp.evaluations.models import RatedPerson


def evaluation_rounds_for_access(factory, unit, other_unit, voter_person, evaluee_person) -> dict:
    evaluee_person.manager_id = voter_person.id
    factory.db.session.flush()
    draft = services.create_round(SYSTEM, unit, title="Đánh giá dự thảo", year=2026,
                                  preset_key="decree-335-2025")
    open_ = services.create_round(SYSTEM, unit, title="Đánh giá năm 2026", year=2026,
                                  preset_key="decree-335-2025")
    services.take_units(SYSTEM, open_, unit, include_subunits=False)
    services.take_people(SYSTEM, open_, services.Selection(unit, include_subunits=False))
    services.open_round(SYSTEM, open_)
    other = services.create_round(SYSTEM, other_unit, title="Đánh giá đơn vị khác", year=2026,
                                  preset_key="decree-335-2025")
    factory.db.session.commit()
    rows = {r.person_id: r for r in factory.db.session.query(RatedPerson)
            .filter_by(round_id=open_.id)}
    from evalapp.evaluations import meetings  # the meetings part: VOTER present, EVALUEE absent

    meeting = meetings.start_meeting(SYSTEM, open_, unit.id)
    meetings.set_attendance(SYSTEM, open_, meeting, [voter_person.id])
    # A draft quarterly review of leaders in `sub` (the quarterly part's axes page).
    quarterly = services.create_round(SYSTEM, unit, title="Đánh giá quý II/2026", year=2026,
                                      preset_key="quarterly-leaders", period="q2")
    factory.db.session.commit()
    return {"eval_meeting": meeting.id, "eval_quarterly": quarterly.id,
            "eval_draft": draft.id, "eval_open": open_.id, "eval_other": other.id,
            "eval_rated": rows[evaluee_person.id].id,
            "eval_rated_voter": rows[voter_person.id].id,
            "eval_rated_unit": services.rated_units(open_)[0].id}
