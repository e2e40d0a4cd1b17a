"""The forms of an evaluation round: a person's self-assessment, the manager's assessment, the
Party committee's comment (leaders), a unit's self-assessment (its head), their reopening by
an admin, and the events that force KHT whatever the points.

A form is a draft until sent; sending checks it whole (every item given, each within its
points, a proposed level), computes its total, marks it late when sent after its step's
deadline, and locks it. Only an admin of the round reopens a sent form, with a reason.

Who may see a form (`may_see_form`): before it is sent, nobody but its author; once sent, the
admins of the round, the author, the manager of the person rated (their SELF form), the head of
a rated unit (the unit's form), and the person rated (the MANAGER, PARTY and OFFICE forms)
only once the round's results are released.

Services take the actor, check the round's lifecycle, flush, audit and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from evalapp.audit.services import record
from evalapp.auth.permissions import can
from evalapp.core.errors import InvalidState, NotAllowed, NotFound, ValidationFailed
from evalapp.core.text import clean_text, nfc
from evalapp.core.time import utcnow
from evalapp.evaluations import services
from evalapp.evaluations.lifecycle import ROUND_STEPS
from evalapp.evaluations.models import (
    EvaluationForm,
    EvaluationRound,
    ForcingEvent,
    FormStatus,
    FormStep,
    RatedPerson,
    RatedUnit,
    Regulation,
    hundredths,
    points,
)
from evalapp.evaluations.permissions import can_see_round
from evalapp.extensions import db
from evalapp.org.models import Unit
from evalapp.tally import evaluation as rules
from evalapp.tally.scales import Level

FORM_NOT_FOUND = _l("This form does not exist.")
LOCKED = _l("This form has been sent and is locked. Only an administrator of the round can "
            "reopen it.")
COMMENT_MAX = 4000
ITEM_COMMENT_MAX = 2000
REASON_MAX = 1000
FACTS = ("tasks", "on_time", "exceeded", "done")
FACT_MAX = 100000

# The deadline (services.due_dates) each step's form is measured against.
DUE_KEY = {FormStep.SELF: "self", FormStep.MANAGER: "manager", FormStep.PARTY: "manager",
           FormStep.OFFICE: "decision"}
UNIT_DUE_KEY = "units"

Subject = RatedPerson | RatedUnit


# ---------------------------------------------------------------- the sheet


@dataclass(frozen=True)
class Item:
    key: str     # the key in content["points"] / ["comments"]: the item's code
    code: str
    title: str
    max: Decimal
    part: str    # "general" (30) or "task" (70)


def _regulation_content(round_: EvaluationRound, regulation_id: int | None) -> dict:
    if regulation_id is not None:
        regulation = db.session.get(Regulation, regulation_id)
        if regulation is not None:
            return regulation.content
    return rules.seed_regulation(round_.preset)


def items_for(rated: Subject) -> list[Item]:
    """The items of the sheet of `rated`, from the Quy chế version the round took for them (or
    the preset's seed): a person's general criteria and task items (the leaders' items for a
    leader); a unit's general and task criteria. A code repeated in the task part (the Quy chế
    checks codes within a part only) is keyed "task:<code>"."""
    if rules.is_quarterly(rated.round.settings) and isinstance(rated, RatedPerson):
        # A quarterly review: the round's axes (Hướng dẫn 02-HD/BTCTW), the result written on
        # each (and its points when the round's settings ask for them).
        return [Item(str(a["code"]), str(a["code"]), str(a["title"]), Decimal(str(a["points"])),
                     "axis") for a in rated.round.settings.get("axes") or []]
    content = _regulation_content(rated.round, rated.regulation_id)
    if isinstance(rated, RatedUnit):
        parts = (("general", "unit_general"), ("task", "unit_task"))
    else:
        parts = (("general", "general"),
                 ("task", "task_leader" if rated.is_leader else "task_staff"))
    items: list[Item] = []
    seen: set[str] = set()
    for part, name in parts:
        for row in content.get(name) or []:
            code = str(row["code"]).strip()
            key = code if code not in seen else f"{part}:{code}"
            seen.add(key)
            items.append(Item(key, code, row["title"], Decimal(str(row["points"])), part))
    return items


def _scored(round_: EvaluationRound) -> bool:
    return services.round_rules(round_).scored


# ---------------------------------------------------------------- finding forms


def _subject_filter(rated: Subject):
    if isinstance(rated, RatedUnit):
        return EvaluationForm.rated_unit_id == rated.id
    return EvaluationForm.rated_person_id == rated.id


def form_for(round_: EvaluationRound, rated: Subject, step: FormStep) -> EvaluationForm | None:
    return db.session.scalar(select(EvaluationForm).where(
        EvaluationForm.round_id == round_.id, EvaluationForm.step == FormStep(step),
        _subject_filter(rated)))


def get_form(round_: EvaluationRound, form_id: int) -> EvaluationForm:
    form = db.session.get(EvaluationForm, form_id)
    if form is None or form.round_id != round_.id:
        raise NotFound(FORM_NOT_FOUND)
    return form


def _person_id(user) -> int | None:
    return getattr(user, "person_id", None)


def heads_unit(user, round_: EvaluationRound, rated: RatedUnit) -> bool:
    """Whether the user is the head (in this round) of the rated unit."""
    person_id = _person_id(user)
    if person_id is None:
        return False
    return db.session.scalar(select(RatedPerson.id).where(
        RatedPerson.round_id == round_.id, RatedPerson.person_id == person_id,
        RatedPerson.unit_id == rated.unit_id, RatedPerson.is_head.is_(True)).limit(1)) \
        is not None


def may_fill(user, round_: EvaluationRound, rated: Subject, step: FormStep) -> bool:
    """Whether `user` is the one who fills this step's form about `rated` (the round's state
    aside): SELF the person rated; MANAGER their manager; PARTY (leaders) an admin or secretary
    of the round's unit; OFFICE an admin of the round; a unit's SELF its head or an admin."""
    step = FormStep(step)
    if isinstance(rated, RatedUnit):
        return step is FormStep.SELF and (can(user, "evaluations.manage", round_)
                                          or heads_unit(user, round_, rated))
    person_id = _person_id(user)
    if step is FormStep.SELF:
        return person_id is not None and person_id == rated.person_id
    if step is FormStep.MANAGER:
        return person_id is not None and person_id == rated.manager_person_id \
            and person_id != rated.person_id
    if step is FormStep.PARTY:
        return rated.is_leader and can(user, "evaluations.run_meeting", round_)
    return can(user, "evaluations.manage", round_)


def may_see_form(user, round_: EvaluationRound, form: EvaluationForm) -> bool:
    """The secrecy of forms (see the module's docstring)."""
    user_id = getattr(user, "id", None)
    if form.status is not FormStatus.SENT:
        return user_id is not None and form.author_id == user_id
    if user_id is not None and form.author_id == user_id:
        return True
    if can(user, "evaluations.manage", round_):
        return True
    person_id = _person_id(user)
    if form.rated_unit_id is not None:
        return heads_unit(user, round_, form.rated_unit)
    rated = form.rated_person
    if person_id is None:
        return False
    if form.step is FormStep.SELF:
        return person_id in (rated.person_id, rated.manager_person_id)
    return person_id == rated.person_id and round_.released_at is not None


def visible_form(user, round_: EvaluationRound, form_id: int) -> EvaluationForm:
    """The form if `user` may see it; NotFound otherwise (as if it did not exist)."""
    form = get_form(round_, form_id)
    if not may_see_form(user, round_, form):
        raise NotFound(FORM_NOT_FOUND)
    return form


def _check_filler(actor, round_: EvaluationRound, rated: Subject, step: FormStep) -> None:
    """404 for someone who may not see the round, 409 when the round is not open, 403 for
    anyone but the one who fills this form."""
    if rated.round_id != round_.id:
        raise NotFound(FORM_NOT_FOUND)
    if not can_see_round(actor, round_):
        raise NotFound(services.ROUND_NOT_FOUND)
    ROUND_STEPS.check(actor, round_, "fill-form")
    if isinstance(rated, RatedUnit) and rules.is_quarterly(round_.settings):
        raise InvalidState(_l("A quarterly review rates leaders only: its units are not "
                              "rated."))
    if not may_fill(actor, round_, rated, step):
        raise NotAllowed(_l("You are not the one who fills this form."))
    if isinstance(rated, RatedPerson) and not rated.included:
        raise InvalidState(_l("This person is not rated in this round."))


# ---------------------------------------------------------------- reading what was entered


def _number(raw, item: Item) -> Decimal | None:
    """Points typed for `item` ("9,5" accepted as 9.5); None when left empty; ValidationFailed
    for anything but a number with at most two decimals between 0 and the item's points."""
    text = str(raw if raw is not None else "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
        if not value.is_finite() or value != value.quantize(Decimal("0.01")):
            raise InvalidOperation
    except InvalidOperation:
        raise ValidationFailed(
            _l("The points of item %(code)s must be a number with at most two decimals."),
            field=f"points-{item.key}", code=item.code) from None
    if value < 0 or value > item.max:
        raise ValidationFailed(_l("The points of item %(code)s must be between 0 and "
                                  "%(max)s."), field=f"points-{item.key}", code=item.code,
                               max=_decimal_text(item.max))
    return value.quantize(Decimal("0.01"))


def _decimal_text(value: Decimal) -> str:
    text = format(value.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _text(raw, limit: int, field: str) -> str:
    text = clean_text(str(raw or "")).strip()
    if len(text) > limit:
        raise ValidationFailed(_l("At most %(max)d characters."), field=field, max=limit)
    return text


def _level(raw) -> Level | None:
    if raw in (None, ""):
        return None
    try:
        level = Level(raw)
    except ValueError:
        raise ValidationFailed(_l("Choose one of the four levels."),
                               field="proposed_level") from None
    if level not in rules.LEVELS:
        raise ValidationFailed(_l("Choose one of the four levels."), field="proposed_level")
    return level


def _read(items: list[Item], given_points: dict, given_comments: dict) -> tuple[dict, dict]:
    keys = {item.key for item in items}
    unknown = (set(given_points or {}) | set(given_comments or {})) - keys
    if unknown:
        raise ValidationFailed(_l("The form names an item that is not in the sheet."))
    found_points, found_comments = {}, {}
    for item in items:
        value = _number((given_points or {}).get(item.key), item)
        if value is not None:
            found_points[item.key] = format(value, "f")
        comment = _text((given_comments or {}).get(item.key), ITEM_COMMENT_MAX,
                        f"comment-{item.key}")
        if comment:
            found_comments[item.key] = comment
    return found_points, found_comments


def _total(items: list[Item], given: dict) -> Decimal:
    """The sum, checked again by the pure rules (each within its item's points)."""
    total = Decimal(0)
    for part in sorted({i.part for i in items}):
        part_items = [{"code": i.key, "points": format(i.max, "f")} for i in items
                      if i.part == part]
        entries = {i.key: Decimal(given[i.key]) for i in items
                   if i.part == part and i.key in given}
        total += rules.sheet_total(entries, part_items)
    return total


def _read_facts(raw: dict | None, *, complete: bool) -> dict:
    """A unit's facts of Điều 7: tasks, on_time, exceeded, done (whole numbers), the share of
    the year's plan done (0 to 1, "0.85"; "85%" is read as 0.85) and whether a violation was
    concluded."""
    raw = raw or {}
    facts: dict = {}
    for name in FACTS:
        text = str(raw.get(name) if raw.get(name) is not None else "").strip()
        if not text:
            continue
        if not text.isdigit() or int(text) > FACT_MAX:
            raise ValidationFailed(_l("Enter a whole number of tasks, from 0."), field=name)
        facts[name] = int(text)
    share = str(raw.get("plan_share_done") or "").strip().replace(",", ".")
    if share:
        percent = share.endswith("%")
        try:
            value = Decimal(share.rstrip("%").strip())
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            raise ValidationFailed(_l("Enter the share of the plan done as a number from 0 to "
                                      "1, or a percentage."), field="plan_share_done") from None
        if percent or value > 1:
            value = value / 100
        if not 0 <= value <= 1:
            raise ValidationFailed(_l("Enter the share of the plan done as a number from 0 to "
                                      "1, or a percentage."), field="plan_share_done")
        facts["plan_share_done"] = format(value.quantize(Decimal("0.0001")).normalize(), "f")
    facts["violation"] = str(raw.get("violation") or "").lower() in ("1", "true", "on", "yes")
    if complete:
        missing = [n for n in (*FACTS, "plan_share_done") if n not in facts]
        if missing:
            raise ValidationFailed(_l("Enter every figure of the unit's tasks."),
                                   field=missing[0])
    counts = [facts.get(n) for n in FACTS]
    if None not in counts:
        tasks, on_time, exceeded, done = counts
        if done > tasks or on_time > done or exceeded > done:
            raise ValidationFailed(_l("The tasks done cannot exceed the tasks assigned, nor the "
                                      "tasks on time or exceeded the tasks done."), field="done")
    return facts


# ---------------------------------------------------------------- saving and sending


@dataclass
class Entry:
    """What the filler typed: points and comments per item key, a proposed level, a comment,
    and for a unit the facts of Điều 7."""

    points: dict
    comments: dict
    proposed_level: str | None = None
    comment: str | None = None
    facts: dict | None = None


def fill_form(actor, round_: EvaluationRound, rated: Subject, step: FormStep, entry: Entry,
           *, send: bool) -> EvaluationForm:
    step = FormStep(step)
    _check_filler(actor, round_, rated, step)
    form = form_for(round_, rated, step)
    if form is not None and form.status is FormStatus.SENT:
        raise InvalidState(LOCKED)
    if form is not None and form.author_id is not None \
            and form.author_id != getattr(actor, "id", None):
        raise InvalidState(_l("Someone else is writing this form; it can be changed once they "
                              "have sent it and an administrator has reopened it."))
    items = items_for(rated)
    given_points, given_comments = _read(items, entry.points, entry.comments)
    level = _level(entry.proposed_level)
    comment = _text(entry.comment, COMMENT_MAX, "comment")
    is_unit = isinstance(rated, RatedUnit)
    facts = _read_facts(entry.facts, complete=send) if is_unit else None
    scored = _scored(round_)
    if not scored:
        given_points = {}
    total = _total(items, given_points) if scored else None
    if send:
        if scored:
            missing = [i for i in items if i.key not in given_points]
            if missing:
                raise ValidationFailed(_l("Give the points of every item: %(codes)s."),
                                       field=f"points-{missing[0].key}",
                                       codes=", ".join(i.code for i in missing))
        axes = any(i.part == "axis" for i in items)  # a quarterly review: results in words
        if not scored or axes:
            missing = [i for i in items if i.key not in given_comments]
            if missing:
                raise ValidationFailed(_l("Write the result on every axis: %(codes)s.") if axes
                                       else _l("Write a comment on every criterion: %(codes)s."),
                                       field=f"comment-{missing[0].key}",
                                       codes=", ".join(i.code for i in missing))
        if level is None:
            raise ValidationFailed(_l("Choose the level you propose."), field="proposed_level")
    if form is None:
        form = EvaluationForm(round_id=round_.id, step=step,
                              rated_person_id=None if is_unit else rated.id,
                              rated_unit_id=rated.id if is_unit else None)
        db.session.add(form)
    content = {"points": given_points, "comments": given_comments}
    if is_unit:
        content["facts"] = facts
    form.content = content
    form.total = hundredths(total) if total is not None else None
    form.proposed_level = level
    form.comment = comment or None
    form.author_id = getattr(actor, "id", None)
    form.updated_at = utcnow()
    if send:
        now = utcnow()
        form.status, form.sent_at = FormStatus.SENT, now
        form.late = is_late(round_, rated, step, now.date())
        if is_unit:
            rated.facts = facts
    db.session.flush()
    subject = "unit" if is_unit else "person"
    if send:
        record(actor, "evaluation_form.sent", form, round_id=round_.id, step=step.value,
               subject=subject, rated_id=rated.id, late=form.late)
        if not is_unit:  # their printed form changed: lay it out in the background
            from evalapp.evaluations.documents import warm_forms

            warm_forms(round_, [rated])
    else:
        record(actor, "evaluation_form.draft_saved", form, round_id=round_.id,
               step=step.value, subject=subject, rated_id=rated.id)
    return form


def is_late(round_: EvaluationRound, rated: Subject, step: FormStep, on: date) -> bool:
    key = UNIT_DUE_KEY if isinstance(rated, RatedUnit) else DUE_KEY[FormStep(step)]
    due = services.due_dates(round_).get(key)
    return due is not None and on > due


def save_draft(actor, round_: EvaluationRound, rated: RatedPerson, step: FormStep,
               points: dict, comments: dict, proposed_level: str | None,
               comment: str | None) -> EvaluationForm:
    """Saves what is given so far (each number still within its item's points)."""
    return fill_form(actor, round_, rated, step, Entry(points, comments, proposed_level, comment),
                  send=False)


def send(actor, round_: EvaluationRound, rated: RatedPerson, step: FormStep, points: dict,
         comments: dict, proposed_level: str | None, comment: str | None) -> EvaluationForm:
    """Checks the form whole, computes its total, marks it late or not, and locks it."""
    return fill_form(actor, round_, rated, step, Entry(points, comments, proposed_level, comment),
                  send=True)


def save_unit_form(actor, round_: EvaluationRound, rated: RatedUnit, points: dict,
                   comments: dict, facts: dict, proposed_level: str | None,
                   comment: str | None) -> EvaluationForm:
    return fill_form(actor, round_, rated, FormStep.SELF,
                  Entry(points, comments, proposed_level, comment, facts), send=False)


def send_unit_form(actor, round_: EvaluationRound, rated: RatedUnit, points: dict,
                   comments: dict, facts: dict, proposed_level: str | None,
                   comment: str | None) -> EvaluationForm:
    return fill_form(actor, round_, rated, FormStep.SELF,
                  Entry(points, comments, proposed_level, comment, facts), send=True)


def reopen(actor, round_: EvaluationRound, form: EvaluationForm, reason: str) -> EvaluationForm:
    """An admin of the round puts a sent form back to draft, with the reason (audited)."""
    if form.round_id != round_.id:
        raise NotFound(FORM_NOT_FOUND)
    ROUND_STEPS.check(actor, round_, "reopen-form")
    reason = nfc(reason)
    if not reason:
        raise ValidationFailed(_l("Give the reason for reopening this form."), field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(_l("At most %(max)d characters."), field="reason",
                               max=REASON_MAX)
    if form.status is not FormStatus.SENT:
        raise InvalidState(_l("Only a sent form can be reopened."))
    form.status, form.sent_at, form.late = FormStatus.DRAFT, None, False
    db.session.flush()
    record(actor, "evaluation_form.reopened", form, round_id=round_.id, step=form.step.value,
           reason=reason)
    return form


# ---------------------------------------------------------------- the unit's computed level


def unit_outcome(round_: EvaluationRound, rated: RatedUnit, form: EvaluationForm | None
                 ) -> rules.Outcome | None:
    """The level the rules give the unit from its form's total and facts (Điều 7), or None
    while something is missing. Sub-units rated KHT are those of this round whose level is
    already decided KHT."""
    if form is None or form.total is None:
        return None
    facts = form.content.get("facts") or {}
    if any(n not in facts for n in (*FACTS, "plan_share_done")):
        return None
    children = db.session.scalars(select(RatedUnit.level).where(
        RatedUnit.round_id == round_.id, RatedUnit.parent_unit_id == rated.unit_id)).all()
    try:
        return rules.unit_level(
            points(form.total), tasks=facts["tasks"], on_time=facts["on_time"],
            exceeded=facts["exceeded"], done=facts["done"],
            plan_share_done=Fraction(Decimal(facts["plan_share_done"])),
            subunits_not_completed=sum(1 for level in children
                                       if level is Level.NOT_COMPLETED),
            violation=bool(facts.get("violation")), preset=services.round_rules(round_))
    except ValueError:
        return None


# ---------------------------------------------------------------- events that force KHT


def events_of(rated: RatedPerson) -> list[ForcingEvent]:
    return list(db.session.scalars(select(ForcingEvent).where(
        ForcingEvent.rated_person_id == rated.id).order_by(ForcingEvent.id)))


def record_event(actor, round_: EvaluationRound, rated: RatedPerson, *, kind: str, act: str,
                 year, unit_id, mitigated: bool = False, note: str | None = None
                 ) -> ForcingEvent:
    ROUND_STEPS.check(actor, round_, "record-event")
    if rated.round_id != round_.id:
        raise NotFound(_l("This person is not rated in this round."))
    try:
        kind = rules.ForcingKind(kind)
    except ValueError:
        raise ValidationFailed(_l("Choose the kind of event."), field="kind") from None
    act = nfc(act)
    if not act:
        raise ValidationFailed(_l("Describe the act or the finding."), field="act")
    if len(act) > 255:
        raise ValidationFailed(_l("At most %(max)d characters."), field="act", max=255)
    try:
        year = int(str(year).strip())
    except ValueError:
        raise ValidationFailed(_l("Enter a year between 2000 and 2100."), field="year") from None
    if not 2000 <= year <= 2100:
        raise ValidationFailed(_l("Enter a year between 2000 and 2100."), field="year")
    unit = None
    if unit_id not in (None, ""):
        try:
            unit = db.session.get(Unit, int(str(unit_id)))
        except ValueError:
            unit = None
        if unit is None or not (unit.path.startswith(round_.unit.path)
                                or round_.unit.path.startswith(unit.path)):
            raise ValidationFailed(_l("Choose the unit where it happened."), field="unit_id")
    if unit is None and kind in (rules.ForcingKind.DISCIPLINE_DUTY,
                                 rules.ForcingKind.LEADER_CORRUPTION):
        raise ValidationFailed(_l("Choose the unit where it happened."), field="unit_id")
    note = nfc(note)
    if len(note) > 1000:
        raise ValidationFailed(_l("At most %(max)d characters."), field="note", max=1000)
    event = ForcingEvent(rated_person_id=rated.id, kind=kind.value, act=act, year=year,
                         unit_id=unit.id if unit else None, mitigated=bool(mitigated),
                         note=note or None, created_at=utcnow())
    db.session.add(event)
    db.session.flush()
    record(actor, "evaluation_event.recorded", event, round_id=round_.id,
           rated_id=rated.id, kind=kind.value, year=year, mitigated=event.mitigated)
    return event


def get_event(rated: RatedPerson, event_id: int) -> ForcingEvent:
    event = db.session.get(ForcingEvent, event_id)
    if event is None or event.rated_person_id != rated.id:
        raise NotFound(_l("This event does not exist."))
    return event


def remove_event(actor, round_: EvaluationRound, event: ForcingEvent) -> None:
    ROUND_STEPS.check(actor, round_, "record-event")
    rated = db.session.get(RatedPerson, event.rated_person_id)
    if rated is None or rated.round_id != round_.id:
        raise NotFound(_l("This event does not exist."))
    record(actor, "evaluation_event.removed", event, round_id=round_.id, rated_id=rated.id,
           kind=event.kind, year=event.year)
    db.session.delete(event)
    db.session.flush()


# The order in which a decision retains the points (issue 11, the decision): the personnel
# office's form, then (people) the year's score from the periods tracked, then the manager's
# form, then the self-assessment. Written once here; decisions reads it.
RETAINED_ORDER = (FormStep.OFFICE, FormStep.MANAGER, FormStep.SELF)


def _sent_forms(rated: RatedPerson) -> dict[FormStep, EvaluationForm]:
    return {f.step: f for f in db.session.scalars(select(EvaluationForm).where(
        EvaluationForm.rated_person_id == rated.id, EvaluationForm.status == FormStatus.SENT))}


def retained_form(rated: RatedPerson) -> EvaluationForm | None:
    """The sent form first in RETAINED_ORDER (the OFFICE's, else the MANAGER's, else the SELF
    form)."""
    sent = _sent_forms(rated)
    return next((sent[step] for step in RETAINED_ORDER if step in sent), None)


def retained_points(rated: Subject, sent: dict[FormStep, EvaluationForm],
                    year_from: str) -> int | None:
    """The points (hundredths) a decision retains for a rated person or unit, from its sent
    forms: the office's total, else (a person) the year's score from the periods tracked
    (Điều 12.5), else the manager's, else the self-assessment's; None without any."""
    office = sent.get(FormStep.OFFICE)
    if office is not None and office.total is not None:
        return office.total
    if isinstance(rated, RatedPerson) and rated.period_scores:
        return hundredths(rules.year_from_periods(rated.period_scores, year_from))
    for step in RETAINED_ORDER[1:]:
        form = sent.get(step)
        if form is not None and form.total is not None:
            return form.total
    return None


def _counted_acts(rated: RatedPerson, year: int) -> frozenset[str]:
    """Acts of discipline already used in an earlier year's rating of the same person."""
    rows = db.session.scalars(select(ForcingEvent.act).join(
        RatedPerson, ForcingEvent.rated_person_id == RatedPerson.id).where(
        RatedPerson.person_id == rated.person_id, RatedPerson.round_id != rated.round_id,
        ForcingEvent.year < year,
        ForcingEvent.kind == rules.ForcingKind.DISCIPLINE_DUTY.value))
    return frozenset(rows)


# ---------------------------------------------------------------- periods tracked


def period_keys(round_: EvaluationRound) -> list[str]:
    """The periods of the round's year as its Quy chế tracks them: "q1".."q4", "m01".."m12",
    or "year" alone."""
    period = services.round_rules(round_).period
    if period == "month":
        return [f"m{n:02d}" for n in range(1, 13)]
    if period == "quarter":
        return [f"q{n}" for n in range(1, 5)]
    return ["year"]


def period_label(key: str) -> str:
    if key.startswith("q"):
        return str(_l("Quarter %(n)s", n=int(key[1:])))
    if key.startswith("m"):
        return str(_l("Month %(n)s", n=int(key[1:])))
    return str(_l("Year"))


def may_track(user, round_: EvaluationRound, rated: RatedPerson) -> bool:
    """The periods' scores are entered by the person's manager or an admin of the round."""
    return may_fill(user, round_, rated, FormStep.MANAGER) or can(user, "evaluations.manage",
                                                                  round_)


def set_periods(actor, round_: EvaluationRound, rated: RatedPerson, scores: dict[str, str],
                sources: dict[str, str] | None = None) -> Decimal | None:
    """The scores (0–100) of the periods tracked in the year, each optional (a period not
    worked is left empty); `sources` names the old unit of a transferred person's periods
    (Điều 15.1a: the old unit sends them, the new one averages them). Returns the year's
    score from them (the Quy chế's rule: mean, last or lowest), None without any."""
    ROUND_STEPS.check_state(round_, "fill-form")
    if not may_track(actor, round_, rated):
        raise NotAllowed(_l("Only the person's manager or an administrator of the round enters "
                            "the scores of the periods."))
    entries = []
    for key in period_keys(round_):
        text = str(scores.get(key) or "").strip().replace(",", ".")
        if not text:
            continue
        try:
            value = Decimal(text)
            if not value.is_finite() or value != value.quantize(Decimal("0.01")):
                raise InvalidOperation
        except InvalidOperation:
            raise ValidationFailed(_l("The score of %(period)s must be a number with at most "
                                      "two decimals."), field=f"period-{key}",
                                   period=period_label(key)) from None
        if not Decimal(0) <= value <= Decimal(100):
            raise ValidationFailed(_l("The score of %(period)s must be between 0 and 100."),
                                   field=f"period-{key}", period=period_label(key))
        source = clean_text((sources or {}).get(key) or "")[:255] or None
        entries.append({"period": key, "score": str(value.quantize(Decimal("0.01"))),
                        "source": source})
    rated.periods = entries
    db.session.flush()
    record(actor, "evaluation_person.periods_set", rated, periods=len(entries))
    return tracked_score(round_, rated)


def tracked_score(round_: EvaluationRound, rated: RatedPerson) -> Decimal | None:
    """The year's score from the periods tracked (NĐ 233 Điều 12.5), None without any."""
    scores = rated.period_scores
    if not scores:
        return None
    return rules.year_from_periods(scores, services.round_rules(round_).year_from)


def retained_total(rated: RatedPerson) -> Decimal | None:
    """The points a decision retains for the person (see retained_points)."""
    return points(retained_points(rated, _sent_forms(rated),
                                  services.round_rules(rated.round).year_from))


def person_outcome(rated: RatedPerson) -> rules.Outcome | None:
    """The level the rules give the person: the retained total and the events that force KHT
    (tally.evaluation.person_level); None while a scored round has no sent form and nothing
    forces KHT."""
    round_ = rated.round
    events = [rules.Event(rules.ForcingKind(e.kind), e.act, e.year, e.unit_id,
                          mitigated=e.mitigated) for e in events_of(rated)]
    forcing = rules.forcing_events(events, year=round_.year, unit_id=rated.unit_id,
                                   is_leader=rated.is_leader,
                                   counted_acts=_counted_acts(rated, round_.year))
    total = retained_total(rated)
    preset = services.round_rules(round_)
    if preset.scored and total is None and not forcing.forced:
        return None
    return rules.person_level(total, forcing, preset)
