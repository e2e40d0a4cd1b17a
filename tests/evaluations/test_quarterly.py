"""Quarterly reviews of leaders (evaluations.quarterly): the preset and its deadline in every
quarter (pure), a quarterly round takes leaders only, the self-review on the axes locks when
sent, the axes are edited only while a draft, the decision has no quota, and `quarters_of`
gives each person's four quarters from the finalised, released reviews only."""

from __future__ import annotations

from datetime import date

import pytest

from evalapp.auth.permissions import SYSTEM
from evalapp.core.errors import InvalidState, ValidationFailed
from evalapp.core.time import utcnow
from evalapp.evaluations import (
    assessments,
    builder,
    decisions,
    meetings,
    quarterly,
    services,
    setup,
)
from evalapp.evaluations.models import (
    EvaluationForm,
    EvaluationRound,
    FormStatus,
    FormStep,
    RoundStatus,
)
from evalapp.tally import evaluation as rules
from evalapp.tally.scales import Level

QUARTERLY = "quarterly-leaders"


# ---------------------------------------------------------------- pure rules


def test_the_quarterly_preset_holds_six_axes_and_marks_its_rounds():
    preset = rules.EVALUATION_PRESETS[QUARTERLY]
    assert preset.period == "quarter" and preset.scored is False
    extra = rules.extra_settings(QUARTERLY)
    assert extra["round_type"] == "quarterly" and rules.is_quarterly(extra)
    assert [a["code"] for a in extra["axes"]] == ["T1", "T2", "T3", "T4", "T5", "T6"]
    assert rules.check_axes(extra["axes"]) == []
    assert sum(int(a["points"]) for a in extra["axes"]) == 100
    # The other presets are not quarterly and carry no axes.
    for key in rules.EVALUATION_PRESETS:
        if key != QUARTERLY:
            assert rules.extra_settings(key) == {}
            assert not rules.is_quarterly(rules.EVALUATION_PRESETS[key].settings())


@pytest.mark.parametrize(("quarter", "month"), [(1, 3), (2, 6), (3, 9), (4, 12)])
def test_the_default_deadline_is_the_14th_of_the_quarters_last_month(quarter, month):
    preset = rules.EVALUATION_PRESETS[QUARTERLY]
    due = rules.quarter_due(2026, quarter, preset.deadlines)
    assert set(due) == set(rules.STEPS)
    assert all(day == date(2026, month, 14) for day in due.values())
    # (month of the quarter, day): the first month's 31st is clamped to the month's end.
    clamp = rules.quarter_due(2026, quarter, {"self": (2, 31)})["self"]
    assert clamp.month == month - 1 and clamp.day in (28, 31, 30)
    assert rules.quarter_number(f"q{quarter}") == quarter == rules.quarter_number(f"Q{quarter}")


def test_quarter_due_and_quarter_number_refuse_what_is_not_a_quarter():
    with pytest.raises(ValueError, match="bad_quarter"):
        rules.quarter_due(2026, 5, {"self": (3, 14)})
    with pytest.raises(ValueError, match="bad_deadlines"):
        rules.quarter_due(2026, 1, {"self": (4, 14)})
    assert rules.quarter_number("year") is None and rules.quarter_number("m03") is None


@pytest.mark.parametrize(("axes", "problem"), [
    ([], rules.MSG_AXES_NONE),
    ([{"code": "T1", "title": "", "points": "10"}], rules.MSG_AXIS_BLANK),
    ([{"code": "T1", "title": "A", "points": "10"}] * 2, rules.MSG_AXIS_DUPLICATE),
    ([{"code": "T1", "title": "A", "points": "0"}], rules.MSG_AXIS_POINTS),
    ([{"code": "T1", "title": "A", "points": "1.234"}], rules.MSG_AXIS_POINTS),
    ([{"code": "T1", "title": "A", "points": "abc"}], rules.MSG_AXIS_POINTS),
    ([{"code": "T1", "title": "A", "points": "60"}, {"code": "T2", "title": "B",
                                                     "points": "40.01"}], rules.MSG_AXES_SUM),
    ([{"code": f"T{n}", "title": "A", "points": "1"} for n in range(13)], rules.MSG_AXES_MANY),
    ([{"code": "T1", "title": "x" * 256, "points": "1"}], rules.MSG_AXIS_LONG),
])
def test_check_axes_names_each_problem(axes, problem):
    assert problem in rules.check_axes(axes)


# ---------------------------------------------------------------- creating and opening


def quarterly_round(dept, quarter="q1", year=2026, *, open_=True, title=None):
    round_ = services.create_round(SYSTEM, dept.unit, title=title or f"Quý {quarter} {year}",
                                   year=year, preset_key=QUARTERLY, period=quarter)
    services.take_units(SYSTEM, round_, dept.unit)
    services.take_people(SYSTEM, round_, services.Selection(dept.unit))
    if open_:
        services.open_round(SYSTEM, round_)
    return round_


def leader_ids(dept) -> set[int]:
    return {dept.heads[dept.unit.id].id} | {dept.heads[s.id].id for s in dept.subunits}


@pytest.mark.parametrize("quarter", [1, 2, 3, 4])
def test_a_quarterly_round_is_due_on_the_14th_and_marked_quarterly(db, quarter):
    dept = builder.department(subunits=1, staff_per_unit=1)
    round_ = services.create_round(SYSTEM, dept.unit, title="Quý", year=2026,
                                   preset_key=QUARTERLY, period=f"q{quarter}")
    assert round_.period == f"q{quarter}" and quarterly.is_quarterly(round_)
    assert round_.settings["round_type"] == "quarterly"
    assert [a["code"] for a in quarterly.axes_of(round_)] == [f"T{n}" for n in range(1, 7)]
    due = services.due_dates(round_)
    assert set(due.values()) == {date(2026, 3 * quarter, 14)}
    # The admin changes it while a draft (the settings page's dates).
    services.update_settings(SYSTEM, round_, {"due": {**round_.settings["due"],
                                                      "self": f"2026-{3 * quarter:02d}-10"}})
    assert services.due_dates(round_)["self"] == date(2026, 3 * quarter, 10)


def test_a_quarterly_review_needs_a_quarter(db):
    dept = builder.department(subunits=1, staff_per_unit=1)
    before = db.session.query(EvaluationRound).count()
    for period in ("year", "m03"):
        with pytest.raises(ValidationFailed):
            services.create_round(SYSTEM, dept.unit, title="Quý", year=2026,
                                  preset_key=QUARTERLY, period=period)
    assert db.session.query(EvaluationRound).count() == before


def test_opening_takes_leaders_only_and_no_unit(db):
    dept = builder.department(subunits=2, staff_per_unit=3)
    round_ = quarterly_round(dept, open_=False)
    rated = services.rated_people(round_)
    assert {r.person_id for r in rated} == leader_ids(dept) and len(rated) == 3
    assert all(r.is_leader for r in rated)
    # Its units are taken to frame the collective meetings, but are not rated.
    assert len(services.rated_units(round_)) == 3 and decisions.picture(round_).units == []
    # Taking again adds nobody; a unit with no leader is refused with a clear message.
    taken = services.take_people(SYSTEM, round_, services.Selection(dept.unit))
    assert taken.added == 0 and taken.already == 3
    # The same selection in a year's round takes everyone (the filter is the quarter's).
    year_round = services.create_round(SYSTEM, dept.unit, title="Năm", year=2026,
                                       preset_key="decree-335-2025")
    assert services.take_people(SYSTEM, year_round, services.Selection(dept.unit)).added == 9


def test_a_unit_without_leaders_gives_nobody(db):
    dept = builder.department(subunits=1, staff_per_unit=2)
    round_ = services.create_round(SYSTEM, dept.unit, title="Quý", year=2026,
                                   preset_key=QUARTERLY, period="q2")
    for head in dept.heads.values():
        head.post_id = dept.posts["specialist"].id
    db.session.flush()
    with pytest.raises(ValidationFailed):
        services.take_people(SYSTEM, round_, services.Selection(dept.unit))
    assert services.rated_people(round_) == []


# ---------------------------------------------------------------- the self-review on the axes


def _axis_texts(round_, skip=()):
    return {a["code"]: f"Kết quả trục {a['code']}" for a in quarterly.axes_of(round_)
            if a["code"] not in skip}


def _own(round_, dept, factory, who=None):
    who = who or dept.heads[dept.unit.id]
    user = factory.user(f"ld{who.id}", roles=(), person=who)
    rated = next(r for r in services.rated_people(round_) if r.person_id == who.id)
    return user, rated


def test_the_self_review_is_on_the_axes_and_locks_when_sent(db, factory):
    dept = builder.department(subunits=1, staff_per_unit=1)
    round_ = quarterly_round(dept)
    user, rated = _own(round_, dept, factory)
    items = assessments.items_for(rated)
    assert [i.code for i in items] == [f"T{n}" for n in range(1, 7)]
    assert {i.part for i in items} == {"axis"}
    with pytest.raises(ValidationFailed):  # a result missing on one axis
        assessments.send(user, round_, rated, FormStep.SELF, {}, _axis_texts(round_, {"T4"}),
                         "htt", "Tự nhận xét")
    with pytest.raises(ValidationFailed):  # no proposed level
        assessments.send(user, round_, rated, FormStep.SELF, {}, _axis_texts(round_), None, "")
    with pytest.raises(ValidationFailed):  # an item of the year's sheet is not an axis
        assessments.send(user, round_, rated, FormStep.SELF, {}, {"1a": "x"}, "htt", "")
    form = assessments.send(user, round_, rated, FormStep.SELF, {}, _axis_texts(round_), "htt",
                            "Tự nhận xét quý I")
    assert form.status is FormStatus.SENT and form.total is None
    assert form.content["comments"]["T1"] == "Kết quả trục T1"
    assert form.proposed_level is Level.GOOD
    with pytest.raises(InvalidState):
        assessments.send(user, round_, rated, FormStep.SELF, {}, _axis_texts(round_), "htxs",
                         "Sửa")
    db.session.expire_all()
    assert form.proposed_level is Level.GOOD and form.comment == "Tự nhận xét quý I"
    # Late is measured against the quarter's deadline (the 14th of March).
    assert not assessments.is_late(round_, rated, FormStep.SELF, date(2026, 3, 14))
    assert assessments.is_late(round_, rated, FormStep.SELF, date(2026, 3, 15))


def test_axes_with_points_when_the_settings_say_so_edited_only_while_a_draft(db, factory):
    dept = builder.department(subunits=1, staff_per_unit=1)
    round_ = quarterly_round(dept, open_=False)
    with pytest.raises(ValidationFailed):
        quarterly.save_axes(SYSTEM, round_, [{"title": "A", "points": "70"},
                                             {"title": "B", "points": "40"}], scored=True)
    db.session.expire_all()
    assert len(quarterly.axes_of(round_)) == 6 and round_.settings["scored"] is False
    quarterly.save_axes(SYSTEM, round_, [{"title": "Kinh tế", "points": "60"},
                                         {"title": "Xây dựng Đảng", "points": "40"}],
                        scored=True)
    assert quarterly.axes_of(round_) == [
        {"code": "T1", "title": "Kinh tế", "points": "60"},
        {"code": "T2", "title": "Xây dựng Đảng", "points": "40"}]
    services.open_round(SYSTEM, round_)
    with pytest.raises(InvalidState):
        quarterly.save_axes(SYSTEM, round_, [{"title": "C", "points": "10"}], scored=False)
    user, rated = _own(round_, dept, factory)
    with pytest.raises(ValidationFailed):  # points above the axis's
        assessments.send(user, round_, rated, FormStep.SELF, {"T1": "61", "T2": "30"},
                         _axis_texts(round_), "htt", "")
    with pytest.raises(ValidationFailed):  # points without the result written
        assessments.send(user, round_, rated, FormStep.SELF, {"T1": "50", "T2": "30"},
                         _axis_texts(round_, {"T2"}), "htt", "")
    form = assessments.send(user, round_, rated, FormStep.SELF, {"T1": "50", "T2": "30"},
                            _axis_texts(round_), "htt", "")
    assert form.total == 8000
    assert decisions.picture(round_).line(rated).computed.level is Level.GOOD


# ---------------------------------------------------------------- the decision: no quota


def _decide(round_, level, number="01/QĐ", release=True, levels=None):
    for rated in services.rated_people(round_):
        decisions.propose(SYSTEM, round_, rated, (levels or {}).get(rated.person_id, level))
    decisions.finalise(SYSTEM, round_, number, date(round_.year, 12, 20))
    if release:
        decisions.release(SYSTEM, round_)


def test_the_quarterly_decision_has_no_quota(db):
    dept = builder.department(subunits=2, staff_per_unit=2)
    round_ = quarterly_round(dept)
    for rated in services.rated_people(round_):
        decisions.propose(SYSTEM, round_, rated, "htxs")
    assert decisions.check(round_) == [] and decisions.slots_left(round_) == {}
    assert decisions.finalise(SYSTEM, round_, "01/QĐ", date(2026, 3, 20)) == 3
    assert {r.level for r in services.rated_people(round_)} == {Level.EXCELLENT}
    assert round_.status is RoundStatus.FINALISED
    # The same three leaders all HTXS in a year's round break the quota (0 HTT, so 0 HTXS).
    year_round = builder.round_for(dept)
    leaders = {r: Level.EXCELLENT for r in services.rated_people(year_round)
               if r.person_id in leader_ids(dept)}
    assert len(leaders) == 3
    assert {b.rule for b in decisions.check(year_round, leaders)} & {"unit_quota",
                                                                    "group_quota"}


# ---------------------------------------------------------------- the four quarters


def test_quarters_of_counts_finalised_released_quarterly_reviews_only(db):
    dept = builder.department(subunits=1, staff_per_unit=1)
    director, head = dept.heads[dept.unit.id], dept.heads[dept.subunits[0].id]
    staff = dept.people[dept.subunits[0].id][1]
    _decide(quarterly_round(dept, "q1"), "htxs")
    _decide(quarterly_round(dept, "q3"), "htt", levels={head.id: "htnv"})
    _decide(quarterly_round(dept, "q2"), "kht", release=False)  # decided, not released
    quarterly_round(dept, "q4")  # open, not decided
    _decide(quarterly_round(dept, "q1", year=2025), "kht")  # another year
    # A year's rules run over one quarter: not a quarterly review, whatever its period.
    other = services.create_round(SYSTEM, dept.unit, title="Quý IV theo NĐ 335", year=2026,
                                  preset_key="decree-335-2025", period="q4")
    services.take_people(SYSTEM, other, services.Selection(dept.unit))
    for rated in services.rated_people(other):
        rated.level = Level.NOT_COMPLETED
    other.status, other.finalised_at, other.released_at = RoundStatus.FINALISED, utcnow(), utcnow()
    db.session.flush()

    found = quarterly.quarters_of([director.id, head.id, staff.id, director.id], 2026)
    assert found == {
        director.id: {"Q1": Level.EXCELLENT, "Q2": None, "Q3": Level.GOOD, "Q4": None},
        head.id: {"Q1": Level.EXCELLENT, "Q2": None, "Q3": Level.COMPLETED, "Q4": None},
        staff.id: {"Q1": None, "Q2": None, "Q3": None, "Q4": None},
    }
    assert quarterly.quarters_of([director.id], 2025)[director.id]["Q1"] is Level.NOT_COMPLETED
    assert quarterly.quarters_of([], 2026) == {}


def test_the_collective_comments_in_the_meeting_and_units_are_not_rated(db, factory):
    dept = builder.department(subunits=1, staff_per_unit=1)
    round_ = quarterly_round(dept)
    sub = dept.subunits[0]
    head = next(r for r in services.rated_people(round_)
                if r.person_id == dept.heads[sub.id].id)
    meeting = meetings.start_meeting(SYSTEM, round_, sub.id)
    assert meeting.opinion_ballot is False  # comments only, by default
    meetings.save_comment(SYSTEM, round_, meeting, head.id, "Tập thể nhận xét: hoàn thành tốt")
    assert meetings.comments_of(meeting) == {head.id: "Tập thể nhận xét: hoàn thành tốt"}
    unit = next(u for u in services.rated_units(round_) if u.unit_id == sub.id)
    with pytest.raises(InvalidState):  # a unit fills no form in a quarterly review
        assessments.send_unit_form(SYSTEM, round_, unit, {}, {}, {}, "htt", "")
    with pytest.raises(ValidationFailed):
        decisions.propose(SYSTEM, round_, unit, "htt")
    assert decisions.propose_all(SYSTEM, round_, unit) == 1  # the head only
    assert head.proposed_level is Level.EXCELLENT and unit.proposed_level is None
    board = setup.dashboard(round_)
    assert board.totals["units"].missing == 0


def test_forms_of_a_quarterly_review_are_ordinary_forms(db, factory):
    """The manager's step (the managing body's proposed level) uses the same axes and lock."""
    dept = builder.department(subunits=1, staff_per_unit=1)
    round_ = quarterly_round(dept)
    head = dept.heads[dept.subunits[0].id]
    rated = next(r for r in services.rated_people(round_) if r.person_id == head.id)
    director = dept.heads[dept.unit.id]
    manager = factory.user("gd", roles=(), person=director)
    assert assessments.may_fill(manager, round_, rated, FormStep.MANAGER)
    form = assessments.send(manager, round_, rated, FormStep.MANAGER, {}, _axis_texts(round_),
                            "htnv", "Cấp ủy quản lý đề xuất mức Hoàn thành nhiệm vụ")
    assert form.step is FormStep.MANAGER and form.sent
    assert db.session.query(EvaluationForm).filter_by(round_id=round_.id).count() == 1
    assert decisions.picture(round_).line(rated).manager_level is Level.COMPLETED
