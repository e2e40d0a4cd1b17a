"""The Quy chế's weights of the sources of evidence (content["sources"] = {source name:
weight in points}): read from the Quy chế editor's rows and checked. The rule that uses them is
tally.ledger.weighted_general (a weight is carved out of the 30 points of the general
criteria); a source without a weight is shown as evidence and not added."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from evalapp.core.text import nfc
from evalapp.tally import ledger as rules

ROWS = 10
NAME_MAX = 80


def posted(form) -> dict[str, str]:
    """The weights as posted: rows source-<i>-name / source-<i>-weight, blank rows left out."""
    weights: dict[str, str] = {}
    for index in range(ROWS):
        name = nfc((form.get(f"source-{index}-name") or "").strip())[:NAME_MAX]
        weight = (form.get(f"source-{index}-weight") or "").strip().replace(",", ".")[:12]
        if name or weight:
            weights[name] = weight
    return weights


def problems(content: dict) -> list[str]:
    try:
        rules.source_weights(content)
    except ValueError:
        return [str(_l("Each weighted source needs a name and a weight above 0 with at most "
                       "two decimals; the weights add up to 30 points at most (they are "
                       "taken from the general criteria)."))]
    return []
