"""The documents of an evaluation round, on the document engine (evalapp.documents): each
person's filled form (Phụ lục II of NĐ 233 for viên chức, NĐ 335's form for công chức, Mẫu
01/02/03 of NĐ 90/2020 for the historical preset), the minutes of a unit's collective meeting,
the unit's summary table with every quota check, the decision and each person's result notice.

The round owns them (owner type "evaluation_round"); a form's and a notice's subject is the rated
person ("evaluation_person"), the minutes' the meeting ("evaluation_meeting"). The engine renders,
numbers, stores, signs and verifies; what each document shows, who signs it and who may read it
are answered here.

A round's forms in bulk (`render_forms`): ONE WeasyPrint layout of one HTML holding every form
(a page break between them), written as one PDF, and each person's pages written from that same
layout as their own PDF (`Document.copy(pages)`), for the zip: no layout per person.

Who may: the round's admins (evaluations.manage) issue and read everything; a person rated reads
their own form and their own notice once the results are released (`released_at`), never before
(the form carries the level decided).
"""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from evalapp.audit.services import record
from evalapp.auth.models import User
from evalapp.core.errors import InvalidState, NotAllowed, NotFound, ValidationFailed
from evalapp.documents import prepared
from evalapp.documents import services as engine
from evalapp.documents.registry import (
    DocumentOwner,
    DocumentPlan,
    DocumentType,
    KindEnum,
    Signer,
    register_document_type,
    register_owner,
)
from evalapp.documents.rendering import (
    DOCUMENT_LOCALE,
    STATIC_ORIGIN,
    Formats,
    Stamp,
    locality_from_name,
    render_source,
    sha256_json,
    slug,
)
from evalapp.documents.rendering import issuer_code as symbol_of
from evalapp.documents.rendering import number_label as format_number_label
from evalapp.evaluations import services
from evalapp.evaluations.models import (
    EVALUATION_LEVELS,
    Decision,
    EvaluationForm,
    EvaluationRound,
    FormStatus,
    FormStep,
    Meeting,
    MeetingComment,
    RatedPerson,
    Regulation,
    RoundStatus,
    points,
)
from evalapp.evaluations.permissions import can_manage_round, can_see_round, own_entry
from evalapp.extensions import db
from evalapp.org.models import Person, StaffKind
from evalapp.tally import evaluation as rules
from evalapp.tally.scales import Level


class EvaluationDocumentKind(KindEnum):
    FORM = "evaluation.form"            # phiếu xếp loại chất lượng (one person)
    MINUTES = "evaluation.minutes"      # biên bản họp nhận xét, đánh giá (one meeting)
    SUMMARY = "evaluation.summary"      # bảng tổng hợp kết quả xếp loại
    DECISION = "evaluation.decision"    # quyết định công nhận kết quả xếp loại chất lượng
    NOTICE = "evaluation.notice"        # thông báo kết quả xếp loại (one person)


# Kinds numbered by the body's register ("01/BB-SNV", "05/TB-SNV"). The decision carries the
# number the competent authority gave it (EvaluationRound.decision_number); forms and the
# summary table are not numbered.
NUMBERED_KINDS = {EvaluationDocumentKind.MINUTES: "BB", EvaluationDocumentKind.NOTICE: "TB"}
PERSONAL_KINDS = (EvaluationDocumentKind.FORM, EvaluationDocumentKind.NOTICE)
LEVEL_SHORT = {Level.EXCELLENT: "HTXS", Level.GOOD: "HTT", Level.COMPLETED: "HTNV",
               Level.NOT_COMPLETED: "KHT"}
NOT_RATED_HERE = _l("This person is not rated in this round.")


# ---------------------------------------------------------------- who may


def can_issue(user, round_: EvaluationRound) -> bool:
    return can_manage_round(user, round_)


def can_download(user, document, round_: EvaluationRound) -> bool:
    """The round's admins; the person rated, for their own form and notice, once released."""
    if can_issue(user, round_):
        return True
    if document.kind not in PERSONAL_KINDS or round_.released_at is None:
        return False
    own = own_entry(user, round_)
    return own is not None and document.subject_type == "evaluation_person" \
        and own.id == document.subject_id


def notice_issued(round_: EvaluationRound, rated: RatedPerson) -> bool:
    """Whether a notice of `rated`'s result has been issued (what "my result" links to)."""
    return engine.current_document(round_, EvaluationDocumentKind.NOTICE, rated) is not None


def own_notice(user, round_: EvaluationRound):
    """The user's own current notice (issued), or NotFound; NotAllowed before the release."""
    own = own_entry(user, round_)
    if own is None:
        raise NotFound(NOT_RATED_HERE)
    if round_.released_at is None:
        raise NotAllowed(_l("The results are not released yet."))
    document = engine.current_document(round_, EvaluationDocumentKind.NOTICE, own)
    if document is None:
        raise NotFound(_l("Your notice has not been issued yet."))
    return document


# ---------------------------------------------------------------- heading, register, signers


def is_party(round_: EvaluationRound) -> bool:
    return bool(round_.unit.kind.is_party)


def body_name(round_: EvaluationRound) -> str:
    return round_.body_name or round_.unit.name


def issuer_code(round_: EvaluationRound) -> str:
    return symbol_of(body_name(round_), round_.unit.code)


def locality_of(round_: EvaluationRound) -> str | None:
    names = [round_.body_name, round_.authority_name]
    unit = round_.unit
    while unit is not None:
        names.append(unit.name)
        unit = unit.parent
    return next((place for place in map(locality_from_name, names) if place), None)


def document_date(round_: EvaluationRound) -> date | None:
    if round_.decision_date is not None:
        return round_.decision_date
    if round_.finalised_at is not None:
        return Formats.local(round_.finalised_at).date()
    return None


def _account(person_id: int | None) -> User | None:
    if person_id is None:
        return None
    return db.session.scalar(select(User).where(User.person_id == person_id,
                                                User.active.is_(True)))


def head_of_round(round_: EvaluationRound) -> RatedPerson | None:
    """The head of the round's unit as rated in it (RatedPerson.is_head)."""
    return db.session.scalar(select(RatedPerson).where(
        RatedPerson.round_id == round_.id, RatedPerson.unit_id == round_.unit_id,
        RatedPerson.is_head.is_(True)).order_by(RatedPerson.id).limit(1))


def authority_signers(round_: EvaluationRound) -> list[Signer]:
    """The competent authority: the head of the round's unit, through their account."""
    head = head_of_round(round_)
    user = _account(head.person_id if head else None)
    if user is None:
        return []
    role = round_.authority_name or str(_l("Head of the unit"))
    return [Signer("sig-1", 1, user.id, user.full_name, role[:120], roles=("authority",))]


def _user_named(name: str | None) -> User | None:
    if not name:
        return None
    found = db.session.scalars(select(User).where(User.full_name == name,
                                                  User.active.is_(True)).limit(2)).all()
    return found[0] if len(found) == 1 else None


def minutes_signers(meeting: Meeting) -> list[Signer]:
    """The secretary (left) and the chair (right): the accounts chosen on the meeting's page
    (meetings.save_details stores them as "secretary_user_id" and "chair_user_id" in the
    meeting's content). Only for a meeting recorded before the accounts were chosen (its content
    has neither key), the one active account bearing each name typed then."""
    content = meeting.content
    signers = []
    for key, name, label in (("secretary_user_id", meeting.secretary_name, _l("Secretary")),
                             ("chair_user_id", meeting.chair_name, _l("Chair"))):
        if key in content:
            user = db.session.get(User, content[key]) if isinstance(content[key], int) else None
        else:
            user = _user_named(name)  # recorded before the accounts were chosen
        if user is None or any(s.user_id == user.id for s in signers):
            continue
        position = len(signers) + 1
        signers.append(Signer(f"sig-{position}", position, user.id, user.full_name,
                              str(label), roles=(key.removesuffix("_user_id"),)))
    return signers


def form_signers(round_: EvaluationRound, rated: RatedPerson) -> list[Signer]:
    """The person who assessed themselves, then the competent authority."""
    signers = []
    user = _account(rated.person_id)
    if user is not None:
        signers.append(Signer("sig-1", 1, user.id, user.full_name,
                              str(_l("Person assessed")), roles=("self",)))
    for signer in authority_signers(round_):
        if all(s.user_id != signer.user_id for s in signers):
            position = len(signers) + 1
            signers.append(Signer(f"sig-{position}", position, signer.user_id,
                                  signer.full_name, signer.role_label, signer.roles))
    return signers


# ---------------------------------------------------------------- what the documents show


def level_label(level) -> str:
    return _(Level(level).label) if level else ""


def quota_percent(share) -> str:
    return f"{Decimal(share.numerator * 100) / share.denominator:.0f}".replace(".", ",")


@dataclass
class ItemLine:
    code: str
    title: str
    max_points: Decimal
    self_points: Decimal | None = None
    manager_points: Decimal | None = None
    office_points: Decimal | None = None
    comment: str | None = None


@dataclass
class FormSheet:
    """One person's filled form, ready for the template."""

    rated: RatedPerson
    layout: str                 # "vc233" | "cc335" | "hist90"
    heading: str                # "PHIẾU XẾP LOẠI CHẤT LƯỢNG VIÊN CHỨC"
    annex: str                  # "Phụ lục II ... Nghị định số 233/2026/NĐ-CP"
    scored: bool
    general: list[ItemLine]
    tasks: list[ItemLine]
    forms: dict[FormStep, EvaluationForm | None]
    general_total: Decimal | None = None
    task_total: Decimal | None = None
    total: Decimal | None = None
    self_level: Level | None = None
    manager_level: Level | None = None
    decided: Level | None = None
    comments: list[tuple[str, str]] = field(default_factory=list)


LAYOUT_TITLES = {
    ("vc233", StaffKind.PUBLIC_EMPLOYEE): _l("Quality rating form of a public employee"),
    ("cc335", StaffKind.OFFICIAL): _l("Quality rating form of an elected official"),
    ("cc335", None): _l("Quality rating form of a civil servant"),
    ("hist90", StaffKind.PUBLIC_EMPLOYEE): _l("Form for assessing and rating a public employee"),
    ("hist90", StaffKind.OFFICIAL): _l("Form for assessing and rating an elected official"),
    ("hist90", None): _l("Form for assessing and rating a civil servant"),
}
ANNEXES = {
    "vc233": _l("Annex II (issued with Decree No. 233/2026/NĐ-CP)"),
    "cc335": _l("Form issued with Decree No. 335/2025/NĐ-CP"),
    "hist90": _l("Form No. %(n)s (issued with Decree No. 90/2020/NĐ-CP)"),
}


def layout_of(round_: EvaluationRound, rated: RatedPerson) -> str:
    settings = round_.settings
    if settings.get("scored") is False or round_.preset == "decree-90-2020":
        return "hist90"
    return "vc233" if rated.staff_kind is StaffKind.PUBLIC_EMPLOYEE else "cc335"


def _sent(form: EvaluationForm | None) -> EvaluationForm | None:
    return form if form is not None and form.status is FormStatus.SENT else None


def _points_of(form: EvaluationForm | None, code: str) -> Decimal | None:
    if form is None:
        return None
    raw = form.content.get("points", {}).get(code)
    try:
        return Decimal(str(raw)).quantize(Decimal("0.01")) if raw not in (None, "") else None
    except ArithmeticError:
        return None


class _Regulations:
    """The sheets' items, each Quy chế version read once (bulk: one query per version)."""

    def __init__(self, round_: EvaluationRound):
        self.round = round_
        self.cache: dict[int | None, dict] = {}

    def content(self, regulation_id: int | None) -> dict:
        if regulation_id not in self.cache:
            regulation = db.session.get(Regulation, regulation_id) if regulation_id else None
            self.cache[regulation_id] = (regulation.content if regulation is not None
                                         else rules.seed_regulation(self.round.preset))
        return self.cache[regulation_id]


def _forms_by_person(round_: EvaluationRound, ids: list[int]) -> dict[int, dict]:
    found: dict[int, dict] = {i: {} for i in ids}
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        for form in db.session.scalars(select(EvaluationForm).where(
                EvaluationForm.round_id == round_.id,
                EvaluationForm.rated_person_id.in_(chunk))):
            found[form.rated_person_id][form.step] = form
    return found


def form_sheet(round_: EvaluationRound, rated: RatedPerson, forms: dict | None = None,
               regulations: _Regulations | None = None) -> FormSheet:
    forms = forms if forms is not None else _forms_by_person(round_, [rated.id])[rated.id]
    regulations = regulations or _Regulations(round_)
    content = regulations.content(rated.regulation_id)
    own, manager, office = (_sent(forms.get(step)) for step in
                            (FormStep.SELF, FormStep.MANAGER, FormStep.OFFICE))

    def lines(part: str) -> list[ItemLine]:
        result = []
        for item in content.get(part, []):
            code = str(item["code"])
            comment = (own.content.get("comments", {}).get(code) if own else None)
            result.append(ItemLine(code, str(item["title"]), Decimal(str(item["points"])),
                                   _points_of(own, code), _points_of(manager, code),
                                   _points_of(office, code), comment))
        return result

    general = lines("general")
    tasks = lines("task_leader" if rated.is_leader else "task_staff")
    layout = layout_of(round_, rated)
    kind = rated.staff_kind if rated.staff_kind in (StaffKind.PUBLIC_EMPLOYEE,
                                                     StaffKind.OFFICIAL) else None
    heading = LAYOUT_TITLES.get((layout, kind)) or LAYOUT_TITLES[(layout, None)]
    if layout == "vc233":
        heading = LAYOUT_TITLES[("vc233", StaffKind.PUBLIC_EMPLOYEE)]
    number = {StaffKind.OFFICIAL: "01", StaffKind.PUBLIC_EMPLOYEE: "03"}.get(rated.staff_kind,
                                                                            "02")
    annex = str(ANNEXES[layout]) % {"n": number} if layout == "hist90" else str(ANNEXES[layout])

    def total(items: list[ItemLine]) -> Decimal | None:
        given = [i.self_points for i in items if i.self_points is not None]
        return sum(given, Decimal("0.00")) if given else None

    comments = []
    for step, form in ((FormStep.SELF, own), (FormStep.MANAGER, manager),
                       (FormStep.PARTY, _sent(forms.get(FormStep.PARTY))),
                       (FormStep.OFFICE, office)):
        if form is not None and form.comment:
            comments.append((step.label, form.comment))
    return FormSheet(
        rated=rated, layout=layout, heading=str(heading), annex=annex,
        scored=layout != "hist90", general=general, tasks=tasks,
        forms={FormStep.SELF: own, FormStep.MANAGER: manager, FormStep.OFFICE: office},
        general_total=total(general), task_total=total(tasks),
        total=points(own.total) if own and own.total is not None else None,
        self_level=own.proposed_level if own else None,
        manager_level=manager.proposed_level if manager else None,
        decided=rated.level, comments=comments)


def current_decisions(round_: EvaluationRound) -> dict[int, Decision]:
    """The decision in force for each rated person (one no other supersedes)."""
    later = aliased(Decision)
    rows = db.session.scalars(select(Decision).where(
        Decision.round_id == round_.id, Decision.rated_person_id.is_not(None),
        ~exists().where(later.supersedes_id == Decision.id)).order_by(Decision.id))
    return {d.rated_person_id: d for d in rows}


@dataclass
class QuotaLine:
    scope: str
    excellent: int
    good: int
    cap: int
    percent: str
    ok: bool


@dataclass
class UnitSummary:
    name: str
    people: list[RatedPerson]
    counts: dict
    quota: list[QuotaLine]


def _level_in_table(rated: RatedPerson) -> Level | None:
    """The level the quotas are checked on: the decided one, else the office's proposal."""
    return rated.level or rated.proposed_level


def _quota_lines(people: list[RatedPerson], scope_name: str, excellent_unit: bool,
                 preset) -> list[QuotaLine]:
    rated = [rules.Rated(p.id, p.duty_group_name, _level_in_table(p)) for p in people
             if _level_in_table(p) is not None]
    left = rules.slots_left(rated, excellent_unit=excellent_unit, preset=preset)
    share = preset.quota_share_excellent_unit if excellent_unit else preset.quota_share
    lines = []
    for scope, free in left.items():
        members = [r for r in rated if scope is None or r.group == scope]
        excellent = sum(1 for r in members if Level(r.level) is Level.EXCELLENT)
        good = sum(1 for r in members if Level(r.level) is Level.GOOD)
        lines.append(QuotaLine(scope_name if scope is None else scope, excellent, good,
                               free + excellent, quota_percent(share), free >= 0))
    return lines


def summary_context(round_: EvaluationRound) -> dict[str, Any]:
    preset = services.round_rules(round_)
    people = services.rated_people(round_, included=True)
    forms = _forms_by_person(round_, [p.id for p in people])
    units = services.rated_units(round_)
    unit_level = {u.unit_id: u.level or u.proposed_level for u in units}
    by_unit: dict[int, list[RatedPerson]] = {}
    for person in people:
        by_unit.setdefault(person.unit_id, []).append(person)
    summaries = []
    for unit_id, members in by_unit.items():
        counts = Counter(_level_in_table(p) for p in members if _level_in_table(p))
        excellent_unit = unit_level.get(unit_id) is Level.EXCELLENT
        summaries.append(UnitSummary(members[0].unit_name, members,
                                     {level: counts.get(level, 0) for level in EVALUATION_LEVELS},
                                     _quota_lines(members, members[0].unit_name,
                                                  excellent_unit, preset)))
    # Units among themselves (counted per parent), and each head against their unit.
    unit_lines = []
    rated_units = [rules.Rated(u.id, str(u.parent_unit_id or ""), u.level or u.proposed_level)
                   for u in units if (u.level or u.proposed_level) is not None]
    breaches = rules.units_quota(rated_units, outstanding=round_.outstanding, preset=preset)
    for breach in breaches:
        unit_lines.append(breach)
    heads = []
    for person in people:
        if person.is_head and _level_in_table(person) and unit_level.get(person.unit_id):
            above = rules.head_above_unit(_level_in_table(person), unit_level[person.unit_id])
            heads.append((person, _level_in_table(person), unit_level[person.unit_id], above))
    self_levels = {p.id: (_sent(forms[p.id].get(FormStep.SELF)) or None) for p in people}
    total_counts = Counter(_level_in_table(p) for p in people if _level_in_table(p))
    return {"units": summaries, "heads": heads, "unit_breaches": unit_lines,
            "rated_units": units,
            "self_forms": self_levels,
            "total_counts": {level: total_counts.get(level, 0) for level in EVALUATION_LEVELS}}


def summary_fingerprint(round_: EvaluationRound) -> str:
    return sha256_json({"format": "evalapp-evaluation-1", "round_id": round_.id,
                        "people": [[p.id, p.full_name, p.score, _level_in_table(p)]
                                   for p in services.rated_people(round_, included=True)]})


# ---------------------------------------------------------------- the kinds


class RoundDocumentType(DocumentType):
    owner = "evaluation_round"
    template: str
    title_format: Any

    def ready(self, round_: EvaluationRound) -> None:
        if round_.status is RoundStatus.DRAFT:
            raise InvalidState(_l("The round's documents are made once the round is open."))

    def subject_check(self, round_, subject) -> None:
        if subject is not None:
            raise ValidationFailed(_l("This document is about the whole round."),
                                   field="subject")

    def check(self, round_, subject) -> None:
        self.ready(round_)
        self.subject_check(round_, subject)

    def check_plan(self, plan: DocumentPlan) -> None:
        if not plan.signers:
            raise InvalidState(_l("The document needs someone to sign it: give the head of "
                                  "the unit an account first."))

    def signers(self, round_, subject) -> list[Signer]:
        return authority_signers(round_)

    def title(self, round_, subject) -> str:
        return str(self.title_format) % {"title": round_.title}

    def context(self, round_, subject) -> dict:
        return {}

    def plan(self, round_, subject) -> DocumentPlan:
        context = {
            "round": round_, "body_name": body_name(round_),
            "governing_body_name": round_.authority_name, "is_party": is_party(round_),
            "locality": locality_of(round_), "document_date": document_date(round_),
            "kind_code": NUMBERED_KINDS.get(self.kind, ""), "issuer_code": issuer_code(round_),
            "level_label": level_label, "levels": EVALUATION_LEVELS, "short": LEVEL_SHORT,
        }
        context.update(self.context(round_, subject))
        return DocumentPlan(kind=self.kind, owner=round_, subject=subject,
                            title=self.title(round_, subject), template=self.template,
                            signers=self.signers(round_, subject), context=context,
                            tally_fingerprint=summary_fingerprint(round_))


def _person_check(round_, rated) -> None:
    if rated is None:
        raise ValidationFailed(_l("Choose the person rated."), field="subject")
    if not isinstance(rated, RatedPerson) or rated.round_id != round_.id:
        raise NotFound(NOT_RATED_HERE)


class FormType(RoundDocumentType):
    kind = EvaluationDocumentKind.FORM
    label = _l("Quality rating form")
    template = "evaluations/documents/form.html"
    title_format = _l("Quality rating form of %(name)s: %(title)s")
    file_prefix = "phieu-xep-loai"

    def subject_check(self, round_, rated):
        _person_check(round_, rated)

    def check_plan(self, plan):
        """A form may be printed before anyone holds a certificate."""

    def title(self, round_, rated):
        _person_check(round_, rated)
        return str(self.title_format) % {"name": rated.full_name, "title": round_.title}

    def signers(self, round_, rated):
        return form_signers(round_, rated)

    def context(self, round_, rated):
        return {"sheets": [form_sheet(round_, rated)], "bulk": False}


class MinutesType(RoundDocumentType):
    kind = EvaluationDocumentKind.MINUTES
    label = _l("Minutes of the evaluation meeting")
    template = "evaluations/documents/minutes.html"
    title_format = _l("Minutes of the meeting of %(unit)s: %(title)s")
    number_code = NUMBERED_KINDS[EvaluationDocumentKind.MINUTES]
    file_prefix = "bien-ban-hop-danh-gia"

    def subject_check(self, round_, meeting):
        if meeting is None:
            raise ValidationFailed(_l("Choose the meeting."), field="subject")
        if not isinstance(meeting, Meeting) or meeting.round_id != round_.id:
            raise NotFound(_l("This meeting is not one of this round."))

    def title(self, round_, meeting):
        self.subject_check(round_, meeting)
        return str(self.title_format) % {"unit": meeting.unit.name, "title": round_.title}

    def check_plan(self, plan):
        if not plan.signers:
            raise InvalidState(_l("Name the chair and the secretary of the meeting (with "
                                  "their accounts) first: the minutes need their signatures."))

    def signers(self, round_, meeting):
        return minutes_signers(meeting)

    def context(self, round_, meeting):
        people = [p for p in services.rated_people(round_, included=True)
                  if p.unit_id == meeting.unit_id]
        forms = _forms_by_person(round_, [p.id for p in people])
        comments = {c.rated_person_id: c.text for c in db.session.scalars(
            select(MeetingComment).where(MeetingComment.meeting_id == meeting.id))}
        content = meeting.content
        opinions = content.get("opinions") or {}
        present_ids = [i for i in content.get("present", []) if isinstance(i, int)]
        names = {p.id: p.full_name for p in db.session.scalars(
            select(Person).where(Person.id.in_(present_ids)))} if present_ids else {}
        lines = []
        for person in people:
            own = _sent(forms[person.id].get(FormStep.SELF))
            lines.append({"person": person,
                          "self_level": own.proposed_level if own else None,
                          "self_total": points(own.total) if own and own.total is not None
                          else None,
                          "comment": comments.get(person.id),
                          "opinions": opinions.get(str(person.id))})
        signers = minutes_signers(meeting)
        return {"meeting": meeting, "lines": lines, "counted": bool(opinions),
                "present_names": [names[i] for i in present_ids if i in names],
                "secretary": next((s for s in signers if "secretary" in s.roles), None),
                "chair": next((s for s in signers if "chair" in s.roles), None)}


class SummaryType(RoundDocumentType):
    kind = EvaluationDocumentKind.SUMMARY
    label = _l("Summary table of the ratings")
    template = "evaluations/documents/summary.html"
    title_format = _l("Summary table of the ratings: %(title)s")
    file_prefix = "bang-tong-hop-xep-loai"

    def context(self, round_, subject):
        preset = services.round_rules(round_)
        return {**summary_context(round_), "preset": preset,
                "few_units": preset.few_units}


class DecisionType(RoundDocumentType):
    kind = EvaluationDocumentKind.DECISION
    label = _l("Decision on the ratings")
    template = "evaluations/documents/decision.html"
    title_format = _l("Decision on the quality ratings: %(title)s")
    file_prefix = "quyet-dinh-xep-loai"

    def ready(self, round_):
        if round_.status is not RoundStatus.FINALISED:
            raise InvalidState(_l("The decision is made once the round is finalised."))

    def context(self, round_, subject):
        decisions = current_decisions(round_)
        people = [p for p in services.rated_people(round_, included=True) if p.level]
        by_level = {level: [p for p in people if p.level is level] for level in EVALUATION_LEVELS}
        return {"by_level": by_level, "decisions": decisions,
                "number_text": round_.decision_number}


class NoticeType(RoundDocumentType):
    kind = EvaluationDocumentKind.NOTICE
    label = _l("Result notice")
    template = "evaluations/documents/notice.html"
    title_format = _l("Result notice to %(name)s: %(title)s")
    number_code = NUMBERED_KINDS[EvaluationDocumentKind.NOTICE]
    file_prefix = "thong-bao-xep-loai"

    def ready(self, round_):
        if round_.status is not RoundStatus.FINALISED:
            raise InvalidState(_l("The notices are made once the round is finalised."))

    def subject_check(self, round_, rated):
        _person_check(round_, rated)
        if rated.level is None:
            raise InvalidState(_l("No level is decided for this person yet."))

    def title(self, round_, rated):
        _person_check(round_, rated)
        return str(self.title_format) % {"name": rated.full_name, "title": round_.title}

    def context(self, round_, rated):
        decision = current_decisions(round_).get(rated.id)
        return {"rated": rated, "decision": decision,
                "score": points(rated.score) if rated.score is not None else None}


# ---------------------------------------------------------------- the round as an owner


class RoundOwner(DocumentOwner):
    key = "evaluation_round"
    model = EvaluationRound
    subjects = {"evaluation_person": RatedPerson, "evaluation_meeting": Meeting}
    label = _l("Evaluation round")
    nothing_to_sign = _l("No document of this evaluation round is waiting for your signature.")

    def title(self, round_):
        return round_.title

    def can_issue(self, user, round_):
        return can_issue(user, round_)

    def can_download(self, user, document, round_):
        return can_download(user, document, round_)

    def can_see(self, user, round_):
        return can_see_round(user, round_)

    def potential_signers(self, user_id=None):
        """The heads of the rounds' units (the competent authority) with an account."""
        query = (select(User.id, EvaluationRound.body_name)
                 .join(RatedPerson, RatedPerson.person_id == User.person_id)
                 .join(EvaluationRound, EvaluationRound.id == RatedPerson.round_id)
                 .where(RatedPerson.is_head.is_(True),
                        RatedPerson.unit_id == EvaluationRound.unit_id))
        if user_id is not None:
            query = query.where(User.id == user_id)
        return {uid: body for uid, body in db.session.execute(query).all()}

    def register(self, round_):
        return "unit", round_.unit_id

    def number_label(self, round_, kind_code, number):
        return format_number_label(is_party(round_), kind_code, issuer_code(round_), number)

    def document_date(self, round_):
        return document_date(round_)

    def subject_position(self, round_, subject_type, subject_id):
        return subject_id or 0

    def file_name_parts(self, document, round_):
        parts = [str(round_.id)]
        if document.subject_type == "evaluation_person" and document.subject_id is not None:
            rated = db.session.get(RatedPerson, document.subject_id)
            if rated is not None and slug(rated.full_name):
                parts.append(slug(rated.full_name))
        return parts

    def audit_details(self, round_, subject):
        details = {"round_id": round_.id}
        if subject is not None:
            details["document_subject"] = "{}:{}".format(*self.subject_link(subject))
        return details


# ---------------------------------------------------------------- services


def issue_document(actor, round_: EvaluationRound, kind, subject=None, **options):
    """Issue a document of the round (see evalapp.documents.services.issue_document)."""
    return engine.issue_document(actor, round_, EvaluationDocumentKind(kind), subject,
                                 **options)


@dataclass(frozen=True)
class BulkForms:
    """A round's forms rendered in bulk: the whole PDF, or each person's own PDF."""

    pdf: bytes | None
    pages: int
    people: list[tuple[RatedPerson, bytes]]
    layouts: int  # how many WeasyPrint layouts were made for it
    laid_out: int = 0  # how many forms were laid out for it (the others were kept)


BULK_LIMIT = 5000
# Forms per layout. WeasyPrint's cost is per page, not per call, so one layout of everything
# saves nothing; what saves time is laying out chunks on every core at once (measured:
# bench/evaluation_forms.py) and never laying out again a form that has not changed.
CHUNK = 40


def bulk_people(round_: EvaluationRound, unit=None) -> list[RatedPerson]:
    return services.rated_people(round_, unit=unit, included=True)


def _forms_html(round_: EvaluationRound, people: list[RatedPerson], forms, regulations,
                stamp) -> str:
    from flask_babel import force_locale

    with force_locale(DOCUMENT_LOCALE):
        sheets = [form_sheet(round_, p, forms[p.id], regulations) for p in people]
        html, _digest = render_source(
            "evaluations/documents/form.html", stamp=stamp, sheets=sheets, bulk=True,
            round=round_, body_name=body_name(round_),
            governing_body_name=round_.authority_name, is_party=is_party(round_),
            locality=locality_of(round_), document_date=None, kind_code="",
            issuer_code=issuer_code(round_), level_label=level_label,
            levels=EVALUATION_LEVELS, short=LEVEL_SHORT, signers=[],
            title=str(_l("Quality rating forms: %(title)s", title=round_.title)))
    return html


def _lay_out(html: str, static_folder: str):
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from evalapp.documents.rendering import _static_fetcher_class

    return HTML(string=html, base_url=STATIC_ORIGIN,
                url_fetcher=_static_fetcher_class()(static_folder)).render(
        font_config=FontConfiguration())


def render_chunk(html: str, static_folder: str, ids: list[int], prefix: str,
                 per_person: bool = True) -> list[tuple[int, bytes]]:
    """One layout of several people's forms, written as one PDF per person (each from its own
    pages of the same layout), or, without `per_person`, as one PDF (under the id 0). Runs in a
    worker process: plain values in and out."""
    document = _lay_out(html, static_folder)
    if not per_person:
        return [(0, document.write_pdf(pdf_identifier=prefix.encode("ascii")))]
    starts: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor.startswith("form-") and anchor not in starts:
                starts[anchor] = index
    bounds = [starts[f"form-{i}"] for i in ids] + [len(document.pages)]
    return [(person_id, document.copy(document.pages[bounds[n]:bounds[n + 1]]).write_pdf(
        pdf_identifier=f"{prefix}-{person_id}".encode("ascii")))
        for n, person_id in enumerate(ids)]


def _workers(chunks: int) -> int:
    import os

    return max(1, min(chunks, len(os.sched_getaffinity(0))))


def _background() -> None:
    """A worker process lays out at a lower priority than the server's requests."""
    import os

    os.nice(10)


def _merge(pdfs: list[bytes]) -> tuple[bytes, int]:
    """Several PDFs as one, pages in order (pypdf), with the first one's metadata."""
    if len(pdfs) == 1:
        from pypdf import PdfReader

        return pdfs[0], len(PdfReader(io.BytesIO(pdfs[0])).pages)
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    first = PdfReader(io.BytesIO(pdfs[0])).metadata
    if first:
        writer.add_metadata(dict(first))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(writer.pages)


# One lock per round in this process: a print and the warm-up of the same round take turns by
# batches, each laying out only what the other has not kept yet.
_ROUND_LOCKS: dict[int, threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()


def _round_lock(round_id: int) -> threading.Lock:
    with _LOCKS_LOCK:
        return _ROUND_LOCKS.setdefault(round_id, threading.Lock())


FORM_MARK = "<!--evalapp-form-->"


@dataclass
class FormsWork:
    """A bulk print planned (everything read from the database, each form's HTML made) and
    laid out by run() without the database. Each person's form is a part kept under the digest
    of its HTML (evalapp.documents.prepared's parts): only the forms not kept yet are laid out,
    in chunks of CHUNK forms on every core at once (a process pool, at a lower priority),
    progress reported after each batch; then the file is assembled from the parts."""

    round_id: int
    people: list[RatedPerson]
    head: str
    tail: str
    fragments: dict[int, str]
    keys: dict[int, str]
    static_folder: str
    parts: Path
    prefix: str
    per_person: bool

    def html(self, ids: list[int]) -> str:
        return "\n".join([self.head, *(self.fragments[i] for i in ids), self.tail])

    def _missing(self) -> list[int]:
        return [p.id for p in self.people if not prepared.has_part(self.parts, self.keys[p.id])]

    def lay_out(self, progress=None) -> tuple[int, int]:
        """Lay out and keep every form not kept yet; (layouts, forms laid out)."""
        total, layouts, laid_out = len(self.people), 0, 0
        pool = None
        try:
            while True:
                with _round_lock(self.round_id):
                    missing = self._missing()
                    if progress is not None:
                        progress(total - len(missing))
                    if not missing:
                        break
                    workers = _workers(-(-len(missing) // CHUNK))
                    batch = missing[:CHUNK * workers]
                    # as many chunks as workers, of even sizes (41 forms: 21 + 20, not 40 + 1)
                    size = -(-len(batch) // workers)
                    chunks = [batch[i:i + size] for i in range(0, len(batch), size)]
                    jobs = [(self.html(chunk), self.static_folder, chunk, self.prefix)
                            for chunk in chunks]
                    if len(jobs) == 1:
                        results = [render_chunk(*jobs[0])]
                    else:
                        if pool is None:
                            pool = _pool(workers)
                        results = list(pool.map(render_chunk, *zip(*jobs, strict=True)))
                    for result in results:
                        for person_id, pdf in result:
                            prepared.keep_part(self.parts, self.keys[person_id], pdf)
                    layouts += len(jobs)
                    laid_out += len(batch)
        finally:
            if pool is not None:
                pool.shutdown()
        return layouts, laid_out

    def prime(self) -> None:
        self.lay_out()

    def render(self, progress=None) -> BulkForms:
        layouts, laid_out = self.lay_out(progress)
        pdfs = []
        for person in self.people:
            pdf = prepared.part(self.parts, self.keys[person.id])
            if pdf is None:  # dropped since (very old): lay it out again
                pdf = render_chunk(self.html([person.id]), self.static_folder, [person.id],
                                   self.prefix)[0][1]
                layouts, laid_out = layouts + 1, laid_out + 1
            pdfs.append((person, pdf))
        if not self.per_person:
            pdf, pages = _merge([pdf for _person, pdf in pdfs])
            return BulkForms(pdf=pdf, pages=pages, people=[], layouts=layouts,
                             laid_out=laid_out)
        return BulkForms(pdf=None, pages=0, people=pdfs, layouts=layouts, laid_out=laid_out)

    def run(self, progress) -> bytes:
        """The file of a prepared print (evalapp.documents.prepared): the PDF or the zip."""
        bulk = self.render(progress)
        return bulk.pdf if not self.per_person else forms_zip(bulk)


def _pool(workers: int):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: a fork of a server process would copy its database connections and its
    # fontconfig state; the workers import only WeasyPrint and the fetcher.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_background)


def _checked_people(actor, round_: EvaluationRound, unit) -> list[RatedPerson]:
    if not can_issue(actor, round_):
        raise NotAllowed()
    if round_.status is RoundStatus.DRAFT:
        raise InvalidState(_l("The round's documents are made once the round is open."))
    people = bulk_people(round_, unit)
    if not people:
        raise InvalidState(_l("Nobody is rated here."))
    if len(people) > BULK_LIMIT:
        raise ValidationFailed(_l("At most %(max)d forms at once: choose a unit.",
                                  max=BULK_LIMIT), field="unit_id")
    return people


# Forms per template rendering when planning (HTML only: cheap).
PLAN_CHUNK = 200


def _static_digest(static_folder: str) -> str:
    """What the layout depends on besides the HTML: the stylesheet, the fonts it names, the
    layout engine's version."""
    import weasyprint

    digest = hashlib.sha256(weasyprint.__version__.encode())
    folder = Path(static_folder)
    for path in [folder / "css" / "documents.css", *sorted((folder / "fonts").glob("*"))]:
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def plan_forms(round_: EvaluationRound, people: list[RatedPerson], *,
               per_person: bool) -> FormsWork:
    """Read and write out (as HTML) every form of `people`, each under the digest it is kept
    by once laid out."""
    from flask import current_app

    forms = _forms_by_person(round_, [p.id for p in people])
    regulations = _Regulations(round_)
    stamp = Stamp(f"r{round_.id}-forms", Formats.local(round_.opened_at or round_.created_at)
                  .replace(microsecond=0))
    static_folder = current_app.static_folder
    prefix = f"r{round_.id}-form"
    fixed = _static_digest(static_folder) + prefix
    head = tail = ""
    fragments: dict[int, str] = {}
    for start in range(0, len(people), PLAN_CHUNK):
        chunk = people[start:start + PLAN_CHUNK]
        pieces = _forms_html(round_, chunk, forms, regulations, stamp).split(FORM_MARK)
        # head, one piece per person, and the tail after the last mark
        head, tail = pieces[0], pieces[-1]
        # (stripped: the whitespace around a form depends on its place in the loop)
        fragments.update((p.id, piece.strip()) for p, piece in zip(chunk, pieces[1:-1],
                                                                   strict=True))
    keys = {person_id: hashlib.sha256((fixed + head + fragment + tail).encode()).hexdigest()
            for person_id, fragment in fragments.items()}
    return FormsWork(round_id=round_.id, people=people, head=head, tail=tail,
                     fragments=fragments, keys=keys, static_folder=static_folder,
                     parts=prepared.parts_directory(), prefix=prefix, per_person=per_person)


def render_forms(actor, round_: EvaluationRound, unit=None, *, per_person: bool = True,
                 people: list[RatedPerson] | None = None) -> BulkForms:
    """Every form of the round (or of `unit` and its sub-units), rendered now, in bulk: one PDF,
    or (`per_person`) each person's PDF. Pages and the command line use `prepare_forms`, which
    makes the same in the background."""
    checked = _checked_people(actor, round_, unit)
    return plan_forms(round_, people if people is not None else checked,
                      per_person=per_person).render()


FORMS_PREPARATION = "evaluation.forms"


def prepare_forms(actor, round_: EvaluationRound, unit=None, *, per_person: bool):
    """Ask for every form of the round (or of `unit`) as one PDF or a zip of one PDF each,
    made in the background (evalapp.documents.prepared); returns the prepared file."""
    people = _checked_people(actor, round_, unit)
    prepared_file = prepared.request(
        actor, FORMS_PREPARATION, OWNER.key, round_.id,
        parameters={"unit_id": unit.id if unit is not None else None,
                    "per_person": per_person},
        total=len(people), file_name=bulk_file_name(round_, "zip" if per_person else "pdf"))
    record(actor, "evaluation_round.forms_printed", round_, forms=len(people),
           per_person=per_person)
    return prepared_file


def warm_forms(round_: EvaluationRound, people: list[RatedPerson] | None = None) -> None:
    """Once committed, lay out every form of the round (or of `people`: a form just sent) in
    the background (kept as parts), so that the print asked for next finds them made."""
    ids = sorted(p.id for p in people) if people is not None else None
    prepared.warm(FORMS_PREPARATION, OWNER.key, round_.id,
                  parameters={"unit_id": None, "per_person": True, "rated_ids": ids},
                  name=",".join(map(str, ids)) if ids else "all")


def _plan_prepared(prepared_file) -> FormsWork:
    from evalapp.org.models import Unit

    round_ = db.session.get(EvaluationRound, prepared_file.owner_id)
    parameters = prepared_file.parameters
    unit = (db.session.get(Unit, parameters["unit_id"])
            if parameters.get("unit_id") is not None else None)
    people = bulk_people(round_, unit)
    if parameters.get("rated_ids") is not None:
        wanted = set(parameters["rated_ids"])
        people = [p for p in people if p.id in wanted]
    return plan_forms(round_, people, per_person=parameters["per_person"])


def form_file_name(rated: RatedPerson) -> str:
    return "-".join(part for part in ("phieu-xep-loai", str(rated.id), slug(rated.full_name))
                    if part) + ".pdf"


def forms_zip(bulk: BulkForms) -> bytes:
    """Each person's form as its own PDF in one ZIP (stored: PDFs do not compress)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for rated, pdf in bulk.people:
            info = zipfile.ZipInfo(form_file_name(rated), date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, pdf)
    return buffer.getvalue()


def bulk_file_name(round_: EvaluationRound, extension: str) -> str:
    return f"phieu-xep-loai-dot-{round_.id}-tat-ca.{extension}"


# ---------------------------------------------------------------- registration

OWNER = register_owner(RoundOwner())
prepared.register_preparation(prepared.Preparation(FORMS_PREPARATION, _plan_prepared))
for _type in (FormType(), MinutesType(), SummaryType(), DecisionType(), NoticeType()):
    register_document_type(_type)
