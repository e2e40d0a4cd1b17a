"""Issue 12: the minutes of a mixed round (browser and paper ballots) give the number of each
kind and the percentages with the round's decimals, read back from the PDF with pdftotext."""

from __future__ import annotations

from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder, paper, services
from evalapp.ballots.documents import DocumentKind
from evalapp.ballots.models import RoundStatus
from evalapp.ballots.schemas import BallotKinds
from evalapp.documents import services as docs
from tests.documents.helpers import GOLDEN_STAMP, build_round
from tests.documents.pdftext import flat, pdf_text
from tests.paper.conftest import set_paper


def test_the_minutes_of_a_mixed_round_give_each_kind_and_one_decimal(db):
    built = build_round(summoned=6, present=5, state=RoundStatus.DRAFT, locality="Hòa Bình")
    round_, head = built.round, built.users["head"]
    set_paper(round_, kinds=BallotKinds.BOTH, places=1, voids=False)
    db.session.commit()
    voters = sorted(round_.voters, key=lambda v: v.person_id)
    # Two vote in the browser (high on every line); three are handed paper.
    builder.advance(round_, RoundStatus.VOTING, present=5, ballots=[
        (v.person, ["high", "high", "high"]) for v in voters[:2]])
    for v in voters[2:5]:
        services.hand_out(SYSTEM, round_, v.id, "paper")
    db.session.commit()
    builder.advance(round_, RoundStatus.CLOSED)
    for number, (lines, reason) in enumerate([(["high", "high", "high"], None),
                                              (["low", "blank", "high"], None),
                                              ([], "name_added")], start=1):
        paper.enter_ballot(head, round_, number, lines, reason)
    db.session.commit()
    builder.advance(round_, RoundStatus.COUNTED)
    assert (round_.collected_count, round_.valid_count, round_.paper_collected_count) == (5, 4, 3)
    text = pdf_text(docs.plan_document(round_, DocumentKind.MINUTES, None)
                    .render(GOLDEN_STAMP).pdf)
    words = flat(text)
    assert "Số phiếu thu về: 5." in words and "Số phiếu hợp lệ: 4." in words
    assert "3 phiếu giấy" in words and "2 phiếu" in words
    assert "Số phiếu phát ra: 5." in words and "Số phiếu phát ra không thu về: 0." in words
    assert "Toàn bộ 5 phiếu" not in words and "2 phiếu bỏ trên trình duyệt được mã hóa" in words
    # First person: 3 high, 1 low of 5 collected, one decimal: 60,0 and 20,0.
    row = next(line for line in text.splitlines() if line.strip().startswith("1 "))
    assert row.split()[-7:] == ["3", "60,0", "0", "0,0", "1", "20,0", "0"]
