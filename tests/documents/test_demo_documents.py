"""The demo data shows documents as an office files them, and signing works for officers named
later in development."""

from __future__ import annotations

from sqlalchemy import select

from evalapp.ballots import documents as rdocs
from evalapp.ballots.documents import DocumentKind
from evalapp.ballots.models import BallotRound, RoundStatus
from evalapp.demo import seed_demo
from evalapp.documents import signing
from evalapp.documents.signing import Verdict, verify_pdf
from tests.documents.pdftext import pdf_text


def test_the_demo_rounds_print_a_governing_body_a_number_and_a_place(app, db):
    seed_demo()
    db.session.commit()
    rounds = {r.status: r for r in db.session.execute(select(BallotRound)).scalars()}
    finished, open_round = rounds[RoundStatus.FINALISED], rounds[RoundStatus.VOTING]
    assert (finished.governing_body_name, finished.body_name) == ("Tỉnh ủy Hòa Bình Xanh",
                                                                  "Ban Tổ chức")
    assert (open_round.governing_body_name, open_round.body_name) == (
        "UBND tỉnh Hòa Bình Xanh", "Sở Nội vụ")
    assert finished.locality == open_round.locality == "Hòa Bình Xanh"

    [minutes] = [d for d in rdocs.round_documents(finished) if d.kind is DocumentKind.MINUTES]
    assert minutes.number.label == "01-BB/BTC"
    text = pdf_text(minutes.pdf, first=1, last=1)
    assert text.index("TỈNH ỦY HÒA BÌNH XANH") < text.index("BAN TỔ CHỨC") < text.index(
        "Số 01-BB/BTC")
    assert "Hòa Bình Xanh, ngày" in text
    assert verify_pdf(minutes.pdf).verdict is Verdict.OK

    # The demo root CA exists: an officer named later can take a demo certificate.
    assert signing.demo_certificates_possible()
