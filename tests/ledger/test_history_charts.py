"""The history charts' geometry (evalapp.ledger.history, pure): it holds up with 12 months ×
10 years and more, a missing value is a gap (no point, the line broken), never a zero, and
levels sit on an ordinal axis KHT < HTNV < HTT < HTXS."""

from __future__ import annotations

from decimal import Decimal

from evalapp.ledger import history
from evalapp.tally.scales import Level


def months(first: int, years: int, missing=lambda year, month: False):
    return [history.PeriodRow(year, f"m{m:02d}", "Phòng 1", Decimal(60), Decimal(25),
                              Decimal(60 + (m + year) % 40))
            for year in range(first, first + years) for m in range(1, 13)
            if not missing(year, m)]


def test_twelve_months_over_ten_years_with_gaps():
    gap = {(2018, 3), (2018, 4), (2021, 12), (2024, 7)}
    periods = months(2016, 10, lambda y, m: (y, m) in gap)
    # Two quarters and one year, one level each.
    quarters = [history.LevelRow(2020, "q2", Level.GOOD, None, "Quý 2", "Phòng 1"),
                history.LevelRow(2020, "q3", Level.NOT_COMPLETED, None, "Quý 3", "Phòng 1")]
    years = [history.LevelRow(2019, "year", Level.EXCELLENT, Decimal("91.5"), "Năm", "P"),
             history.LevelRow(2022, "year", Level.COMPLETED, None, "Năm", "P")]
    chart = history.person_chart(history.PersonHistory(None, periods, quarters, years))
    assert len(periods) == 116
    assert len(chart.periods) == 116                          # one point per value, none else
    xs = [m.x for m in chart.periods]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)       # in time order, never stacked
    assert all(chart.plot_left <= x <= chart.plot_right for x in xs)
    assert all(chart.score_top <= m.y <= chart.score_bottom for m in chart.periods)
    # The line is broken at each gap: 2018-03/04 (one gap), 2021-12, 2024-07 → 4 runs.
    assert len(chart.lines) == 4
    assert sum(len(run) for run in chart.lines) == 116
    # The smallest spacing between neighbouring months stays readable on an 800-wide chart.
    assert min(b - a for a, b in zip(xs, xs[1:], strict=False)) > 5
    # Levels: an ordinal axis, lower on the page for a lower level.
    y = {level: gy for gy, level in chart.level_grid}
    assert y[Level.NOT_COMPLETED] > y[Level.COMPLETED] > y[Level.GOOD] > y[Level.EXCELLENT]
    assert [m.y for m in chart.quarters] == [y[Level.GOOD], y[Level.NOT_COMPLETED]]
    assert [m.y for m in chart.year_levels] == [y[Level.EXCELLENT], y[Level.COMPLETED]]
    assert len(chart.year_scores) == 1                        # 2022 has no score retained
    assert all(chart.level_top <= m.y <= chart.level_bottom for m in chart.quarters)
    assert [t.label for t in chart.years] == [str(year) for year in range(2016, 2026)]


def test_a_missing_score_is_a_gap_not_a_zero():
    periods = months(2026, 1)
    periods[5].score = None                                   # June without a score
    chart = history.person_chart(history.PersonHistory(None, periods, [], []))
    assert len(chart.periods) == 11 and "m06" not in {m.key for m in chart.periods}
    assert all(m.y < chart.score_bottom for m in chart.periods)
    assert [len(run) for run in chart.lines] == [5, 6]


def test_many_years_thin_out_the_labels_and_nothing_is_drawn_without_data():
    chart = history.person_chart(history.PersonHistory(None, months(2000, 60), [], []))
    labels = [t.label for t in chart.years if t.label]
    assert len(chart.years) == 60 and 0 < len(labels) <= history.MAX_YEAR_LABELS
    assert labels[0] == "2000"
    assert history.person_chart(history.PersonHistory(None, [], [], [])) is None
    assert history.bar_chart([], str) is None


def test_stacked_bars_scale_to_the_largest_total_and_keep_apart():
    columns = [history.Column(2000 + i, "year", {Level.EXCELLENT: i % 3, Level.GOOD: 5,
                                                 Level.COMPLETED: 1, Level.NOT_COMPLETED: i % 2})
               for i in range(45)]
    chart = history.bar_chart(columns, lambda c: str(c.year))
    assert len(chart.bars) == 45
    for a, b in zip(chart.bars, chart.bars[1:], strict=False):
        assert a.x + a.width < b.x                            # bars never overlap
    largest = max(c.total for c in columns)
    for bar in chart.bars:
        assert [count for _level, _y, _h, count in bar.parts] == [
            bar.column.counts[level] for level in history.LEVELS if bar.column.counts[level]]
        height = sum(h for _level, _y, h, _count in bar.parts)
        assert abs(height - bar.column.total / largest * (chart.bottom - chart.top)) < 0.05
        assert all(chart.top - 0.01 <= y and y + h <= chart.bottom + 0.01
                   for _level, y, h, _count in bar.parts)
    assert 0 < sum(1 for bar in chart.bars if bar.label) <= 20
