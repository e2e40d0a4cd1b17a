"""The evaluation rounds' sections of the home page (see evalapp.core.home):

- the person rated: their own self-assessment not sent yet, in each open round (order 14);
- a direct manager: the colleagues whose manager's assessment they have not sent (order 16);
- admins: the rounds of their units to open (drafts) and to finalise (open) (order 82).

Links to pages built by the other parts of the round are plain paths
(/evaluations/<round>/forms/self, /evaluations/<round>/people/<rated>/manager,
/evaluations/<round>/decision).
"""

from __future__ import annotations

from sqlalchemy import and_, select

from evalapp.auth.permissions import can, is_admin_anywhere
from evalapp.core.home import home_section
from evalapp.evaluations.models import (
    EvaluationForm,
    EvaluationRound,
    FormStatus,
    FormStep,
    RatedPerson,
    RoundStatus,
)
from evalapp.extensions import db


def own_forms(user) -> list[dict]:
    """The open rounds where the user is rated and has not sent their self-assessment."""
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return []
    rows = db.session.execute(
        select(EvaluationRound, RatedPerson.id, EvaluationForm.status)
        .join(RatedPerson, RatedPerson.round_id == EvaluationRound.id)
        .outerjoin(EvaluationForm, and_(EvaluationForm.rated_person_id == RatedPerson.id,
                                        EvaluationForm.step == FormStep.SELF))
        .where(RatedPerson.person_id == person_id, RatedPerson.included.is_(True),
               EvaluationRound.status == RoundStatus.OPEN)
        .order_by(EvaluationRound.id.desc())).all()
    return [{"round": round_, "url": f"/evaluations/{round_.id}/forms/self",
             "started": status == FormStatus.DRAFT}
            for round_, _, status in rows if status != FormStatus.SENT]


def manager_forms(user) -> list[dict]:
    """The colleagues whose manager's assessment the user owes, per open round."""
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return []
    rows = db.session.execute(
        select(EvaluationRound, RatedPerson, EvaluationForm.status)
        .join(RatedPerson, RatedPerson.round_id == EvaluationRound.id)
        .outerjoin(EvaluationForm, and_(EvaluationForm.rated_person_id == RatedPerson.id,
                                        EvaluationForm.step == FormStep.MANAGER))
        .where(RatedPerson.manager_person_id == person_id, RatedPerson.included.is_(True),
               RatedPerson.person_id != person_id,
               EvaluationRound.status == RoundStatus.OPEN)
        .order_by(EvaluationRound.id.desc(), RatedPerson.sort_key)).all()
    grouped: dict[int, dict] = {}
    for round_, rated, status in rows:
        if status == FormStatus.SENT:
            continue
        entry = grouped.setdefault(round_.id, {"round": round_, "people": []})
        entry["people"].append({"name": rated.full_name, "unit": rated.unit_name,
                                "url": f"/evaluations/{round_.id}/people/{rated.id}/manager"})
    return list(grouped.values())


def admin_rounds(user) -> dict[str, list[EvaluationRound]]:
    """The unfinished rounds the user manages: drafts to open, open rounds to finalise."""
    if not is_admin_anywhere(user):
        return {"to_open": [], "to_finalise": []}
    rounds = db.session.scalars(select(EvaluationRound).where(
        EvaluationRound.status.in_([RoundStatus.DRAFT, RoundStatus.OPEN]))
        .order_by(EvaluationRound.id.desc()))
    mine = [r for r in rounds if can(user, "evaluations.manage", r)]
    return {"to_open": [r for r in mine if r.status == RoundStatus.DRAFT],
            "to_finalise": [r for r in mine if r.status == RoundStatus.OPEN]}


@home_section("evaluations.own", order=14, template="evaluations/setup/_home_own.html")
def own_section(user):
    rows = own_forms(user)
    return {"rows": rows} if rows else None


@home_section("evaluations.manager", order=16,
              template="evaluations/setup/_home_manager.html")
def manager_section(user):
    rows = manager_forms(user)
    return {"rows": rows} if rows else None


@home_section("evaluations.admin", order=82, template="evaluations/setup/_home_admin.html")
def admin_section(user):
    found = admin_rounds(user)
    return found if (found["to_open"] or found["to_finalise"]) else None
