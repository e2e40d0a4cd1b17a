"""Issue 12: the counting team's paper pages as plain forms (no JavaScript): the entry screen,
the reconciliation page and the totals page; bad input is a 4xx with a Vietnamese message and
changes nothing."""

from __future__ import annotations

import re

from evalapp.ballots.models import PaperEntry, PaperResolution, PaperTotals
from evalapp.ballots.schemas import PaperMode

PASSWORD = "correct-horse-9"


def _client(app, user):
    client = app.test_client()
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    return client


def test_keying_ballots_on_the_entry_screen(app, paper_meeting, team, db):
    m = paper_meeting(entries=2, voters=4, candidates=2)
    head, (one, two, _three) = team(m)
    url = f"/ballots/{m.round_id}/paper/enter"
    page = _client(app, one).get(url).get_data(as_text=True)
    assert re.search(r'id="ballot_number" name="ballot_number" value="1"', page)
    # Everything the page loads is the app's own (works in a hall without the internet).
    assert not re.search(r'src="(https?:)?//', page) and "paper-entry.js" in page
    assert page.count('data-key="0"') == 2 and page.count('data-key="+"') == 2
    client = _client(app, one)
    saved = client.post(url, data={"ballot_number": "1", "line-1": "high", "line-2": "blank"})
    assert saved.status_code == 302
    assert 'value="2"' in client.get(url).get_data(as_text=True)
    # A line not keyed: refused, said in Vietnamese, the keyed values kept, nothing saved.
    bad = client.post(url, data={"ballot_number": "2", "line-1": "low"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Mỗi dòng" in text
    assert re.search(r'value="low"[^>]*checked', text)
    assert db.session.query(PaperEntry).count() == 1
    # The second operator keys ballot 1 differently: the reconciliation page shows line 2.
    other = _client(app, two)
    assert other.post(url, data={"ballot_number": "1", "line-1": "high",
                                 "line-2": "several"}).status_code == 302
    reconcile = f"/ballots/{m.round_id}/paper/reconcile"
    page = other.get(reconcile).get_data(as_text=True)
    assert 'id="ballot-1"' in page and page.count("line-differs") == 1
    assert "Xác nhận" not in page  # only the head confirms
    refused = other.post(reconcile, data={"ballot_number": "1", "line-1": "high",
                                          "line-2": "blank", "reason": "Xem lại"})
    assert refused.status_code == 403
    lead = _client(app, head)
    done = lead.post(reconcile, data={"ballot_number": "1", "line-1": "high",
                                      "line-2": "blank", "reason": "Tổ đã xem lại phiếu"})
    assert done.status_code == 302
    assert db.session.query(PaperResolution).count() == 1
    assert 'id="ballot-1"' not in lead.get(reconcile).get_data(as_text=True)


def test_totals_page_refuses_numbers_that_do_not_add_up(app, paper_meeting, team, db):
    m = paper_meeting(mode=PaperMode.TOTALS, voters=4, candidates=1)
    _head, (one, *_rest) = team(m)
    candidate = m.round.active_candidates[0]
    client = _client(app, one)
    url = f"/ballots/{m.round_id}/paper/totals"
    assert client.get(url).status_code == 200
    data = {"issued": "4", "collected": "4", "valid": "4", "invalid": "0",
            f"c{candidate.id}-high": "3", f"c{candidate.id}-low": "2"}
    bad = client.post(url, data=data)
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and candidate.full_name in text
    assert db.session.query(PaperTotals).count() == 0
    data[f"c{candidate.id}-low"] = "1"
    assert client.post(url, data=data).status_code == 302
    assert db.session.query(PaperTotals).one().collected == 4
    # Entering ballot by ballot is not this round's way: refused.
    assert client.get(f"/ballots/{m.round_id}/paper/enter").status_code == 409


def test_totals_report_the_ballots_issued_and_not_collected(app, paper_meeting, team, db):
    m = paper_meeting(mode=PaperMode.TOTALS, voters=5, candidates=1)
    _head, (one, *_rest) = team(m)
    candidate = m.round.active_candidates[0]
    client = _client(app, one)
    url = f"/ballots/{m.round_id}/paper/totals"
    data = {"issued": "5", "collected": "3", "valid": "3", "invalid": "0",
            f"c{candidate.id}-high": "2", f"c{candidate.id}-invalid": "1"}
    saved = client.post(url, data=data, follow_redirects=True)
    text = saved.get_data(as_text=True)
    assert saved.status_code == 200
    assert "5 phiếu phát ra, 3 phiếu thu về, 2 phiếu phát ra không thu về" in text
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'id="not-collected">[^<]*2 phiếu phát ra không thu về', page)
    # A number too long for a count is refused as such, not cut to another number.
    data["issued"] = "1234567890"
    refused = client.post(url, data=data)
    assert refused.status_code == 422 and "tối đa 9 chữ số" in refused.get_data(as_text=True)
    assert "123456789" not in refused.get_data(as_text=True).split('id="totals-problem"')[1][:300]
    assert db.session.query(PaperTotals).one().issued == 5
