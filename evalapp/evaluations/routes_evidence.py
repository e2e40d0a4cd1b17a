"""Evidence beside the general criteria on the manager's and the office's forms: what the
registered evidence sources (period_sources.evidence_source) hold for the person rated in the
round's year. Read only; evaluations imports none of the areas that register them."""

from __future__ import annotations

from evalapp.evaluations import assessments, period_sources
from evalapp.evaluations.models import RatedPerson
from evalapp.evaluations.routes import bp


@bp.app_template_global("evaluation_evidence")
def evaluation_evidence(rated) -> list[period_sources.EvidenceEntry]:
    if not isinstance(rated, RatedPerson):
        return []
    return period_sources.collect_evidence([rated.person_id], rated.round.year).get(
        rated.person_id, [])


@bp.app_template_filter("evidence_period")
def evidence_period(key: str) -> str:
    return assessments.period_label(key.lower())
