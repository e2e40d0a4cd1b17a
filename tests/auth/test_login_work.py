"""Usernames cannot be told apart by how long a login takes (issue 10, fault 9): a wrong
password for an existing account and any password for an unknown username do the same work.

Measured by counting: every password hash the login checks is recorded (werkzeug's own
check_password_hash, wrapped to note the method of the hash it was given), never by timing."""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash as real_check

from evalapp.auth import services
from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.auth.services import SLIP_HASH_METHOD, create_voter_accounts, dummy_hash, hash_method
from tests.conftest import PASSWORD


@pytest.fixture
def checks(monkeypatch):
    """The method of every hash checked, in order."""
    seen: list[str] = []

    def counting_check(password_hash: str, password: str) -> bool:
        seen.append(hash_method(password_hash))
        return real_check(password_hash, password)

    monkeypatch.setattr(services, "check_password_hash", counting_check)
    return seen


@pytest.fixture
def accounts(factory, db):
    """An account with its own password, a voter with a slip password, an inactive account."""
    own = factory.user("canbo", roles=(Role.SECRETARY,))
    person = factory.person("Lê Văn Phiếu", factory.unit("Chi bộ Đếm"), staff_code="DEM01")
    [(voter, _slip)] = create_voter_accounts(SYSTEM, [person])
    db.session.commit()
    inactive = factory.user("nghiviec", roles=(Role.VOTER,))
    inactive.active = False
    db.session.commit()
    return own, voter, inactive


def _attempt(client, checks, username: str, password: str) -> list[str]:
    checks.clear()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 401
    return sorted(checks)


@pytest.mark.parametrize("password", ["wrong-password-1", "ABCD-EFGH-JKMN", "abcd-efgh-jkmn"])
def test_known_and_unknown_usernames_cost_the_same_hashes(client, accounts, checks, password):
    own, voter, inactive = accounts
    unknown = _attempt(client, checks, "khongcoai", password)
    assert unknown  # the unknown username is checked against real hashes too
    assert _attempt(client, checks, own.username, password) == unknown
    assert _attempt(client, checks, voter.username, password) == unknown
    assert _attempt(client, checks, inactive.username, password) == unknown
    # One check of each kind of hash for each reading of what was typed.
    readings = 2 if password == "ABCD-EFGH-JKMN" else 1
    assert unknown == sorted([hash_method(own.password_hash),
                              hash_method(voter.password_hash)] * readings)


def test_the_dummy_hashes_are_made_exactly_as_real_ones(app, accounts, monkeypatch, factory):
    own, voter, _inactive = accounts
    assert hash_method(dummy_hash(app.config["PASSWORD_HASH_METHOD"])) == \
        hash_method(own.password_hash)
    assert hash_method(dummy_hash(SLIP_HASH_METHOD)) == hash_method(voter.password_hash)
    # The production default: scrypt, with werkzeug's parameters written into the hash.
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "scrypt")
    scrypt_user = factory.user("scryptuser", roles=(Role.ADMIN,))
    assert hash_method(scrypt_user.password_hash).startswith("scrypt:")
    assert hash_method(dummy_hash("scrypt")) == hash_method(scrypt_user.password_hash)


def test_the_right_password_still_logs_in_after_doing_the_same_work(client, accounts, checks):
    own, _voter, _inactive = accounts
    response = client.post("/login", data={"username": own.username, "password": PASSWORD})
    assert response.status_code == 302
    assert sorted(checks) == sorted([hash_method(own.password_hash),
                                     hash_method(dummy_hash(SLIP_HASH_METHOD))])
