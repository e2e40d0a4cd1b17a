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


def test_the_admin_sets_the_paper_settings_on_the_settings_page_while_a_draft(
        app, meeting, factory, db):
    """Ballot kinds, the bad-line rule (the preset's default changed), the entries each paper
    ballot needs and the decimals, through the settings form; bad values are refused and
    change nothing; once the round leaves the draft, nothing changes any more."""
    from evalapp.auth.permissions import SYSTEM
    from evalapp.ballots import services
    from evalapp.ballots.models import RoundStatus
    from evalapp.ballots.schemas import BallotKinds

    m = meeting(state=RoundStatus.DRAFT, preset="party-2023")
    assert m.round.bad_line_voids_ballot is True  # the preset's whole-ballot rule
    admin = _client(app, factory.user("quantri"))
    url = f"/ballots/{m.round_id}/settings"
    page = admin.get(url).get_data(as_text=True)
    for name in ("ballot_kinds", "paper_mode", "paper_entries", "percent_places",
                 "bad_line_voids_ballot"):
        assert f'name="{name}"' in page
    r = m.round
    form = {"title": r.title, "body_name": r.body_name, "unit_id": str(r.unit_id),
            "place": r.place or "", "meeting_date": r.meeting_date.isoformat(),
            "base": r.base.value, "secrecy_threshold": str(r.secrecy_threshold),
            "ballot_kinds": "both", "paper_mode": "ballots", "paper_entries": "3",
            "percent_places": "1"}  # bad_line_voids_ballot unticked: per line
    for bad in ({"paper_entries": "4"}, {"ballot_kinds": "fax"}, {"percent_places": "3"}):
        refused = admin.post(url, data=form | bad)
        assert refused.status_code == 422
        assert m.reload().ballot_kinds is BallotKinds.BROWSER
    saved = admin.post(url, data=form)
    assert saved.status_code == 302
    r = m.reload()
    assert (r.ballot_kinds, r.paper_mode, r.paper_entries, r.percent_places,
            r.bad_line_voids_ballot) == (BallotKinds.BOTH, PaperMode.BALLOTS, 3, 1, False)
    services.start_attendance(SYSTEM, r)
    db.session.commit()
    late = admin.post(url, data=form | {"paper_entries": "1", "bad_line_voids_ballot": "y"})
    assert late.status_code == 409 and "Đang điểm danh" in late.get_data(as_text=True)
    r = m.reload()
    assert (r.paper_entries, r.bad_line_voids_ballot) == (3, False)
