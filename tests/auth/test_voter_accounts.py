"""Voter accounts for a summoned list: readable one-time passwords, fast enough for a hall,
made in batches for a progress bar (or all at once without JavaScript), printed on slips that
say where to log in."""

from __future__ import annotations

import math
import re
from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role, User
from evalapp.auth.permissions import SYSTEM
from evalapp.auth.services import (
    SLIP_ALPHABET,
    SLIP_HASH_METHOD,
    canonical_slip_password,
    create_voter_accounts,
    generate_slip_password,
)
from evalapp.core.web import qr_svg
from tests.conftest import PASSWORD

SLIP = re.compile(r'class="username">([^<]+)</code>.*?class="password">([^<]+)</code>', re.S)


def test_slip_passwords_are_grouped_unambiguous_and_have_sixty_bits():
    assert len(set(SLIP_ALPHABET)) == len(SLIP_ALPHABET) == 32
    assert not set("0o1lIO") & set(SLIP_ALPHABET)
    passwords = {generate_slip_password() for _ in range(2000)}
    assert len(passwords) == 2000
    for password in passwords:
        assert re.fullmatch(rf"[{SLIP_ALPHABET}]{{4}}(-[{SLIP_ALPHABET}]{{4}}){{2}}", password)
    assert math.log2(len(SLIP_ALPHABET)) * 12 >= 60
    # Every symbol turns up: the draw covers the whole alphabet.
    assert set("".join(passwords)) - {"-"} == set(SLIP_ALPHABET)


@pytest.mark.parametrize("typed, expected", [
    ("hxk7-m4pq-wr9t", "hxk7-m4pq-wr9t"), ("HXK7M4PQWR9T", "hxk7-m4pq-wr9t"),
    ("hxk7 m4pq wr9t", "hxk7-m4pq-wr9t"), ("hxk7-m4pq-wr9", None), ("hxk7-m4pq-wr9t7", None),
    ("lxk1-m4pq-wr9t", "ixki-m4pq-wr9t"), ("oxk7-m4pq-wr9t", None), ("correct-horse", None),
])
def test_a_slip_password_is_read_as_it_was_meant(typed, expected):
    assert canonical_slip_password(typed) == expected


def test_a_slip_password_works_as_typed_from_the_slip(app, factory, db):
    unit = factory.unit("Chi bộ Gõ phím")
    person = factory.person("Lê Văn Gõ", unit, staff_code="GO01")
    [(user, password)] = create_voter_accounts(SYSTEM, [person])
    db.session.commit()
    assert user.password_hash.startswith(SLIP_HASH_METHOD + "$")
    # Set a known slip password holding an "i", to type it as someone might read it.
    user.password_hash = generate_password_hash("ixk7-m4pq-wr9t", method=SLIP_HASH_METHOD)
    db.session.commit()
    for typed, status in [("ixk7-m4pq-wr9t", 302), ("IXK7M4PQWR9T", 302),
                          ("lxk7 m4pq wr9t", 302), ("1xk7-m4pq-wr9t", 302),
                          ("ixk7-m4pq-wr9z", 401), ("", 422)]:
        response = app.test_client().post("/login", data={"username": "go01",
                                                          "password": typed})
        assert response.status_code == status, typed
    # A person's own password is checked exactly as chosen.
    own = factory.user("rieng", roles=(Role.VOTER,))
    own.password_hash = generate_password_hash("abcd-efgh-jkmn", method="pbkdf2:sha256:1000")
    db.session.commit()
    assert app.test_client().post("/login", data={"username": "rieng",
                                                  "password": "ABCDEFGHJKMN"}
                                  ).status_code == 302  # read the same way: it is slip-shaped
    assert app.test_client().post("/login", data={"username": "rieng",
                                                  "password": "abcd-efgh-jkm"}
                                  ).status_code == 401


@pytest.fixture
def roll(factory, db):
    from evalapp.ballots import services

    unit = factory.unit("Đảng ủy phường")
    names = ["Trần Văn Năm", "Lê Thị Một", "Phạm Văn Bốn", "Ngô Thị Hai", "Đỗ Văn Ba"]
    people = [factory.person(name, unit, staff_code=f"P{i:02d}")
              for i, name in enumerate(names, 1)]
    admin = factory.user("phuong", roles=(Role.ADMIN,))
    round_ = services.create_round(SYSTEM, services.RoundDetails(
        title="Phường 2026", body_name="Đảng ủy phường", unit=unit,
        meeting_date=date(2026, 5, 5)), services.Scale.THREE_LEVEL, "party-2023")
    services.add_voters(SYSTEM, round_, [p.id for p in people])
    db.session.commit()
    return round_.id, admin


def test_accounts_are_made_in_batches_for_a_progress_bar(app, db, roll):
    round_id, admin = roll
    client = app.test_client()
    client.post("/login", data={"username": admin.username, "password": PASSWORD})
    before = db.session.execute(select(AuditEntry.seq).order_by(AuditEntry.seq.desc())
                                ).scalars().first()
    batches = []
    while True:
        response = client.post(f"/ballots/{round_id}/voters/accounts", data={"batch": "2"},
                               headers={"Accept": "application/json"})
        assert response.status_code == 200 and response.is_json
        batches.append(response.get_json())
        if batches[-1]["remaining"] == 0:
            break
    assert [(b["created"], b["remaining"]) for b in batches] == [(2, 3), (2, 1), (1, 0)]
    slips = [pair for b in batches for pair in SLIP.findall(b["html"])]
    # In the list's order (by given name): Ba, Bốn, Hai, Một, Năm.
    assert [u for u, _p in slips] == ["p05", "p03", "p04", "p02", "p01"]
    assert "__N__" in batches[0]["frame"] and 'id="account-slips"' in batches[0]["frame"]
    for username, password in slips:
        assert app.test_client().post("/login", data={"username": username,
                                                      "password": password}
                                      ).status_code == 302
    entries = db.session.execute(select(AuditEntry).where(AuditEntry.seq > before)
                                 .where(AuditEntry.action == "account.voters_created")
                                 ).scalars().all()
    assert len(entries) == 3
    assert all(password not in e.details for e in entries for _u, password in slips)
    # Nothing left: a further batch makes nothing.
    last = client.post(f"/ballots/{round_id}/voters/accounts", data={"batch": "2"}).get_json()
    assert (last["created"], last["remaining"], last["html"].strip()) == (0, 0, "")


def test_slips_say_where_to_log_in_with_a_qr_code(app, db, roll):
    round_id, admin = roll
    client = app.test_client()
    client.post("/login", data={"username": admin.username, "password": PASSWORD})
    app.config["PUBLIC_BASE_URL"] = "https://phieu.example.vn/"
    try:
        html = client.post(f"/ballots/{round_id}/voters/accounts").get_data(as_text=True)
    finally:
        app.config["PUBLIC_BASE_URL"] = None
    slips = SLIP.findall(html)
    assert len(slips) == 5
    assert html.count('<dd class="slip-address">https://phieu.example.vn/login</dd>') == 5
    with app.test_request_context():
        for username, _password in slips:
            code = str(qr_svg(f"https://phieu.example.vn/login?u={username}"))
            assert code in html, username
    assert "5 tài khoản" in html

    # Without a configured address, the one the request came to.
    from evalapp.auth.services import find_user
    user = find_user("p01")
    user.person_id = None
    db.session.commit()
    again = client.post(f"/ballots/{round_id}/voters/accounts").get_data(as_text=True)
    assert '<dd class="slip-address">http://localhost/login</dd>' in again
    with app.test_request_context():
        assert str(qr_svg("http://localhost/login?u=p012")) in again


def test_the_login_page_fills_in_the_username_from_the_slip(client, factory):
    html = client.get("/login?u=p01").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="username"[^>]*value="p01"', html)


def test_three_hundred_voters_get_accounts_in_one_request(app, db, factory):
    """Without JavaScript, one request makes them all (it used to take minutes)."""
    from evalapp.ballots import services

    unit = factory.unit("Hội trường lớn")
    people = [factory.person(f"Nguyễn Văn Đại{i:03d}", unit, staff_code=f"H{i:03d}")
              for i in range(300)]
    factory.user("hoitruong", roles=(Role.ADMIN,))
    round_ = services.create_round(SYSTEM, services.RoundDetails(
        title="Đại hội", body_name="Đảng bộ", unit=unit), services.Scale.THREE_LEVEL,
        "party-2023")
    services.add_voters(SYSTEM, round_, [p.id for p in people])
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "hoitruong", "password": PASSWORD})
    html = client.post(f"/ballots/{round_.id}/voters/accounts").get_data(as_text=True)
    assert len(SLIP.findall(html)) == 300
    assert db.session.execute(select(User).where(User.person_id.is_not(None))
                              ).scalars().all().__len__() == 300
