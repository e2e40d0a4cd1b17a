"""Setting a round up and following it: the round's own details (the "outstanding unit" flag,
names), the rated people's list (search, filters, paging, Vietnamese order) and the dashboard
per unit and per step, computed with a few grouped queries whatever the number of people.

The dashboard's three numbers per unit and step are disjoint: **done** = sent by the step's
deadline, **late** = sent after it (`EvaluationForm.late`), **missing** = not sent yet (no form,
or a draft); `overdue` says the deadline of a step with missing forms has passed. The meeting
counts units (one meeting per unit): done when recorded (held by its deadline), late when held
after it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select

from evalapp.audit.services import record
from evalapp.core.errors import NotFound, ValidationFailed
from evalapp.core.text import fold_for_search, nfc, nfc_or_none
from evalapp.evaluations import services, source_weights
from evalapp.evaluations.lifecycle import ROUND_STEPS
from evalapp.evaluations.models import (
    EvaluationForm,
    EvaluationRound,
    FormStatus,
    FormStep,
    Meeting,
    MeetingStatus,
    RatedPerson,
    RatedUnit,
    Regulation,
)
from evalapp.evaluations.services import due_dates
from evalapp.extensions import db
from evalapp.org.models import Person, Unit
from evalapp.tally import evaluation as rules

# The dashboard's steps, in their order, with the deadline key of services.due_dates.
STEPS = ("units", "self", "meeting", "manager", "office")
STEP_LABELS = {
    "units": _l("Units' self-assessment"),
    "self": _l("Self-assessment"),
    "meeting": _l("Collective meeting"),
    "manager": _l("Manager's assessment"),
    "office": _l("Personnel office's proposal"),
}
DUE_KEY = {"units": "units", "self": "self", "meeting": "meeting", "manager": "manager",
           "office": "decision"}
FORM_STEP = {"self": FormStep.SELF, "manager": FormStep.MANAGER, "office": FormStep.OFFICE}
STATES = ("done", "late", "missing")
QUOTA_ROUNDINGS = ("floor", "half_up")


def update_details(actor, round_: EvaluationRound, *, title: str, body_name: str | None,
                   authority_name: str | None, outstanding: bool) -> EvaluationRound:
    """The round's own columns (not its rules), while a draft."""
    ROUND_STEPS.check(actor, round_, "edit")
    changes = _detail_changes(round_, title, body_name, authority_name, outstanding)
    for name, value in changes.items():
        setattr(round_, name, value)
    db.session.flush()
    if changes:
        record(actor, "evaluation_round.details_changed", round_, changed=sorted(changes))
    return round_


def _detail_changes(round_: EvaluationRound, title: str, body_name: str | None,
                    authority_name: str | None, outstanding: bool) -> dict:
    """The round's own columns that would change (validated; the round is not touched)."""
    title = nfc(title)
    if not title:
        raise ValidationFailed(_l("Enter the title of the round."), field="title")
    return {name: value for name, value in (
        ("title", title), ("body_name", nfc_or_none(body_name)),
        ("authority_name", nfc_or_none(authority_name)), ("outstanding", bool(outstanding)))
        if getattr(round_, name) != value}


def save_settings(actor, round_: EvaluationRound, *, title: str, body_name: str | None,
                  authority_name: str | None, outstanding: bool,
                  settings: dict) -> list[str]:
    """The settings page in one change, while a draft: the round's own columns (title, body,
    authority, outstanding) and its rules (services.checked_settings), all validated before
    anything changes, then one audit entry naming what changed (none when nothing did).
    Returns the names changed."""
    ROUND_STEPS.check(actor, round_, "edit")
    details = _detail_changes(round_, title, body_name, authority_name, outstanding)
    merged = services.checked_settings(round_, settings)
    changed = sorted(details) + sorted(key for key in settings
                                       if round_.settings.get(key) != merged[key])
    for name, value in details.items():
        setattr(round_, name, value)
    round_.settings = merged
    db.session.flush()
    if changed:
        record(actor, "evaluation_round.settings_changed", round_, changed=changed)
    return changed


# ---------------------------------------------------------------- the people list


PEOPLE_SORTS = ("name", "unit", "group", "kind")


@dataclass(frozen=True)
class PeopleFilter:
    search: str = ""
    unit_id: int | None = None
    step: str | None = None       # one of STEPS except "units" and "meeting"
    state: str | None = None      # one of STATES
    included: bool | None = None
    sort: str = "unit"
    descending: bool = False


def _form_state(round_: EvaluationRound, step: str, state: str):
    """A condition on RatedPerson: its form of `step` is in `state`."""
    form = EvaluationForm
    base = and_(form.rated_person_id == RatedPerson.id, form.step == FORM_STEP[step],
                form.status == FormStatus.SENT)
    if state == "done":
        return exists().where(base, form.late.is_(False))
    if state == "late":
        return exists().where(base, form.late.is_(True))
    return ~exists().where(base)


def people_query(round_: EvaluationRound, flt: PeopleFilter):
    query = select(RatedPerson).where(RatedPerson.round_id == round_.id)
    if flt.search:
        folded = fold_for_search(flt.search)
        query = query.join(Person, Person.id == RatedPerson.person_id).where(
            Person.search_text.contains(folded, autoescape=True))
    if flt.unit_id is not None:
        query = query.where(RatedPerson.unit_id == flt.unit_id)
    if flt.included is not None:
        query = query.where(RatedPerson.included.is_(flt.included))
    if flt.step in FORM_STEP and flt.state in STATES:
        query = query.where(RatedPerson.included.is_(True),
                            _form_state(round_, flt.step, flt.state))
    return query


def _order(flt: PeopleFilter) -> list:
    def direction(column):
        return column.desc() if flt.descending else column.asc()

    by_name = [direction(RatedPerson.sort_key), RatedPerson.id]
    if flt.sort == "name":
        return by_name
    if flt.sort == "group":
        return [direction(RatedPerson.duty_group_name), *by_name]
    if flt.sort == "kind":
        return [direction(RatedPerson.staff_kind), *by_name]
    return [direction(RatedPerson.unit_name), *by_name]


def people_count(round_: EvaluationRound, flt: PeopleFilter) -> int:
    return db.session.scalar(select(func.count()).select_from(
        people_query(round_, flt).subquery()))


def people_rows(round_: EvaluationRound, flt: PeopleFilter, *, offset: int, size: int
                ) -> list[RatedPerson]:
    """One page of the people matching: sorted and sliced in SQL, never all loaded."""
    return list(db.session.scalars(people_query(round_, flt).order_by(*_order(flt))
                                   .offset(offset).limit(size)))


# ---------------------------------------------------------------- dashboard


@dataclass
class Cell:
    done: int = 0
    late: int = 0
    missing: int = 0
    overdue: bool = False

    @property
    def total(self) -> int:
        return self.done + self.late + self.missing


@dataclass
class UnitRow:
    rated_unit_id: int | None
    unit_id: int
    name: str
    people: int
    cells: dict[str, Cell] = field(default_factory=lambda: {step: Cell() for step in STEPS})


@dataclass
class Dashboard:
    rows: list[UnitRow]
    due: dict[str, date]
    totals: dict[str, Cell]


def dashboard(round_: EvaluationRound, *, today: date | None = None) -> Dashboard:
    """Done, late and missing per unit and per step, in five grouped queries."""
    today = today or date.today()
    due = {step: due_dates(round_).get(DUE_KEY[step]) for step in STEPS}
    units = db.session.execute(
        select(RatedUnit.id, RatedUnit.unit_id, RatedUnit.name)
        .where(RatedUnit.round_id == round_.id).order_by(RatedUnit.path)).all()
    rows: dict[int, UnitRow] = {unit_id: UnitRow(rid, unit_id, name, 0)
                                for rid, unit_id, name in units}
    people = db.session.execute(
        select(RatedPerson.unit_id, RatedPerson.unit_name, func.count())
        .where(RatedPerson.round_id == round_.id, RatedPerson.included.is_(True))
        .group_by(RatedPerson.unit_id, RatedPerson.unit_name)).all()
    for unit_id, unit_name, count in people:
        row = rows.setdefault(unit_id, UnitRow(None, unit_id, unit_name, 0))
        row.people += count
    # People's forms sent, per unit, step and lateness.
    sent = db.session.execute(
        select(RatedPerson.unit_id, EvaluationForm.step, EvaluationForm.late, func.count())
        .join(RatedPerson, RatedPerson.id == EvaluationForm.rated_person_id)
        .where(EvaluationForm.round_id == round_.id, EvaluationForm.status == FormStatus.SENT,
               RatedPerson.included.is_(True))
        .group_by(RatedPerson.unit_id, EvaluationForm.step, EvaluationForm.late)).all()
    by_step = {form_step: step for step, form_step in FORM_STEP.items()}
    for unit_id, form_step, late, count in sent:
        step = by_step.get(FormStep(form_step))
        if step is None or unit_id not in rows:
            continue
        cell = rows[unit_id].cells[step]
        if late:
            cell.late += count
        else:
            cell.done += count
    # Units' own self-assessments.
    unit_forms = dict(((rid, bool(late)) for rid, late in db.session.execute(
        select(EvaluationForm.rated_unit_id, EvaluationForm.late)
        .where(EvaluationForm.round_id == round_.id, EvaluationForm.step == FormStep.SELF,
               EvaluationForm.status == FormStatus.SENT,
               EvaluationForm.rated_unit_id.is_not(None)))))
    meetings = {unit_id: (status, held_on) for unit_id, status, held_on in db.session.execute(
        select(Meeting.unit_id, Meeting.status, Meeting.held_on)
        .where(Meeting.round_id == round_.id))}
    quarterly = rules.is_quarterly(round_.settings)  # its units are not rated
    for row in rows.values():
        for step in FORM_STEP:
            cell = row.cells[step]
            cell.missing = max(row.people - cell.done - cell.late, 0)
        units_cell = row.cells["units"]
        if row.rated_unit_id is not None and not quarterly:
            if row.rated_unit_id in unit_forms:
                units_cell.late, units_cell.done = ((1, 0) if unit_forms[row.rated_unit_id]
                                                    else (0, 1))
            else:
                units_cell.missing = 1
        meeting_cell = row.cells["meeting"]
        if row.people:
            status, held_on = meetings.get(row.unit_id, (None, None))
            if status is not None and MeetingStatus(status) == MeetingStatus.RECORDED:
                if held_on and due["meeting"] and held_on > due["meeting"]:
                    meeting_cell.late = 1
                else:
                    meeting_cell.done = 1
            else:
                meeting_cell.missing = 1
        for step in STEPS:
            cell = row.cells[step]
            cell.overdue = bool(cell.missing and due[step] and today > due[step])
    totals = {step: Cell() for step in STEPS}
    for row in rows.values():
        for step in STEPS:
            for name in STATES:
                setattr(totals[step], name, getattr(totals[step], name)
                        + getattr(row.cells[step], name))
            totals[step].overdue |= row.cells[step].overdue
    ordered = [rows[unit_id] for _, unit_id, _ in units] + [
        row for unit_id, row in rows.items() if row.rated_unit_id is None]
    return Dashboard(ordered, due, totals)


# ---------------------------------------------------------------- the rounds list


def rounds_listing(user) -> list[EvaluationRound]:
    """The rounds the user sees, newest first (services.rounds_for), in few queries: those of
    units they administer or run meetings in, and those where they are rated or manage."""
    from evalapp.evaluations.permissions import can_run_meeting

    person_id = getattr(user, "person_id", None)
    mine = set()
    if person_id is not None:
        mine = set(db.session.scalars(select(RatedPerson.round_id).where(or_(
            RatedPerson.person_id == person_id,
            RatedPerson.manager_person_id == person_id)).distinct()))
    rounds = db.session.scalars(select(EvaluationRound).order_by(EvaluationRound.id.desc()))
    return [r for r in rounds if r.id in mine or can_run_meeting(user, r)]


def person_counts(round_: EvaluationRound) -> dict[str, int]:
    rows = db.session.execute(
        select(RatedPerson.included, RatedPerson.eligible, func.count())
        .where(RatedPerson.round_id == round_.id)
        .group_by(RatedPerson.included, RatedPerson.eligible)).all()
    counts = defaultdict(int)
    for included, eligible, count in rows:
        counts["included" if included else "left_out"] += count
        if not eligible:
            counts["not_eligible"] += count
    counts["units"] = db.session.scalar(select(func.count()).where(
        RatedUnit.round_id == round_.id)) or 0
    return dict(counts)


# ---------------------------------------------------------------- Quy chế editor


def regulation_problems(content: dict) -> dict[str | None, list[str]]:
    """check_regulation's messages (translated) grouped by the list they concern (None: the
    other settings)."""
    grouped: dict[str | None, list[str]] = defaultdict(list)
    for message in rules.check_regulation(content):
        grouped[rules.problem_part(message)].append(str(_l(message)))
    for message in source_weights.problems(content):
        grouped["sources"].append(message)
    return dict(grouped)


def regulations_listing(units: list[Unit]) -> list[tuple[Unit, Regulation | None, int]]:
    """Each unit with its latest Quy chế version and how many versions it has (one query)."""
    ids = [u.id for u in units]
    latest = services._latest_by_unit(ids)
    counts = dict(db.session.execute(
        select(Regulation.unit_id, func.count()).where(Regulation.unit_id.in_(ids))
        .group_by(Regulation.unit_id)).all()) if ids else {}
    return [(u, latest.get(u.id), counts.get(u.id, 0)) for u in units]


def regulation_version(unit: Unit, version: int) -> Regulation:
    found = db.session.scalar(select(Regulation).where(Regulation.unit_id == unit.id,
                                                       Regulation.version == version))
    if found is None:
        raise NotFound(_l("This version of the Quy chế does not exist."))
    return found


def rounds_using(regulation: Regulation) -> list[EvaluationRound]:
    """The rounds that rated someone or some unit under this version."""
    ids = select(RatedPerson.round_id).where(RatedPerson.regulation_id == regulation.id).union(
        select(RatedUnit.round_id).where(RatedUnit.regulation_id == regulation.id))
    return list(db.session.scalars(select(EvaluationRound).where(EvaluationRound.id.in_(ids))
                                   .order_by(EvaluationRound.id.desc())))
