"""Fixtures of the documents tests."""

from tests.documents.signing_fixtures import (  # noqa: F401
    demo_pki,
    minutes,
    nss_dir,
    signed_minutes,
    signers,
)
