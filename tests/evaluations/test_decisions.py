"""The decision of an evaluation round: retained scores and computed levels, proposals, every
rule checked at once and refused by finalise (then fixed and finalised), release, petitions
answered by a new decision that supersedes the old one, and the export read back."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.core.errors import InvalidState, NotAllowed, ValidationFailed
from evalapp.core.time import utcnow
from evalapp.evaluations import builder, decisions, export, services
from evalapp.evaluations.models import (
    Decision,
    EvaluationForm,
    ForcingEvent,
    FormStatus,
    FormStep,
    Meeting,
    PetitionStatus,
    RatedPerson,
    RoundStatus,
    hundredths,
)
from evalapp.tally.scales import Level

HTXS, HTT, HTNV, KHT = Level.EXCELLENT, Level.GOOD, Level.COMPLETED, Level.NOT_COMPLETED
ON_TIME = {"tasks": 10, "on_time": 10, "exceeded": 1, "done": 10, "plan_share_done": "1",
           "violation": False}


def sent_form(round_, rated, step, total, level=None, facts=None):
    """A sent form written directly with the model (the forms' pages are another part)."""
    form = EvaluationForm(round_id=round_.id, step=step, total=hundredths(Decimal(total)),
                          proposed_level=level, status=FormStatus.SENT, sent_at=utcnow())
    if isinstance(rated, RatedPerson):
        form.rated_person_id = rated.id
    else:
        form.rated_unit_id = rated.id
    form.content = {"points": {}, "comments": {}, **({"facts": facts} if facts else {})}
    from evalapp.extensions import db
    db.session.add(form)
    db.session.flush()
    return form


def scored_round(db, subunits=2, staff=10):
    """An open round in which every unit and person has sent a self-assessment worth HTT
    and every computed level is proposed: it can be finalised as it stands."""
    dept = builder.department(subunits=subunits, staff_per_unit=staff)
    round_ = builder.round_for(dept)
    for unit in services.rated_units(round_):
        sent_form(round_, unit, FormStep.SELF, "85", HTT, ON_TIME)
    for person in services.rated_people(round_):
        sent_form(round_, person, FormStep.SELF, "80", HTXS)
    for unit in services.rated_units(round_):
        decisions.propose_all(SYSTEM, round_, unit)
    db.session.commit()
    assert decisions.check(round_) == []
    return dept, round_


def test_finalising_lays_out_every_form_in_the_background(app, db, monkeypatch):
    """Every form changes when the round is finalised (its decided level): they are laid out
    in the background at once and kept, so that the print asked for next lays out nothing."""
    from evalapp.documents import prepared
    from evalapp.evaluations import documents

    dept, round_ = scored_round(db, subunits=1, staff=3)
    people = services.rated_people(round_, included=True)
    before = documents.plan_forms(round_, people, per_person=True)
    monkeypatch.setitem(app.config, "PREPARED_WARM", True)
    decisions.finalise(SYSTEM, round_, "16/QĐ-SNV", date(2026, 12, 20))
    db.session.commit()
    prepared.wait_all()
    work = documents.plan_forms(round_, people, per_person=True)
    assert set(work.keys.values()).isdisjoint(before.keys.values())  # the levels are in them
    assert all(prepared.has_part(work.parts, work.keys[p.id]) for p in people)
    bulk = work.render()
    assert (bulk.layouts, bulk.laid_out, len(bulk.people)) == (0, 0, len(people))


def person(round_, dept, sub_index, n):
    """The n-th person (0 = head) of the sub-unit `sub_index`, as rated in the round."""
    who = dept.people[dept.subunits[sub_index].id][n]
    return next(p for p in services.rated_people(round_) if p.person_id == who.id)


def unit_row(round_, unit):
    return next(u for u in services.rated_units(round_) if u.unit_id == unit.id)


def test_retained_score_office_then_manager_then_self_and_the_levels_shown(db):
    dept = builder.department(subunits=1, staff_per_unit=2)
    round_ = builder.round_for(dept)
    one = person(round_, dept, 0, 1)
    sent_form(round_, one, FormStep.SELF, "95", HTXS)
    line = decisions.picture(round_).line(one)
    assert (line.score, line.computed.level, line.self_level) == (Decimal("95.00"), HTXS, HTXS)
    sent_form(round_, one, FormStep.MANAGER, "75.50", HTT)
    # A draft office form is not retained; a sent one is.
    draft = EvaluationForm(round_id=round_.id, step=FormStep.OFFICE, rated_person_id=one.id,
                           total=6000, status=FormStatus.DRAFT)
    draft.content = {}
    db.session.add(draft)
    db.session.flush()
    line = decisions.picture(round_).line(one)
    assert (line.score, line.computed.level, line.manager_level) == (Decimal("75.50"), HTT, HTT)
    draft.status, draft.sent_at = FormStatus.SENT, utcnow()
    meeting = Meeting(round_id=round_.id, unit_id=dept.subunits[0].id)
    meeting.content = {"opinions": {str(one.id): {"htxs": 1, "htt": 5, "htnv": 0, "kht": 0}}}
    db.session.add(meeting)
    db.session.flush()
    line = decisions.picture(round_).line(one)
    assert (line.score, line.computed.level) == (Decimal("60.00"), HTNV)
    assert line.meeting == {"htxs": 1, "htt": 5, "htnv": 0, "kht": 0}
    # A forcing event of the year makes the computed level KHT whatever the points.
    db.session.add(ForcingEvent(rated_person_id=one.id, kind="degradation", act="A1",
                                year=round_.year, unit_id=one.unit_id))
    db.session.flush()
    assert decisions.picture(round_).line(one).computed.level is KHT


def test_a_proposal_better_than_computed_needs_a_reason_and_none_without_points(db):
    dept = builder.department(subunits=1, staff_per_unit=2)
    round_ = builder.round_for(dept)
    one, two = person(round_, dept, 0, 1), person(round_, dept, 0, 2)
    sent_form(round_, one, FormStep.SELF, "80")
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        decisions.propose(SYSTEM, round_, one, HTXS, "")
    assert refused.value.field == "note"
    assert one.proposed_level is None
    decisions.propose(SYSTEM, round_, one, HTNV, "")  # below the computed level: no reason
    assert (one.proposed_level, one.score) == (HTNV, 8000)
    decisions.propose(SYSTEM, round_, one, HTXS, "Sáng kiến cấp tỉnh")
    assert one.proposed_level is HTXS
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.action == "evaluation_person.proposed" and "Sáng kiến" in entry.details
    with pytest.raises(ValidationFailed):
        decisions.propose(SYSTEM, round_, two, HTT, "x")  # no sent form: no points
    with pytest.raises(ValidationFailed):
        decisions.propose(SYSTEM, round_, one, "high", "x")  # not an evaluation level


def _excellent(round_, rated):
    decisions.propose(SYSTEM, round_, rated, HTXS, "Thành tích nổi bật")


def _break_unit_quota(round_, dept):
    # People without a job-position group count in the unit only: 3 HTXS for 8 HTT (cap 1).
    for n in range(0, 11):
        person(round_, dept, 0, n).duty_group_name = None
    for n in (1, 2, 3):
        _excellent(round_, person(round_, dept, 0, n))
    return [person(round_, dept, 0, n).full_name for n in (1, 2, 3)]


def _fix_unit_quota(round_, dept):
    for n in (2, 3):
        decisions.propose(SYSTEM, round_, person(round_, dept, 0, n), HTT)


def _break_group_quota(round_, dept):
    # The support group has one person: HTXS there breaks its group (cap 0 of 0 HTT) while
    # the unit (10 HTT, cap 2) is within its quota.
    _excellent(round_, person(round_, dept, 0, 10))
    return [person(round_, dept, 0, 10).full_name]


def _fix_group_quota(round_, dept):
    decisions.propose(SYSTEM, round_, person(round_, dept, 0, 10), HTT)


def _break_head(round_, dept):
    decisions.propose(SYSTEM, round_, unit_row(round_, dept.subunits[0]), HTNV)
    return [person(round_, dept, 0, 0).full_name]


def _fix_head(round_, dept):
    decisions.propose(SYSTEM, round_, person(round_, dept, 0, 0), HTNV)


def _break_forced(round_, dept):
    one = person(round_, dept, 0, 4)
    from evalapp.extensions import db
    db.session.add(ForcingEvent(rated_person_id=one.id, kind="discipline_duty", act="QĐ 12",
                                year=round_.year, unit_id=one.unit_id))
    db.session.flush()
    return [one.full_name]


def _fix_forced(round_, dept):
    decisions.propose(SYSTEM, round_, person(round_, dept, 0, 4), KHT)


def _break_unit_first(round_, dept):
    unit_row(round_, dept.subunits[1]).proposed_level = None
    return [person(round_, dept, 1, 0).full_name, person(round_, dept, 1, 3).full_name]


def _fix_unit_first(round_, dept):
    decisions.propose(SYSTEM, round_, unit_row(round_, dept.subunits[1]), HTT)


def _break_few_units(round_, dept):
    for sub in dept.subunits:
        _excellent(round_, unit_row(round_, sub))
    return [sub.name for sub in dept.subunits]


def _fix_few_units(round_, dept):
    decisions.propose(SYSTEM, round_, unit_row(round_, dept.subunits[1]), HTT)


def _break_units_quota(round_, dept):
    _excellent(round_, unit_row(round_, dept.subunits[0]))  # 1 HTXS of 4 HTT: cap 0
    return [dept.subunits[0].name]


def _fix_units_quota(round_, dept):
    decisions.propose(SYSTEM, round_, unit_row(round_, dept.subunits[0]), HTT)


BREACHES = {
    "unit_quota": (2, 10, _break_unit_quota, _fix_unit_quota),
    "group_quota": (2, 10, _break_group_quota, _fix_group_quota),
    "head_above_unit": (2, 3, _break_head, _fix_head),
    "forced_kht": (2, 5, _break_forced, _fix_forced),
    "unit_not_rated": (2, 3, _break_unit_first, _fix_unit_first),
    "few_units": (2, 2, _break_few_units, _fix_few_units),
    "units_quota": (5, 1, _break_units_quota, _fix_units_quota),
}


@pytest.mark.parametrize("rule", sorted(BREACHES))
def test_each_broken_rule_is_refused_by_finalise_naming_it_then_fixed_and_finalised(db, rule):
    subunits, staff, breaking, fixing = BREACHES[rule]
    dept, round_ = scored_round(db, subunits, staff)
    names = breaking(round_, dept)
    db.session.commit()
    assert rule in {b.rule for b in decisions.check(round_)}
    with pytest.raises(ValidationFailed) as refused:
        decisions.finalise(SYSTEM, round_, "15/QĐ-SNV", date(2026, 12, 20))
    message = refused.value.text()
    assert str(decisions.RULE_LABELS[rule]) in message
    assert all(name in message for name in names), (names, message)
    db.session.rollback()
    assert round_.status is RoundStatus.OPEN
    assert db.session.scalar(select(func.count()).select_from(Decision)) == 0
    fixing(round_, dept)
    db.session.commit()
    assert decisions.check(round_) == []
    made = decisions.finalise(SYSTEM, round_, "15/QĐ-SNV", date(2026, 12, 20))
    db.session.commit()
    people = services.rated_people(round_, included=True)
    units = services.rated_units(round_)
    assert made == len(people) + len(units)
    assert db.session.scalar(select(func.count()).select_from(Decision)) == made
    assert round_.status is RoundStatus.FINALISED and round_.decision_number == "15/QĐ-SNV"
    assert all(p.level is not None and p.level == p.proposed_level for p in people)
    with pytest.raises(InvalidState):  # finalising locks the round
        decisions.propose(SYSTEM, round_, people[0], HTNV, "")


def test_finalise_names_every_rule_at_once_and_needs_number_and_date(db):
    dept, round_ = scored_round(db, 2, 3)
    _break_head(round_, dept)
    _excellent(round_, person(round_, dept, 1, 1))  # 4 HTT in sub 2: cap 0
    db.session.commit()
    rules_broken = {b.rule for b in decisions.check(round_)}
    assert {"head_above_unit", "unit_quota", "group_quota"} <= rules_broken
    with pytest.raises(ValidationFailed) as refused:
        decisions.finalise(SYSTEM, round_, "", date(2026, 12, 20))
    assert refused.value.field == "number"
    with pytest.raises(ValidationFailed) as refused:
        decisions.finalise(SYSTEM, round_, "1/QĐ", date(2026, 12, 20))
    for rule in rules_broken:
        assert str(decisions.RULE_LABELS[rule]) in refused.value.text()


def test_slots_left_per_unit_and_group(db):
    dept, round_ = scored_round(db, 2, 10)
    sub = dept.subunits[0]
    left = decisions.slots_left(round_)[sub.id]
    # 11 HTT (head, 9 professional, 1 support): 2 in the unit, 1 among the professionals.
    assert left[None] == 2
    assert left["Chuyên môn, nghiệp vụ"] == 1 and left["Hỗ trợ, phục vụ"] == 0
    _excellent(round_, person(round_, dept, 0, 1))
    left = decisions.slots_left(round_)[sub.id]
    assert (left[None], left["Chuyên môn, nghiệp vụ"]) == (1, 0)
    # The unit rated HTXS: 25 % (10 HTT → 2 per unit, 8 professionals HTT → 2).
    _excellent(round_, unit_row(round_, sub))
    left = decisions.slots_left(round_)[sub.id]
    assert (left[None], left["Chuyên môn, nghiệp vụ"]) == (1, 1)


def _decided_and_released(db, factory):
    dept, round_ = scored_round(db, 1, 3)
    decisions.finalise(SYSTEM, round_, "20/QĐ-SNV", date(2026, 12, 20))
    db.session.commit()
    one = person(round_, dept, 0, 1)
    user = factory.user("nguoi1", roles=(), person=dept.people[dept.subunits[0].id][1])
    return dept, round_, one, user


def test_levels_are_the_admins_until_released_then_each_sees_only_their_own(db, factory):
    dept, round_, one, user = _decided_and_released(db, factory)
    other_user = factory.user("nguoi2", roles=(), person=dept.people[dept.subunits[0].id][2])
    assert decisions.own_result(user, round_) is None
    assert not decisions.sees_levels(user, round_)
    with pytest.raises(NotAllowed):
        decisions.petition(user, round_, "Tôi đề nghị xem xét lại")
    decisions.release(SYSTEM, round_)
    db.session.commit()
    assert decisions.own_result(user, round_).id == one.id
    assert decisions.own_result(other_user, round_).id != one.id
    with pytest.raises(InvalidState):
        decisions.release(SYSTEM, round_)


def test_a_petition_leads_to_a_new_decision_that_supersedes_the_old(db, factory):
    dept, round_, one, user = _decided_and_released(db, factory)
    decisions.release(SYSTEM, round_)
    db.session.commit()
    item = decisions.petition(user, round_, "Tôi có sáng kiến được công nhận")
    db.session.commit()
    with pytest.raises(InvalidState):  # one pending petition at a time
        decisions.petition(user, round_, "Lần nữa")
    old = decisions.current_decision(one)
    # A new HTXS would break the quota (3 HTT in the unit: cap 0): refused naming the rule.
    with pytest.raises(ValidationFailed) as refused:
        decisions.redecide(SYSTEM, round_, one, HTXS, "Chấp nhận kiến nghị", "21/QĐ",
                           date(2026, 12, 28), petition=item)
    assert str(decisions.RULE_LABELS["unit_quota"]) in refused.value.text()
    db.session.rollback()
    new = decisions.redecide(SYSTEM, round_, one, HTNV, "Xem xét lại theo kiến nghị",
                             "21/QĐ-SNV", date(2026, 12, 28), petition=item)
    db.session.commit()
    assert new.supersedes_id == old.id and db.session.get(Decision, old.id).level is HTT
    assert decisions.current_decision(one).id == new.id and one.level is HTNV
    assert [d.id for d in decisions.decisions_of(one)] == [old.id, new.id]
    assert item.status is PetitionStatus.ACCEPTED and item.decision_id == new.id
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))[-2:]
    assert actions == ["evaluation_decision.superseded", "evaluation_petition.accepted"]
    with pytest.raises(InvalidState):
        decisions.reject_petition(SYSTEM, round_, item, "Đã trả lời")


def test_a_petition_is_rejected_with_a_reason_and_late_ones_are_refused(db, factory):
    dept, round_, one, user = _decided_and_released(db, factory)
    decisions.release(SYSTEM, round_)
    db.session.commit()
    item = decisions.petition(user, round_, "Đề nghị xem xét")
    with pytest.raises(ValidationFailed):
        decisions.reject_petition(SYSTEM, round_, item, " ")
    decisions.reject_petition(SYSTEM, round_, item, "Không có căn cứ")
    db.session.commit()
    assert item.status is PetitionStatus.REJECTED and one.level is HTT
    days = services.round_rules(round_).petition_days
    round_.released_at = round_.released_at - timedelta(days=days + 1)
    db.session.commit()
    with pytest.raises(InvalidState):
        decisions.petition(user, round_, "Quá hạn")


def test_only_the_rounds_admins_decide(db, factory):
    dept, round_ = scored_round(db, 1, 2)
    outsider = factory.user("ngoai", roles=(Role.ADMIN,), unit=factory.unit("Khác"))
    with pytest.raises(NotAllowed):
        decisions.finalise(outsider, round_, "1", date(2026, 12, 1))
    with pytest.raises(NotAllowed):
        decisions.propose(outsider, round_, person(round_, dept, 0, 1), HTT)


def test_the_export_reads_back_with_the_issues_columns_and_no_formulas(db):
    dept, round_ = scored_round(db, 1, 2)
    one = person(round_, dept, 0, 1)
    one.full_name = "=HYPERLINK(\"http://x\",\"y\")"
    decisions.finalise(SYSTEM, round_, "30/QĐ-SNV", date(2026, 12, 20))
    db.session.commit()
    content = export.results_workbook(SYSTEM, round_)
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows[0]) == 11
    assert len(rows) == 1 + len(services.rated_people(round_, included=True))
    by_name = {row[1]: row for row in rows[1:]}
    row = by_name["'=HYPERLINK(\"http://x\",\"y\")"]  # neutralised, never a formula
    staff = dept.people[dept.subunits[0].id][1]
    assert row[0] == staff.staff_code and row[2] == one.unit_name
    assert row[3] == "Chuyên viên" and row[4] == "Chuyên môn, nghiệp vụ"
    assert str(round_.year) in row[5] and row[6] == 80
    assert row[7] and row[8] and row[7] != row[8]  # self-proposed HTXS, decided HTT
    assert row[9] == "30/QĐ-SNV" and row[10].date() == date(2026, 12, 20)


def test_results_are_published_to_the_unit_only_after_release(db, factory, client, login_as):
    dept, round_, one, user = _decided_and_released(db, factory)
    colleague = factory.user("dongnghiep", roles=(),
                             person=dept.people[dept.subunits[0].id][2])
    url = f"/evaluations/{round_.id}/results"
    with pytest.raises(InvalidState):  # not released yet
        decisions.publish(SYSTEM, round_)
    login_as(colleague)
    assert client.get(url).status_code == 404
    decisions.release(SYSTEM, round_)
    db.session.commit()
    assert client.get(url).status_code == 404  # released to each person, not published
    decisions.publish(SYSTEM, round_)
    db.session.commit()
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.action == "evaluation_round.published"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert one.full_name in html and "Hoàn thành" in html
    with pytest.raises(InvalidState):
        decisions.publish(SYSTEM, round_)
