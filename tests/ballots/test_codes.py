"""Anonymous ballot codes of a confidence round: the secretary's slips, the code ballot without
login (no-JS path here; the device path in tests/browser/test_code_journey.py), one ballot per
code, void at close, wrong codes limited per client, nothing that links a code to a person, and
code ballots in the count."""

from __future__ import annotations

import itertools
import logging
import re
import subprocess
import threading
from http.cookiejar import CookieJar
from urllib.parse import quote_plus, urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

import pytest
from sqlalchemy import select, text

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder, codes, paper, services
from evalapp.ballots.documents import DocumentKind
from evalapp.ballots.models import RoundStatus
from evalapp.ballots.schemas import BallotKinds
from evalapp.box import codes as code_format
from evalapp.box import services as box
from evalapp.box.models import BoxCode
from evalapp.documents import services as docs
from evalapp.extensions import db as _db
from tests.ballots.conftest import advance, box_id_of, entries_after, last_seq
from tests.conftest import PASSWORD
from tests.documents.helpers import GOLDEN_STAMP, build_round
from tests.documents.pdftext import flat, pdf_text
from tests.paper.conftest import set_paper

CODE = re.compile(r"\b[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-"
                  r"[2-9A-HJKMNP-TV-Z]{2}\b")
RADIO = re.compile(r'name="mark-(\d+)"[^>]*value="(\d+)" data-level="([a-z_]+)"')
TRACKER = re.compile(r'id="tracker"[^>]*>(.*?)</p>', re.S)


def _post(client, url: str, fields: dict[str, str]):
    body = urlencode(fields)
    return body, client.post(url, data=body, content_type="application/x-www-form-urlencoded")


def _codes(m, count: int) -> list[str]:
    made = codes.generate_codes(SYSTEM, m.reload(), count)
    _db.session.commit()
    return made


def test_the_secretary_downloads_the_slips_once_and_only_their_number_is_kept(
        app, meeting, factory, login_as, tmp_path):
    m = meeting(voters=4, candidates=2, present=3)
    secretary = factory.user("thuky-codes", roles=(Role.ADMIN,), unit=m.unit)
    client = login_as(secretary)
    seq = last_seq()
    # The round page offers as many codes as members present.
    page = client.get(f"/ballots/{m.round_id}").get_data(as_text=True)
    offered = re.search(r'id="codes-count" name="count" value="(\d+)"', page)[1]
    assert offered == "3"
    assert client.post(f"/ballots/{m.round_id}/codes", data={"count": "x"}).status_code == 422
    # At most one download's worth at once (rendered within a worker's timeout); nothing made.
    most = box.MAX_CODES_AT_ONCE
    assert most <= 500 and f'max="{most}" id="codes-count"' in page
    assert client.post(f"/ballots/{m.round_id}/codes",
                       data={"count": str(most + 1)}).status_code == 422
    assert box.codes_count(services.round_box(m.reload())) == (0, 0)
    response = client.post(f"/ballots/{m.round_id}/codes", data={"count": offered})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    (tmp_path / "slips.pdf").write_bytes(response.data)
    printed = subprocess.run(["pdftotext", "-layout", str(tmp_path / "slips.pdf"), "-"],
                             capture_output=True, text=True, check=True).stdout
    found = CODE.findall(printed)
    # By default as many codes as members present, each valid, each stored only as its hash.
    assert len(found) == len(set(found)) == 3 and m.round.title in printed
    assert all(code_format.canonical(code) for code in found)
    stored = set(_db.session.execute(select(BoxCode.hash).where(
        BoxCode.box_id == box_id_of(m.round_id))).scalars())
    assert stored == {code_format.code_hash(code_format.canonical(c)) for c in found}
    # The audit says how many, never which.
    [entry] = entries_after(seq)
    assert entry.action == "ballot_round.codes_generated"
    assert not any(c in str(entry.details) or c.replace("-", "") in str(entry.details)
                   for c in found)
    assert "3" in str(entry.details)
    # Generating again adds new codes (the first ones cannot be shown again).
    again = client.post(f"/ballots/{m.round_id}/codes", data={"count": "10"})
    assert again.status_code == 200
    assert len(_db.session.execute(select(BoxCode.hash).where(
        BoxCode.box_id == box_id_of(m.round_id))).all()) == 13
    # Ten slips to an A4 page, with cut lines between them.
    (tmp_path / "more.pdf").write_bytes(again.data)
    info = subprocess.run(["pdfinfo", str(tmp_path / "more.pdf")], capture_output=True,
                          text=True, check=True).stdout
    assert re.search(r"Pages:\s+1\b", info) and "A4" in info
    # A voter cannot generate codes; nor can anyone before voting opens.
    voter = factory.user("cutri-codes", roles=(Role.VOTER,), person=m.voters[0])
    other = app.test_client()
    assert other.post("/login", data={"username": voter.username,
                                      "password": PASSWORD}).status_code == 302
    assert other.post(f"/ballots/{m.round_id}/codes").status_code in (403, 404)
    draft = meeting(voters=2, candidates=1, state=RoundStatus.ATTENDANCE)
    with pytest.raises(Exception) as refused:
        codes.generate_codes(SYSTEM, draft.round, 2)
    assert getattr(refused.value, "status", None) == 409


def test_a_code_votes_once_without_login_and_sizes_say_nothing_of_the_marks(app, meeting):
    levels = ["high", "confidence", "low"]
    combinations = list(itertools.product(levels, repeat=2))
    m = meeting(voters=len(combinations), candidates=2)
    made = _codes(m, len(combinations))
    sizes: dict[str, set[int]] = {}
    for code, marks in zip(made, combinations, strict=True):
        client = app.test_client()
        entry = client.get("/code/")
        assert entry.status_code == 200 and "evalapp_code_client" in entry.headers["Set-Cookie"]
        # Typed in small letters without dashes: read all the same.
        _body, page = _post(client, "/code/", {"code": code.replace("-", "").lower()})
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        form: dict[int, dict[str, str]] = {}
        for cid, value, level in RADIO.findall(html):
            form.setdefault(int(cid), {})[level] = value
        cids = [c.id for c in m.reload().active_candidates]
        fields = {"code": code} | {f"mark-{cid}": form[cid][level]
                                   for cid, level in zip(cids, marks, strict=True)}
        review_body, review = _post(client, "/code/review", fields)
        assert review.status_code == 200 and "server-encrypts" in review.get_data(as_text=True)
        _change_body, change = _post(client, "/code/change", fields)
        cast_body, cast = _post(client, "/code/cast", fields)
        assert cast.status_code == 303
        receipt = client.get(cast.headers["Location"])
        tracker = re.sub(r"<[^>]+>|-|\s", "", TRACKER.search(receipt.get_data(as_text=True))[1])
        assert re.fullmatch(r"[0-9a-f]{64}", tracker)
        for name, size in (("ballot page", len(page.data)), ("review body", len(review_body)),
                           ("review page", len(review.data)), ("change page", len(change.data)),
                           ("cast body", len(cast_body)), ("redirect", len(cast.data)),
                           ("receipt", len(receipt.data))):
            sizes.setdefault(name, set()).add(size)
        # The same code again: refused, clearly, on the code page and in the cast.
        _body, reused = _post(client, "/code/", {"code": code})
        assert reused.status_code == 409 and str(codes.CODE_SPENT) in reused.get_data(
            as_text=True)
        _body, recast = _post(client, "/code/cast", fields)
        assert recast.status_code == 409
    assert {name: len(values) for name, values in sizes.items()} == dict.fromkeys(sizes, 1)
    assert box.codes_count(services.round_box(m.round)) == (len(made), len(made))


def test_wrong_and_void_codes_say_so(app, meeting):
    m = meeting(voters=3, candidates=1)
    [code] = _codes(m, 1)
    client = app.test_client()
    client.get("/code/")
    mistyped = code[:-1] + ("3" if code[-1] != "3" else "4")
    answer = _post(client, "/code/", {"code": mistyped})[1]
    assert answer.status_code == 422 and str(codes.NOT_A_CODE) in answer.get_data(as_text=True)
    # Typed on a Vietnamese keyboard (Telex made Ư of W, Â of AA): told to switch it.
    telex = "Ư" + code[1:] if code[0] != "W" else "Â" + code[1:]
    answer = _post(client, "/code/", {"code": telex})[1]
    assert answer.status_code == 422 and str(codes.ACCENTED) in answer.get_data(as_text=True)
    # A phone's typographic dashes are read as dashes.
    assert _post(client, "/code/", {"code": code.replace("-", "\u2013")})[1].status_code == 200
    unknown = code_format.generate()
    answer = _post(client, "/code/", {"code": unknown})[1]
    assert answer.status_code == 404 and str(codes.UNKNOWN_CODE) in answer.get_data(as_text=True)
    advance(m, RoundStatus.CLOSED)
    void = _post(client, "/code/", {"code": code})[1]
    assert void.status_code == 409 and str(codes.CODE_VOID) in void.get_data(as_text=True)


def test_wrong_codes_are_limited_per_browser_not_per_hall(app, meeting, monkeypatch):
    m = meeting(voters=3, candidates=1)
    [code] = _codes(m, 1)
    monkeypatch.setitem(app.config, "CODE_RATE_LIMIT", "3 per hour")
    monkeypatch.setitem(app.config, "CODE_ADDRESS_RATE_LIMIT", "6 per hour")
    guesser = app.test_client()
    guesser.get("/code/")
    # Typing mistakes (the check symbol) and a Vietnamese keyboard's letters are not counted.
    for _ in range(5):
        assert _post(guesser, "/code/", {"code": "2222-2222"})[1].status_code == 422
        assert _post(guesser, "/code/", {"code": "Ư" + code[1:]})[1].status_code == 422
    for _ in range(3):
        assert _post(guesser, "/code/", {"code": code_format.generate()})[1].status_code == 404
    assert _post(guesser, "/code/", {"code": code_format.generate()})[1].status_code == 429
    assert _post(guesser, "/code/", {"code": code})[1].status_code == 429
    # Another phone in the same hall (same address) is not blocked.
    neighbour = app.test_client()
    neighbour.get("/code/")
    assert _post(neighbour, "/code/", {"code": code})[1].status_code == 200
    for _ in range(3):
        assert _post(neighbour, "/code/", {"code": code_format.generate()})[1].status_code == 404
    # The address's ceiling holds for a browser throwing its cookie away each time.
    third = app.test_client()
    third.get("/code/")
    assert _post(third, "/code/", {"code": code_format.generate()})[1].status_code == 429


def _all_rows_text() -> str:
    """Every row of every table of the database as text (what a database dump holds)."""
    parts = []
    for table in _db.metadata.sorted_tables:
        for row in _db.session.execute(text(f'SELECT * FROM "{table.name}"')):  # noqa: S608
            parts.append(repr(tuple(row)))
    return "\n".join(parts)


def test_nothing_links_a_code_to_a_person(app, meeting, factory, caplog):
    caplog.set_level(logging.DEBUG)
    m = meeting(voters=3, candidates=2)
    seq = last_seq()
    [code] = _codes(m, 1)
    client = app.test_client()
    client.get("/code/")
    page = _post(client, "/code/", {"code": code})[1].get_data(as_text=True)
    cids = [c.id for c in m.reload().active_candidates]
    values = {int(cid): value for cid, value, _level in RADIO.findall(page)}
    cast = _post(client, "/code/cast", {"code": code} | {f"mark-{cid}": values[cid]
                                                          for cid in cids})[1]
    assert cast.status_code == 303
    advance(m, RoundStatus.COUNTED)
    dump = _all_rows_text()
    plain = code_format.canonical(code)
    for form in (code, plain, plain.lower()):
        assert form not in dump
        assert not any(form in record.getMessage() for record in caplog.records)
    # The code's table holds a hash and a flag: no person, no time.
    assert {c.name for c in BoxCode.__table__.columns} == {"box_id", "hash", "spent"}
    # The audit since the codes were made: their number, never a code, never a voter's name
    # next to a code ballot.
    entries = entries_after(seq)
    assert [e.action for e in entries][0] == "ballot_round.codes_generated"
    assert not any(plain in str(e.details) for e in entries)
    assert _db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "ballot.cast")).first() is None


def test_the_count_includes_code_ballots(app, meeting):
    m = meeting(voters=4, candidates=1, present=4, ballots=[["high"], ["low"]])
    made = _codes(m, 2)
    round_ = m.reload()
    cid = round_.active_candidates[0].id
    for code, level in zip(made, ["high", "confidence"], strict=True):
        opened = codes.open_code(code)
        codes.cast_with_code(code, box.WrittenBallot(
            marks={box.line_numbers(opened.box)[cid]: level}))
        _db.session.commit()
    advance(m, RoundStatus.COUNTED)
    round_ = m.reload()
    assert round_.collected_count == 4 and round_.valid_count == 4
    [line] = services.tally_of(round_).candidates
    # Two account ballots (high, low) and two code ballots (high, confidence).
    assert {level.value: n for level, n in line.counts.items()} == {
        "high": 2, "confidence": 1, "low": 1}


def test_a_mixed_round_of_account_code_and_paper_ballots_counts_the_sum_and_says_each_kind(db):
    """Issue 12, mixed rounds: two members vote with their accounts, two are handed code slips
    and vote with codes (three generated: one unused, void), two are handed paper ballots; the
    count is the sum of the three kinds, and the minutes give the number of each."""
    built = build_round(summoned=7, present=6, state=RoundStatus.DRAFT)
    round_, head = built.round, built.users["head"]
    set_paper(round_, kinds=BallotKinds.BOTH)
    _db.session.commit()
    voters = sorted(round_.voters, key=lambda v: v.person_id)
    present = voters[:6]
    builder.advance(round_, RoundStatus.VOTING, present=[v.person_id for v in present], ballots=[
        (present[0].person, ["high", "high", "low"]),
        (present[1].person, ["high", "confidence", "low"])])
    for v in present[2:4]:
        services.hand_out(SYSTEM, round_, v.id, "code")
    for v in present[4:6]:
        services.hand_out(SYSTEM, round_, v.id, "paper")
    made = codes.generate_codes(SYSTEM, round_, 3)
    _db.session.commit()
    cids = [c.id for c in round_.active_candidates]
    line_of = box.line_numbers(services.round_box(round_))
    for code, levels in zip(made, [["confidence", "low", "low"], ["low", "low", "high"]],
                            strict=False):
        codes.cast_with_code(code, box.WrittenBallot(
            marks={line_of[cid]: level for cid, level in zip(cids, levels, strict=True)}))
        _db.session.commit()
    builder.advance(round_, RoundStatus.CLOSED)
    for number, lines in enumerate([["low", "high", "high"], ["high", "low", "confidence"]],
                                   start=1):
        paper.enter_ballot(head, round_, number, lines, None)
    _db.session.commit()
    builder.advance(round_, RoundStatus.COUNTED)
    assert (round_.collected_count, round_.valid_count, round_.paper_collected_count) == (6, 6, 2)
    tally = {line.candidate_id: {level.value: n for level, n in line.counts.items()}
             for line in services.tally_of(round_).candidates}
    assert [tally[cid] for cid in cids] == [
        {"high": 3, "confidence": 1, "low": 2},   # account H H, code C L, paper L H
        {"high": 2, "confidence": 1, "low": 3},   # account H C, code L L, paper H L
        {"high": 2, "confidence": 1, "low": 3},   # account L L, code L H, paper H C
    ]
    text = flat(pdf_text(docs.plan_document(round_, DocumentKind.MINUTES, None)
                         .render(GOLDEN_STAMP).pdf))
    assert "Số phiếu thu về: 6." in text
    assert "Trong số phiếu thu về: 2 phiếu giấy và 4 phiếu bỏ trên trình duyệt." in text
    assert ("Trong số phiếu bỏ trên trình duyệt: 2 phiếu bỏ bằng tài khoản của thành viên và 2 "
            "phiếu bỏ bằng mã bỏ phiếu ẩn danh. Số mã đã tạo: 3; số phiếu mã đã phát theo danh "
            "sách: 2; số mã không dùng, hết giá trị khi khóa hòm phiếu: 1.") in text
    # A round without codes says nothing of them.
    plain = build_round(summoned=3, present=3)
    assert "mã bỏ phiếu" not in flat(pdf_text(docs.plan_document(
        plain.round, DocumentKind.MINUTES, None).render(GOLDEN_STAMP).pdf))


def test_a_typed_code_never_reaches_a_server_log(app, meeting, live_server, caplog):
    """Over real HTTP (Werkzeug's server, whose request lines are what an access log holds):
    a code typed on the code page, then voted with, reaches no log line of the server or the
    app, because it travels only in form bodies; the log itself is shown to be captured."""
    caplog.set_level(logging.DEBUG)
    m = meeting(voters=3, candidates=2)
    [code] = _codes(m, 1)
    browser = build_opener(HTTPCookieProcessor(CookieJar()))

    def send(path: str, fields: dict[str, str] | None = None, method: str = "post") -> str:
        body = None if fields is None else urlencode(fields)
        if method != "post" and body is not None:  # what a form with method="get" would do
            path, body = f"{path}?{body}", None
        request = Request(f"{live_server}{path}", data=body and body.encode())
        with browser.open(request) as answer:
            return answer.read().decode()

    def submit(html: str, action: str, fields: dict[str, str]) -> str:
        """Send `fields` as the page's form posting to `action` would: its method, its URL."""
        form = re.search(rf'<form method="(\w+)" action="({re.escape(action)}[^"]*)"', html)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)[1]
        return send(form[2], {"csrf_token": token} | fields, form[1].lower())

    entry = send("/code/")
    typed = code.lower().replace("-", " ")
    ballot = submit(entry, "/code/", {"code": typed})
    values = {int(cid): value for cid, value, _level in RADIO.findall(ballot)}
    fields = {"code": code} | {f"mark-{cid}": value for cid, value in values.items()}
    review = submit(ballot, "/code/review", fields)
    receipt = submit(review, "/code/cast", fields)
    assert "tracker" in receipt and box.codes_count(services.round_box(m.reload())) == (1, 1)
    # Werkzeug writes a request's line once the answer is sent: wait for the last one.
    for _ in range(500):
        lines = [re.sub(r"\x1b\[[0-9;]*m", "", record.getMessage())
                 for record in caplog.records]
        if any('"GET /code/receipt/' in line for line in lines):
            break
        threading.Event().wait(0.01)
    requests = [line for line in lines if '"POST /code/' in line]
    assert len(requests) == 3 and any('"GET /code/receipt/' in line for line in lines)
    plain = code_format.canonical(code)
    for form in (code, plain, plain.lower(), typed, quote_plus(typed), code.replace("-", "%2D")):
        assert not any(form in line or form.lower() in line.lower() for line in lines), form
