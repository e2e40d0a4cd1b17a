"""Evaluation rounds: the Quy chế versions, creating a round, taking its units and people (a
snapshot, in bulk, safely re-run), eligibility, opening.

The steps that follow (forms, meetings, decisions, documents) are in their own modules of this
package and use the functions here to find rounds and rated people. Services take the actor,
check the round's lifecycle (evalapp.evaluations.lifecycle), flush, audit and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from evalapp.audit.services import record
from evalapp.auth.permissions import require
from evalapp.core.errors import NotFound, ValidationFailed
from evalapp.core.text import nfc, nfc_or_none
from evalapp.core.time import utcnow
from evalapp.evaluations import period_sources
from evalapp.evaluations.lifecycle import ROUND_STEPS
from evalapp.evaluations.models import (
    EvaluationRound,
    RatedPerson,
    RatedUnit,
    Regulation,
    RoundStatus,
    _json,
)
from evalapp.evaluations.permissions import can_see_round
from evalapp.extensions import db
from evalapp.org.models import DutyGroup, Person, Post, StaffKind, Unit
from evalapp.tally import evaluation as rules

ROUND_NOT_FOUND = _l("This evaluation round does not exist.")
PERIODS = ("year", "q1", "q2", "q3", "q4") + tuple(f"m{n:02d}" for n in range(1, 13))


def preset_of(key: str) -> rules.EvaluationPreset:
    preset = rules.EVALUATION_PRESETS.get(key)
    if preset is None:
        raise ValidationFailed(_l("Unknown rule set %(name)s."), field="preset", name=key)
    return preset


def round_rules(round_: EvaluationRound) -> rules.EvaluationPreset:
    """The rules the round runs under: its preset with the round's own (frozen) settings."""
    return rules.EvaluationPreset.from_settings(round_.settings)


# ---------------------------------------------------------------- Quy chế


def latest_regulation(unit: Unit) -> Regulation | None:
    """The unit's own latest Quy chế version."""
    return db.session.scalar(select(Regulation).where(Regulation.unit_id == unit.id)
                             .order_by(Regulation.version.desc()).limit(1))


def regulation_versions(unit: Unit) -> list[Regulation]:
    return list(db.session.scalars(select(Regulation).where(Regulation.unit_id == unit.id)
                                   .order_by(Regulation.version.desc())))


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def _latest_by_unit(unit_ids: Iterable[int]) -> dict[int, Regulation]:
    ids = sorted(set(unit_ids))
    if not ids:
        return {}
    newest = (select(Regulation.unit_id, func.max(Regulation.version).label("version"))
              .where(Regulation.unit_id.in_(ids)).group_by(Regulation.unit_id).subquery())
    found = db.session.scalars(select(Regulation).join(newest, and_(
        Regulation.unit_id == newest.c.unit_id, Regulation.version == newest.c.version)))
    return {regulation.unit_id: regulation for regulation in found}


def applicable_regulations(paths: Iterable[str]) -> dict[str, Regulation | None]:
    """For each unit path, the latest version of the nearest unit at or above it with a Quy
    chế (None where no unit on the way has one)."""
    paths = set(paths)
    latest = _latest_by_unit({uid for path in paths for uid in _path_ids(path)})
    result: dict[str, Regulation | None] = {}
    for path in paths:
        result[path] = next((latest[uid] for uid in reversed(_path_ids(path)) if uid in latest),
                            None)
    return result


def regulation_for_unit(unit: Unit) -> Regulation | None:
    return applicable_regulations([unit.path])[unit.path]


def save_regulation(actor, unit: Unit, *, preset_key: str, title: str, content: dict,
                    note: str | None = None) -> Regulation:
    """A new version of the unit's Quy chế (versions are never edited)."""
    require(actor, "evaluations.regulate", unit)
    preset_of(preset_key)
    title = nfc(title)
    if not title:
        raise ValidationFailed(_l("Enter the title of the Quy chế."), field="title")
    problems = rules.check_regulation(content)
    if problems:
        raise ValidationFailed(_l("The Quy chế is not valid: %(problems)s"),
                               problems="; ".join(str(_l(p)) for p in problems))
    latest = latest_regulation(unit)
    regulation = Regulation(unit_id=unit.id, version=(latest.version + 1) if latest else 1,
                            preset=preset_key, title=title, note=nfc_or_none(note),
                            created_by_id=getattr(actor, "id", None), created_at=utcnow())
    regulation.content = content
    db.session.add(regulation)
    db.session.flush()
    record(actor, "evaluation_regulation.saved", regulation, unit_id=unit.id,
           version=regulation.version, preset=preset_key)
    return regulation


def seed_regulation(actor, unit: Unit, preset_key: str, title: str | None = None) -> Regulation:
    """A first version from the preset's frame (Phụ lục I and the decree's task items)."""
    preset = preset_of(preset_key)
    return save_regulation(actor, unit, preset_key=preset_key,
                           title=title or str(_l("Evaluation rules of %(unit)s",
                                                 unit=unit.name)),
                           content=rules.seed_regulation(preset.key),
                           note=str(_l("Seeded from %(preset)s", preset=preset.name)))


# ---------------------------------------------------------------- rounds


def get_round(round_id: int) -> EvaluationRound:
    round_ = db.session.get(EvaluationRound, round_id)
    if round_ is None:
        raise NotFound(ROUND_NOT_FOUND)
    return round_


def visible_round(user, round_id: int) -> EvaluationRound:
    """The round if `user` may see it; NotFound otherwise (the same as for no round)."""
    round_ = get_round(round_id)
    if not can_see_round(user, round_):
        raise NotFound(ROUND_NOT_FOUND)
    return round_


def due_dates(round_: EvaluationRound) -> dict[str, date]:
    """Each step's deadline in this round ("units", "self", "meeting", "manager", "decision")."""
    return {step: date.fromisoformat(day) for step, day in round_.settings.get("due", {}).items()}


def _deadlines(preset: rules.EvaluationPreset, year: int) -> dict[str, str]:
    """The preset's deadlines (month, day) as dates of the round's year (a January date is in
    the next year: the special cases "before 15 January")."""
    result = {}
    for step, (month, day) in preset.deadlines.items():
        result[step] = date(year + 1 if month == 1 else year, month, day).isoformat()
    return result


def _tracking_of(unit: Unit) -> dict:
    """How the unit's Quy chế tracks the periods and rolls them into the year ("period":
    month or quarter, "year_from"), which the round follows rather than its preset's: the
    periods fed from a ledger kept by month would otherwise be shown as quarters (and lost by
    a save of the periods page)."""
    regulation = regulation_for_unit(unit)
    content = regulation.content if regulation is not None else None
    if not isinstance(content, dict):
        return {}
    found = {}
    if content.get("period") in ("month", "quarter"):
        found["period"] = content["period"]
    if content.get("year_from") in rules.YEAR_FROM:
        found["year_from"] = content["year_from"]
    return found


def create_round(actor, unit: Unit, *, title: str, year: int, preset_key: str,
                 period: str = "year", body_name: str | None = None,
                 authority_name: str | None = None) -> EvaluationRound:
    require(actor, "evaluations.create", unit)
    preset = preset_of(preset_key)
    title = nfc(title)
    if not title:
        raise ValidationFailed(_l("Enter the title of the round."), field="title")
    if not (2000 <= int(year) <= 2100):
        raise ValidationFailed(_l("Enter a year between 2000 and 2100."), field="year")
    if period not in PERIODS:
        raise ValidationFailed(_l("Unknown period."), field="period")
    settings = preset.settings()
    settings.update(rules.extra_settings(preset.key))
    if rules.is_quarterly(settings):
        # A quarterly review (evaluations.quarterly): one quarter, its deadlines in it.
        quarter = rules.quarter_number(period)
        if quarter is None:
            raise ValidationFailed(_l("A quarterly review is for one quarter: choose the "
                                      "quarter."), field="period")
        settings["due"] = {step: day.isoformat() for step, day in rules.quarter_due(
            int(year), quarter, preset.deadlines).items()}
    else:
        settings["due"] = _deadlines(preset, int(year))  # the dates of this round
        settings.update(_tracking_of(unit))
    round_ = EvaluationRound(title=title, unit=unit, year=int(year), period=period,
                             preset=preset.key, status=RoundStatus.DRAFT,
                             body_name=nfc_or_none(body_name) or unit.name,
                             authority_name=nfc_or_none(authority_name), created_at=utcnow())
    round_.settings = settings
    db.session.add(round_)
    db.session.flush()
    record(actor, "evaluation_round.created", round_, title=title, year=round_.year,
           period=period, preset=preset.key)
    return round_


def checked_settings(round_: EvaluationRound, changes: dict) -> dict:
    """The round's settings with `changes` applied (a new dict; the round is not touched).
    Unknown keys are refused; the result must still read as rules."""
    unknown = set(changes) - set(round_.settings)
    if unknown:
        raise ValidationFailed(_l("Unknown setting %(name)s."), name=", ".join(sorted(unknown)))
    settings = {**round_.settings, **changes}
    try:
        rules.EvaluationPreset.from_settings(settings)
    except (TypeError, ValueError, KeyError) as error:
        raise ValidationFailed(_l("The settings are not valid.")) from error
    if "axes" in changes:
        problems = rules.check_axes(settings["axes"])
        if problems:
            raise ValidationFailed(_l("The axes are not valid: %(problems)s"), field="axes",
                                   problems="; ".join(str(_l(p)) for p in problems))
    return settings


def update_settings(actor, round_: EvaluationRound, changes: dict) -> EvaluationRound:
    """Changes to the round's settings (deadlines, opinion ballot, quota rounding, ...), while a
    draft. Unknown keys are refused; the result must still read as rules."""
    ROUND_STEPS.check(actor, round_, "edit")
    round_.settings = checked_settings(round_, changes)
    db.session.flush()
    record(actor, "evaluation_round.settings_changed", round_, changed=sorted(changes))
    return round_


def open_round(actor, round_: EvaluationRound) -> None:
    """Settings freeze; forms can be filled. A round needs someone or some unit to rate."""
    ROUND_STEPS.check(actor, round_, "open")
    people = db.session.scalar(select(func.count()).where(RatedPerson.round_id == round_.id))
    units = db.session.scalar(select(func.count()).where(RatedUnit.round_id == round_.id))
    if not people and not units:
        raise ValidationFailed(_l("Take the units and people to rate before opening."))
    ROUND_STEPS.move(round_, "open")
    round_.opened_at = utcnow()
    db.session.flush()
    record(actor, "evaluation_round.opened", round_, people=people, units=units)


# ---------------------------------------------------------------- taking units and people


@dataclass(frozen=True)
class Selection:
    """Whom a round takes: the people of `unit` (and its sub-units), optionally only some
    job-position groups and kinds of staff."""

    unit: Unit
    include_subunits: bool = True
    duty_group_ids: frozenset[int] = frozenset()
    staff_kinds: frozenset[StaffKind] = frozenset()
    leaders_only: bool = False  # only holders of a leadership post (always in a quarterly review)


@dataclass
class Taken:
    added: int = 0
    already: int = 0
    not_eligible: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)


def _insert(model):
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def _unit_filter(selection: Selection):
    if selection.include_subunits:
        return Unit.path.startswith(selection.unit.path)
    return Unit.id == selection.unit.id


def _heads(unit_ids: Sequence[int]) -> dict[int, int]:
    """Each unit's head: the one active person holding its highest-ranked leadership post
    (none where two share that rank: the admin then marks the head by hand)."""
    heads: dict[int, int] = {}
    rows = db.session.execute(
        select(Person.unit_id, Person.id, Post.rank).join(Person.post)
        .where(Person.unit_id.in_(unit_ids), Person.active.is_(True),
               Post.is_leadership.is_(True))
        .order_by(Person.unit_id, Post.rank)).all()
    best: dict[int, tuple[int, list[int]]] = {}
    for unit_id, person_id, rank in rows:
        if unit_id not in best or rank < best[unit_id][0]:
            best[unit_id] = (rank, [person_id])
        elif rank == best[unit_id][0]:
            best[unit_id][1].append(person_id)
    for unit_id, (_, ids) in best.items():
        if len(ids) == 1:
            heads[unit_id] = ids[0]
    return heads


BATCH = 2000


def take_people(actor, round_: EvaluationRound, selection: Selection) -> Taken:
    """Copies the selected people into the round — unit, post, group, kind, manager, Quy chế,
    eligibility — in bulk. Taking the same people again adds nothing (UNIQUE (round, person),
    INSERT … ON CONFLICT DO NOTHING); people already in the round keep their snapshot."""
    ROUND_STEPS.check(actor, round_, "take-people")
    require(actor, "evaluations.manage", round_)
    if not selection.unit.path.startswith(round_.unit.path):
        raise ValidationFailed(_l("Choose a unit of this round."), field="unit")
    query = (select(Person, Unit, Post, DutyGroup)
             .join(Unit, Person.unit_id == Unit.id)
             .outerjoin(Post, Person.post_id == Post.id)
             .outerjoin(DutyGroup, Person.duty_group_id == DutyGroup.id)
             .where(_unit_filter(selection), Person.active.is_(True)))
    if selection.duty_group_ids:
        query = query.where(Person.duty_group_id.in_(sorted(selection.duty_group_ids)))
    if selection.staff_kinds:
        query = query.where(Person.staff_kind.in_(sorted(selection.staff_kinds)))
    quarterly = rules.is_quarterly(round_.settings)
    if selection.leaders_only or quarterly:
        query = query.where(Post.is_leadership.is_(True))
    rows = db.session.execute(query).all()
    if not rows:
        raise ValidationFailed(_l("No leader matches this choice.") if quarterly
                               else _l("Nobody matches this choice."))
    taken = Taken()
    present = set(db.session.scalars(select(RatedPerson.person_id)
                                     .where(RatedPerson.round_id == round_.id)))
    preset = round_rules(round_)
    regulations = applicable_regulations({unit.path for _, unit, _, _ in rows})
    heads = _heads(sorted({unit.id for _, unit, _, _ in rows}))
    # The periods other areas keep (the product ledger's confirmed periods), so that the
    # year's score needs no retyping.
    tracked = {} if quarterly else period_sources.collect(
        (person.id for person, _, _, _ in rows if person.id not in present), round_.year)
    values = []
    for person, unit, post, group in rows:
        if person.id in present:
            taken.already += 1
            continue
        months = rules.months_worked(round_.year, person.started_on, None)
        eligible, note = rules.eligibility(months, rules.Leave.NONE, preset)
        is_head = heads.get(unit.id) == person.id
        manager_id = person.manager_id
        if manager_id is None or manager_id == person.id:
            manager_id = None if is_head else heads.get(unit.id)
        regulation = regulations.get(unit.path)
        values.append(dict(
            round_id=round_.id, person_id=person.id, full_name=person.full_name,
            sort_key=person.sort_key, unit_id=unit.id, unit_name=unit.name,
            post_name=post.name if post else None,
            is_leader=bool(post and post.is_leadership), is_head=is_head,
            duty_group_id=group.id if group else None,
            duty_group_name=group.name if group else None,
            staff_kind=person.staff_kind.value if person.staff_kind else None,
            manager_person_id=manager_id,
            regulation_id=regulation.id if regulation else None,
            months_worked=_months_text(months), leave=rules.Leave.NONE.value,
            eligible=eligible, eligibility_note=str(note) if note else None,
            included=eligible, excluded_reason=None if eligible else str(note),
            period_scores_json=_json(period_sources.as_periods(tracked.get(person.id, []),
                                                               unit.id))))
        if not eligible:
            taken.not_eligible.append((person.full_name, str(_l(note))))
    for start in range(0, len(values), BATCH):
        chunk = values[start:start + BATCH]
        written = db.session.execute(
            _insert(RatedPerson).values(chunk).on_conflict_do_nothing()
            .execution_options(preserve_rowcount=True)).rowcount
        taken.added += written
        taken.already += len(chunk) - written
    db.session.flush()
    record(actor, "evaluation_round.people_taken", round_, unit_id=selection.unit.id,
           subunits=selection.include_subunits, added=taken.added, already=taken.already,
           not_eligible=len(taken.not_eligible))
    return taken


def _months_text(months) -> str:
    return format(float(months), ".2f").rstrip("0").rstrip(".")


def take_units(actor, round_: EvaluationRound, unit: Unit, *, include_subunits: bool = True
               ) -> int:
    """The units rated in the round (before their staff), as snapshots; safe to re-run. In a
    quarterly review the units are not rated: they frame the collective meetings only
    (decisions.picture leaves them out)."""
    ROUND_STEPS.check(actor, round_, "take-people")
    if not unit.path.startswith(round_.unit.path):
        raise ValidationFailed(_l("Choose a unit of this round."), field="unit")
    units = db.session.scalars(select(Unit).where(
        Unit.path.startswith(unit.path) if include_subunits else Unit.id == unit.id,
        Unit.active.is_(True))).all()
    regulations = applicable_regulations({u.path for u in units})
    values = [dict(round_id=round_.id, unit_id=u.id, name=u.name, path=u.path,
                   parent_unit_id=u.parent_id,
                   regulation_id=regulations[u.path].id if regulations.get(u.path) else None,
                   facts_json="{}") for u in units]
    added = 0
    if values:
        added = db.session.execute(_insert(RatedUnit).values(values).on_conflict_do_nothing()
                                   .execution_options(preserve_rowcount=True)).rowcount
    db.session.flush()
    record(actor, "evaluation_round.units_taken", round_, unit_id=unit.id, added=added)
    return added


def rated_person(round_: EvaluationRound, rated_id: int) -> RatedPerson:
    rated = db.session.get(RatedPerson, rated_id)
    if rated is None or rated.round_id != round_.id:
        raise NotFound(_l("This person is not rated in this round."))
    return rated


def rated_unit(round_: EvaluationRound, rated_id: int) -> RatedUnit:
    rated = db.session.get(RatedUnit, rated_id)
    if rated is None or rated.round_id != round_.id:
        raise NotFound(_l("This unit is not rated in this round."))
    return rated


def include_by_hand(actor, round_: EvaluationRound, rated: RatedPerson, reason: str) -> None:
    """Rates someone the rules left out (under six months, ...), with the admin's reason."""
    ROUND_STEPS.check(actor, round_, "take-people")
    reason = nfc(reason)
    if not reason:
        raise ValidationFailed(_l("Give the reason for including this person."), field="reason")
    rated.included, rated.included_reason, rated.excluded_reason = True, reason, None
    db.session.flush()
    record(actor, "evaluation_person.included", rated, reason=reason)


def exclude(actor, round_: EvaluationRound, rated: RatedPerson, reason: str) -> None:
    ROUND_STEPS.check(actor, round_, "take-people")
    reason = nfc(reason)
    if not reason:
        raise ValidationFailed(_l("Give the reason for not rating this person."),
                               field="reason")
    rated.included, rated.excluded_reason, rated.included_reason = False, reason, None
    db.session.flush()
    record(actor, "evaluation_person.excluded", rated, reason=reason)


def set_head(actor, round_: EvaluationRound, rated: RatedPerson, is_head: bool) -> None:
    """Marks who heads their unit in this round (Điều 12.7: not above the unit's level)."""
    ROUND_STEPS.check(actor, round_, "take-people")
    rated.is_head = bool(is_head)
    db.session.flush()
    record(actor, "evaluation_person.head_set", rated, is_head=rated.is_head)


def rated_people(round_: EvaluationRound, *, unit: Unit | None = None,
                 included: bool | None = None) -> list[RatedPerson]:
    query = select(RatedPerson).where(RatedPerson.round_id == round_.id)
    if unit is not None:
        query = query.where(or_(RatedPerson.unit_id == unit.id,
                                RatedPerson.unit.has(Unit.path.startswith(unit.path))))
    if included is not None:
        query = query.where(RatedPerson.included.is_(included))
    return list(db.session.scalars(query.order_by(RatedPerson.unit_name,
                                                  RatedPerson.sort_key)))


def rated_units(round_: EvaluationRound) -> list[RatedUnit]:
    return list(db.session.scalars(select(RatedUnit).where(RatedUnit.round_id == round_.id)
                                   .order_by(RatedUnit.path)))


def rounds_for(user) -> list[EvaluationRound]:
    """Rounds the user may see, newest first."""
    rounds = db.session.scalars(select(EvaluationRound).order_by(EvaluationRound.id.desc()))
    return [round_ for round_ in rounds if can_see_round(user, round_)]
