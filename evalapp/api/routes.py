"""The JSON API (/api/v1): the same services, permissions, lifecycle and secrecy as the pages,
with a personal API token instead of a session. One module per area, each endpoint declared
once with its schemas (evalapp.api.base); the OpenAPI document is generated from them
(evalapp.api.spec)."""

from __future__ import annotations

from evalapp.api import (  # noqa: F401  (their endpoints)
    account,
    ballots,
    documents,
    evaluations,
    org,
    spec,
)
from evalapp.api.base import bp

__all__ = ["bp"]
