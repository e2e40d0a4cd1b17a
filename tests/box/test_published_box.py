"""The published box (phúc tra) and the counting team's path through the pages (issue 9).

A counted round's box, downloaded by a voter of the round from /ballots/<id>/box.json, verifies
with `flask box verify` and with the standalone `python -I evalapp/box/crypto.py` (which imports
nothing of evalapp); both refuse it once a ciphertext, a ballot, a count or a decryption proof
is changed. The counting team sets its passphrases, unlocks after closing and counts, all
through the pages, each member on their own device.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from evalapp.auth.models import Role
from evalapp.ballots import builder, receipts, services
from evalapp.ballots.models import RoundStatus
from evalapp.box import crypto
from evalapp.box.models import BoxDecryption, BoxLock
from evalapp.tally.rules import Level, Scale
from tests.ballots.conftest import make_people, meeting  # noqa: F401 (a fixture)
from tests.conftest import PASSWORD
from tests.test_translations import compile_if_stale  # noqa: F401 (compiles at import)

CRYPTO_FILE = Path(crypto.__file__)
HIGH, CONF, LOW = Level.HIGH.value, Level.CONFIDENCE.value, Level.LOW.value
BALLOTS = [(HIGH, LOW), (CONF, LOW), (LOW, HIGH)]


def login(app, user):
    client = app.test_client()
    assert client.post("/login", data={"username": user.username,
                                       "password": PASSWORD}).status_code == 302
    return client


def vietnamese(message: str, **values) -> str:
    with force_locale("vi"):
        translated = _(message, **values)
    assert translated != message % values
    return translated


def both_verifiers(app, path: Path) -> tuple[tuple[int, str], tuple[int, str]]:
    """(exit code, output) of `flask box verify` and of the standalone script."""
    cli = app.test_cli_runner().invoke(args=["box", "verify", str(path)])
    alone = subprocess.run([sys.executable, "-I", str(CRYPTO_FILE), str(path)],
                           capture_output=True, text=True, check=False)
    return (cli.exit_code, cli.output), (alone.returncode, alone.stdout + alone.stderr)


def _other_point(hex_point: str) -> str:
    return crypto.add(bytes.fromhex(hex_point), crypto.G).hex()


def _tampered(bundle: dict, params: dict) -> dict[str, dict]:
    def changed(edit):
        b = copy.deepcopy(bundle)
        edit(b)
        return b

    def ciphertext(b):
        pair = b["ballots"][0]["ballot"]["ciphertexts"][0][0]
        pair[1] = _other_point(pair[1])

    def added(b):
        ballot = crypto.encrypt_ballot(params, [0, 0])
        b["ballots"].append({"tracker": crypto.tracker(ballot), "ballot": ballot})

    def count(b):
        b["counts"][0][0] += 1

    def proof(b):
        c, s = b["decryptions"][0]["proofs"][0][0]
        b["decryptions"][0]["proofs"][0][0] = [c, crypto.s_add(bytes.fromhex(s),
                                                               crypto.scalar(1)).hex()]

    # name -> (the bundle, what the verifier must say of it)
    return {"a changed ciphertext": (changed(ciphertext), "ballot 1: proof"),
            "a removed ballot": (changed(lambda b: b["ballots"].pop()), "sums:"),
            "an added ballot": (changed(added), "sums:"),
            "a changed count": (changed(count), "counts:"),
            "a digest other than the minutes'": (
                changed(lambda b: b.update(digest="0" * 64)), "digest:"),
            "a wrong decryption proof": (changed(proof), "decryption_proof")}


@pytest.fixture
def counted(meeting, factory, db):  # noqa: F811 (the imported fixture)
    """A counted round (3 voters with accounts, 2 people voted on), and its voters' trackers."""
    m = meeting(voters=3, candidates=2, ballots=[list(b) for b in BALLOTS],
                state=RoundStatus.COUNTED)
    users = [factory.user(f"phuctra{i}", roles=(Role.VOTER,), unit=m.unit, person=p)
             for i, p in enumerate(m.voters)]
    return m, users


def test_the_published_box_verifies_and_a_voter_finds_their_tracker(app, counted, db,
                                                                    tmp_path):
    m, users = counted
    rid = m.round_id
    voter = login(app, users[1])
    response = voter.get(f"/ballots/{rid}/box.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    bundle = json.loads(response.get_data(as_text=True))
    path = tmp_path / "box.json"
    path.write_bytes(response.get_data())

    (cli_code, cli_out), (alone_code, alone_out) = both_verifiers(app, path)
    assert cli_code == 0, cli_out
    # The digest the minutes print is the published box's, and both verifiers say it.
    assert bundle["digest"] == m.reload().box_digest
    assert bundle["digest"] in cli_out
    assert alone_code == 0, alone_out
    assert alone_out.startswith(f"OK: 3 ballots, fingerprint {bundle['fingerprint']}, "
                                f"digest {bundle['digest']}")
    assert bundle["counts"] == [[1, 1, 1], [1, 0, 2]]

    # The voter's tracker (what their cast returned) is in the bundle and on the list.
    own = m.trackers[1]
    assert own in {entry["tracker"] for entry in bundle["ballots"]}
    listed = voter.get(f"/ballots/{rid}/trackers").get_data(as_text=True)
    assert all(receipts.grouped(t) in listed for t in m.trackers)
    found = voter.get(f"/ballots/{rid}/trackers?q={own[:12]}").get_data(as_text=True)
    assert receipts.grouped(own) in found

    params = bundle["parameters"]
    for name, (bad, said) in _tampered(bundle, params).items():
        path = tmp_path / f"{name.replace(' ', '-')}.json"
        path.write_text(json.dumps(bad), encoding="utf-8")
        (cli_code, cli_out), (alone_code, alone_out) = both_verifiers(app, path)
        assert cli_code == 1, (name, cli_out)
        assert alone_code == 1, (name, alone_out)
        assert said in alone_out and said in cli_out, (name, alone_out, cli_out)
        assert crypto.verify_bundle(bad), name


def test_the_counting_team_sets_unlocks_and_counts_through_the_pages(app, factory, db):
    unit = factory.unit("Huyện ủy Thanh Liêm")
    voters = make_people(unit, 3, prefix="Cử tri kiểm phiếu")
    candidates = make_people(unit, 2, prefix="Ứng viên kiểm phiếu")
    members = [factory.user(f"tokiemphieu{i}", roles=(Role.COUNTER,), unit=unit,
                            full_name=f"Thành viên Tổ {i}") for i in range(1, 4)]
    round_ = builder.create(builder.RoundPlan(
        unit=unit, candidates=candidates, voters=voters, scale=Scale.THREE_LEVEL,
        counter_head=members[0], counters=members[1:], key_holders=()))
    rid = round_.id
    devices = [login(app, member) for member in members]
    passphrases = [f"mật khẩu riêng của tổ viên {i}" for i in range(1, 4)]

    def locks() -> int:
        return db.session.execute(select(func.count()).select_from(BoxLock)).scalar_one()

    # Two passphrases that differ: refused, nothing stored.
    response = devices[0].post(f"/ballots/{rid}/keys", data={
        "holder": "Thành viên Tổ 1", "passphrase": passphrases[0],
        "confirmation": passphrases[0] + "!"})
    assert response.status_code == 422 and locks() == 0
    for device, member, passphrase in zip(devices, members, passphrases, strict=True):
        response = device.post(f"/ballots/{rid}/keys", data={
            "holder": member.full_name, "passphrase": passphrase, "confirmation": passphrase})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert locks() == 3
    page = devices[0].get(f"/ballots/{rid}/keys").get_data(as_text=True)
    assert all(member.full_name in page for member in members)
    assert not any(p in page for p in passphrases)

    # The meeting: attendance, voting opens (the key is dealt to the three locks), votes, close.
    round_ = services.get_round(rid)
    builder.advance(round_, RoundStatus.VOTING)
    for voter, levels in zip(voters, BALLOTS, strict=True):
        services.cast_ballot(voter, round_, builder.marks(round_, levels))
        db.session.commit()
    builder.advance(round_, RoundStatus.CLOSED)
    key = services.round_key(services.get_round(rid))
    assert (key.threshold, [h.number for h in key.holders]) == (2, [1, 2, 3])

    def decryptions() -> int:
        return db.session.execute(select(func.count()).select_from(BoxDecryption)).scalar_one()

    def count_refused(done: int) -> None:
        response = devices[1].post(f"/ballots/{rid}/count")
        assert response.status_code == 409
        expected = vietnamese("The box opens when %(k)s of the %(n)s members of the counting "
                              "team have unlocked their shares; %(done)s have so far.",
                              k=2, n=3, done=done)
        assert expected in response.get_data(as_text=True)
        assert services.get_round(rid).status is RoundStatus.CLOSED

    count_refused(0)
    # A wrong passphrase: refused, nothing stored.
    response = devices[0].post(f"/ballots/{rid}/keys/unlock", data={
        "number": "1", "passphrase": passphrases[1]})
    assert response.status_code == 422
    assert vietnamese("This passphrase does not open the share of %(holder)s.",
                      holder=members[0].full_name) in response.get_data(as_text=True)
    assert decryptions() == 0
    assert devices[0].post(f"/ballots/{rid}/keys/unlock", data={
        "number": "1", "passphrase": passphrases[0]}).status_code == 302
    count_refused(1)
    assert devices[2].post(f"/ballots/{rid}/keys/unlock", data={
        "number": "3", "passphrase": passphrases[2]}).status_code == 302
    assert decryptions() == 2
    assert devices[1].post(f"/ballots/{rid}/count").status_code == 302
    round_ = services.get_round(rid)
    assert round_.status is RoundStatus.COUNTED
    got = [[c.counts[Level(level)] for level in (HIGH, CONF, LOW)]
           for c in services.tally_of(round_).candidates]
    assert got == [[1, 1, 1], [1, 0, 2]]


def test_a_member_keeps_a_key_file_instead_of_a_passphrase(app, factory, db):
    """The key file is given once and never stored; it opens its share, another file does not,
    and what is not a key file is refused in Vietnamese."""
    import io

    unit = factory.unit("Huyện ủy Kim Bảng")
    voters = make_people(unit, 3, prefix="Cử tri tệp khóa")
    candidates = make_people(unit, 2, prefix="Ứng viên tệp khóa")
    member = factory.user("tokiemphieutep", roles=(Role.COUNTER,), unit=unit,
                          full_name="Thành viên Giữ Tệp")
    round_ = builder.create(builder.RoundPlan(
        unit=unit, candidates=candidates, voters=voters, counter_head=member,
        key_holders=(("Thành viên Mật Khẩu", "mật khẩu thành viên thứ nhất"),),
        key_threshold=None))
    rid = round_.id
    device = login(app, member)
    response = device.post(f"/ballots/{rid}/keys/file",
                           data={"file_holder": "Thành viên Giữ Tệp"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "attachment" in response.headers["Content-Disposition"]
    key_file = response.get_data()
    key_hex = key_file.decode().strip().splitlines()[-1]
    assert len(bytes.fromhex(key_hex)) == 32
    # The file is the only copy: its key is nowhere in the database.
    lock = db.session.execute(select(BoxLock).where(BoxLock.number == 2)).scalar_one()
    assert key_hex not in (lock.salt, lock.public_key) and lock.holder == "Thành viên Giữ Tệp"

    round_ = services.get_round(rid)
    builder.advance(round_, RoundStatus.VOTING)  # two keys: a majority is both
    for voter, levels in zip(voters, BALLOTS, strict=True):
        services.cast_ballot(voter, round_, builder.marks(round_, levels))
        db.session.commit()
    builder.advance(round_, RoundStatus.CLOSED)

    def unlock(content: bytes):
        return device.post(f"/ballots/{rid}/keys/unlock", content_type="multipart/form-data",
                           data={"number": "2", "key_file": (io.BytesIO(content), "khoa.txt")})

    other = key_file.decode().replace(key_hex, "ab" * 32).encode()
    refused = unlock(other)
    assert refused.status_code == 422
    assert vietnamese("This key file does not open the share of %(holder)s.",
                      holder="Thành viên Giữ Tệp") in refused.get_data(as_text=True)
    assert unlock(b"not a key file at all").status_code == 422
    assert db.session.execute(select(func.count()).select_from(BoxDecryption)).scalar_one() == 0
    assert unlock(key_file).status_code == 302
    builder.unlock(services.get_round(rid), [1])
    assert device.post(f"/ballots/{rid}/count").status_code == 302
    got = [[c.counts[Level(level)] for level in (HIGH, CONF, LOW)]
           for c in services.tally_of(services.get_round(rid)).candidates]
    assert got == [[1, 1, 1], [1, 0, 2]]
