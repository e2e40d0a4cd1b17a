"""Verification is open to anyone without logging in, so its work is bounded by the file's size
and by fixed numbers, whatever is uploaded (issue 10, fault 1): the file is hashed once (not once
per revision), at most MAX_REVISIONS revisions are considered, the database is asked about a
bounded list of hashes, and a file that does not end as a PDF ends never reaches pyHanko."""

from __future__ import annotations

import hashlib
import io
import types

import pytest
from sqlalchemy import event

from evalapp.documents import signing
from evalapp.extensions import db
from tests.documents import signing_fixtures as fixtures

demo_pki = fixtures.demo_pki
minutes = fixtures.minutes
signed_minutes = fixtures.signed_minutes
signers = fixtures.signers


@pytest.fixture(autouse=True)
def generous_rate_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_RATE_LIMIT", "1000 per minute")


def upload(client, data: bytes):
    return client.post("/documents/verify", data={"file": (io.BytesIO(data), "tep.pdf")},
                       content_type="multipart/form-data")


class _CountingHash:
    """hashlib's SHA-256, counting the bytes fed to it (copies share the count)."""

    def __init__(self, counter: list[int], inner=None) -> None:
        self._counter, self._inner = counter, inner or hashlib.sha256()

    def update(self, data) -> None:
        self._counter[0] += len(data)
        self._inner.update(data)

    def copy(self) -> _CountingHash:
        return _CountingHash(self._counter, self._inner.copy())

    def hexdigest(self) -> str:
        return self._inner.hexdigest()


@pytest.fixture
def hashed_bytes(monkeypatch) -> list[int]:
    counter = [0]

    def sha256(data=b""):
        counted = _CountingHash(counter)
        counted.update(data)
        return counted
    monkeypatch.setattr(signing, "hashlib", types.SimpleNamespace(sha256=sha256))
    return counter


@pytest.fixture
def sql_parameters(app):
    """The number of bound parameters of every statement run."""
    counts: list[int] = []

    def count(_conn, _cursor, _statement, parameters, _context, _executemany):
        counts.append(len(parameters or ()))
    event.listen(db.engine, "before_cursor_execute", count)
    yield counts
    event.remove(db.engine, "before_cursor_execute", count)


def test_revision_hashes_hash_each_byte_once(app, hashed_bytes):
    """60 revisions of 10 KB: re-hashing every prefix would hash ≈ 18 MB; one pass hashes the
    600 KB once. The hashes are those of the prefixes."""
    chunk = b"%PDF-1.7\n" + b"x" * 10_000 + b"\n%%EOF\n"
    data = chunk * 60
    hashes = signing._revision_hashes(data)
    assert hashed_bytes[0] == len(data)
    ends = sorted(hashes.values())
    assert len(ends) == 120  # after each %%EOF and after its line end (the last: the end)
    for digest, end in list(hashes.items())[::17]:
        assert hashlib.sha256(data[:end]).hexdigest() == digest


def test_an_anonymous_flood_of_end_markers_is_refused_with_bounded_work(
        app, hashed_bytes, sql_parameters):
    """The reviewer's attack: 400 KB of `%%EOF` lines took 22–44 s and then a 500 "too many SQL
    variables" (≈ 133,000 hashes in one IN list). Now: a page saying why, not one hash of a
    prefix, no query with more than a handful of parameters."""
    data = b"%%EOF\n" * 70_000
    response = upload(app.test_client(), data)  # not logged in
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-verdict="unreadable"' in page
    assert f"có hơn {signing.MAX_REVISIONS} phiên bản" in page
    assert hashed_bytes[0] <= len(data)  # the file's own fingerprint, nothing more
    assert max(sql_parameters, default=0) <= 2 * (2 * signing.MAX_REVISIONS + 1)


def test_the_most_revisions_allowed_are_looked_up_in_one_bounded_query(
        app, hashed_bytes, sql_parameters):
    data = b"%PDF-1.7\n" + b"%%EOF\n" * signing.MAX_REVISIONS
    report = signing.verify_pdf(data)
    assert not report.readable and report.match is None
    # the file's fingerprint, then one pass over it for the revision hashes
    assert hashed_bytes[0] == 2 * len(data)
    assert 0 < max(sql_parameters) <= 2 * (2 * signing.MAX_REVISIONS + 1)


def test_a_file_not_ending_as_a_pdf_never_reaches_the_pdf_reader(app):
    """A 10 MB file whose last line has no end: pyHanko read it backwards a byte at a time
    (≈ 10 s). It is refused by the check of its last 1024 bytes."""
    for data in (b"%PDF-1.7\n" + b"x" * 10_000_000,
                 b"%PDF-1.7\n" + b"x" * 10_000_000 + b"\n%%EOF\n"):
        report = signing.verify_pdf(data)
        assert not report.readable
        assert "không kết thúc như một tệp PDF" in report.problem
    assert signing._has_pdf_tail(b"%PDF-1.7\n...\nstartxref\n1234\n%%EOF\n")
    assert signing._has_pdf_tail(b"%PDF-1.7\n...\nstartxref\n1234\n%%EOF\n% a comment\n")
    assert not signing._has_pdf_tail(b"%PDF\nstartxref\n1234\n%%EOF\n" + b" x" * 600)
    assert not signing._has_pdf_tail(b"%PDF\nstartxref 1234 %%EOF\n")


def test_signed_minutes_with_too_many_revisions_appended_are_refused(app, signed_minutes):
    """Revisions appended to a real signed document beyond the bound: refused, not verified at
    any cost; the document as issued still verifies."""
    assert signing.verify_pdf(signed_minutes.pdf).verdict is signing.Verdict.OK
    padded = signed_minutes.pdf + b"%%EOF\n" * (signing.MAX_REVISIONS + 1)
    report = signing.verify_pdf(padded)
    assert not report.readable and report.verdict is signing.Verdict.UNREADABLE
