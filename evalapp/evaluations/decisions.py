"""The decision of an evaluation round (Steps 4–5 of issue 11): the personnel office's proposals,
every quota and "a head's level never above their unit's" checked at once, finalising, releasing
the results, petitions and the new decisions that answer them.

- The score retained for each rated person or unit is the total of the OFFICE form if sent,
  else (people) the year's score from the periods tracked, else the MANAGER's, else the SELF
  form's; the computed level comes from the pure rules
  (evalapp.tally.evaluation.person_level with the person's forcing events, unit_level with the
  unit's facts).
- `check(round_)` lists every broken rule, each with its rule, scope and the people or units
  concerned; `finalise` refuses while the list is not empty, naming each rule and the names.
- Levels are the admins' only until `release`; then each rated person sees their own result.
- A changed result is a new `Decision` that supersedes the old one (both kept), never an edit;
  the quotas are checked again with the new level.

Services take the actor, check the round's lifecycle, flush, audit and never commit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from evalapp.audit.services import record
from evalapp.auth.permissions import can
from evalapp.core.errors import InvalidState, NotAllowed, NotFound, ValidationFailed
from evalapp.core.text import nfc
from evalapp.core.time import utcnow
from evalapp.evaluations import assessments, services
from evalapp.evaluations.lifecycle import ROUND_STEPS
from evalapp.evaluations.models import (
    Decision,
    EvaluationForm,
    EvaluationRound,
    ForcingEvent,
    FormStatus,
    FormStep,
    Meeting,
    Petition,
    PetitionStatus,
    RatedPerson,
    RatedUnit,
    RoundStatus,
    hundredths,
    points,
)
from evalapp.evaluations.permissions import own_entry
from evalapp.extensions import db
from evalapp.tally import evaluation as rules
from evalapp.tally.scales import Level

LEVELS = rules.LEVELS
NUMBER_MAX = 80
REASON_MAX = 1000
PETITION_MAX = 5000

RULE_LABELS = {
    "unit_quota": _l("HTXS may not exceed 20 % (25 % where the unit is rated HTXS) of those "
                     "rated HTT in the unit"),
    "group_quota": _l("HTXS may not exceed 20 % (25 % where the unit is rated HTXS) of those "
                      "rated HTT in a job-position group"),
    "units_quota": _l("HTXS units may not exceed 20 % (25 % where found outstanding) of the "
                      "units rated HTT"),
    "few_units": _l("Where there are fewer than 5 sub-units, at most 1 may be HTXS"),
    "head_above_unit": _l("A head's level may not be above their unit's level"),
    "forced_kht": _l("A person with an event forcing KHT must be rated KHT"),
    "unit_not_rated": _l("A unit is rated before its people"),
    "no_level": _l("Every unit and person rated needs a proposed level"),
}


QUARTERLY_NO_UNITS = _l("A quarterly review rates leaders only: its units are not rated.")


def level_label(level) -> str:
    return _(Level(level).label) if level else ""


# ---------------------------------------------------------------- reading the round


@dataclass
class Line:
    """One rated person or unit on the decision screen."""

    kind: str                       # "person" | "unit"
    rated: RatedPerson | RatedUnit
    score: Decimal | None           # the points retained
    self_level: Level | None        # proposed in the self-assessment (sent)
    manager_level: Level | None     # proposed by the manager (sent)
    meeting: dict | None            # the opinion ballot's counts, if any
    computed: rules.Outcome | None  # None: no points yet (nothing to compute from)
    forced: tuple = ()              # the events forcing KHT (people)

    @property
    def key(self) -> str:
        return f"{'p' if self.kind == 'person' else 'u'}-{self.rated.id}"

    @property
    def name(self) -> str:
        return self.rated.full_name if self.kind == "person" else self.rated.name


def _sent_forms(round_: EvaluationRound) -> dict[tuple[str, int], dict[FormStep, EvaluationForm]]:
    forms: dict[tuple[str, int], dict[FormStep, EvaluationForm]] = defaultdict(dict)
    for form in db.session.scalars(select(EvaluationForm).where(
            EvaluationForm.round_id == round_.id, EvaluationForm.status == FormStatus.SENT)):
        key = ("person", form.rated_person_id) if form.rated_person_id is not None \
            else ("unit", form.rated_unit_id)
        forms[key][form.step] = form
    return forms


def _events(round_: EvaluationRound) -> dict[int, list[rules.Event]]:
    found: dict[int, list[rules.Event]] = defaultdict(list)
    rows = db.session.scalars(select(ForcingEvent).join(
        RatedPerson, ForcingEvent.rated_person_id == RatedPerson.id).where(
        RatedPerson.round_id == round_.id).order_by(ForcingEvent.id))
    for event in rows:
        found[event.rated_person_id].append(rules.Event(
            rules.ForcingKind(event.kind), event.act, event.year, event.unit_id or 0,
            event.mitigated))
    return found


def _opinions(round_: EvaluationRound) -> dict[str, dict]:
    counts: dict[str, dict] = {}
    for meeting in db.session.scalars(select(Meeting).where(Meeting.round_id == round_.id)):
        counts.update(meeting.content.get("opinions") or {})
    return counts


def _unit_facts(unit: RatedUnit, forms: dict[FormStep, EvaluationForm]) -> dict:
    facts = dict(unit.facts)
    if not facts:
        for step in assessments.RETAINED_ORDER:
            if step in forms and forms[step].content.get("facts"):
                facts = dict(forms[step].content["facts"])
                break
    return facts


def _current(rated) -> Level | None:
    """The level in force: the decision's once decided, the office's proposal before."""
    return rated.level if rated.round.status is RoundStatus.FINALISED else rated.proposed_level


@dataclass
class Picture:
    """Everything the decision screen and the checks read, loaded once."""

    round: EvaluationRound
    units: list[RatedUnit]
    people: list[RatedPerson]
    lines: dict[str, Line] = field(default_factory=dict)

    def line(self, rated) -> Line:
        return self.lines[f"{'p' if isinstance(rated, RatedPerson) else 'u'}-{rated.id}"]


def picture(round_: EvaluationRound) -> Picture:
    preset = services.round_rules(round_)
    # A quarterly review rates leaders only: its units only frame the collective meetings.
    units = [] if rules.is_quarterly(round_.settings) else services.rated_units(round_)
    people = services.rated_people(round_, included=True)
    forms = _sent_forms(round_)
    events = _events(round_)
    opinions = _opinions(round_)
    result = Picture(round_, units, people)
    unit_level_of = {u.unit_id: _current(u) for u in units}
    for unit in units:
        mine = forms.get(("unit", unit.id), {})
        score = assessments.retained_points(unit, mine, preset.year_from)
        subunits_kht = sum(1 for u in units if u.parent_unit_id == unit.unit_id
                           and unit_level_of.get(u.unit_id) is Level.NOT_COMPLETED)
        computed = None
        facts = _unit_facts(unit, mine)
        if not preset.scored:
            computed = rules.Outcome(Level.EXCELLENT, None, (rules.MSG_NO_SCORE,), True)
        elif score is not None and facts:
            try:
                computed = rules.unit_level(
                    points(score), tasks=int(facts.get("tasks", 0)),
                    on_time=int(facts.get("on_time", 0)),
                    exceeded=int(facts.get("exceeded", 0)), done=int(facts.get("done", 0)),
                    plan_share_done=str(facts.get("plan_share_done", "1")),
                    subunits_not_completed=subunits_kht,
                    violation=bool(facts.get("violation", False)), preset=preset)
            except (TypeError, ValueError):
                computed = None
        elif score is not None:
            computed = rules.Outcome(rules.score_level(points(score), preset),
                                     rules.score_level(points(score), preset), (), True)
        line = Line("unit", unit, points(score), _proposed(mine, FormStep.SELF),
                    _proposed(mine, FormStep.MANAGER), None, computed)
        result.lines[line.key] = line
    for person in people:
        mine = forms.get(("person", person.id), {})
        score = assessments.retained_points(person, mine, preset.year_from)
        forcing = rules.forcing_events(events.get(person.id, ()), year=round_.year,
                                       unit_id=person.unit_id, is_leader=person.is_leader)
        try:
            computed = rules.person_level(points(score), forcing, preset)
        except ValueError:
            computed = None
        line = Line("person", person, points(score), _proposed(mine, FormStep.SELF),
                    _proposed(mine, FormStep.MANAGER), opinions.get(str(person.id)), computed,
                    forcing.forced)
        result.lines[line.key] = line
    return result


def _proposed(forms: dict[FormStep, EvaluationForm], step: FormStep) -> Level | None:
    form = forms.get(step)
    return form.proposed_level if form is not None else None


# ---------------------------------------------------------------- the checks


@dataclass(frozen=True)
class Breach:
    """A broken rule: `rule` (a key of RULE_LABELS), the unit it is counted in (None: the
    round's units among themselves, or the whole round), the job-position group, the most HTXS
    allowed and how many there are, and the people or units concerned by name."""

    rule: str
    unit: str | None
    group: str | None
    cap: int
    count: int
    names: tuple[str, ...]

    def text(self) -> str:
        parts = [str(RULE_LABELS[self.rule])]
        where = ", ".join(x for x in (self.unit, self.group) if x)
        if where:
            parts.append(_("in %(where)s", where=where))
        if self.rule in ("unit_quota", "group_quota", "units_quota", "few_units"):
            parts.append(_("(at most %(cap)s, proposed %(count)s)", cap=self.cap,
                           count=self.count))
        return " ".join(parts) + ": " + ", ".join(self.names)


def check(round_: EvaluationRound, overrides: dict | None = None,
          seen: Picture | None = None) -> list[Breach]:
    """Every broken rule of the round as it stands (the proposals while open, the decisions
    once finalised), or as it would stand with `overrides` ({rated object: level})."""
    seen = seen or picture(round_)
    preset = services.round_rules(round_)
    overrides = overrides or {}

    def level_of(rated) -> Level | None:
        for obj, level in overrides.items():
            if type(obj) is type(rated) and obj.id == rated.id:
                return Level(level)
        return _current(rated)

    breaches: list[Breach] = []
    unit_by_unit_id = {u.unit_id: u for u in seen.units}
    unit_names = {u.id: u.name for u in seen.units}
    person_names = {p.id: p.full_name for p in seen.people}

    missing = [u.name for u in seen.units if level_of(u) is None] + \
        [p.full_name for p in seen.people if level_of(p) is None]
    if missing:
        breaches.append(Breach("no_level", None, None, 0, len(missing), tuple(missing)))

    # A quarterly review has no quota: the quotas apply to the year (evaluations.quarterly).
    quotas = not rules.is_quarterly(round_.settings)

    # Units among themselves: the sub-units of one unit are counted together.
    rated_units = [rules.Rated(u.id, str(u.parent_unit_id), level_of(u))
                   for u in seen.units if level_of(u) is not None]
    parent_name = {str(u.unit_id): u.name for u in seen.units}
    for b in (rules.units_quota(rated_units, outstanding=round_.outstanding, preset=preset)
              if quotas else []):
        breaches.append(Breach(b.rule, parent_name.get(b.scope), None, b.cap, b.excellent,
                               tuple(unit_names[i] for i in b.ids)))

    # People: per unit and per job-position group within it.
    by_unit: dict[int, list[RatedPerson]] = defaultdict(list)
    for person in seen.people:
        by_unit[person.unit_id].append(person)
    for unit_id, members in by_unit.items():
        unit = unit_by_unit_id.get(unit_id)
        excellent_unit = unit is not None and level_of(unit) is Level.EXCELLENT
        rated = [rules.Rated(p.id, p.duty_group_name, level_of(p)) for p in members
                 if level_of(p) is not None]
        for b in (rules.people_quota(rated, excellent_unit=excellent_unit, preset=preset)
                  if quotas else []):
            breaches.append(Breach(b.rule, members[0].unit_name, b.scope, b.cap, b.excellent,
                                   tuple(person_names[i] for i in b.ids)))

    heads = []
    for person in seen.people:
        unit = unit_by_unit_id.get(person.unit_id)
        if person.is_head and unit is not None and level_of(person) and level_of(unit):
            heads.append((person.id, level_of(person), level_of(unit)))
    for b in rules.heads_above_units(heads):
        breaches.append(Breach(b.rule, None, None, 0, b.excellent,
                               tuple(person_names[i] for i in b.ids)))

    forced = [p.full_name for p in seen.people if seen.line(p).forced
              and level_of(p) not in (None, Level.NOT_COMPLETED)]
    if forced:
        breaches.append(Breach("forced_kht", None, None, 0, len(forced), tuple(forced)))

    early = [p.full_name for p in seen.people if level_of(p) is not None
             and p.unit_id in unit_by_unit_id and level_of(unit_by_unit_id[p.unit_id]) is None]
    if early:
        breaches.append(Breach("unit_not_rated", None, None, 0, len(early), tuple(early)))
    return breaches


def slots_left(round_: EvaluationRound, seen: Picture | None = None
               ) -> dict[int, dict[str | None, int]]:
    """HTXS places still free among the proposals, per rated unit (by its unit id): key None
    for the whole unit, the group's name for each job-position group. Negative: too many."""
    if rules.is_quarterly(round_.settings):
        return {}  # no quota in a quarterly review
    seen = seen or picture(round_)
    preset = services.round_rules(round_)
    unit_by_unit_id = {u.unit_id: u for u in seen.units}
    by_unit: dict[int, list[RatedPerson]] = defaultdict(list)
    for person in seen.people:
        by_unit[person.unit_id].append(person)
    left = {}
    for unit_id, members in by_unit.items():
        unit = unit_by_unit_id.get(unit_id)
        rated = [rules.Rated(p.id, p.duty_group_name, _current(p)) for p in members
                 if _current(p) is not None]
        left[unit_id] = rules.slots_left(
            rated, excellent_unit=unit is not None and _current(unit) is Level.EXCELLENT,
            preset=preset)
    return left


def breaches_message(breaches: list[Breach]) -> str:
    return " ".join(f"{n}. {b.text()}." for n, b in enumerate(breaches, 1))


# ---------------------------------------------------------------- proposing


def _level(value) -> Level:
    try:
        level = Level(value)
    except ValueError:
        level = None
    if level not in LEVELS:
        raise ValidationFailed(_l("Choose one of the four levels."), field="level")
    return level


def propose(actor, round_: EvaluationRound, rated, level, note: str | None = None) -> None:
    """The personnel office's proposal for one rated person or unit. It may differ from the
    computed level; a reason is required when it is better than the computed level."""
    ROUND_STEPS.check(actor, round_, "propose")
    if rated.round_id != round_.id:
        raise NotFound(_l("This person is not rated in this round."))
    if isinstance(rated, RatedPerson) and not rated.included:
        raise ValidationFailed(_l("%(name)s is not rated in this round."), name=rated.full_name)
    if isinstance(rated, RatedUnit) and rules.is_quarterly(round_.settings):
        raise ValidationFailed(QUARTERLY_NO_UNITS)
    level = _level(level)
    note = nfc(note or "")[:REASON_MAX]
    line = picture(round_).line(rated)
    if line.computed is None:
        raise ValidationFailed(
            _l("%(name)s has no points yet: a sent form is needed before a level is proposed."),
            name=line.name)
    if line.computed is not None and rules.level_rank(level) < rules.level_rank(
            line.computed.level) and not note:
        raise ValidationFailed(
            _l("Give the reason for proposing %(name)s above the computed level "
               "(%(computed)s)."), field="note", name=line.name,
            computed=level_label(line.computed.level))
    rated.proposed_level = level
    rated.score = hundredths(line.score)
    db.session.flush()
    details = {"level": level.value, "computed": line.computed.level.value}
    if note:
        details["note"] = note
    if isinstance(rated, RatedPerson):
        record(actor, "evaluation_person.proposed", rated, **details)
    else:
        record(actor, "evaluation_unit.proposed", rated, **details)


def propose_all(actor, round_: EvaluationRound, unit: RatedUnit) -> int:
    """Proposes the computed level for the unit and each person of it that has none yet;
    returns how many proposals were made (those without points are left for the office)."""
    ROUND_STEPS.check(actor, round_, "propose")
    if unit.round_id != round_.id:
        raise NotFound(_l("This unit is not rated in this round."))
    seen = picture(round_)
    made = 0
    rated_unit = [] if rules.is_quarterly(round_.settings) else [unit]
    for rated in rated_unit + [p for p in seen.people if p.unit_id == unit.unit_id]:
        line = seen.line(rated)
        if rated.proposed_level is None and line.computed is not None:
            rated.proposed_level = line.computed.level
            rated.score = hundredths(line.score)
            made += 1
    db.session.flush()
    record(actor, "evaluation_unit.proposed_all", unit, proposed=made)
    return made


# ---------------------------------------------------------------- finalising


def _number_and_date(number: str | None, decided_on) -> tuple[str, date]:
    number = nfc(number or "")
    if not number:
        raise ValidationFailed(_l("Enter the number of the decision."), field="number")
    if len(number) > NUMBER_MAX:
        raise ValidationFailed(_l("The decision number is too long."), field="number")
    if not isinstance(decided_on, date):
        raise ValidationFailed(_l("Enter the date of the decision."), field="decided_on")
    return number, decided_on


def finalise(actor, round_: EvaluationRound, number: str | None, decided_on) -> int:
    """The competent authority's decision: refused while any rule is broken (naming each rule
    and the people or units); otherwise one Decision for every rated unit and included person,
    their levels and scores set, and the round finalised (locked). Returns the decisions made."""
    ROUND_STEPS.check(actor, round_, "finalise")
    number, decided_on = _number_and_date(number, decided_on)
    seen = picture(round_)
    breaches = check(round_, seen=seen)
    if breaches:
        raise ValidationFailed(_l("The round cannot be finalised: %(breaches)s"),
                               breaches=breaches_message(breaches))
    made = 0
    for rated in list(seen.units) + list(seen.people):
        rated.level = rated.proposed_level
        db.session.add(Decision(
            round_id=round_.id, level=rated.level, score=rated.score, number=number,
            decided_on=decided_on, created_by_id=getattr(actor, "id", None),
            **({"rated_person_id": rated.id} if isinstance(rated, RatedPerson)
               else {"rated_unit_id": rated.id})))
        made += 1
    round_.decision_number, round_.decision_date = number, decided_on
    round_.finalised_at = utcnow()
    ROUND_STEPS.move(round_, "finalise")
    db.session.flush()
    record(actor, "evaluation_round.finalised", round_, number=number,
           decided_on=decided_on.isoformat(), decisions=made)
    # Every form now shows its decided level: lay them out in the background for the print
    # that follows.
    from evalapp.evaluations.documents import warm_forms

    warm_forms(round_)
    return made


def release(actor, round_: EvaluationRound) -> None:
    """Each rated person sees their own result from now on (and may petition)."""
    ROUND_STEPS.check(actor, round_, "release")
    round_.released_at = utcnow()
    db.session.flush()
    record(actor, "evaluation_round.released", round_)


def publish(actor, round_: EvaluationRound) -> None:
    """The results are published to the unit (Điều 15.2đ, electronic publication): everyone the
    round concerns sees the list of decided levels."""
    ROUND_STEPS.check(actor, round_, "publish")
    round_.published_at = utcnow()
    db.session.flush()
    record(actor, "evaluation_round.published", round_)


def published_results(user, round_: EvaluationRound) -> list[tuple[RatedPerson, Decision]]:
    """The list published to the unit: each person rated and the decision in force, by unit
    and name; NotFound before publication for anyone but the round's admins."""
    if round_.published_at is None and not sees_levels(user, round_):
        raise NotFound(_l("The results are not published to the unit."))
    if round_.status is not RoundStatus.FINALISED:
        raise NotFound(_l("The results are not published to the unit."))
    people = services.rated_people(round_, included=True)
    return [(person, current_decision(person)) for person in people]


# ---------------------------------------------------------------- who sees what


def sees_levels(user, round_: EvaluationRound) -> bool:
    """Every level and proposal: the round's admins only."""
    return can(user, "evaluations.manage", round_)


def own_result(user, round_: EvaluationRound) -> RatedPerson | None:
    """The user's own row once the results are released (None before, or not rated)."""
    if round_.released_at is None or round_.status is not RoundStatus.FINALISED:
        return None
    entry = own_entry(user, round_)
    return entry if entry is not None and entry.included else None


def current_decision(rated) -> Decision | None:
    """The decision in force: the one no later decision supersedes."""
    column = Decision.rated_person_id if isinstance(rated, RatedPerson) \
        else Decision.rated_unit_id
    decisions = list(db.session.scalars(select(Decision).where(column == rated.id)))
    superseded = {d.supersedes_id for d in decisions}
    live = [d for d in decisions if d.id not in superseded]
    return live[0] if live else None


def decisions_of(rated) -> list[Decision]:
    column = Decision.rated_person_id if isinstance(rated, RatedPerson) \
        else Decision.rated_unit_id
    return list(db.session.scalars(select(Decision).where(column == rated.id)
                                   .order_by(Decision.id)))


def petition_deadline(round_: EvaluationRound) -> date | None:
    if round_.released_at is None:
        return None
    days = services.round_rules(round_).petition_days
    return round_.released_at.date() + timedelta(days=days)


def may_petition(round_: EvaluationRound, today: date | None = None) -> bool:
    deadline = petition_deadline(round_)
    return deadline is not None and (today or utcnow().date()) <= deadline


# ---------------------------------------------------------------- petitions, new decisions


def petitions(round_: EvaluationRound) -> list[Petition]:
    return list(db.session.scalars(select(Petition).join(
        RatedPerson, Petition.rated_person_id == RatedPerson.id).where(
        RatedPerson.round_id == round_.id).order_by(Petition.id)))


def own_petitions(rated: RatedPerson) -> list[Petition]:
    return list(db.session.scalars(select(Petition).where(Petition.rated_person_id == rated.id)
                                   .order_by(Petition.id)))


def petition(actor, round_: EvaluationRound, text: str) -> Petition:
    """The user petitions their own released result, within the days the rules allow."""
    ROUND_STEPS.check(actor, round_, "petition")
    rated = own_result(actor, round_)
    if rated is None:
        raise NotAllowed(_l("Only the person rated may petition their own released result."))
    if not may_petition(round_):
        raise InvalidState(_l("The time for petitions ended on %(day)s."),
                           day=petition_deadline(round_).strftime("%d/%m/%Y"))
    text = nfc(text or "")
    if not text:
        raise ValidationFailed(_l("Write what you petition."), field="text")
    if len(text) > PETITION_MAX:
        raise ValidationFailed(_l("The petition is too long."), field="text")
    if any(p.status is PetitionStatus.PENDING for p in own_petitions(rated)):
        raise InvalidState(_l("Your earlier petition has not been answered yet."))
    item = Petition(rated_person_id=rated.id, text=text, submitted_at=utcnow(),
                    status=PetitionStatus.PENDING)
    db.session.add(item)
    db.session.flush()
    record(actor, "evaluation_petition.submitted", item)
    return item


def get_petition(round_: EvaluationRound, petition_id: int) -> Petition:
    item = db.session.get(Petition, petition_id)
    if item is None or item.rated_person.round_id != round_.id:
        raise NotFound(_l("This petition does not exist."))
    return item


def _pending(item: Petition) -> None:
    if item.status is not PetitionStatus.PENDING:
        raise InvalidState(_l("This petition has already been answered."))


def reject_petition(actor, round_: EvaluationRound, item: Petition, reason: str) -> None:
    ROUND_STEPS.check(actor, round_, "redecide")
    _pending(item)
    reason = nfc(reason or "")
    if not reason:
        raise ValidationFailed(_l("Give the reason for rejecting the petition."),
                               field="reason")
    item.status, item.answer = PetitionStatus.REJECTED, reason[:REASON_MAX]
    item.answered_at, item.answered_by_id = utcnow(), getattr(actor, "id", None)
    db.session.flush()
    record(actor, "evaluation_petition.rejected", item)


def redecide(actor, round_: EvaluationRound, rated, level, reason: str, number: str | None,
             decided_on, petition: Petition | None = None) -> Decision:
    """A new decision for one rated person or unit, superseding the one in force (both kept).
    The quotas and "head ≤ unit" are checked again with the new level: refused naming the
    rule. Answers `petition` (accepted) when given."""
    ROUND_STEPS.check(actor, round_, "redecide")
    if rated.round_id != round_.id:
        raise NotFound(_l("This person is not rated in this round."))
    if petition is not None:
        _pending(petition)
        if not isinstance(rated, RatedPerson) or petition.rated_person_id != rated.id:
            raise ValidationFailed(_l("The petition is about someone else."))
    level = _level(level)
    reason = nfc(reason or "")
    if not reason:
        raise ValidationFailed(_l("Give the reason for the new decision."), field="reason")
    number, decided_on = _number_and_date(number, decided_on)
    old = current_decision(rated)
    if old is None:
        raise InvalidState(_l("There is no decision to replace."))
    if old.level == level:
        raise ValidationFailed(_l("The new level is the level already decided."), field="level")
    seen = picture(round_)
    breaches = [b for b in check(round_, {rated: level}, seen=seen) if b.rule != "no_level"]
    if breaches:
        raise ValidationFailed(_l("The new decision would break a rule: %(breaches)s"),
                               breaches=breaches_message(breaches))
    new = Decision(round_id=round_.id, level=level, score=old.score, number=number,
                   decided_on=decided_on, supersedes_id=old.id, reason=reason[:REASON_MAX],
                   created_by_id=getattr(actor, "id", None),
                   rated_person_id=old.rated_person_id, rated_unit_id=old.rated_unit_id)
    db.session.add(new)
    rated.level = level
    db.session.flush()
    record(actor, "evaluation_decision.superseded", new, supersedes=old.id,
           level=level.value, previous=Level(old.level).value, number=number,
           petition=petition.id if petition else None)
    if petition is not None:
        petition.status, petition.answer = PetitionStatus.ACCEPTED, reason[:REASON_MAX]
        petition.answered_at, petition.answered_by_id = utcnow(), getattr(actor, "id", None)
        petition.decision_id = new.id
        db.session.flush()
        record(actor, "evaluation_petition.accepted", petition,
               decision=new.id)
    return new
