"""The rules of evaluation rounds (domain guide §3, NĐ 233/2026 Điều 5–7, 10–15, Phụ lục I).

Oracles are computed here independently, with integers and Fractions (never floats); small
domains are tested exhaustively, the rest with hypothesis.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalapp.tally import evaluation as ev
from evalapp.tally.evaluation import (
    DEFAULT_EVALUATION_PRESET,
    EVALUATION_PRESETS,
    LEVELS,
    Breach,
    EvaluationPreset,
    Event,
    Forcing,
    ForcingKind,
    Leave,
    Rated,
    check_regulation,
    deduct,
    eligibility,
    excellent_cap,
    forcing_events,
    head_above_unit,
    heads_above_units,
    level_rank,
    months_worked,
    not_above,
    people_quota,
    person_level,
    score_level,
    seed_regulation,
    sheet_total,
    slots_left,
    task_score_from_ratios,
    unit_level,
    units_quota,
    year_from_periods,
)
from evalapp.tally.scales import Level

D = Decimal
P233 = EVALUATION_PRESETS["decree-233-2026"]
XS, GOOD, DONE, KHT = Level.EXCELLENT, Level.GOOD, Level.COMPLETED, Level.NOT_COMPLETED
SCORED = [k for k, p in EVALUATION_PRESETS.items() if p.scored]
FAST = settings(max_examples=150, deadline=None)


@pytest.fixture(autouse=True)
def db():
    """Pure functions: no app and no database (overrides the shared autouse fixture)."""
    yield None


def cents(n: int) -> Decimal:
    return (Decimal(n) / 100).quantize(Decimal("0.01"))


def half_up_cents(x: Fraction) -> Decimal:
    """Independent oracle: the nearest hundredth, ties away from zero (x ≥ 0 here)."""
    whole, rest = divmod(x * 100, 1)
    return cents(int(whole) + (1 if rest >= Fraction(1, 2) else 0))


# --- levels and presets ----------------------------------------------------------------------

def test_levels_best_first_and_ranks():
    assert LEVELS == (XS, GOOD, DONE, KHT)
    assert [level_rank(x) for x in LEVELS] == [0, 1, 2, 3]
    assert [level_rank(x.value) for x in LEVELS] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="bad_level"):
        level_rank(Level.HIGH)


@pytest.mark.parametrize(("level", "ceiling"), list(itertools.product(LEVELS, LEVELS)))
def test_not_above_every_pair(level, ceiling):
    assert not_above(level, ceiling) is (LEVELS.index(level) >= LEVELS.index(ceiling))


def test_required_presets():
    assert set(EVALUATION_PRESETS) == {"decree-335-2025", "decree-233-2026", "party-366-2025",
                                       "decree-90-2020", "quarterly-leaders"}
    assert DEFAULT_EVALUATION_PRESET == "decree-233-2026"
    assert EVALUATION_PRESETS["decree-90-2020"].scored is False
    assert all(EVALUATION_PRESETS[k].scored for k in SCORED) and len(SCORED) == 3
    for key, preset in EVALUATION_PRESETS.items():
        assert preset.key == key and preset.source and preset.name != key
        assert set(preset.deadlines) == {"units", "self", "meeting", "manager", "decision"}
    # NĐ 233: units before 15/12 (Điều 9.1a), viên chức before 5/12 (Điều 15.1b).
    assert P233.deadlines["units"] == (12, 15) and P233.deadlines["decision"] == (12, 5)
    assert P233.quota_share == Fraction(1, 5) and P233.quota_share_excellent_unit == Fraction(1, 4)
    assert [(int(p), lv) for p, lv in P233.bands] == [(90, XS), (70, GOOD), (50, DONE)]


@pytest.mark.parametrize("key", sorted(EVALUATION_PRESETS))
def test_settings_round_trip_through_json(key):
    preset = EVALUATION_PRESETS[key]
    data = json.loads(json.dumps(preset.settings()))
    assert EvaluationPreset.from_settings(data) == preset
    # every field is in the settings
    assert set(data) == {f.name for f in dataclasses.fields(EvaluationPreset)}


def test_settings_changed_values_survive_and_bad_ones_are_refused():
    data = P233.settings()
    data.update(quota_share="1/4", quota_rounding="half_up", period="month", year_from="min",
                bands=[["85", "htxs"], ["65", "htt"], ["45", "htnv"]], petition_days=15,
                extra_key="ignored")
    data["deadlines"]["decision"] = [1, 15]
    preset = EvaluationPreset.from_settings(data)
    assert preset.quota_share == Fraction(1, 4) and preset.period == "month"
    assert preset.deadlines["decision"] == (1, 15)
    assert score_level(D("85"), preset) is XS and score_level(D("84.99"), preset) is GOOD
    for bad in ({"period": "week"}, {"year_from": "max"}, {"quota_rounding": "ceil"},
                {"quota_share": "3/2"}, {"bands": [["70", "htxs"], ["90", "htt"]]},
                {"deadlines": {"units": [2, 30]}}, {"scored": "yes"}, {"general_max": 1.5},
                {"petition_days": "10"}):
        with pytest.raises(ValueError, match="bad_settings"):
            EvaluationPreset.from_settings({**P233.settings(), **bad})
    with pytest.raises(ValueError, match="bad_settings"):
        EvaluationPreset.from_settings([])


# --- the Quy chế -----------------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(EVALUATION_PRESETS))
def test_seed_of_every_preset_passes_the_check(key):
    seed = seed_regulation(key)
    assert json.loads(json.dumps(seed)) == seed
    assert check_regulation(seed) == []
    preset = EVALUATION_PRESETS[key]
    assert seed["period"] == preset.period and seed["petition_days"] == preset.petition_days
    for part in ("general", "task_staff", "task_leader"):
        assert seed[part] and all(isinstance(i["points"], str) for i in seed[part])


@pytest.mark.parametrize("key", SCORED)
def test_seed_sums_and_phu_luc_i(key):
    seed = seed_regulation(key)
    total = {part: sum(D(i["points"]) for i in seed[part]) for part in ev.PARTS}
    assert total == {"general": 30, "task_staff": 70, "task_leader": 70, "unit_general": 30,
                     "unit_task": 70}
    codes = [i["code"] for i in seed["general"]]
    # Phụ lục I: group 1 a–k (ten items, Vietnamese lettering), group 2 a–d, group 3 a–c.
    assert codes == ["1a", "1b", "1c", "1d", "1đ", "1e", "1g", "1h", "1i", "1k",
                     "2a", "2b", "2c", "2d", "3a", "3b", "3c"]
    assert [i["code"] for i in seed["task_staff"]] == ["a", "b", "c"]
    assert [i["code"] for i in seed["task_leader"]] == ["a", "b", "c", "d", "đ", "e"]
    assert "kê khai và công khai tài sản" in seed["general"][8]["title"]  # 1i
    assert len(seed["unit_general"]) == 3 and len(seed["unit_task"]) == 11  # Điều 5, Điều 6


def test_seed_unknown_preset():
    with pytest.raises(ValueError, match="unknown_preset"):
        seed_regulation("decree-1-1999")


def _broken(mutate):
    content = seed_regulation("decree-233-2026")
    mutate(content)
    return check_regulation(content)


MSG = ev._PART_MESSAGES


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda c: c["general"][0].update(points="2"), [MSG["general"]["sum"]]),
    (lambda c: c["task_staff"].pop(), [MSG["task_staff"]["sum"]]),
    (lambda c: c["task_leader"][0].update(points="11.66"), [MSG["task_leader"]["sum"]]),
    (lambda c: c["unit_general"][0].update(points="9"), [MSG["unit_general"]["sum"]]),
    (lambda c: c["unit_task"][0].update(points="21"), [MSG["unit_task"]["sum"]]),
    # a negative item balanced by another: the sum is right, the sign is not
    (lambda c: (c["general"][0].update(points="-1"), c["general"][1].update(points="3")),
     [MSG["general"]["negative"]]),
    (lambda c: c["general"][0].update(points="ten"), [MSG["general"]["number"]]),
    (lambda c: c["general"][0].update(points="1.005"), [MSG["general"]["number"]]),
    (lambda c: c["general"][0].update(points="NaN"), [MSG["general"]["number"]]),
    (lambda c: c["general"][0].update(points=1.0), [MSG["general"]["number"]]),
    (lambda c: c["unit_task"][1].update(code="1a"), [MSG["unit_task"]["duplicate"]]),
    (lambda c: c["general"][1].update(code=" 1a "), [MSG["general"]["duplicate"]]),
    (lambda c: c["task_leader"][2].update(title="  "), [MSG["task_leader"]["blank"]]),
    (lambda c: c["task_staff"][0].update(code=""), [MSG["task_staff"]["blank"]]),
    (lambda c: c["task_staff"].append("x"), [MSG["task_staff"]["blank"]]),
    (lambda c: c.pop("unit_general"), [MSG["unit_general"]["missing"]]),
    (lambda c: c.update(general=[]), [MSG["general"]["missing"]]),
    (lambda c: c.update(period="week"), [ev.MSG_PERIOD]),
    (lambda c: c.update(year_from="max"), [ev.MSG_YEAR_FROM]),
    (lambda c: c.update(petition_days=0), [ev.MSG_PETITION_DAYS]),
    (lambda c: c.update(petition_days=True), [ev.MSG_PETITION_DAYS]),
    (lambda c: c["deadlines"].update(self=[2, 30]), [ev.MSG_DEADLINES]),
    (lambda c: c["deadlines"].pop("meeting"), [ev.MSG_DEADLINES]),
    (lambda c: c["deadlines"].update(other=[1, 1]), [ev.MSG_DEADLINES]),
])
def test_check_regulation_each_error(mutate, expected):
    assert _broken(mutate) == expected


def test_check_regulation_reports_several_and_not_a_dict():
    def many(c):
        c["general"][0]["points"] = "-5"
        c["general"][1]["code"] = "1a"
        c["period"] = "day"
    assert _broken(many) == [MSG["general"]["negative"], MSG["general"]["duplicate"],
                             MSG["general"]["sum"], ev.MSG_PERIOD]
    assert check_regulation([]) == [ev.MSG_NOT_A_REGULATION]
    # 29 February is a day (a leap year's deadline); 31 April is not
    assert _broken(lambda c: c["deadlines"].update(self=[2, 29])) == []
    assert _broken(lambda c: c["deadlines"].update(self=[4, 31])) == [ev.MSG_DEADLINES]


def test_unscored_regulation_skips_sums_but_not_the_items():
    seed = seed_regulation("decree-90-2020")
    assert seed["scored"] is False and seed["unit_general"] == []
    broken = copy.deepcopy(seed)
    broken["general"][0]["points"] = "-1"
    assert check_regulation(broken) == [MSG["general"]["negative"]]
    broken = copy.deepcopy(seed)
    broken["task_staff"] = []
    assert check_regulation(broken) == [MSG["task_staff"]["missing"]]
    # the same empty unit frame under a scored Quy chế is missing
    scored = {**seed, "scored": True}
    assert MSG["unit_general"]["missing"] in check_regulation(scored)


# --- scores ----------------------------------------------------------------------------------

ITEMS = [{"code": "1a", "title": "x", "points": "10"}, {"code": "1b", "title": "y",
                                                         "points": "2.5"}]


def test_sheet_total_and_its_errors():
    assert sheet_total({"1a": D("9.5"), "1b": D("2.5")}, ITEMS) == D("12.00")
    assert sheet_total({"1a": D("10")}, ITEMS) == D("10.00")   # not given counts 0
    assert sheet_total({}, ITEMS) == D("0.00")
    assert sheet_total({"1a": "3.25", "1b": 2}, ITEMS) == D("5.25")
    for entries, error in (({"1a": D("10.01")}, "over_max"), ({"1b": D("2.51")}, "over_max"),
                           ({"1c": D("1")}, "unknown_item"), ({"1a": D("-0.01")}, "negative"),
                           ({"1a": "abc"}, "not_a_number"), ({"1a": D("1.001")}, "precision"),
                           ({"1a": D("Infinity")}, "not_a_number")):
        with pytest.raises(ValueError, match=error):
            sheet_total(entries, ITEMS)
    with pytest.raises(TypeError):
        sheet_total({"1a": 1.5}, ITEMS)


@FAST
@given(st.lists(st.integers(0, 1000), min_size=1, max_size=8), st.data())
def test_sheet_total_is_the_sum_within_caps(maxima, data):
    items = [{"code": str(i), "title": "t", "points": str(cents(m))} for i, m in enumerate(maxima)]
    given_ = {str(i): data.draw(st.integers(0, m)) for i, m in enumerate(maxima)
              if data.draw(st.booleans())}
    total = sheet_total({k: cents(v) for k, v in given_.items()}, items)
    assert total == cents(sum(given_.values()))


def test_task_score_examples():
    one, half = Fraction(1), Fraction(1, 2)
    assert task_score_from_ratios([one, one, one]) == D("70.00")
    assert task_score_from_ratios([one, one, half]) == D("58.33")   # 58.333…
    assert task_score_from_ratios([one, half, half]) == D("46.67")  # 46.666…
    assert task_score_from_ratios([one] * 5 + [half]) == D("64.17")  # 64.1666…
    assert task_score_from_ratios([0, 0, 0]) == D("0.00")
    # an exact tie at the third decimal rounds up: 70 × (3/14000) / 3 = 0.005 → 0.01
    assert task_score_from_ratios([Fraction(3, 14000), 0, 0]) == D("0.01")
    for bad, error in (([one, one], "ratio_count"), ([one] * 4, "ratio_count"),
                       ([one, one, Fraction(11, 10)], "ratio_range"),
                       ([one, one, Fraction(-1, 10)], "ratio_range")):
        with pytest.raises(ValueError, match=error):
            task_score_from_ratios(bad)


ratio = st.fractions(min_value=0, max_value=1, max_denominator=1000)


@FAST
@given(st.one_of(st.lists(ratio, min_size=3, max_size=3), st.lists(ratio, min_size=6,
                                                                    max_size=6)))
def test_task_score_is_the_mean_times_70(ratios):
    expected = half_up_cents(sum(ratios, Fraction(0)) / len(ratios) * 70)
    assert task_score_from_ratios(ratios) == expected
    assert D(0) <= expected <= D(70)


def test_deduct():
    assert deduct(D("20"), 0, 0) == D("20.00")
    assert deduct(D("20"), 1, 0) == D("15.00")
    assert deduct(D("20"), 2, 1) == D("15.00")   # the accepted one removes nothing
    assert deduct(D("20"), 3, 0) == D("5.00")
    assert deduct(D("20"), 4, 0) == D("0.00")
    assert deduct(D("20"), 9, 0) == D("0.00")    # floor at 0
    assert deduct(D("23.33"), 1, 0) == D("17.50")  # 17.4975 half up
    assert deduct(D("20"), 3, 3) == D("20.00")
    for args in ((D("20"), 1, 2), (D("20"), -1, 0), (D("20"), 1, -1)):
        with pytest.raises(ValueError, match="bad_count"):
            deduct(*args)


@FAST
@given(st.integers(0, 7000), st.integers(0, 8), st.data())
def test_deduct_linear_quarters(points, errors, data):
    accepted = data.draw(st.integers(0, errors))
    kept = max(0, 4 - (errors - accepted))
    assert deduct(cents(points), errors, accepted) == half_up_cents(Fraction(points * kept, 400))


BOUNDARIES = [("100", XS), ("90", XS), ("90.00", XS), ("89.99", GOOD), ("70", GOOD),
              ("69.99", DONE), ("50", DONE), ("49.99", KHT), ("0", KHT)]


@pytest.mark.parametrize("key", SCORED)
@pytest.mark.parametrize(("total", "level"), BOUNDARIES)
def test_score_level_band_boundaries(key, total, level):
    assert score_level(D(total), key) is level
    assert score_level(D(total), EVALUATION_PRESETS[key]) is level


@FAST
@given(st.integers(0, 10000))
def test_score_level_every_cent(hundredths):
    expected = XS if hundredths >= 9000 else GOOD if hundredths >= 7000 else \
        DONE if hundredths >= 5000 else KHT
    assert score_level(cents(hundredths), P233) is expected


def test_score_level_refusals():
    for total, error in (("100.01", "score_range"), ("-0.01", "score_range"),
                         ("89.995", "precision")):
        with pytest.raises(ValueError, match=error):
            score_level(D(total), P233)
    with pytest.raises(ValueError, match="not_scored"):
        score_level(D(90), "decree-90-2020")
    with pytest.raises(ValueError, match="unknown_preset"):
        score_level(D(90), "nope")


def test_year_from_periods_examples():
    q = [D("90"), D("89.99"), D("89.99"), D("90")]
    assert year_from_periods(q) == D("90.00")      # 89.995 rounds half up
    assert year_from_periods(q[:3]) == D("89.99")  # 89.9933…
    assert year_from_periods([D("70"), D("69.99"), D("69.99")]) == D("69.99")
    assert year_from_periods([D("80"), D("60")], "last") == D("60.00")
    assert year_from_periods([D("80"), D("60"), D("75")], "min") == D("60.00")
    # a transferred person: two quarters from the old unit, two from the new
    old, new = [D("95"), D("91")], [D("85"), D("88.01")]
    assert year_from_periods(old + new) == D("89.75")   # 359.01 / 4 = 89.7525
    assert year_from_periods(old + new, "last") == D("88.01")
    assert year_from_periods(old + new, "min") == D("85.00")
    # months: twelve scores
    assert year_from_periods([D("90")] * 11 + [D("89.94")]) == D("90.00")  # 89.995
    assert year_from_periods([D("90")] * 11 + [D("89.82")]) == D("89.99")  # 89.985
    with pytest.raises(ValueError, match="no_periods"):
        year_from_periods([])
    with pytest.raises(ValueError, match="bad_year_from"):
        year_from_periods([D(1)], "max")


@FAST
@given(st.lists(st.integers(0, 10000), min_size=1, max_size=12))
def test_year_from_periods_mean_last_min(scores):
    decimals = [cents(s) for s in scores]
    assert year_from_periods(decimals) == half_up_cents(Fraction(sum(scores), 100 * len(scores)))
    assert year_from_periods(decimals, "last") == cents(scores[-1])
    assert year_from_periods(decimals, "min") == cents(min(scores))


# --- forced KHT ------------------------------------------------------------------------------

UNIT = 7
ALL_KINDS = list(ForcingKind)


def _force(events, *, is_leader=True, counted=frozenset(), year=2026, unit=UNIT):
    return forcing_events(events, year=year, unit_id=unit, is_leader=is_leader,
                          counted_acts=counted)


def test_forcing_kinds_have_labels():
    assert {k.value for k in ForcingKind} == {"discipline_duty", "degradation", "prohibition",
                                              "leader_corruption"}
    assert len({k.label for k in ForcingKind}) == 4 and all(k.label for k in ForcingKind)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_each_event_forces_kht_in_its_year(kind):
    event = Event(kind, "act-1", 2026, UNIT)
    forcing = _force([event])
    assert forcing == Forcing((event,), ())
    outcome = person_level(D("95"), forcing, P233)
    assert outcome.level is KHT and outcome.score_level is XS
    assert outcome.reasons == (kind.label,) and outcome.review is False
    # another year: nothing (the event counts in its year only)
    assert _force([Event(kind, "act-1", 2025, UNIT)]) == Forcing()
    assert _force([Event(kind, "act-1", 2027, UNIT)]) == Forcing()


def test_discipline_once_per_act_and_in_its_unit():
    party = Event(ForcingKind.DISCIPLINE_DUTY, "act-1", 2026, UNIT)
    state = Event(ForcingKind.DISCIPLINE_DUTY, "act-1", 2026, UNIT)
    assert _force([party, state]).forced == (party,)           # one act, one event
    # already counted in an earlier year's rating (Điều 14.3a–b): not again
    assert _force([state], counted=frozenset({"act-1"})) == Forcing()
    assert _force([state], counted=frozenset({"act-2"})).forced == (state,)
    # committed in the old unit, disciplined after the move: counts in the old unit (14.3c)
    old = Event(ForcingKind.DISCIPLINE_DUTY, "act-3", 2026, 99)
    assert _force([old]) == Forcing()
    assert _force([old], unit=99).forced == (old,)
    # a non-leader is forced too
    assert _force([party], is_leader=False).forced == (party,)


@pytest.mark.parametrize("kind", [ForcingKind.DEGRADATION, ForcingKind.PROHIBITION])
def test_personal_findings_count_wherever_the_person_is_rated(kind):
    event = Event(kind, "finding", 2026, 99)
    assert _force([event], is_leader=False).forced == (event,)
    # counted_acts is about disciplines only
    assert _force([event], counted=frozenset({"finding"})).forced == (event,)


def test_leader_corruption_only_for_leaders_in_their_unit_and_mitigation():
    case = Event(ForcingKind.LEADER_CORRUPTION, "case", 2026, UNIT)
    assert _force([case], is_leader=False) == Forcing()
    assert _force([case]).forced == (case,)
    assert _force([Event(ForcingKind.LEADER_CORRUPTION, "case", 2026, 99)]) == Forcing()
    mitigated = Event(ForcingKind.LEADER_CORRUPTION, "case", 2026, UNIT, mitigated=True)
    forcing = _force([mitigated])
    assert forcing == Forcing((), (mitigated,))
    outcome = person_level(D("91"), forcing, P233)
    assert outcome.level is XS and outcome.review is True
    assert outcome.reasons == (ev.MSG_FOR_REVIEW,)
    assert _force([mitigated], is_leader=False) == Forcing()


@FAST
@given(st.lists(st.tuples(st.sampled_from(ALL_KINDS), st.sampled_from(["a", "b", "c"]),
                          st.integers(2025, 2027), st.sampled_from([UNIT, 99]), st.booleans()),
                max_size=8), st.booleans(), st.sets(st.sampled_from(["a", "b"])))
def test_forcing_matches_the_rules(raw, is_leader, counted):
    events = [Event(*r) for r in raw]
    forcing = _force(events, is_leader=is_leader, counted=frozenset(counted))

    def applies(e):
        if e.year != 2026:
            return False
        if e.kind is ForcingKind.DISCIPLINE_DUTY:
            return e.unit_id == UNIT and e.act not in counted
        if e.kind is ForcingKind.LEADER_CORRUPTION:
            return is_leader and e.unit_id == UNIT
        return True

    firsts = {}
    for e in events:
        if applies(e):
            firsts.setdefault((e.kind, e.act), e)
    expected_forced = [e for e in firsts.values()
                       if not (e.kind is ForcingKind.LEADER_CORRUPTION and e.mitigated)]
    assert list(forcing.forced) == expected_forced
    assert len(forcing.for_review) == len(firsts) - len(expected_forced)
    outcome = person_level(D("95"), forcing, P233)
    assert (outcome.level is KHT) == bool(expected_forced)


def test_person_level_score_and_unscored():
    assert person_level(D("90"), Forcing(), P233) == ev.Outcome(XS, XS, (), False)
    assert person_level(D("49.99"), Forcing(), P233) == ev.Outcome(KHT, KHT, (ev.MSG_BELOW_50,),
                                                                   False)
    assert person_level(D("89.99"), Forcing(), P233).level is GOOD
    with pytest.raises(ValueError, match="no_score"):
        person_level(None, Forcing(), P233)
    # NĐ 90 (no points): the authority judges; forced KHT still forces
    judged = person_level(None, Forcing(), "decree-90-2020")
    assert judged.level is XS and judged.review is True and judged.score_level is None
    event = Event(ForcingKind.DEGRADATION, "x", 2026, UNIT)
    forced = person_level(None, Forcing((event,)), "decree-90-2020")
    assert forced.level is KHT and forced.reasons == (ForcingKind.DEGRADATION.label,)


# --- units (Điều 7) --------------------------------------------------------------------------

def _unit(total, *, tasks=10, on_time=10, exceeded=3, done=10, plan=Fraction(1), sub_kht=0,
          violation=False, preset=P233):
    return unit_level(D(total), tasks=tasks, on_time=on_time, exceeded=exceeded, done=done,
                      plan_share_done=plan, subunits_not_completed=sub_kht, violation=violation,
                      preset=preset)


@pytest.mark.parametrize(("total", "level"), BOUNDARIES)
def test_unit_bands_when_every_condition_holds(total, level):
    outcome = _unit(total)
    assert outcome.level is level and outcome.score_level is level
    assert outcome.review is False


def test_unit_conditions():
    # HTXS needs ≥ 30 % exceeded, 100 % on time, no sub-unit KHT; else HTT, for review
    assert _unit("95", exceeded=3).level is XS
    o = _unit("95", exceeded=2)
    assert (o.level, o.review, o.reasons) == (GOOD, True, (ev.MSG_UNIT_NOT_EXCEEDED,))
    o = _unit("95", sub_kht=1)
    assert (o.level, o.review, o.reasons) == (GOOD, True, (ev.MSG_UNIT_SUBUNIT_KHT,))
    # one task late: neither HTXS nor HTT; HTNV (≤ 20 % late, all done)
    o = _unit("95", on_time=9)
    assert o.level is DONE and o.review is True and ev.MSG_UNIT_NOT_ON_TIME in o.reasons
    assert _unit("75", on_time=8).level is DONE
    # over 20 % late: KHT for review
    o = _unit("75", on_time=7)
    assert (o.level, o.review) == (KHT, True) and ev.MSG_UNIT_LATE in o.reasons
    # not every task done (plan ≥ 70 %): HTNV fails too
    o = _unit("60", done=9, on_time=9)
    assert (o.level, o.review) == (KHT, True) and ev.MSG_UNIT_NOT_DONE in o.reasons
    # forced KHT: under 70 % of the plan, a violation, under 50 points — no review
    o = _unit("95", plan=Fraction(69, 100))
    assert (o.level, o.review, o.reasons) == (KHT, False, (ev.MSG_UNIT_PLAN,))
    assert _unit("95", plan=Fraction(7, 10)).level is XS
    o = _unit("95", violation=True)
    assert (o.level, o.reasons) == (KHT, (ev.MSG_UNIT_VIOLATION,))
    o = _unit("49.99", violation=True, plan=Fraction(1, 2))
    assert o.reasons == (ev.MSG_BELOW_50, ev.MSG_UNIT_PLAN, ev.MSG_UNIT_VIOLATION)
    # no task at all: nothing fails
    assert _unit("90", tasks=0, on_time=0, exceeded=0, done=0).level is XS
    for bad in ({"on_time": 11}, {"done": 11}, {"exceeded": 11, "done": 10},
                {"on_time": 10, "done": 9}, {"sub_kht": -1}, {"plan": Fraction(-1)}):
        with pytest.raises(ValueError, match="bad_count"):
            _unit("80", **bad)
    # party-366: the same HTXS conditions
    assert _unit("95", exceeded=2, preset=EVALUATION_PRESETS["party-366-2025"]).level is GOOD


@FAST
@given(st.integers(0, 10000), st.integers(0, 12), st.data())
def test_unit_level_matches_the_article(hundredths, tasks, data):
    done = data.draw(st.integers(0, tasks))
    on_time = data.draw(st.integers(0, done))
    exceeded = data.draw(st.integers(0, done))
    plan = data.draw(st.fractions(0, 1, max_denominator=20))
    sub_kht = data.draw(st.integers(0, 2))
    violation = data.draw(st.booleans())
    total = cents(hundredths)
    outcome = unit_level(total, tasks=tasks, on_time=on_time, exceeded=exceeded, done=done,
                         plan_share_done=plan, subunits_not_completed=sub_kht,
                         violation=violation, preset=P233)
    ok = {XS: hundredths >= 9000 and on_time == tasks and 10 * exceeded >= 3 * tasks
          and sub_kht == 0,
          GOOD: hundredths >= 7000 and on_time == tasks,
          DONE: hundredths >= 5000 and done == tasks and 5 * (tasks - on_time) <= tasks}
    if hundredths < 5000 or 10 * plan < 7 or violation:
        assert outcome.level is KHT and outcome.review is False
        return
    expected = next((lv for lv in (XS, GOOD, DONE) if ok[lv]), KHT)
    assert outcome.level is expected
    assert outcome.review is (expected is not outcome.score_level)
    assert not_above(outcome.level, outcome.score_level)


# --- eligibility (Điều 14) -------------------------------------------------------------------

def test_months_worked_edges():
    assert months_worked(2026, None, None) == 12
    assert months_worked(2026, date(2026, 7, 1), None) == 6
    assert months_worked(2026, date(2026, 7, 2), None) == 6 - Fraction(1, 31)
    assert months_worked(2026, None, date(2026, 6, 30)) == 6
    assert months_worked(2026, None, date(2026, 6, 29)) == 6 - Fraction(1, 30)
    assert months_worked(2026, date(2025, 3, 1), date(2027, 1, 1)) == 12
    assert months_worked(2026, date(2027, 1, 1), None) == 0
    assert months_worked(2026, None, date(2025, 12, 31)) == 0
    assert months_worked(2026, date(2026, 2, 15), date(2026, 2, 28)) == Fraction(14, 28)
    assert months_worked(2024, date(2024, 2, 1), date(2024, 2, 29)) == 1  # leap February
    assert months_worked(2026, None, None, unpaid_leave_days=365) == 0
    assert months_worked(2026, None, None, unpaid_leave_days=73) == 12 - Fraction(73 * 12, 365)
    with pytest.raises(ValueError, match="bad_count"):
        months_worked(2026, None, None, unpaid_leave_days=-1)


@FAST
@given(st.dates(date(2025, 6, 1), date(2027, 6, 1)), st.integers(0, 500))
def test_months_worked_whole_months_and_monotone(start, length):
    end = start + timedelta(days=length)
    months = months_worked(2026, start, end)
    assert 0 <= months <= 12
    # starting a day later never adds time
    assert months_worked(2026, start + timedelta(days=1), end) <= months
    # when both ends are month boundaries inside the year, it is a whole number of months
    if start.day == 1 and start.year == 2026 and (end + timedelta(days=1)).day == 1 \
            and end.year == 2026 and end >= start:
        assert months == (end.month - start.month + 1)


SIX = Fraction(6)
UNDER = SIX - Fraction(1, 31)


@pytest.mark.parametrize(("months", "leave", "expected"), [
    (SIX, Leave.NONE, (True, None)),
    (UNDER, Leave.NONE, (False, ev.MSG_UNDER_MINIMUM)),
    (Fraction(12), Leave.NONE, (True, None)),
    (SIX, Leave.UNPAID, (True, ev.MSG_ON_TIME_WORKED)),
    (UNDER, Leave.UNPAID, (False, ev.MSG_UNDER_MINIMUM)),
    (SIX, Leave.SICK, (True, ev.MSG_ON_TIME_WORKED)),
    (SIX, Leave.MATERNITY, (True, ev.MSG_ON_TIME_WORKED)),
    (Fraction(3), Leave.SICK, (True, ev.MSG_ON_TIME_WORKED)),      # Điều 14.1 excepts 14.2
    (Fraction(3), Leave.MATERNITY, (True, ev.MSG_ON_TIME_WORKED)),
    (Fraction(0), Leave.MATERNITY, (False, ev.MSG_NOT_WORKED)),
])
def test_eligibility(months, leave, expected):
    assert eligibility(months, leave, P233) == expected


def test_eligibility_under_the_domain_guides_reading():
    strict = EvaluationPreset.from_settings({**P233.settings(),
                                             "sick_leave_below_minimum": False})
    assert eligibility(Fraction(3), Leave.SICK, strict) == (False, ev.MSG_UNDER_MINIMUM)
    assert eligibility(SIX, Leave.MATERNITY, strict) == (True, ev.MSG_ON_TIME_WORKED)
    with pytest.raises(TypeError):
        eligibility(6.0, Leave.NONE, P233)


# --- quotas ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("good", "unit_xs", "cap"), [
    (0, False, 0), (3, False, 0), (4, False, 0), (5, False, 1), (9, False, 1), (10, False, 2),
    (14, False, 2), (15, False, 3),
    (3, True, 0), (4, True, 1), (5, True, 1), (8, True, 2), (10, True, 2), (12, True, 3),
])
def test_excellent_cap_examples(good, unit_xs, cap):
    assert excellent_cap(good, excellent_unit=unit_xs, preset=P233) == cap


@FAST
@given(st.integers(0, 5000), st.booleans())
def test_excellent_cap_floor_and_half_up(good, unit_xs):
    pct = 25 if unit_xs else 20
    assert excellent_cap(good, excellent_unit=unit_xs, preset=P233) == good * pct // 100
    half_up = EvaluationPreset.from_settings({**P233.settings(), "quota_rounding": "half_up"})
    assert excellent_cap(good, excellent_unit=unit_xs, preset=half_up) == \
        (good * pct * 2 + 100) // 200


def test_excellent_cap_refuses_a_negative_count():
    with pytest.raises(ValueError, match="bad_count"):
        excellent_cap(-1, excellent_unit=False, preset=P233)


def _people(spec):
    """spec: [(group, level), …] → Rated with ids from 1."""
    return [Rated(i, g, lv) for i, (g, lv) in enumerate(spec, start=1)]


def test_quota_counts_htt_without_htxs():
    # 5 HTT + 1 HTXS: the cap is 20 % of 5 = 1 (HTXS not counted among the HTT)
    people = _people([(None, GOOD)] * 5 + [(None, XS)])
    assert people_quota(people, excellent_unit=False, preset=P233) == []
    # 4 HTT + 1 HTXS: 20 % of 4 = 0 → breach
    people = _people([(None, GOOD)] * 4 + [(None, XS)])
    assert people_quota(people, excellent_unit=False, preset=P233) == [
        Breach("unit_quota", None, 0, 1, (5,))]
    # the same with an HTXS unit: 25 % of 4 = 1 → fine
    assert people_quota(people, excellent_unit=True, preset=P233) == []


def test_quota_per_group_and_per_unit_both_reported():
    # professional: 5 HTT, 2 HTXS (cap 1); support: 5 HTT, 0 HTXS; unit: 10 HTT (cap 2) + 2 XS
    spec = [("professional", GOOD)] * 5 + [("professional", XS)] * 2 + [("support", GOOD)] * 5
    people = _people(spec)
    assert people_quota(people, excellent_unit=False, preset=P233) == [
        Breach("group_quota", "professional", 1, 2, (6, 7))]
    assert slots_left(people, excellent_unit=False, preset=P233) == {
        None: 0, "professional": -1, "support": 1}
    # one more HTXS in support: the unit breaks too (cap 2, three HTXS), and support does
    people = _people(spec + [("support", XS)])
    assert people_quota(people, excellent_unit=False, preset=P233) == [
        Breach("unit_quota", None, 2, 3, (6, 7, 13)),
        Breach("group_quota", "professional", 1, 2, (6, 7))]
    # with an HTXS unit: 25 % of 10 = 2 for the unit (still 3 > 2); groups 25 % of 5 = 1
    assert [b.rule for b in people_quota(people, excellent_unit=True, preset=P233)] == [
        "unit_quota", "group_quota"]
    # people without a group count in the unit only
    people = _people([(None, GOOD)] * 5 + [(None, XS)] * 2)
    assert people_quota(people, excellent_unit=False, preset=P233) == [
        Breach("unit_quota", None, 1, 2, (6, 7))]
    assert slots_left(people, excellent_unit=False, preset=P233) == {None: -1}


GROUPS = [None, "management", "professional", "support"]


@FAST
@given(st.lists(st.tuples(st.sampled_from(GROUPS), st.sampled_from(LEVELS)), max_size=40),
       st.booleans())
def test_people_quota_matches_counting(spec, unit_xs):
    people = _people(spec)
    pct = 25 if unit_xs else 20
    expected = []
    scopes = [(None, "unit_quota", people)] + [
        (g, "group_quota", [p for p in people if p.group == g])
        for g in sorted({g for g, _ in spec if g is not None})]
    left = {}
    for scope, rule, members in scopes:
        good = sum(p.level is GOOD for p in members)
        xs = tuple(p.id for p in members if p.level is XS)
        cap = good * pct // 100
        left[scope] = cap - len(xs)
        if len(xs) > cap:
            expected.append(Breach(rule, scope, cap, len(xs), xs))
    assert people_quota(people, excellent_unit=unit_xs, preset=P233) == expected
    assert slots_left(people, excellent_unit=unit_xs, preset=P233) == left


def test_units_quota_few_units_replaces_the_percentage():
    # 4 sub-units, none HTT: still one may be HTXS; two may not
    units = _people([(None, XS), (None, DONE), (None, DONE), (None, DONE)])
    assert units_quota(units, outstanding=False, preset=P233) == []
    units = _people([(None, XS), (None, XS), (None, GOOD), (None, GOOD)])
    assert units_quota(units, outstanding=False, preset=P233) == [
        Breach("few_units", None, 1, 2, (1, 2))]
    # 5 units: the percentage (4 HTT → 0; 25 % when outstanding → 1)
    units = _people([(None, XS)] + [(None, GOOD)] * 4)
    assert units_quota(units, outstanding=False, preset=P233) == [
        Breach("units_quota", None, 0, 1, (1,))]
    assert units_quota(units, outstanding=True, preset=P233) == []
    # 10 HTT + 2 HTXS fine, 3 not
    units = _people([(None, GOOD)] * 10 + [(None, XS)] * 3)
    assert units_quota(units, outstanding=False, preset=P233) == [
        Breach("units_quota", None, 2, 3, (11, 12, 13))]
    # scopes are counted apart
    units = _people([("a", XS), ("a", GOOD), ("b", XS), ("b", XS)])
    assert units_quota(units, outstanding=False, preset=P233) == [
        Breach("few_units", "b", 1, 2, (3, 4))]


@FAST
@given(st.lists(st.sampled_from(LEVELS), max_size=20), st.booleans())
def test_units_quota_matches_counting(levels, outstanding):
    units = _people([(None, lv) for lv in levels])
    xs = tuple(u.id for u in units if u.level is XS)
    good = sum(u.level is GOOD for u in units)
    if len(units) < 5:
        rule, cap = "few_units", 1
    else:
        rule, cap = "units_quota", good * (25 if outstanding else 20) // 100
    expected = [Breach(rule, None, cap, len(xs), xs)] if len(xs) > cap else []
    assert units_quota(units, outstanding=outstanding, preset=P233) == expected


@pytest.mark.parametrize(("head", "unit"), list(itertools.product(LEVELS, LEVELS)))
def test_head_above_unit_all_16_pairs(head, unit):
    above = {XS: 0, GOOD: 1, DONE: 2, KHT: 3}
    assert head_above_unit(head, unit) is (above[head] < above[unit])
    assert head_above_unit(head, unit) is not not_above(head, unit)
    breaches = heads_above_units([(1, head, unit)])
    assert breaches == ([Breach("head_above_unit", None, 0, 1, (1,))]
                        if above[head] < above[unit] else [])


def test_heads_above_units_names_every_head():
    assert heads_above_units([(3, XS, GOOD), (1, GOOD, GOOD), (2, GOOD, DONE)]) == [
        Breach("head_above_unit", None, 0, 2, (2, 3))]
    assert heads_above_units([]) == []


def test_module_is_pure():
    import ast
    import inspect
    tree = ast.parse(inspect.getsource(ev))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                for a in n.names} | {n.module.split(".")[0] for n in ast.walk(tree)
                                     if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "calendar", "enum", "collections", "dataclasses",
                        "datetime", "decimal", "fractions", "evalapp"}
    assert "float(" not in inspect.getsource(ev)
