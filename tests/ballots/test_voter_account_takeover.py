"""An administrator cannot vote in a voter's place (design §2; issue 10, fault 4).

The attack, as the review did it: reset the voter's password, log in as them, cast. While a
round that summons the person takes attendance or votes, nobody else may set the password of
their account or link their person to another account (or unlink it); each attempt is refused
with a message in Vietnamese, changes nothing, is recorded against the round and is shown on the
round's page to its secretary. The ballots area tells auth who is voting now through a
registered check (auth imports no ballots: tests/test_architecture.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role, User
from evalapp.auth.permissions import SYSTEM, live_rounds_of
from evalapp.auth.services import create_voter_accounts
from evalapp.ballots import builder
from evalapp.ballots.models import RoundStatus
from tests.ballots.conftest import make_people
from tests.conftest import PASSWORD

NEW = "mat-khau-moi-123"


@pytest.fixture
def hall(db, factory):
    """A round with two voters (one with a slip account, one without any), a secretary, an
    organisation-wide admin; build(state) drives the round to `state`."""
    unit = factory.unit("Đảng ủy Khối")
    voters = make_people(unit, 2, prefix="Cử tri")
    [(account, slip)] = create_voter_accounts(SYSTEM, voters[:1])
    db.session.commit()
    secretary = factory.user("thuky", roles=(Role.SECRETARY,), unit=unit)
    admin = factory.user("quantri", roles=(Role.ADMIN,))
    round_ = builder.create(builder.RoundPlan(
        unit=unit, candidates=make_people(unit, 1, prefix="Ứng viên"), voters=voters,
        title="Lấy phiếu tín nhiệm năm 2026", secretary=secretary))

    class Hall:
        pass

    hall = Hall()
    hall.__dict__.update(unit=unit, voters=voters, account=account, slip=slip,
                         secretary=secretary, admin=admin, round=round_)
    hall.build = lambda state: builder.advance(round_, state)
    return hall


def _refusals(db) -> list[AuditEntry]:
    return list(db.session.execute(select(AuditEntry).where(AuditEntry.action.in_(
        ["account.voter_password_refused", "account.voter_link_refused"]))
        .order_by(AuditEntry.seq)).scalars())


def _login(app, username, password):
    client = app.test_client()
    return client, client.post("/login", data={"username": username, "password": password})


@pytest.mark.parametrize("state", [RoundStatus.ATTENDANCE, RoundStatus.VOTING])
def test_an_admin_cannot_reset_a_summoned_voters_password(app, db, hall, state):
    hall.build(state)
    before = hall.account.password_hash, hall.account.session_version
    admin, _ = _login(app, "quantri", PASSWORD)
    response = admin.post(f"/users/{hall.account.id}/password",
                          data={"reset-new_password": NEW})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Cho đến khi bỏ phiếu kết thúc" in html and "Lấy phiếu tín nhiệm năm 2026" in html
    db.session.expire_all()
    assert (hall.account.password_hash, hall.account.session_version) == before
    # The admin cannot log in as the voter; the voter's printed slip still works.
    assert _login(app, hall.account.username, NEW)[1].status_code == 401
    assert _login(app, hall.account.username, hall.slip)[1].status_code == 302
    [entry] = _refusals(db)
    assert (entry.action, entry.actor_id) == ("account.voter_password_refused", hall.admin.id)
    assert (entry.target_type, entry.target_id) == ("ballot_round", str(hall.round.id))


def test_the_secretary_sees_every_attempt_on_the_rounds_page(app, db, hall):
    hall.build(RoundStatus.VOTING)
    admin, _ = _login(app, "quantri", PASSWORD)
    admin.post(f"/users/{hall.account.id}/password", data={"reset-new_password": NEW})
    secretary, _ = _login(app, "thuky", PASSWORD)
    html = secretary.get(f"/ballots/{hall.round.id}").get_data(as_text=True)
    assert 'id="refused-account-changes"' in html
    assert "quantri" in html and hall.voters[0].full_name in html
    assert "Đã thử đặt mật khẩu mới cho tài khoản" in html
    # The page of a round with no attempt says nothing of the kind.
    other = builder.build(builder.RoundPlan(unit=hall.unit, candidates=hall.voters[1:],
                                            voters=hall.voters[:1], secretary=hall.secretary),
                          RoundStatus.DRAFT).round
    assert 'id="refused-account-changes"' not in secretary.get(
        f"/ballots/{other.id}").get_data(as_text=True)


def test_linking_a_summoned_person_to_another_account_is_refused(app, db, hall):
    hall.build(RoundStatus.VOTING)
    admin, _ = _login(app, "quantri", PASSWORD)
    users_before = db.session.execute(select(User.id)).scalars().all()
    # A new account with a password the admin knows, for the voter who has no account yet …
    response = admin.post("/users/new", data={
        "username": "gia-mao", "full_name": "Giả Mạo", "password": NEW,
        "staff_code": hall.voters[1].staff_code, "grants-0-role": "voter"})
    assert response.status_code == 409
    assert "không thể liên kết tài khoản nào với người này" in response.get_data(as_text=True)
    # … or the voter's own account unlinked (to link another one in its place).
    response = admin.post(f"/users/{hall.account.id}", data={
        "username": hall.account.username, "full_name": hall.account.full_name,
        "staff_code": "", "grants-0-role": "voter"})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.execute(select(User.id)).scalars().all() == users_before
    assert hall.account.person_id == hall.voters[0].id
    assert [e.action for e in _refusals(db)] == ["account.voter_link_refused"] * 2
    # A change that links no one differently is no takeover: it goes through.
    response = admin.post(f"/users/{hall.account.id}", data={
        "username": hall.account.username, "full_name": "Tên Mới",
        "staff_code": hall.voters[0].staff_code, "grants-0-role": "voter"})
    assert response.status_code == 302


@pytest.mark.parametrize("state", [RoundStatus.DRAFT, RoundStatus.CLOSED])
def test_before_and_after_the_meeting_the_admin_may_set_the_password(app, db, hall, state):
    hall.build(state)
    admin, _ = _login(app, "quantri", PASSWORD)
    response = admin.post(f"/users/{hall.account.id}/password",
                          data={"reset-new_password": NEW})
    assert response.status_code == 302
    assert _refusals(db) == []
    assert _login(app, hall.account.username, NEW)[1].status_code == 302


def test_the_voter_may_still_change_their_own_password(app, db, hall):
    hall.build(RoundStatus.VOTING)
    voter, response = _login(app, hall.account.username, hall.slip)
    assert response.status_code == 302
    response = voter.post("/account/password", data={
        "pw-current_password": hall.slip, "pw-new_password": NEW, "pw-confirm_password": NEW})
    assert response.status_code == 302
    assert _login(app, hall.account.username, NEW)[1].status_code == 302


def test_the_ballots_area_tells_auth_who_is_voting_now(db, hall):
    assert live_rounds_of(hall.voters[0].id) == []
    hall.build(RoundStatus.ATTENDANCE)
    [live] = live_rounds_of(hall.voters[0].id)
    assert (live.target.id, live.title) == (hall.round.id, "Lấy phiếu tín nhiệm năm 2026")
    hall.build(RoundStatus.CLOSED)
    assert live_rounds_of(hall.voters[0].id) == []
