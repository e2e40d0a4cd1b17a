"""The receipt after casting (post/redirect/get, kept in the session cookie only), the list of
trackers searched with or without dashes, and the results exported to Excel (issue 7, items 2
and "tables and phones")."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import inspect

from evalapp.auth.models import Role
from evalapp.ballots import receipts
from evalapp.ballots.models import BallotRound, RoundStatus
from evalapp.box.models import is_box_partition
from evalapp.extensions import db as _db
from evalapp.tally.rules import Level
from tests.ballots.conftest import advance, tracker_on
from tests.conftest import PASSWORD

HIGH, CONF, LOW = Level.HIGH.value, Level.CONFIDENCE.value, Level.LOW.value


def _client(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username,
                                       "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def voting(meeting, factory, db):
    """An open round of 4 present members with accounts uyvien0..3."""
    m = meeting(voters=4, candidates=2, present=4)
    for i, person in enumerate(m.voters):
        factory.user(f"uyvien{i}", roles=(Role.VOTER,), person=person)
    db.session.commit()
    return m


def _cast(client, m, levels=(HIGH, LOW)):
    return client.post(f"/vote/{m.round_id}/cast", data={
        f"mark-{c.id}": level for c, level in zip(m.round.active_candidates, levels,
                                                  strict=True)})


def test_the_receipt_survives_reloads_and_revisits_in_the_session(app, voting):
    m = voting
    client = _client(app, "uyvien0")
    cast = _cast(client, m)
    assert cast.status_code == 303
    receipt_url = f"/vote/{m.round_id}/receipt"
    assert cast.headers["Location"].endswith(receipt_url)
    tracker = tracker_on(client.get(receipt_url).get_data(as_text=True))
    # Reloaded, and opened again after other pages: the same tracker, never "already voted".
    for _ in range(3):
        page = client.get(receipt_url)
        assert page.status_code == 200 and tracker_on(page.get_data(as_text=True)) == tracker
    client.get("/")
    client.get(f"/vote/{m.round_id}")
    assert tracker_on(client.get(receipt_url).get_data(as_text=True)) == tracker
    # The home page and the /vote/ page list it among the receipts and the rounds voted in.
    home = client.get("/").get_data(as_text=True)
    assert receipts.grouped(tracker) in home.split('id="home-receipts"')[1]
    votes = client.get("/vote/").get_data(as_text=True)
    assert f'href="{receipt_url}"' in votes.split('id="rounds-voted"')[1]
    assert f'href="/vote/{m.round_id}"' not in votes
    # A second ballot is still refused, with the clear message.
    again = _cast(client, m, (LOW, LOW))
    assert again.status_code == 409
    assert "Bạn đã bỏ phiếu trong đợt này" in again.get_data(as_text=True)


def test_the_receipt_file_is_served_from_the_session(app, voting):
    m = voting
    client = _client(app, "uyvien1")
    _cast(client, m)
    tracker = tracker_on(client.get(f"/vote/{m.round_id}/receipt").get_data(as_text=True))
    response = client.get(f"/vote/{m.round_id}/receipt.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="bien-nhan-phieu-dot-{m.round_id}.txt"')
    text = response.get_data(as_text=True)
    assert m.round.title in text and m.round.body_name in text
    assert f"Mã biên nhận: {receipts.grouped(tracker)}\r\n" in text


def test_the_tracker_is_never_stored_next_to_the_voter(app, voting):
    m = voting
    client = _client(app, "uyvien2")
    _cast(client, m)
    tracker = tracker_on(client.get(f"/vote/{m.round_id}/receipt").get_data(as_text=True))
    # In the database the tracker is only beside its encrypted ballot (it is the ballot's
    # hash), in a table whose columns name no person (on PostgreSQL, in the box's partition).
    _db.session.commit()  # the inspector reads the schema on a connection of its own
    schema = inspect(_db.engine)
    assert {c["name"] for c in schema.get_columns("box_sealed_ballot")} == {
        "tracker", "box_id", "content"}
    text_columns = [(table, column["name"]) for table in schema.get_table_names()
                    if not is_box_partition(table)
                    for column in schema.get_columns(table)
                    if any(k in str(column["type"]).upper() for k in ("CHAR", "TEXT"))]
    found = [f"{table}.{name}" for table, name in text_columns if _db.session.execute(
        _db.text(f'SELECT COUNT(*) FROM "{table}" WHERE "{name}" LIKE :t'),
        {"t": f"%{tracker}%"}).scalar_one()]
    assert found == ["box_sealed_ballot.tracker"]


def test_logging_out_or_another_account_drops_the_receipt(app, voting):
    m = voting
    client = _client(app, "uyvien3")
    _cast(client, m)
    assert 'id="tracker"' in client.get(f"/vote/{m.round_id}/receipt").get_data(as_text=True)
    assert receipts.KEY in _session_of(client)
    client.post("/logout")
    assert receipts.KEY not in _session_of(client)
    client.post("/login", data={"username": "uyvien3", "password": PASSWORD})
    page = client.get(f"/vote/{m.round_id}/receipt")
    # Voted, but this session holds no tracker: said plainly, not an error.
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="tracker"' not in html and "Bạn đã bỏ phiếu trong đợt này" in html
    assert client.get(f"/vote/{m.round_id}/receipt.txt").status_code == 404

    # Another member on the same browser, without logging out first, never sees it.
    shared = _client(app, "uyvien0")
    _cast(shared, m)
    with shared.session_transaction() as session:
        owner = session[receipts.KEY]["user"]
        session["_user_id"] = None
    shared.post("/login", data={"username": "uyvien1", "password": PASSWORD})
    assert owner is not None
    assert receipts.KEY not in _session_of(shared)


def _session_of(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)


def test_the_receipt_of_someone_who_has_not_voted_leads_to_the_ballot(app, voting):
    client = _client(app, "uyvien0")
    response = client.get(f"/vote/{voting.round_id}/receipt")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/vote/{voting.round_id}")


def test_trackers_are_found_with_or_without_dashes(app, voting, db):
    m = voting
    client = _client(app, "uyvien0")
    _cast(client, m)
    own = tracker_on(client.get(f"/vote/{m.round_id}/receipt").get_data(as_text=True))
    others = []
    for i in (1, 2):
        other = _client(app, f"uyvien{i}")
        _cast(other, m, (CONF, HIGH))
        others.append(tracker_on(other.get(f"/vote/{m.round_id}/receipt")
                                 .get_data(as_text=True)))
    # Before closing the list does not exist yet: said on the page, not a bare error.
    early = client.get(f"/ballots/{m.round_id}/trackers")
    assert early.status_code == 200 and 'id="trackers-not-yet"' in early.get_data(as_text=True)
    advance(m, RoundStatus.CLOSED)
    url = f"/ballots/{m.round_id}/trackers"
    page = client.get(url).get_data(as_text=True)
    assert sorted(re.findall(r'data-tracker="([0-9a-f]{64})"', page)) == sorted([own, *others])
    # The tracker this session kept is found in the list by itself.
    assert "own-tracker" in page and receipts.grouped(own) in page.split('id="own-tracker"')[1]
    for typed in (receipts.grouped(others[0]), others[0], others[0].upper(),
                  " ".join(receipts.grouped(others[0]).split("-")), others[0][5:17]):
        result = client.get(url, query_string={"q": typed}).get_data(as_text=True)
        verdict = result.split('id="search-result"')[1].split("</div>")[0]
        assert "alert-success" in result.split('id="search-result"')[0][-80:]
        assert receipts.grouped(others[0]) in verdict, typed
    missing = client.get(url, query_string={"q": "ffff-ffff-ffff-ffff-ffff-ffff-ffff-fffe"})
    assert "alert-warning" in missing.get_data(as_text=True).split('id="search-result"')[0][-80:]


def test_the_results_export_to_excel(app, meeting, factory, db):
    # 6 ballots on 2 people; by hand, of 6 collected: first 4 high (66.67 %), 1 confidence
    # (16.67 %), 1 low (16.67 %); second 4 low (66.67 %: two thirds), 2 high (33.33 %).
    m = meeting(voters=7, candidates=2, present=6, state=RoundStatus.COUNTED, ballots=[
        [HIGH, LOW], [HIGH, LOW], [HIGH, LOW], [HIGH, LOW], [CONF, HIGH], [LOW, HIGH]])
    factory.user("kiemphieu", roles=(Role.ADMIN,))
    db.session.commit()
    client = _client(app, "kiemphieu")
    response = client.get(f"/ballots/{m.round_id}/results.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="ket-qua-dot-{m.round_id}.xlsx"')
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == m.round.title
    counts = {row[1]: row[2] for row in rows[:12] if row[0] in (None, "")}
    assert (counts["Triệu tập"], counts["Có mặt"], counts["Số phiếu phát ra"]) == (7, 6, 6)
    heading = next(i for i, row in enumerate(rows) if row[0] == "STT")
    assert rows[heading][1:4] == ["Họ và tên", "Chức vụ", "Đơn vị"]
    first, second = rows[heading + 1], rows[heading + 2]
    cands = m.round.active_candidates
    assert first[:4] == [1, cands[0].full_name, cands[0].post_name, cands[0].unit_name]
    assert first[3] == m.unit.name  # the unit by its name
    assert first[4::2][:3] == [4, 1, 1] and second[4::2][:3] == [2, 0, 4]
    assert [round(v, 4) for v in first[5:10:2]] == [0.6667, 0.1667, 0.1667]
    cell = sheet.cell(row=heading + 2, column=6)
    assert cell.number_format == "0.00%" and isinstance(cell.value, float)
    assert first[10] in (None, "")
    assert second[10] == "Từ hai phần ba trở lên tín nhiệm thấp"  # the band, in words
    widths = {k: d.width for k, d in sheet.column_dimensions.items()}
    assert widths["B"] >= len(cands[0].full_name) and widths["B"] <= 60
    assert all(w and w >= 6 for w in widths.values())


def test_the_export_follows_the_results_page_access(app, meeting, factory, db):
    m = meeting(voters=3, candidates=2, state=RoundStatus.COUNTED,
                ballots=[[HIGH, LOW], [HIGH, HIGH], [LOW, LOW]])
    person = m.candidate_people[0]
    factory.user("canbo", roles=(Role.EVALUEE,), person=person)
    factory.user("uyvien", roles=(Role.VOTER,), person=m.voters[0])
    db.session.commit()
    own = _client(app, "canbo")
    url = f"/ballots/{m.round_id}/results.xlsx"
    # 3 ballots, under the secrecy threshold of 5: the warning comes first, as on the page.
    assert own.get(url).status_code == 302
    sheet = load_workbook(io.BytesIO(own.get(url + "?acknowledged=1").get_data())).active
    names = [row[1].value for row in sheet.iter_rows() if isinstance(row[0].value, int)]
    assert names == [person.full_name]  # only their own line
    voter = _client(app, "uyvien")
    assert voter.get(url + "?acknowledged=1").status_code == 403  # not published
    results = voter.get(f"/ballots/{m.round_id}").get_data(as_text=True)
    assert f'href="/ballots/{m.round_id}/results"' not in results  # no button to a 403
    db.session.get(BallotRound, m.round_id).published_at = db.func.now()
    db.session.commit()
    assert voter.get(url + "?acknowledged=1").status_code == 200
    assert f'href="/ballots/{m.round_id}/results"' in \
        voter.get(f"/ballots/{m.round_id}").get_data(as_text=True)


def test_a_refused_cast_is_said_on_the_ballot_page(app, voting):
    m = voting
    client = _client(app, "uyvien0")
    _cast(client, m)
    again = _cast(client, m, (LOW, LOW))
    assert again.status_code == 409
    html = again.get_data(as_text=True)
    refusal = html.split('id="cast-refused"')[1].split("</div>")[0]
    assert "Bạn đã bỏ phiếu trong đợt này. Mỗi người chỉ bỏ phiếu một lần." in refusal
    assert 'id="ballot-form"' not in html and 'value="low"' not in html
    assert f'href="/vote/{m.round_id}/receipt"' in html
    # Voting closed while a member was reviewing: said on the page too.
    advance(m, RoundStatus.CLOSED)
    late = _client(app, "uyvien1")
    closed = _cast(late, m)
    assert closed.status_code == 409
    html = closed.get_data(as_text=True)
    assert 'id="cast-refused"' in html and 'id="ballot-form"' not in html


def test_a_stale_attendance_form_is_answered_on_the_attendance_page(app, voting, factory):
    factory.user("bantochuc", roles=(Role.ADMIN,))
    client = _client(app, "bantochuc")
    entries = [v.id for v in voting.round.voters]
    # A page opened before voting began posts its boxes: refused, on the attendance page
    # that explains what can still be done.
    response = client.post(f"/ballots/{voting.round_id}/attendance",
                           data={"present": entries[:2]})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'id="attendance-problem"' in html and 'id="attendance-frozen"' in html
    assert voting.reload().present_count == 4
