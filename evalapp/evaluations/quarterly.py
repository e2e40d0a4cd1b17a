"""Quarterly reviews of leaders (đánh giá hằng quý; Kết luận 198-KL/TW, Hướng dẫn 02-HD/BTCTW).

A quarterly review is an evaluation round like any other — the same pages, forms, meetings,
decisions, lifecycle and locks — with three differences, all read from the round's settings:

- its settings' "round_type" is "quarterly" (preset `quarterly-leaders`), its period a quarter
  ("q1".."q4"), and every step's deadline defaults to the 14th of the quarter's last month
  (`tally.evaluation.quarter_due`), a date the admin changes on the settings page;
- it takes leaders only (`services.take_people`) and no unit;
- the sheet is the round's axes (`settings["axes"]`, the six of Hướng dẫn 02-HD/BTCTW by
  default, edited here while a draft): the result written on each axis, points only where the
  settings say so (`settings["scored"]`); the decision has no quota (the quotas apply to the
  year: `decisions.check`).

The contract for other parts: a quarterly review's decided levels are `RatedPerson.level`;
`quarters_of` gives each person's four quarters of a year from the finalised, released
reviews.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from evalapp.evaluations import services
from evalapp.evaluations.models import EvaluationRound, RatedPerson, RoundStatus
from evalapp.extensions import db
from evalapp.tally import evaluation as rules
from evalapp.tally.scales import Level

QUARTER_KEYS = ("Q1", "Q2", "Q3", "Q4")


def is_quarterly(round_: EvaluationRound) -> bool:
    return rules.is_quarterly(round_.settings)


def axes_of(round_: EvaluationRound) -> list[dict]:
    return list(round_.settings.get("axes") or [])


def save_axes(actor, round_: EvaluationRound, axes: list[dict], *, scored: bool
              ) -> EvaluationRound:
    """The round's axes and whether each gets points, while a draft (services.update_settings:
    the lifecycle, the check of the axes, one audit entry). The codes follow the order
    (T1, T2, ...): no form exists while a draft, so nothing refers to an old code."""
    numbered = [{"code": f"T{n}", "title": str(axis.get("title") or "").strip(),
                 "points": str(axis.get("points") or "").strip()}
                for n, axis in enumerate(axes, 1)]
    return services.update_settings(actor, round_, {"axes": numbered, "scored": bool(scored)})


def _quarterly_rounds(year: int) -> dict[int, int]:
    """The finalised, released quarterly reviews of the year: {round id: quarter 1..4}."""
    rows = db.session.execute(select(
        EvaluationRound.id, EvaluationRound.period, EvaluationRound.settings_json,
    ).where(EvaluationRound.year == year, EvaluationRound.status == RoundStatus.FINALISED,
            EvaluationRound.released_at.is_not(None))).all()
    found = {}
    for round_id, period, settings_json in rows:
        quarter = rules.quarter_number(period)
        if quarter is not None and '"round_type":"quarterly"' in (settings_json or ""):
            found[round_id] = quarter
    return found


def quarters_of(person_ids: Iterable[int], year: int) -> dict[int, dict[str, Level | None]]:
    """Each person's levels in the four quarterly reviews of `year`:
    {person_id: {"Q1": Level | None, ..., "Q4": ...}} (None where no review decided one).
    Only finalised reviews whose results are released count (before that, nobody but a round's
    admins sees a level); where two reviews of one quarter rated the same person, the later
    round's level is kept. Two queries whatever the number of people."""
    ids = sorted(set(person_ids))
    result: dict[int, dict[str, Level | None]] = {
        pid: dict.fromkeys(QUARTER_KEYS) for pid in ids}
    rounds = _quarterly_rounds(int(year))
    if not ids or not rounds:
        return result
    rows = db.session.execute(select(
        RatedPerson.person_id, RatedPerson.round_id, RatedPerson.level,
    ).where(RatedPerson.round_id.in_(sorted(rounds)), RatedPerson.person_id.in_(ids),
            RatedPerson.level.is_not(None)).order_by(RatedPerson.round_id)).all()
    for person_id, round_id, level in rows:
        result[person_id][QUARTER_KEYS[rounds[round_id] - 1]] = level
    return result
