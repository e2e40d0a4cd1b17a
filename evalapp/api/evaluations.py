"""Evaluation rounds through the API: creating a round, taking its units and people in bulk,
opening it, reading it and the people rated. The same services, permissions and lifecycle as the
pages.

Order of refusals: a round the account may not see is 404, then 403 for a step it may not take,
then 400/422 for the body, then the service's own refusals (409 for a state that does not allow
the step).
"""

from __future__ import annotations

from typing import Annotated, Literal

from flask import abort, url_for
from flask_babel import gettext as _
from pydantic import Field

from evalapp.api.base import Out, Time, api_user, bad_field, body, endpoint, query_args
from evalapp.api.org import Ref
from evalapp.auth.permissions import can, require
from evalapp.core.errors import NotFound
from evalapp.core.schemas import Id, Ids, Schema, text
from evalapp.evaluations import services as evaluations
from evalapp.evaluations.models import RoundStatus
from evalapp.evaluations.permissions import own_entry
from evalapp.extensions import db
from evalapp.org import services as org
from evalapp.org.models import StaffKind
from evalapp.tally.evaluation import EVALUATION_PRESETS

TAG = ("evaluation rounds",)
MAX_PAGE_SIZE = 500
PresetKey = Literal[tuple(EVALUATION_PRESETS)]  # type: ignore[valid-type]
Period = Literal[evaluations.PERIODS]  # type: ignore[valid-type]


class EvaluationRoundSummary(Out):
    id: int
    title: str
    unit: Ref
    year: int
    period: str
    preset: str
    status: RoundStatus
    opened_at: Time | None
    finalised_at: Time | None


class EvaluationRoundOut(EvaluationRoundSummary):
    body_name: str | None
    authority_name: str | None
    settings: dict | None = Field(description="The rules the round runs under (its admins)")
    people: int | None = Field(description="People taken into the round (its admins)")
    units: int | None = Field(description="Units taken into the round (its admins)")
    your_rated_id: int | None = Field(description="The account's own row, if rated in it")


class EvaluationRounds(Out):
    items: list[EvaluationRoundSummary]


class EvaluationRoundCreate(Schema):
    unit_id: Id
    title: text(255, blank=False)
    year: Annotated[int, Field(ge=2000, le=2100)]
    preset: PresetKey
    period: Period = "year"
    body_name: text(255) | None = None
    authority_name: text(255) | None = None


class TakePeople(Schema):
    unit_id: Id
    include_subunits: bool = True
    duty_group_ids: Ids = []
    staff_kinds: Annotated[list[StaffKind], Field(max_length=len(StaffKind))] = []


class TakeUnits(Schema):
    unit_id: Id
    include_subunits: bool = True


class NotEligible(Out):
    full_name: str
    reason: str


class Taken(Out):
    added: int
    already: int
    not_eligible: list[NotEligible]


class UnitsTaken(Out):
    added: int


class RatedPersonOut(Out):
    id: int
    person_id: int
    full_name: str
    unit_id: int
    unit_name: str
    post_name: str | None
    duty_group_name: str | None
    staff_kind: StaffKind | None
    is_leader: bool
    is_head: bool
    manager_person_id: int | None
    included: bool
    eligible: bool
    reason: str | None = Field(description="Why not rated, or why included by hand")


class RatedPeople(Out):
    items: list[RatedPersonOut]
    page: int
    per_page: int
    total: int


class PageQuery(Out):
    page: Annotated[int, Field(ge=1)] = 1
    per_page: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 100


def _ref(item) -> Ref:
    return Ref(id=item.id, name=item.name)


def summary(round_) -> dict:
    return dict(id=round_.id, title=round_.title, unit=_ref(round_.unit), year=round_.year,
                period=round_.period, preset=round_.preset, status=round_.status,
                opened_at=round_.opened_at, finalised_at=round_.finalised_at)


def round_out(round_, user) -> EvaluationRoundOut:
    manages = can(user, "evaluations.manage", round_)
    own = own_entry(user, round_)
    return EvaluationRoundOut(
        **summary(round_), body_name=round_.body_name, authority_name=round_.authority_name,
        settings=round_.settings if manages else None,
        people=len(evaluations.rated_people(round_)) if manages else None,
        units=len(evaluations.rated_units(round_)) if manages else None,
        your_rated_id=own.id if own else None)


def round_for(round_id: int, action: str | None = None):
    user = api_user()
    round_ = evaluations.visible_round(user, round_id)
    if action is not None:
        require(user, action, round_)
    return round_


def _unit(unit_id: int):
    """A unit the body names: an unknown one is bad input (422), not a 404."""
    try:
        return org.get_unit(unit_id)
    except NotFound:
        raise bad_field("unit_id", _("Nothing has the id %(id)s given in %(name)s.",
                                     id=unit_id, name="unit_id")) from None


@endpoint("/evaluation-rounds", summary="Evaluation rounds the account runs, is rated in or "
          "manages someone in, newest first", ok=EvaluationRounds, tags=TAG)
def evaluation_rounds():
    return EvaluationRounds(items=[EvaluationRoundSummary(**summary(r))
                                   for r in evaluations.rounds_for(api_user())])


@endpoint("/evaluation-rounds", "POST", summary="Create an evaluation round (admins of the "
          "unit)", description="The round starts as a draft with the rule set's settings; "
          "`Location` names it.", body=EvaluationRoundCreate, ok=EvaluationRoundOut,
          status=201, errors=(400, 403, 422), tags=TAG)
def create_evaluation_round():
    if not can(api_user(), "admin.anywhere"):
        abort(403)
    data = body()
    round_ = evaluations.create_round(
        api_user(), _unit(data.unit_id), title=data.title, year=data.year,
        preset_key=data.preset, period=data.period, body_name=data.body_name,
        authority_name=data.authority_name)
    db.session.commit()
    return (round_out(round_, api_user()), 201,
            {"Location": url_for("api.evaluation_round", round_id=round_.id)})


@endpoint("/evaluation-rounds/<int:round_id>", summary="One evaluation round (settings and "
          "counts for its admins)", ok=EvaluationRoundOut, errors=(404,), tags=TAG)
def evaluation_round(round_id: int):
    return round_out(round_for(round_id), api_user())


@endpoint("/evaluation-rounds/<int:round_id>/people", "POST", summary="Take people into the "
          "round by unit, sub-units, job-position groups and kinds (admins; repeat safely: "
          "people already in it are not added again)", body=TakePeople, ok=Taken,
          errors=(400, 403, 404, 409, 422), tags=TAG)
def take_evaluation_people(round_id: int):
    round_ = round_for(round_id, "evaluations.manage")
    data = body()
    taken = evaluations.take_people(api_user(), round_, evaluations.Selection(
        _unit(data.unit_id), include_subunits=data.include_subunits,
        duty_group_ids=frozenset(data.duty_group_ids), staff_kinds=frozenset(data.staff_kinds)))
    db.session.commit()
    return Taken(added=taken.added, already=taken.already,
                 not_eligible=[NotEligible(full_name=n, reason=r)
                               for n, r in taken.not_eligible])


@endpoint("/evaluation-rounds/<int:round_id>/units", "POST", summary="Take units into the "
          "round, rated before their staff (admins; repeat safely)", body=TakeUnits,
          ok=UnitsTaken, errors=(400, 403, 404, 409, 422), tags=TAG)
def take_evaluation_units(round_id: int):
    round_ = round_for(round_id, "evaluations.manage")
    data = body()
    added = evaluations.take_units(api_user(), round_, _unit(data.unit_id),
                                   include_subunits=data.include_subunits)
    db.session.commit()
    return UnitsTaken(added=added)


@endpoint("/evaluation-rounds/<int:round_id>/open", "POST", summary="Open the round (admins): "
          "its settings freeze and forms can be filled", ok=EvaluationRoundOut,
          errors=(403, 404, 409, 422), tags=TAG)
def open_evaluation_round(round_id: int):
    round_ = round_for(round_id, "evaluations.manage")
    evaluations.open_round(api_user(), round_)
    db.session.commit()
    return round_out(round_, api_user())


@endpoint("/evaluation-rounds/<int:round_id>/rated-people", summary="The people taken into the "
          "round, as snapshots, by unit and Vietnamese name order (admins)", ok=RatedPeople,
          query=PageQuery, errors=(400, 403, 404), tags=TAG)
def evaluation_rated_people(round_id: int):
    round_ = round_for(round_id, "evaluations.manage")
    args = query_args(PageQuery)
    rows = evaluations.rated_people(round_)
    page = rows[(args.page - 1) * args.per_page:args.page * args.per_page]
    return RatedPeople(items=[RatedPersonOut(
        id=r.id, person_id=r.person_id, full_name=r.full_name, unit_id=r.unit_id,
        unit_name=r.unit_name, post_name=r.post_name, duty_group_name=r.duty_group_name,
        staff_kind=r.staff_kind, is_leader=r.is_leader, is_head=r.is_head,
        manager_person_id=r.manager_person_id, included=r.included, eligible=r.eligible,
        reason=r.excluded_reason or r.included_reason) for r in page],
        page=args.page, per_page=args.per_page, total=len(rows))
