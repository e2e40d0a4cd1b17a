"""Issue 12, re-check (phúc tra): after counting the team keys a sealed batch again on the
entry screen in re-check mode; the signed re-check record compares each ballot line by line
with its archived entry and the batch with the published count, and never changes the count.
Read back with pdftotext, signatures verified with pdfsig; refused before counting."""

from __future__ import annotations

import json

import pytest

from evalapp.ballots import recheck
from evalapp.ballots.documents import DocumentKind, issue_document
from evalapp.ballots.models import BallotCount, PaperRecheckEntry
from evalapp.core.errors import InvalidState, ValidationFailed
from tests.ballots.conftest import entries_after, last_seq
from tests.documents.pdftext import flat, pdf_text
from tests.paper.records import BALLOTS, C, H, L, counted_paper_round, sign_everything, verdicts

PASSWORD = "correct-horse-9"


def _client(app, user):
    client = app.test_client()
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    return client


def _published(m):
    round_ = m.reload()
    return ((round_.collected_count, round_.valid_count, round_.invalid_count),
            sorted((c.candidate_id, c.level, c.count) for c in
                   BallotCount.query.filter_by(round_id=round_.id)))


def _form(lines, reason=None):
    data = {f"line-{n}": value for n, value in enumerate(lines, start=1)}
    return data | ({"invalid_reason": reason} if reason else {})


def test_a_matching_recheck_keyed_on_the_entry_screen_gives_a_signed_record(
        app, paper_meeting, team, db, tmp_path):
    m, head, members = counted_paper_round(paper_meeting, team)
    three = members[2]
    before, seq = _published(m), last_seq()
    client = _client(app, three)
    opened = client.post(f"/ballots/{m.round_id}/paper/recheck", data={"ballots": "1-2, 4"})
    assert opened.status_code == 302
    url = opened.headers["Location"]
    page = client.get(url).get_data(as_text=True)
    assert 'id="recheck-mode"' in page and 'name="ballot_number" value="1"' in page
    # Ballot 1 as the head confirmed it; 2 and 4 as archived.
    for number in (1, 2, 4):
        lines, reason = BALLOTS[number - 1]
        saved = client.post(url, data={"ballot_number": str(number), **_form(lines, reason)})
        assert saved.status_code == 302
    assert 'id="finish-recheck"' in client.get(url).get_data(as_text=True)
    finished = client.post(url + "/finish")
    assert finished.status_code == 302 and "/documents/" in finished.headers["Location"]
    assert _published(m) == before  # the count is never changed
    batch = recheck.rechecks_of(m.reload())[0]
    document = issue_document(three, m.round, DocumentKind.RECHECK, batch)  # the same one
    words = flat(pdf_text(document.pdf))
    assert "BIÊN BẢN" in words.upper() and "Phúc tra phiếu giấy" in words
    assert "số 1-2, 4 (3 phiếu)" in words and f"Người nhập lại: {three.full_name}." in words
    assert "Mọi phiếu của lô khi nhập lại đều giống lượt nhập đã lưu" in words
    assert "Kết quả nhập lại của lô khớp với kết quả đã công bố." in words
    assert "Việc phúc tra không làm thay đổi kết quả đã công bố" in words
    assert not any(v.full_name in words for v in m.voters)
    # Audited, with the batch and the ballot numbers only: never what a ballot says.
    audit = [(e.action, json.loads(e.details)) for e in entries_after(seq)
             if e.action.startswith("ballot_round.paper_re")]
    assert [a for a, _d in audit] == ["ballot_round.paper_recheck_opened"] + [
        "ballot_round.paper_rechecked"] * 3 + ["ballot_round.paper_recheck_finished"]
    assert audit[-1][1]["matches"] is True and audit[-1][1]["differing"] == ""
    assert not any(value in json.dumps(d) for _a, d in audit for value in (H, L, C, "blank"))
    sign_everything(document, [head, *members])
    found, trusted = verdicts(document.pdf, tmp_path)
    assert len(found) == 4 and all(v["signed"] for v in found)
    for verdict in found:
        assert verdict["signature"] == "Signature is Valid."
        if trusted is not None:
            assert verdict["certificate"] == "Certificate is Trusted."


def test_a_recheck_with_a_difference_names_the_ballot_the_line_and_the_count_it_would_give(
        paper_meeting, team, db):
    m, head, members = counted_paper_round(paper_meeting, team)
    before = _published(m)
    batch = recheck.open_recheck(head, m.round, "2–3")
    # Ballot 2's blank second line keyed again as low confidence; ballot 3 the same.
    recheck.rekey(members[0], m.round, batch, 2, [C, L])
    with pytest.raises(ValidationFailed):
        recheck.rekey(members[0], m.round, batch, 4, [], "name_added")  # not in the batch
    with pytest.raises(InvalidState):
        recheck.finish(head, m.round, batch)  # ballot 3 not keyed again yet
    recheck.rekey(members[1], m.round, batch, 3, ["several", H])
    result = recheck.finish(head, m.round, batch)
    assert [(d.ballot_number, d.lines) for d in result.differences] == [(2, [2])]
    document = issue_document(head, m.round, DocumentKind.RECHECK, batch)
    db.session.commit()
    assert _published(m) == before
    text = pdf_text(document.pdf, layout=False)
    words = flat(text)
    second = m.round.active_candidates[1].full_name
    assert f"2 2. {second} trống TN thấp" in words
    assert "khác với lượt nhập đã lưu ở 1 phiếu: số 2." in words
    assert "kết quả đã công bố sẽ thay đổi" in words
    # Second person, low confidence: 1 published (ballot 1), 2 with the batch keyed again;
    # their void lines 1 published (ballot 2), none with it.
    # Columns: batch archived, batch keyed again, published, published with the batch again.
    tail = flat(text.split("II. Tổng hợp")[1].split("III. Kết luận")[0]).split(second)[1]
    assert "Tín nhiệm thấp 0 1 1 2 Dòng không hợp lệ 1 0 1 0" in tail
    assert db.session.query(PaperRecheckEntry).count() == 2


def test_a_recheck_before_counting_or_of_a_bad_batch_is_refused_in_vietnamese(
        app, paper_meeting, team, db):
    m = paper_meeting(entries=1, voters=3, candidates=1)
    head, members = team(m)
    with pytest.raises(InvalidState) as early:
        recheck.open_recheck(head, m.round, "1")
    assert "chỉ được phúc tra sau khi kiểm phiếu" in early.value.text()
    page = _client(app, head).post(f"/ballots/{m.round_id}/paper/recheck",
                                   data={"ballots": "1"})
    assert page.status_code == 409 and "chỉ được phúc tra sau khi kiểm phiếu" in \
        page.get_data(as_text=True)
    counted, head, members = counted_paper_round(paper_meeting, team)
    client = _client(app, head)
    for batch, words in (("5-2", "từ số nhỏ đến số lớn"), ("1, x", "số phiếu và khoảng số"),
                         ("3-9", "chưa từng được nhập trong đợt này: 5-9")):
        refused = client.post(f"/ballots/{counted.round_id}/paper/recheck",
                              data={"ballots": batch})
        assert refused.status_code == 422 and words in refused.get_data(as_text=True)
    assert recheck.rechecks_of(counted.reload()) == []


def test_a_finalised_round_is_still_re_checked_later_and_stays_as_published(
        paper_meeting, team, db):
    """Phúc tra is asked for after the result is announced: a finalised round's sealed batch
    is keyed again; the record says what differs; the finalised count does not move."""
    from evalapp.ballots import builder
    from evalapp.ballots.models import RoundStatus

    m, head, members = counted_paper_round(paper_meeting, team)
    builder.advance(m.reload(), RoundStatus.FINALISED)
    db.session.commit()
    before = _published(m)
    batch = recheck.open_recheck(head, m.reload(), "4")
    recheck.rekey(members[2], m.round, batch, 4, [H, H])  # the invalid ballot keyed as valid
    result = recheck.finish(head, m.round, batch)
    db.session.commit()
    assert [(d.ballot_number, d.lines) for d in result.differences] == [(4, [0])]
    assert not result.totals_match and (result.archived.valid, result.again.valid) == (0, 1)
    assert m.reload().status is RoundStatus.FINALISED and _published(m) == before
