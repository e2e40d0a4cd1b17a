"""Casting a ballot encrypted on the voter's device, through the web form and the API (issue 9).

The ballots are encrypted here as the voter's browser does (crypto.encrypt_ballot under the
round's box parameters). Refused ballots are forged from crypto's own pieces
(tests/box/test_crypto.forge: ciphertexts of any plaintexts, with the proofs an honest prover
would make), so each is wrong only in what it claims to hold. Every refusal answers 4xx in
Vietnamese and records nothing: the voter's right stays unspent and the box unchanged, which
the voter's correct ballot accepted afterwards proves.
"""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal as D

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from evalapp.auth.models import Role
from evalapp.auth.services import create_api_token
from evalapp.ballots import services
from evalapp.ballots.models import RoundStatus
from evalapp.ballots.routes import MAX_ENCRYPTED_BALLOT
from evalapp.box import crypto
from evalapp.box.models import BoxParticipation, BoxSealedBallot
from evalapp.extensions import db as _db
from evalapp.tally.rules import Band, Level, Scale
from tests.ballots.conftest import TRACKER_ON_PAGE, advance
from tests.box.test_crypto import forge
from tests.conftest import PASSWORD
from tests.test_translations import compile_if_stale  # noqa: F401 (compiles at import)

HIGH, CONF, LOW = Level.HIGH.value, Level.CONFIDENCE.value, Level.LOW.value
NO_CONF = Level.NO_CONFIDENCE.value


def params_of(round_) -> dict:
    """What the ballot page gives the device to encrypt under (the fingerprint apart)."""
    return {k: v for k, v in services.box_parameters(round_).items() if k != "fingerprint"}


def choices(round_, levels) -> list[int]:
    scale = [level.value for level in round_.scale.levels]
    return [scale.index(level) for level in levels]


def box_rows(db) -> tuple[int, int, list[str]]:
    """Rights spent, sealed ballots, and their trackers, in every box."""
    return (db.session.execute(select(func.count()).select_from(BoxParticipation)).scalar_one(),
            db.session.execute(select(func.count()).select_from(BoxSealedBallot)).scalar_one(),
            sorted(db.session.execute(select(BoxSealedBallot.tracker)).scalars()))


def tracker_on(html: str) -> str:
    """The tracker a receipt page shows (64 hex digits in groups of four), as stored."""
    shown = re.sub(r"<[^>]+>", "", TRACKER_ON_PAGE.search(html).group(1)).strip()
    assert re.fullmatch(r"([0-9a-f]{4}-){15}[0-9a-f]{4}", shown), shown
    return shown.replace("-", "")


def vietnamese(message: str) -> str:
    with force_locale("vi"):
        return _(message)


BAD_PROOF = ("The encrypted ballot is not valid for this box (its proofs do not hold). "
             "Nothing was recorded; reload the ballot page and vote again.")
BAD_SHAPE = ("The encrypted ballot does not have the form of this box's ballots. Nothing was "
             "recorded; reload the ballot page and vote again.")
A_COPY = "This ballot is a copy of a ballot already in the box. Nothing was recorded."
TOO_LARGE = "The encrypted ballot is too large. Nothing was recorded."
UNREADABLE = ("The encrypted ballot cannot be read. Nothing was recorded; reload the ballot "
              "page and vote again.")


def refused_ballots(round_, other_round, victim: dict) -> dict[str, tuple[object, str]]:
    """name -> (the `ballot` field as sent, the message it must get). `victim` is a ballot
    another voter already cast in `round_`."""
    params = params_of(round_)
    lifted_ciphertext = crypto.encrypt_ballot(params, [0, 2])
    lifted_ciphertext["ciphertexts"][0][1] = victim["ciphertexts"][0][1]
    lifted_ciphertext["proofs"][0][1] = victim["proofs"][0][1]
    lifted_line = crypto.encrypt_ballot(params, [2, 2])
    for part in ("ciphertexts", "proofs", "line_proofs"):
        lifted_line[part][0] = victim[part][0]
    return {
        "two marks on a line": (forge(params, [[1, 1, 0], [0, 1, 0]]), BAD_PROOF),
        "no mark on a line": (forge(params, [[0, 0, 0], [0, 1, 0]]), BAD_PROOF),
        "a value of 2": (forge(params, [[2, 0, 0], [0, 1, 0]]), BAD_PROOF),
        "a negative value": (forge(params, [[-1, 1, 1], [0, 1, 0]]), BAD_PROOF),
        "a 2 paid by a -1 (the line sums to 1)": (forge(params, [[2, -1, 0], [0, 1, 0]]),
                                                  BAD_PROOF),
        "made for another round's box": (
            crypto.encrypt_ballot(params_of(other_round), [0, 1]), BAD_PROOF),
        "a ciphertext lifted from another voter's ballot": (lifted_ciphertext, BAD_PROOF),
        "a line lifted from another voter's ballot": (lifted_line, BAD_PROOF),
        "an exact replay of another voter's ballot": (copy.deepcopy(victim), A_COPY),
        "a line missing": ({k: v[:1] for k, v in victim.items()}, BAD_SHAPE),
        "not JSON": ("{ciphertexts: [", UNREADABLE),
    }


@pytest.fixture
def hall(meeting, factory, db):
    """A round open for voting (2 people, 3 voters with accounts) and a second open round."""
    m = meeting(voters=3, candidates=2)
    other = meeting(voters=1, candidates=2)
    users = [factory.user(f"cutri-mahoa{i}", roles=(Role.VOTER,), unit=m.unit, person=p)
             for i, p in enumerate(m.voters)]
    return m, other, users


def test_encrypted_ballots_through_the_web_form(app, hall, db):
    m, other, users = hall
    rid = m.round_id
    first, second, third = (app.test_client() for _ in users)
    for client, user in zip((first, second, third), users, strict=True):
        assert client.post("/login", data={"username": user.username,
                                           "password": PASSWORD}).status_code == 302
    victim = crypto.encrypt_ballot(params_of(m.round), choices(m.round, [HIGH, LOW]))
    response = first.post(f"/vote/{rid}/cast", data={"ballot": json.dumps(victim)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/vote/{rid}/receipt")
    receipt = first.get(f"/vote/{rid}/receipt").get_data(as_text=True)
    assert tracker_on(receipt) == crypto.tracker(victim)

    before = box_rows(db)
    assert before[:2] == (1, 1) and before[2] == [crypto.tracker(victim)]
    cases = refused_ballots(m.round, other.round, victim)
    cases["too large"] = ("[" * (MAX_ENCRYPTED_BALLOT + 1), TOO_LARGE)
    cases["nested past the parser's depth"] = ("[" * 100_000 + "]" * 100_000, UNREADABLE)
    for name, (ballot, message) in cases.items():
        sent = ballot if isinstance(ballot, str) else json.dumps(ballot)
        response = second.post(f"/vote/{rid}/cast", data={"ballot": sent})
        assert response.status_code == 422, (name, response.status_code)
        body = response.get_data(as_text=True)
        assert vietnamese(message) != message
        assert vietnamese(message).split(";")[0] in body, name
        assert box_rows(db) == before, name
        assert not services.has_voted(m.round, users[1].person_id), name
    # The second voter's right is intact: their own correct ballot goes in.
    own = crypto.encrypt_ballot(params_of(m.round), choices(m.round, [CONF, CONF]))
    assert second.post(f"/vote/{rid}/cast", data={"ballot": json.dumps(own)}).status_code == 303
    # The third votes without JavaScript: marks as level numbers, encrypted by the server.
    form = {f"mark-{c.id}": "3" for c in m.round.active_candidates}
    assert third.post(f"/vote/{rid}/cast", data=form).status_code == 303
    rows = box_rows(db)
    assert rows[:2] == (3, 3)
    assert {crypto.tracker(victim), crypto.tracker(own)} < set(rows[2])
    # The tally is the one cast.
    advance(m, RoundStatus.COUNTED)
    tally = services.tally_of(m.reload())
    got = [dict(c.counts) for c in tally.candidates]
    assert got == [{Level.HIGH: 1, Level.CONFIDENCE: 1, Level.LOW: 1},
                   {Level.HIGH: 0, Level.CONFIDENCE: 1, Level.LOW: 2}]


def test_encrypted_ballots_through_the_api(client, hall, db):
    m, other, users = hall
    rid = m.round_id
    headers = []
    for user in users[:2]:
        _token, plain = create_api_token(user, "test")
        headers.append({"Authorization": f"Bearer {plain}",
                        "Accept-Language": "vi"})
    db.session.commit()
    url = f"/api/v1/ballot-rounds/{rid}/ballot"
    box = client.get(f"/api/v1/ballot-rounds/{rid}/box", headers=headers[0]).json
    assert box["fingerprint"] == services.box_parameters(m.round)["fingerprint"]
    victim = crypto.encrypt_ballot(box["parameters"], choices(m.round, [LOW, HIGH]))
    response = client.post(url, json={"ballot": victim}, headers=headers[0])
    assert response.status_code == 201
    assert response.json["tracker"] == crypto.tracker(victim)

    before = box_rows(db)
    cases = refused_ballots(m.round, other.round, victim)
    for name, (ballot, message) in cases.items():
        if name == "not JSON":
            response = client.post(url, data='{"ballot": {ciphertexts', headers=headers[1],
                                   content_type="application/json")
        else:
            response = client.post(url, json={"ballot": ballot}, headers=headers[1])
        assert 400 <= response.status_code < 500, (name, response.status_code)
        said = json.dumps(response.json, ensure_ascii=False)
        if name != "not JSON":
            assert response.status_code == 422, name
            assert vietnamese(message).split(";")[0] in said, (name, said)
        assert box_rows(db) == before, name
        assert not services.has_voted(m.round, users[1].person_id), name
    for body in ({"ballot": "x" * 2_000_000}, {"ballot": [victim]}, {"ballot": None},
                 {"ballot": victim, "marks": {}}):
        response = client.post(url, json=body, headers=headers[1])
        assert 400 <= response.status_code < 500, response.status_code
        assert box_rows(db) == before
    own = crypto.encrypt_ballot(box["parameters"], choices(m.round, [HIGH, HIGH]))
    response = client.post(url, json={"ballot": own}, headers=headers[1])
    assert response.status_code == 201 and response.json["tracker"] == crypto.tracker(own)
    assert box_rows(db)[:2] == (2, 2)


def _cast_on_devices(m, ballots) -> list[str]:
    """Each voter's ballot encrypted on their device and cast (the service the form calls)."""
    params = params_of(m.round)
    trackers = []
    for voter, levels in zip(m.voters, ballots, strict=False):
        ballot = crypto.encrypt_ballot(params, choices(m.round, levels))
        trackers.append(services.cast_encrypted(voter, m.round, ballot))
        _db.session.commit()
        assert trackers[-1] == crypto.tracker(ballot)
    return trackers


@pytest.mark.parametrize("scale", [Scale.THREE_LEVEL, Scale.TWO_LEVEL])
def test_the_tally_of_encrypted_ballots_is_the_tally_cast(meeting, db, scale):
    levels = [level.value for level in scale.levels]
    ballots = [[levels[(i + j) % len(levels)] for j in range(3)] for i in range(5)]
    m = meeting(voters=5, candidates=3, scale=scale)
    _cast_on_devices(m, ballots)
    advance(m, RoundStatus.COUNTED)
    tally = services.tally_of(m.reload())
    for j, result in enumerate(tally.candidates):
        expected = {Level(level): sum(1 for b in ballots if b[j] == level) for level in levels}
        assert dict(result.counts) == expected


def test_the_worked_results_come_out_to_the_hundredth_from_encrypted_ballots(meeting, db):
    """tests/ballots/test_lifecycle.py's seven ballots of eight present of nine summoned, each
    encrypted on the voter's device."""
    ballots = [[LOW, LOW, HIGH], [LOW, LOW, HIGH], [LOW, LOW, HIGH], [LOW, LOW, CONF],
               [LOW, CONF, CONF], [CONF, CONF, CONF], [HIGH, HIGH, LOW]]
    m = meeting(voters=9, candidates=3, present=8, state=RoundStatus.VOTING)
    _cast_on_devices(m, ballots)
    advance(m, RoundStatus.COUNTED)
    r = m.reload()
    assert (r.issued_count, r.collected_count, r.valid_count, r.invalid_count) == (8, 7, 7, 0)
    a, b, c = services.tally_of(r).candidates
    assert dict(a.percents) == {Level.HIGH: D("14.29"), Level.CONFIDENCE: D("14.29"),
                                Level.LOW: D("71.43")}
    assert a.band is Band.TWO_THIRDS
    assert dict(b.percents) == {Level.HIGH: D("14.29"), Level.CONFIDENCE: D("28.57"),
                                Level.LOW: D("57.14")}
    assert b.band is Band.OVER_HALF
    assert dict(c.percents) == {Level.HIGH: D("42.86"), Level.CONFIDENCE: D("42.86"),
                                Level.LOW: D("14.29")}
    assert c.band is None


def test_a_no_confidence_vote_from_encrypted_ballots_to_the_hundredth(meeting, db):
    """tests/ballots/test_lifecycle.py's two-level round: 5 of 8, 4 of 8, 8 of 8."""
    ballots = [[NO_CONF if k < 5 else CONF, NO_CONF if k < 4 else CONF, NO_CONF]
               for k in range(8)]
    m = meeting(voters=8, candidates=3, scale=Scale.TWO_LEVEL)
    _cast_on_devices(m, ballots)
    advance(m, RoundStatus.COUNTED)
    p, q, r = services.tally_of(m.reload()).candidates
    assert dict(p.percents) == {Level.CONFIDENCE: D("37.50"), Level.NO_CONFIDENCE: D("62.50")}
    assert p.band is Band.NO_CONFIDENCE
    assert dict(q.percents) == {Level.CONFIDENCE: D("50.00"), Level.NO_CONFIDENCE: D("50.00")}
    assert q.band is None
    assert r.percents[Level.NO_CONFIDENCE] == D("100.00") and r.band is Band.NO_CONFIDENCE
