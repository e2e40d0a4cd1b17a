"""The signers' section of the home page: documents waiting for their signature."""

from __future__ import annotations

from evalapp.core.home import home_section
from evalapp.documents.services import awaiting_by_owner


@home_section("documents.awaiting", order=30, template="documents/_home_awaiting.html")
def documents_awaiting_signature(user):
    """By owner (a round...): its description and its documents with a block the user has
    still to sign."""
    groups = awaiting_by_owner(user)
    if not groups:
        return None
    from evalapp.documents.signing import readiness

    return {"groups": groups, "count": sum(len(documents) for _owner, documents in groups),
            "readiness": readiness(user)}
