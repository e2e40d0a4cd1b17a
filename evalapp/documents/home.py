"""The signers' section of the home page: documents waiting for their signature."""

from __future__ import annotations

from evalapp.core.home import home_section
from evalapp.documents.services import awaiting_signature
from evalapp.extensions import db


@home_section("documents.awaiting", order=30, template="documents/_home_awaiting.html")
def documents_awaiting_signature(user):
    """By round: the round and its documents with a block the user has still to sign."""
    waiting = awaiting_signature(user)
    if not waiting:
        return None
    from evalapp.ballots.models import BallotRound
    from evalapp.documents.signing import readiness

    rounds: dict[int, list] = {}
    for document in waiting:
        rounds.setdefault(document.round_id, []).append(document)
    return {"rounds": [(db.session.get(BallotRound, round_id), documents)
                       for round_id, documents in rounds.items()],
            "count": len(waiting), "readiness": readiness(user)}
