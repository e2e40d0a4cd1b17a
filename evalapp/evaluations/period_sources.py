"""Where the scores of the periods tracked come from, besides the periods page: a registry that
other areas fill (the product ledger registers its confirmed periods), read by this area only.

Evaluations imports no area built on it; an area that keeps periods registers a source:

    @period_source
    def confirmed_periods(person_ids, year) -> dict[person_id, list[PeriodEntry]]

A round reads the sources when it takes its people (`take_people`) and again whenever a source
says one person's periods changed (`refresh`, called by that area after a confirmation or a
reopening): a person with entries in a source gets exactly those as their periods tracked
(RatedPerson.periods), each naming the old unit when it was kept in another unit than the one
the round rated them in (a transferred person's periods come along, Điều 15.1a).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from evalapp.audit.services import record
from evalapp.evaluations.lifecycle import ROUND_STEPS
from evalapp.evaluations.models import EvaluationRound, RatedPerson
from evalapp.extensions import db


@dataclass(frozen=True)
class PeriodEntry:
    period: str      # "m01".."m12", "q1".."q4"
    score: str       # "87.50", out of 100
    unit_id: int     # the unit where the period was kept
    unit_name: str


Source = Callable[[list[int], int], dict[int, list[PeriodEntry]]]
SOURCES: list[Source] = []


def period_source(fn: Source) -> Source:
    """Register a source of periods (once per function)."""
    if fn not in SOURCES:
        SOURCES.append(fn)
    return fn


def collect(person_ids: Iterable[int], year: int) -> dict[int, list[PeriodEntry]]:
    """Each person's entries in the year, from the first source that has any for them."""
    ids = sorted(set(person_ids))
    found: dict[int, list[PeriodEntry]] = {}
    for source in SOURCES:
        for person_id, entries in source(ids, year).items():
            if entries and person_id not in found:
                found[person_id] = entries
    return found


def as_periods(entries: list[PeriodEntry], unit_id: int) -> list[dict]:
    """RatedPerson.periods of a person rated in `unit_id`, in the periods' order."""
    return [{"period": e.period, "score": e.score,
             "source": None if e.unit_id == unit_id else e.unit_name}
            for e in sorted(entries, key=lambda e: e.period)]


def refresh(actor, person_id: int, year: int) -> int:
    """Copy the person's periods from the sources into every round of the year that rates them
    and is not finalised (a finalised round's decision stands); one audit entry per round row
    changed. Returns how many were changed."""
    entries = collect([person_id], year).get(person_id, [])
    rows = db.session.scalars(
        select(RatedPerson).join(EvaluationRound, RatedPerson.round_id == EvaluationRound.id)
        .where(RatedPerson.person_id == person_id, EvaluationRound.year == year,
               EvaluationRound.status.in_(sorted(ROUND_STEPS.states_where("take-people"))))
        .order_by(RatedPerson.id)).all()
    changed = 0
    for rated in rows:
        periods = as_periods(entries, rated.unit_id)
        if periods == rated.periods:
            continue
        rated.periods = periods
        db.session.flush()
        record(actor, "evaluation_person.periods_fed", rated, periods=len(periods))
        changed += 1
    return changed


# ---------------------------------------------------------------- evidence beside the criteria
#
# Evidence other areas keep about a person in a year (scores imported from a competency exam,
# a KPI system, a training record; the public's ratings of a front desk), shown to whoever
# scores the general criteria, next to them. Like the periods, a registry that other areas
# fill; evaluations imports none of them:
#
#     @evidence_source
#     def imported(person_ids, year) -> dict[person_id, list[EvidenceEntry]]


@dataclass(frozen=True)
class EvidenceEntry:
    source: str                # the source's name ("Sát hạch năng lực", "Đánh giá của dân")
    period: str                # "m01".."m12", "q1".."q4" or "year"
    count: int                 # how many ratings or scores the value sums up
    value: Decimal | None      # the score or the average, on the source's own scale
    note: str | None


EvidenceSource = Callable[[list[int], int], dict[int, list[EvidenceEntry]]]
EVIDENCE_SOURCES: list[EvidenceSource] = []


def evidence_source(fn: EvidenceSource) -> EvidenceSource:
    """Register a source of evidence (once per function)."""
    if fn not in EVIDENCE_SOURCES:
        EVIDENCE_SOURCES.append(fn)
    return fn


def collect_evidence(person_ids: Iterable[int], year: int) -> dict[int, list[EvidenceEntry]]:
    """Each person's evidence in the year from every source, by source then period."""
    ids = sorted(set(person_ids))
    found: dict[int, list[EvidenceEntry]] = {}
    for source in EVIDENCE_SOURCES:
        for person_id, entries in source(ids, year).items():
            found.setdefault(person_id, []).extend(entries)
    return {person_id: sorted(entries, key=lambda e: (e.source, e.period))
            for person_id, entries in found.items()}
