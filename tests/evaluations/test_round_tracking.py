"""A round tracks the periods as its unit's Quy chế does (issue 13): a ledger kept by month
feeds month periods, which the round's periods page shows and keeps; without a Quy chế
setting, the preset's."""

from __future__ import annotations

from evalapp.auth.permissions import SYSTEM
from evalapp.evaluations import assessments, builder, services
from evalapp.tally.evaluation import EVALUATION_PRESETS

PRESET = "decree-335-2025"


def test_a_round_follows_its_quy_ches_periods(db):
    dept = builder.department(subunits=1, staff_per_unit=1)
    content = services.seed_regulation(SYSTEM, dept.unit, PRESET).content
    assert EVALUATION_PRESETS[PRESET].period == "quarter"
    services.save_regulation(SYSTEM, dept.unit, preset_key=PRESET, title="Quy chế theo tháng",
                             content=content | {"period": "month", "year_from": "last"})
    round_ = builder.round_for(dept)
    rules = services.round_rules(round_)
    assert (rules.period, rules.year_from) == ("month", "last")
    assert assessments.period_keys(round_) == [f"m{n:02d}" for n in range(1, 13)]


def test_without_a_quy_che_setting_the_preset_tracks(db):
    dept = builder.department(subunits=1, staff_per_unit=1)
    round_ = builder.round_for(dept, regulation=False)
    assert services.round_rules(round_).period == EVALUATION_PRESETS[PRESET].period
    assert assessments.period_keys(round_) == ["q1", "q2", "q3", "q4"]
