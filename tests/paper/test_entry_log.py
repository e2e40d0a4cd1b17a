"""Issue 12: the printed entry log of the paper ballots (nhật ký nhập phiếu) on the document
engine: every entry (operator, ballot, entry number, the lines as keyed, time), the head's
reconciliation and the totals, read back with pdftotext; signed as the minutes are and
verified with pdfsig; no voter named; 481 ballots keyed twice stay a reasonable PDF."""

from __future__ import annotations

import re

import pytest

from evalapp.ballots import documents as round_docs
from evalapp.ballots.documents import DocumentKind
from evalapp.core.errors import InvalidState
from evalapp.documents import services as docs
from tests.documents.pdftext import flat, pdf_text
from tests.paper.records import counted_paper_round, sign_everything, verdicts


def test_the_entry_log_reads_back_every_entry_the_reconciliation_and_the_totals(
        paper_meeting, team, db, tmp_path):
    m, head, members = counted_paper_round(paper_meeting, team)
    one, two = members[:2]
    document = round_docs.issue_document(head, m.round, DocumentKind.ENTRY_LOG)
    db.session.commit()
    assert document.number.label.split("/")[1].startswith("NK")
    text = pdf_text(document.pdf, layout=False)
    words = flat(text)
    assert "NHẬT KÝ NHẬP PHIẾU" in words.upper()
    entries, reconciled = text.split("II. Đối chiếu")
    rows = re.findall(r"^(\d+)\*? (\d) (.+?) (\d .+|Không hợp lệ: .+?) "
                      r"(\d\d:\d\d:\d\d \d\d/\d\d/\d{4})$", entries, flags=re.M)
    keyed = [(int(b), int(e), who, lines) for b, e, who, lines, _t in rows]
    assert keyed == [
        (1, 1, one.full_name, "1 TN cao · 2 TN thấp"), (1, 2, two.full_name, "1 TN · 2 TN thấp"),
        (2, 1, one.full_name, "1 TN · 2 trống"), (2, 2, two.full_name, "1 TN · 2 trống"),
        (3, 1, one.full_name, "1 nhiều · 2 TN cao"), (3, 2, two.full_name, "1 nhiều · 2 TN cao"),
        (4, 1, one.full_name, "Không hợp lệ: Ghi thêm tên người"),
        (4, 2, two.full_name, "Không hợp lệ: Ghi thêm tên người")]
    # The reconciliation: ballot, confirmed content, head, reason.
    assert re.search(r"^1 1 TN cao · 2 TN thấp " + head.full_name
                     + r" Đối chiếu lại tờ phiếu số 1", reconciled, flags=re.M)
    assert f"{one.full_name} đã nhập 4 lượt" in words and f"{two.full_name} đã nhập 4 lượt" in words
    # Per line: 4 collected, 3 valid; line 2 void on ballot 2.
    assert "Số phiếu giấy đã kiểm: 4; hợp lệ: 3; không hợp lệ: 1." in words
    # No voter is named anywhere (the round's voters are "Cử tri…"): nothing to name.
    assert not any(v.full_name in words for v in m.voters) and "Cử tri" not in words
    # Signed by the counting team, as the minutes are; pdfsig verifies every signature.
    assert {s.signer_id for s in document.slots} == {u.id for u in [head, *members]}
    sign_everything(document, [head, one, two])
    found, trusted = verdicts(document.pdf, tmp_path)
    signed = [v for v in found if v["signed"]]
    assert len(signed) == 3
    for verdict in signed:
        assert verdict["signature"] == "Signature is Valid."
        if trusted is not None:
            assert verdict["certificate"] == "Certificate is Trusted."


def test_the_entry_log_waits_for_the_count(paper_meeting, team, db):
    m = paper_meeting(entries=1, voters=3, candidates=1)
    head, (one, *_rest) = team(m)
    assert not docs.can_issue_now(m.round, DocumentKind.ENTRY_LOG)
    with pytest.raises(InvalidState) as refused:
        round_docs.issue_document(head, m.round, DocumentKind.ENTRY_LOG)
    assert "sau khi kiểm phiếu" in refused.value.text()


def test_481_ballots_keyed_twice_stay_a_short_pdf_with_the_header_on_every_page(
        paper_meeting, team, db):
    """The National Assembly's 481 ballots, each keyed twice: every entry in the log, at least
    40 entries a page, the table's header repeated on each page of entries."""
    from evalapp.ballots import paper
    from tests.documents.helpers import GOLDEN_STAMP

    m = paper_meeting(entries=2, voters=481, candidates=2, voids=False)
    m.round.locality = "Hòa Bình"
    head, (one, two, _three) = team(m)
    for number in range(1, 482):
        for operator in (one, two):
            paper.enter_ballot(operator, m.round, number, ["high", "low"])
    db.session.commit()
    pdf = docs.plan_document(m.round, DocumentKind.ENTRY_LOG).render(GOLDEN_STAMP).pdf
    pages = pdf_text(pdf).split("\f")[:-1]
    keyed = sum(len(re.findall(r"\d\d:\d\d:\d\d \d\d/\d\d/\d{4}", page)) for page in pages)
    assert keyed == 962
    with_entries = [page for page in pages if re.search(r"\d\d:\d\d:\d\d \d\d/", page)]
    assert all("Người nhập" in page for page in with_entries)
    assert len(with_entries) <= 962 // 40 + 1 and len(pages) <= 30
    assert len(pdf) < 1_000_000


def test_the_documents_panel_offers_the_entry_log_once_counted(app, paper_meeting, team, db):
    m, head, _members = counted_paper_round(paper_meeting, team)
    client = app.test_client()
    client.post("/login", data={"username": head.username, "password": "correct-horse-9"})
    page = client.get(f"/ballots/{m.round_id}").get_data(as_text=True)
    assert f"/ballots/{m.round_id}/documents/paper_log" in page
    assert f"/ballots/{m.round_id}/paper/recheck" in page
    issued = client.post(f"/ballots/{m.round_id}/documents/paper_log")
    assert issued.status_code == 302 and "/documents/" in issued.headers["Location"]
    pdf = client.get(issued.headers["Location"]).data
    assert "NHẬT KÝ NHẬP PHIẾU" in flat(pdf_text(pdf)) and "/NK-" in flat(pdf_text(pdf))
