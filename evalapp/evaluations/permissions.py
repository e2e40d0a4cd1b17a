"""The permission vocabulary of evaluation rounds (see evalapp.auth.permissions).

- evaluations.create (unit): an admin of the unit (without a unit: of any unit).
- evaluations.manage (round): an admin of the round's unit: settings, people, opening, reopening
  a sent form, the personnel office's proposals, deciding, finalising, new decisions, export.
- evaluations.run_meeting (round): an admin or a secretary of the round's unit records the
  collective meetings and runs their opinion ballots.
- evaluations.see (round): who may open the round's page at all: its admins and secretaries,
  and everyone rated in it or managing someone rated in it (each then sees only their own part).
- evaluations.regulate (unit): an admin of the unit edits its Quy chế.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from evalapp.auth.models import Role
from evalapp.auth.permissions import action, has_role, is_admin_anywhere
from evalapp.evaluations.models import EvaluationRound, RatedPerson
from evalapp.extensions import db
from evalapp.org.models import Unit


@action("evaluations.create")
def can_create_round(user, unit: Unit | None = None) -> bool:
    return has_role(user, Role.ADMIN, unit) if unit is not None else is_admin_anywhere(user)


@action("evaluations.regulate")
def can_regulate(user, unit: Unit | None = None) -> bool:
    return has_role(user, Role.ADMIN, unit) if unit is not None else is_admin_anywhere(user)


@action("evaluations.manage")
def can_manage_round(user, round_: EvaluationRound) -> bool:
    return has_role(user, Role.ADMIN, round_.unit)


@action("evaluations.run_meeting")
def can_run_meeting(user, round_: EvaluationRound) -> bool:
    return can_manage_round(user, round_) or has_role(user, Role.SECRETARY, round_.unit)


def own_entry(user, round_: EvaluationRound) -> RatedPerson | None:
    """The user's own row in the round, if they are rated in it."""
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return None
    return db.session.scalar(select(RatedPerson).where(RatedPerson.round_id == round_.id,
                                                      RatedPerson.person_id == person_id))


def manages_someone(user, round_: EvaluationRound) -> bool:
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return False
    return db.session.scalar(select(RatedPerson.id).where(
        RatedPerson.round_id == round_.id, RatedPerson.manager_person_id == person_id
    ).limit(1)) is not None


@action("evaluations.see")
def can_see_round(user, round_: EvaluationRound) -> bool:
    if can_run_meeting(user, round_):
        return True
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return False
    return db.session.scalar(select(RatedPerson.id).where(
        RatedPerson.round_id == round_.id,
        or_(RatedPerson.person_id == person_id, RatedPerson.manager_person_id == person_id),
    ).limit(1)) is not None
