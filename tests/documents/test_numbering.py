"""Document numbers, as a Vietnamese office's register gives them: 1, 2, 3 … per issuing body
and year, restarting each year, stored and unique, and unchanged when a document is reused or
replaced before anyone signed it. Printed "Số: 01/BB-SNV" (state) or "Số 01-BB/TU" (Party)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from evalapp.audit.models import AuditEntry
from evalapp.auth.permissions import SYSTEM
from evalapp.auth.services import update_user
from evalapp.ballots import documents as rdocs
from evalapp.ballots.documents import DocumentKind
from evalapp.documents import services as docs
from evalapp.documents.models import DocumentNumber
from evalapp.org.models import UnitKind
from tests.documents.helpers import FIXED_CLOCK, build_round
from tests.documents.pdftext import flat, pdf_text


def issue(round_, kind=DocumentKind.MINUTES, candidate=None, clock=FIXED_CLOCK):
    document = docs.issue_document(SYSTEM, round_, kind, candidate, clock=lambda: clock,
                                   base_url="https://evalapp.example.vn/")
    docs.db.session.commit()
    return document


def numbers(*documents) -> list[int]:
    return [d.number.number for d in documents]


def test_numbers_run_one_two_three_per_body_and_year(db):
    place = {"locality": "Hòa Bình Xanh"}
    first = build_round(kind=UnitKind.DEPARTMENT, body_name="Sở Nội vụ", unit_code="SNV",
                        **place)
    round_ = first.round
    minutes = issue(round_)
    notices = [issue(round_, DocumentKind.RESULT_NOTICE, c) for c in round_.active_candidates]
    assert numbers(minutes, *notices) == [1, 2, 3, 4]
    assert minutes.number.label == "01/BB-SNV"
    assert [n.number.label for n in notices] == ["02/TB-SNV", "03/TB-SNV", "04/TB-SNV"]
    assert {(d.number.register_type, d.number.register_id, d.number.year)
            for d in (minutes, *notices)} == {("unit", round_.unit_id, 2026)}

    # A second round of the same body, the same year: the register goes on.
    second = build_round(kind=UnitKind.DEPARTMENT, body_name="Sở Nội vụ", unit=round_.unit,
                         **place)
    assert issue(second.round).number.number == 5

    # Another body starts its own register.
    other = build_round(kind=UnitKind.DEPARTMENT, body_name="Sở Tài chính", **place)
    assert issue(other.round).number.label == "01/BB-STC"

    # Next year the same body starts again at 1.
    next_year = build_round(kind=UnitKind.DEPARTMENT, body_name="Sở Nội vụ", unit=round_.unit,
                            meeting_date=date(2027, 1, 8), **place)
    later = issue(next_year.round, clock=datetime(2027, 1, 8, 9, 0, tzinfo=UTC))
    assert (later.number.number, later.number.year, later.number.label) == (1, 2027, "01/BB-SNV")

    # Blank ballots are forms, not numbered documents.
    assert issue(round_, DocumentKind.BLANK_BALLOTS).number is None


def test_a_reused_or_replaced_document_keeps_its_number(db, admin):
    built = build_round()
    minutes = issue(built.round)
    assert minutes.number.label == "01-BB/TU"
    assert "Số 01-BB/TU" in pdf_text(minutes.pdf)

    again = issue(built.round, clock=FIXED_CLOCK + timedelta(hours=2))
    assert again.id == minutes.id and again.number_id == minutes.number_id

    # The chair's name corrected before anyone signed: a new document, the same number.
    update_user(admin, built.users["chair"], full_name="Bùi Quang Chủ Tịch", grants=[],
                person=None)
    db.session.commit()
    replaced = issue(built.round, clock=FIXED_CLOCK + timedelta(days=1))
    assert replaced.id != minutes.id and replaced.number_id == minutes.number_id
    assert "Số 01-BB/TU" in pdf_text(replaced.pdf)
    notice = issue(built.round, DocumentKind.RESULT_NOTICE, built.round.active_candidates[0])
    assert notice.number.number == 2  # the replacement took no number of its own
    assert db.session.execute(select(DocumentNumber)).scalars().all() == [
        minutes.number, notice.number]

    entries = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "document.issued")).scalars().all()
    assert [e.target_id for e in entries] == [minutes.id, replaced.id, notice.id]
    assert '"number":"01-BB/TU"' in entries[0].details


def test_the_register_is_unique_in_the_database(db):
    built = build_round()
    minutes = issue(built.round)
    db.session.add(DocumentNumber(register_type="unit", register_id=minutes.number.register_id,
                                  year=2026, number=1, kind=DocumentKind.RESULT_NOTICE,
                                  label="01-TB/TU", owner_type="ballot_round",
                                  owner_id=built.round.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_number_taken_meanwhile_makes_the_issue_take_the_next(db, monkeypatch):
    """Two officers issuing at the same moment: the one that finds its number taken (the
    UNIQUE constraint refuses it) reads the register again and takes the next one."""
    from sqlalchemy import func

    built = build_round()
    round_ = built.round
    first = issue(round_)
    reads = []

    class StaleOnce:
        """The register as a concurrent transaction read it once: before `first` existed."""

        def max(self, column):
            reads.append(column)
            return func.max(column) - 1 if len(reads) == 1 else func.max(column)

    monkeypatch.setattr(docs, "func", StaleOnce())
    notice = issue(round_, DocumentKind.RESULT_NOTICE, round_.active_candidates[0])
    assert (first.number.number, notice.number.number) == (1, 2)
    assert len(reads) == 2  # number 1 was refused, the second reading gave 2


def test_the_symbol_comes_from_the_body(db):
    """The code of the unit named like the body, else the initials of the body's name without
    its place."""
    assert issue(build_round(kind=UnitKind.PEOPLES_COMMITTEE,
                             body_name="Ủy ban nhân dân xã Tân Lập").round).number.label == \
        "01/BB-UBND"
    assert issue(build_round(body_name="Ban Tổ chức", locality="Hòa Bình").round
                 ).number.label == "01-BB/BTC"
    assert issue(build_round(body_name="Đảng ủy xã Tân Lập").round).number.label == \
        "01-BB/ĐUX"


def test_without_a_place_name_the_minutes_are_refused_with_what_to_do(app, db):
    built = build_round(body_name="Ban Thường vụ", locality=None)
    assert rdocs.locality_of(built.round) is None
    client = app.test_client()
    client.post("/login", data={"username": built.users["secretary"].username,
                                "password": "correct-horse-9"})
    response = client.post(f"/ballots/{built.round.id}/documents/minutes",
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200  # back on the round page, with the message
    assert "Dòng ngày tháng của văn bản cần có địa danh" in page
    assert 'id="document-details" open' in page
    assert rdocs.round_documents(built.round) == []
    assert db.session.execute(select(DocumentNumber)).scalars().all() == []

    # Entered on the same page, the place name is printed and the minutes are issued.
    response = client.post(f"/ballots/{built.round.id}/documents/details",
                           data={"governing_body_name": "Tỉnh ủy Hòa Bình Xanh",
                                 "locality": "Hòa Bình Xanh"})
    assert response.status_code == 302
    entry = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "ballot_round.document_details_updated")).scalar_one()
    assert entry.actor_id == built.users["secretary"].id
    response = client.post(f"/ballots/{built.round.id}/documents/minutes")
    assert response.status_code == 302 and response.headers["Location"].endswith(".pdf")
    [minutes] = rdocs.round_documents(built.round)
    words = flat(pdf_text(minutes.pdf))
    assert "TỈNH ỦY HÒA BÌNH XANH" in words and "Hòa Bình Xanh, ngày 01 tháng 12 năm 2026" in words
