"""evalapp.box.crypto on its own: real encryption, real proofs, real libsodium. Pure (no
database, no app): small boxes of 2–4 lines keep the whole file fast.

Forged ballots are built here from crypto's own pieces (the encryption and the prover), with
plaintexts a browser would never send, so that the only thing wrong with them is what each
test names; `forge` with honest plaintexts makes a ballot that is accepted, which is what makes
each refusal mean something.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from evalapp.box import crypto
from evalapp.box.crypto import BadBallot

CRYPTO_FILE = Path(crypto.__file__)
SCALES = {2: ["yes", "no"], 3: ["high", "confidence", "low"],
          4: ["excellent", "good", "done", "not_done"]}


@pytest.fixture(autouse=True)
def db():
    """These tests need neither the app nor a database (overrides the suite's fixture)."""
    yield None


def make_box(levels: int = 3, lines: int = 2, n: int = 3, k: int = 2, box: int = 1):
    dealt = crypto.deal(n, k)
    params = crypto.parameters(box=box, owner="ballot_round", levels=SCALES[levels],
                               lines=lines, public_key=dealt.public_key, threshold=k,
                               verification_keys=dealt.verification_keys)
    return dealt, params


def decrypt(params: dict, dealt, ballots: list[dict], numbers) -> list[list[int]]:
    sums = crypto.sums(params, ballots)
    partials = [crypto.partial_decryption(params, i, dealt.shares[i], sums) for i in numbers]
    for partial in partials:
        crypto.check_partial_decryption(params, sums, partial)
    return crypto.combine(params, sums, partials, len(ballots))


def forge(params: dict, plaintexts: list[list[int]]) -> dict:
    """A ballot whose ciphertexts hold `plaintexts` (any integers), each with the proofs an
    honest prover would make from the real randomness: a 0/1 proof claiming the nearer of 0
    and 1, a line proof claiming the line holds 1. Every proof whose claim is true holds."""
    key = bytes.fromhex(params["public_key"])
    ciphertexts, randomness = [], []
    for row in plaintexts:
        pairs, rs = [], []
        for m in row:
            r = crypto.random_scalar()
            pairs.append([crypto.base_mul(r).hex(),
                          crypto.add(crypto.base_mul(crypto.scalar(m)), crypto.mul(r, key)).hex()])
            rs.append(r)
        ciphertexts.append(pairs)
        randomness.append(rs)
    prefix = crypto.ballot_prefix(crypto.fingerprint(params), ciphertexts)
    proofs, line_proofs = [], []
    for row, pairs, rs in zip(plaintexts, ciphertexts, randomness, strict=True):
        proofs.append([crypto._prove_one_of(prefix, key, bytes.fromhex(a), bytes.fromhex(b), r,
                                            (0, 1), 1 if m >= 1 else 0)
                       for m, (a, b), r in zip(row, pairs, rs, strict=True)])
        alpha, beta = crypto._sum_pairs(pairs)
        r_sum = crypto.scalar(0)
        for r in rs:
            r_sum = crypto.s_add(r_sum, r)
        line_proofs.append(crypto._prove_one_of(prefix, key, alpha, beta, r_sum, (1,), 0))
    return {"ciphertexts": ciphertexts, "proofs": proofs, "line_proofs": line_proofs}


def reason(params: dict, ballot) -> str:
    with pytest.raises(BadBallot) as caught:
        crypto.check_ballot(params, ballot)
    return caught.value.reason


# ---------------------------------------------------------------- known votes


@pytest.mark.parametrize("levels", [3, 2, 4])
def test_known_votes_come_out_of_the_encrypted_box(levels):
    rng = random.Random(levels)
    lines, voters = 3, 7
    dealt, params = make_box(levels, lines, n=3, k=2)
    cast = [[rng.randrange(levels) for _ in range(lines)] for _ in range(voters)]
    ballots = [crypto.check_ballot(params, crypto.encrypt_ballot(params, choices))
               for choices in cast]
    expected = [[sum(1 for c in cast if c[j] == level) for level in range(levels)]
                for j in range(lines)]
    assert decrypt(params, dealt, ballots, [1, 3]) == expected
    assert decrypt(params, dealt, ballots, [2, 3]) == expected
    assert all(sum(row) == voters for row in expected)


def test_every_ballot_of_a_box_has_the_same_size_whatever_it_marks():
    _dealt, params = make_box(3, 2)
    sizes = {len(json.dumps(crypto.encrypt_ballot(params, choices)))
             for choices in itertools.product(range(3), repeat=2)}
    assert len(sizes) == 1


# ---------------------------------------------------------------- refused ballots


def test_the_forging_helper_makes_accepted_ballots_from_honest_plaintexts():
    _dealt, params = make_box(3, 2)
    ballot = forge(params, [[0, 1, 0], [0, 0, 1]])
    assert crypto.check_ballot(params, ballot) == ballot
    assert crypto.check_ballot(params, crypto.encrypt_ballot(params, [2, 0])) is not None


@pytest.mark.parametrize("line", [
    [1, 1, 0],    # two marks on a line: each 0/1 proof holds, the line proof cannot
    [0, 0, 0],    # no mark: the same
    [2, -1, 0],   # a 2 and a −1: the line sums to 1 (its proof holds), the 0/1 proofs cannot
    [2, 0, 0],    # a 2 alone
    [-1, 1, 1],   # a −1 paying for two marks
])
def test_a_ballot_with_a_line_outside_one_mark_is_refused(line):
    _dealt, params = make_box(3, 2)
    assert reason(params, forge(params, [[0, 1, 0], line])) == "proof"


def test_the_line_of_two_minus_one_has_an_honest_line_proof_and_fails_on_its_marks():
    """Which proof refuses [2, −1, 0]: its line proof holds (the sum is 1), so the refusal
    comes from the 0/1 proofs alone."""
    _dealt, params = make_box(3, 1)
    ballot = forge(params, [[2, -1, 0]])
    prefix = crypto.ballot_prefix(crypto.fingerprint(params), ballot["ciphertexts"])
    key = bytes.fromhex(params["public_key"])
    pairs = [(bytes.fromhex(a), bytes.fromhex(b)) for a, b in ballot["ciphertexts"][0]]
    alpha, beta = crypto._sum_pairs(pairs)
    crypto._verify_one_of(prefix, key, alpha, beta, (1,), ballot["line_proofs"][0])
    with pytest.raises(BadBallot):
        crypto._verify_one_of(prefix, key, *pairs[0], (0, 1), ballot["proofs"][0][0])
    with pytest.raises(BadBallot):
        crypto._verify_one_of(prefix, key, *pairs[1], (0, 1), ballot["proofs"][0][1])
    crypto._verify_one_of(prefix, key, *pairs[2], (0, 1), ballot["proofs"][0][2])


def test_a_ballot_made_for_another_box_is_refused():
    dealt, params = make_box(3, 2, box=1)
    other = crypto.parameters(box=2, owner="ballot_round", levels=SCALES[3], lines=2,
                              public_key=dealt.public_key, threshold=2,
                              verification_keys=dealt.verification_keys)
    ballot = crypto.encrypt_ballot(other, [0, 1])
    assert crypto.check_ballot(other, ballot) == ballot
    assert reason(params, ballot) == "proof"


def test_a_line_lifted_from_another_ballot_is_refused():
    _dealt, params = make_box(3, 2)
    first, second = (crypto.encrypt_ballot(params, [0, 1]), crypto.encrypt_ballot(params, [2, 2]))
    mixed = copy.deepcopy(second)
    for part in ("ciphertexts", "proofs", "line_proofs"):
        mixed[part][0] = first[part][0]
    assert reason(params, mixed) == "proof"


def test_a_single_ciphertext_copied_into_another_ballot_is_refused():
    """A voter replaying another voter's mark (same α, β and its own proof)."""
    _dealt, params = make_box(3, 2)
    victim, replayer = crypto.encrypt_ballot(params, [1, 0]), crypto.encrypt_ballot(params, [1, 2])
    replayer["ciphertexts"][0][1] = victim["ciphertexts"][0][1]
    replayer["proofs"][0][1] = victim["proofs"][0][1]
    assert reason(params, replayer) == "proof"


# ristretto255 encodings that are not canonical: the field element p = 2^255 − 19 (zero, not
# reduced), an odd ("negative") s, and 2^255 − 1.
NON_CANONICAL = ["ed" + "ff" * 30 + "7f", "01" + "00" * 31, "ff" * 32]


@pytest.mark.parametrize("encoding", NON_CANONICAL)
@pytest.mark.parametrize("where", [0, 1])
def test_a_non_canonical_point_is_refused(encoding, where):
    _dealt, params = make_box(3, 2)
    ballot = crypto.encrypt_ballot(params, [0, 1])
    ballot["ciphertexts"][1][2][where] = encoding
    assert reason(params, ballot) == "point"


def test_a_scalar_of_order_or_more_is_refused_though_it_acts_as_its_remainder():
    _dealt, params = make_box(3, 2)
    ballot = crypto.encrypt_ballot(params, [0, 1])
    response = crypto.number(bytes.fromhex(ballot["proofs"][0][0][1][1]))
    ballot["proofs"][0][0][1][1] = (response + crypto.ORDER).to_bytes(32, "little").hex()
    assert reason(params, ballot) == "scalar"
    challenge = crypto.number(bytes.fromhex(ballot["line_proofs"][1][0][0]))
    fresh = crypto.encrypt_ballot(params, [0, 1])
    fresh["line_proofs"][1][0][0] = (challenge + crypto.ORDER).to_bytes(32, "little").hex()
    assert reason(params, fresh) == "scalar"
    assert crypto.check_ballot(params, crypto.encrypt_ballot(params, [0, 1]))


def _shapes(ballot: dict):
    def changed(edit):
        b = copy.deepcopy(ballot)
        edit(b)
        return b
    yield "not a dict", [ballot]
    yield "missing field", {k: v for k, v in ballot.items() if k != "line_proofs"}
    yield "extra field", {**ballot, "choices": [0, 1]}
    yield "a line fewer", changed(lambda b: [b[p].pop() for p in b])
    yield "a line more", changed(lambda b: [b[p].append(b[p][0]) for p in b])
    yield "a level fewer", changed(lambda b: b["ciphertexts"][0].pop())
    yield "a pair of three", changed(
        lambda b: b["ciphertexts"][0][0].append(b["ciphertexts"][0][0][0]))
    yield "a point as number", changed(lambda b: b["ciphertexts"][0][0].__setitem__(0, 7))
    yield "upper-case hex", changed(lambda b: b["ciphertexts"][0][0].__setitem__(
        0, b["ciphertexts"][0][0][0].upper()))
    yield "short hex", changed(lambda b: b["ciphertexts"][0][0].__setitem__(
        0, b["ciphertexts"][0][0][0][:62]))
    yield "a proof of one branch", changed(lambda b: b["proofs"][0][0].pop())
    yield "a proof pair of three", changed(lambda b: b["proofs"][0][0][0].append("00" * 32))
    yield "a proof row short", changed(lambda b: b["proofs"][1].pop())
    yield "a line proof of two", changed(
        lambda b: b["line_proofs"][0].append(b["line_proofs"][0][0]))
    yield "ciphertexts not a list", {**ballot, "ciphertexts": "x"}


def test_ballots_of_the_wrong_shape_are_refused_with_a_reason_and_no_crash():
    _dealt, params = make_box(3, 2)
    ballot = crypto.encrypt_ballot(params, [0, 1])
    refused = {}
    for name, bad in _shapes(ballot):
        refused[name] = reason(params, bad)
    assert set(refused.values()) <= {"shape", "encoding", "proof_shape"}, refused
    assert len(refused) == 15
    assert crypto.check_ballot(params, ballot) == ballot


# ---------------------------------------------------------------- threshold decryption


def _threshold_box():
    rng = random.Random(5)
    dealt, params = make_box(3, 2, n=5, k=3)
    cast = [[rng.randrange(3) for _ in range(2)] for _ in range(4)]
    ballots = [crypto.encrypt_ballot(params, c) for c in cast]
    expected = [[sum(1 for c in cast if c[j] == level) for level in range(3)] for j in range(2)]
    sums = crypto.sums(params, ballots)
    partials = {i: crypto.partial_decryption(params, i, dealt.shares[i], sums)
                for i in range(1, 6)}
    return dealt, params, ballots, sums, partials, expected


def test_any_three_of_five_guardians_decrypt():
    _dealt, params, ballots, sums, partials, expected = _threshold_box()
    subsets = list(itertools.combinations(range(1, 6), 3))
    assert len(subsets) == 10
    for subset in subsets:
        assert crypto.combine(params, sums, [partials[i] for i in subset], len(ballots)) == expected
    # more than k given: still right; a guardian given twice counts once
    assert crypto.combine(params, sums, list(partials.values()), len(ballots)) == expected
    doubled = [partials[1], partials[1], partials[4], partials[5]]
    assert crypto.combine(params, sums, doubled, len(ballots)) == expected


def test_two_of_five_guardians_cannot_decrypt():
    """With k−1 shares the interpolated key is not the box's key (checked on the keys
    themselves), so β − x'·α is a point unrelated to any count: the small discrete log finds
    no count (the chance that it lands among the 5 table points is about 5/ℓ)."""
    dealt, params, ballots, sums, partials, _expected = _threshold_box()
    with pytest.raises(BadBallot) as caught:
        crypto.combine(params, sums, [partials[1], partials[2]], len(ballots))
    assert caught.value.reason == "too_few_decryptions"
    forced = {**params, "threshold": 2}
    for pair in itertools.combinations(range(1, 6), 2):
        coefficients = crypto.lagrange(list(pair))
        key = crypto.IDENTITY
        for i in pair:
            key = crypto.add(key, crypto.mul(coefficients[i], dealt.verification_keys[i]))
        assert key != dealt.public_key
        with pytest.raises(BadBallot) as caught:
            crypto.combine(forced, sums, [partials[i] for i in pair], len(ballots))
        assert caught.value.reason == "dlog"


def test_a_wrong_partial_decryption_is_detected():
    dealt, params, ballots, sums, partials, _expected = _threshold_box()
    for partial in partials.values():
        crypto.check_partial_decryption(params, sums, partial)

    changed = copy.deepcopy(partials[1])
    g = crypto.base_mul(crypto.scalar(1))
    changed["factors"][1][2] = crypto.add(bytes.fromhex(changed["factors"][1][2]), g).hex()
    relabelled = {**partials[2], "number": 1}
    other_sums = crypto.sums(params, ballots[:3])
    stale = crypto.partial_decryption(params, 3, dealt.shares[3], other_sums)
    wrong_share = crypto.partial_decryption(params, 4, dealt.shares[5], sums)
    unknown = {**partials[5], "number": 6}
    for bad, why in [(changed, "decryption_proof"), (relabelled, "decryption_proof"),
                     (stale, "decryption_proof"), (wrong_share, "decryption_proof"),
                     (unknown, "decryption_guardian"),
                     ({**partials[1], "factors": []}, "decryption_shape")]:
        with pytest.raises(BadBallot) as caught:
            crypto.check_partial_decryption(params, sums, bad)
        assert caught.value.reason == why
    # unchecked, the changed factor would have changed the count (or broken it)
    try:
        wrong = crypto.combine(params, sums, [changed, partials[2], partials[3]], 10)
    except BadBallot as error:
        wrong = error.reason
    assert wrong != _expected


# ---------------------------------------------------------------- locks and keys

CHEAP = {"opslimit": 1, "memlimit": 8192}  # Argon2id's smallest limits: the same code path


def test_the_passphrase_opens_the_share_and_no_other_does():
    share = crypto.random_scalar()
    lock = crypto.make_lock("tổ kiểm phiếu 2026", **CHEAP)
    sealed = crypto.seal_share(share, lock.public_key)
    assert share not in sealed and len(sealed) == 32 + 48
    assert crypto.open_share(sealed, lock, "tổ kiểm phiếu 2026") == share
    assert crypto.open_share(sealed, lock, "tổ kiểm phiếu 2025") is None
    assert crypto.open_share(sealed, lock, "") is None
    other = crypto.make_lock("tổ kiểm phiếu 2026", **CHEAP)
    assert other.salt != lock.salt and other.public_key != lock.public_key


def test_nfc_and_nfd_forms_of_a_vietnamese_passphrase_open_the_same_share():
    phrase = "Nguyễn Thị Hoà, Đắk Lắk, phiếu tín nhiệm"
    nfc, nfd = unicodedata.normalize("NFC", phrase), unicodedata.normalize("NFD", phrase)
    assert nfc != nfd
    share = crypto.random_scalar()
    lock = crypto.make_lock(nfd, **CHEAP)
    sealed = crypto.seal_share(share, lock.public_key)
    assert crypto.open_share(sealed, lock, nfc) == share
    assert crypto.open_share(sealed, lock, nfd) == share


def test_a_key_file_opens_the_share_and_another_file_does_not():
    key_file, other_file = bytes(range(32)), bytes(range(1, 33))
    share = crypto.random_scalar()
    lock = crypto.make_lock(key_file, **CHEAP)
    sealed = crypto.seal_share(share, lock.public_key)
    assert crypto.open_share(sealed, lock, key_file) == share
    assert crypto.open_share(sealed, lock, other_file) is None


def test_verification_keys_accept_a_dealt_key_and_refuse_a_changed_one():
    dealt = crypto.deal(5, 3)
    keys = dict(dealt.verification_keys)
    assert crypto.check_verification_keys(dealt.public_key, keys, 3)
    for number in keys:
        changed = {**keys, number: crypto.add(keys[number], crypto.base_mul(crypto.scalar(1)))}
        assert not crypto.check_verification_keys(dealt.public_key, changed, 3)
    assert not crypto.check_verification_keys(crypto.base_mul(crypto.scalar(7)), keys, 3)
    assert not crypto.check_verification_keys(dealt.public_key, keys, 6)


# ---------------------------------------------------------------- the published box


def make_bundle(ballots_count: int = 5) -> tuple[dict, object, dict]:
    rng = random.Random(9)
    dealt, params = make_box(3, 2, n=5, k=3)
    cast = [[rng.randrange(3) for _ in range(2)] for _ in range(ballots_count)]
    ballots = [crypto.encrypt_ballot(params, c) for c in cast]
    sums = crypto.sums(params, ballots)
    partials = [crypto.partial_decryption(params, i, dealt.shares[i], sums) for i in (1, 3, 4)]
    counts = crypto.combine(params, sums, partials, len(ballots))
    bundle = {"parameters": params, "fingerprint": crypto.fingerprint(params),
              "ballots": [{"tracker": crypto.tracker(b), "ballot": b} for b in ballots],
              "sums": sums, "decryptions": partials, "counts": counts}
    expected = [[sum(1 for c in cast if c[j] == level) for level in range(3)] for j in range(2)]
    assert counts == expected
    return bundle, dealt, params


@pytest.fixture(scope="module")
def bundle_parts():
    return make_bundle()


def _add_ballot(bundle, params, recompute_sums: bool):
    extra = crypto.encrypt_ballot(params, [0, 0])
    bundle["ballots"].append({"tracker": crypto.tracker(extra), "ballot": extra})
    if recompute_sums:
        bundle["sums"] = crypto.sums(params, [e["ballot"] for e in bundle["ballots"]])


def _mutations(params):
    other_point = crypto.base_mul(crypto.random_scalar()).hex()

    def set_beta(b):
        b["ballots"][2]["ballot"]["ciphertexts"][1][0][1] = other_point

    def set_tracker(b):
        b["ballots"][0]["tracker"] = "0" * 64

    def wrong_proof(b):
        b["decryptions"][0]["proofs"][0][1][1] = crypto.random_scalar().hex()

    def change_parameter(b):
        b["parameters"]["levels"] = ["high", "low", "confidence"]

    def change_threshold(b):
        b["parameters"]["threshold"] = 2
        b["fingerprint"] = crypto.fingerprint(b["parameters"])

    def change_count(b):
        b["counts"][0][0] += 1
        b["counts"][0][1] -= 1

    return {
        "changed ciphertext": (set_beta, "ballot 3: proof"),
        "removed ballot": (lambda b: b["ballots"].pop(1), "sums:"),
        "added ballot": (lambda b: _add_ballot(b, params, False), "sums:"),
        "added ballot, sums redone": (lambda b: _add_ballot(b, params, True), "decryption 1:"),
        "duplicated ballot": (lambda b: b["ballots"].append(b["ballots"][0]),
                              "ballot 6: a copy"),
        "changed tracker": (set_tracker, "ballot 1: its tracker"),
        "changed count": (change_count, "counts:"),
        "wrong decryption proof": (wrong_proof, "decryption 1: decryption_proof"),
        "other guardian's proof": (
            lambda b: b["decryptions"][0].__setitem__("number", 2), "decryption 2:"),
        "changed parameter": (change_parameter, "fingerprint:"),
        "changed threshold, new fingerprint": (change_threshold, "ballot 1: proof"),
        "too few decryptions": (lambda b: b["decryptions"].pop(), "counts: too_few"),
        "not a bundle": (lambda b: b.pop("sums"), "format:"),
    }


def test_verify_bundle_passes_on_a_good_bundle(bundle_parts):
    bundle, _dealt, _params = bundle_parts
    assert crypto.verify_bundle(copy.deepcopy(bundle)) == []


@pytest.mark.parametrize("name", list(_mutations({})))
def test_verify_bundle_names_each_fault(bundle_parts, name):
    bundle, _dealt, params = bundle_parts
    edit, expected = _mutations(params)[name]
    bad = copy.deepcopy(bundle)
    edit(bad)
    problems = crypto.verify_bundle(bad)
    assert any(problem.startswith(expected) for problem in problems), problems


def _run_standalone(tmp_path: Path, bundle: dict) -> subprocess.CompletedProcess:
    """crypto.py copied alone into an empty directory and run there in isolated mode (-I: no
    script directory, no PYTHONPATH, no user site) through a wrapper that runs it as __main__
    and then lists every evalapp module the interpreter imported."""
    script = tmp_path / "crypto.py"
    script.write_text(CRYPTO_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    wrapper = (
        "import runpy, sys\n"
        f"sys.argv = [{str(script)!r}, {str(path)!r}]\n"
        "try:\n"
        "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
        "    code = 0\n"
        "except SystemExit as exit_:\n"
        "    code = exit_.code\n"
        "print('EVALAPP MODULES', sorted(m for m in sys.modules if m.split('.')[0] == 'evalapp'))\n"
        "sys.exit(code)\n")
    return subprocess.run([sys.executable, "-I", "-c", wrapper], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)


def test_the_standalone_verifier_exits_0_on_a_good_bundle_and_1_on_a_bad_one(tmp_path,
                                                                           bundle_parts):
    bundle, _dealt, _params = bundle_parts
    good = _run_standalone(tmp_path, bundle)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.startswith("OK: 5 ballots, fingerprint " + bundle["fingerprint"])
    assert "EVALAPP MODULES []" in good.stdout
    bad_bundle = copy.deepcopy(bundle)
    bad_bundle["counts"][1][0] += 1
    bad = _run_standalone(tmp_path, bad_bundle)
    assert bad.returncode == 1
    assert "counts: the published counts are not the decrypted sums" in bad.stdout
    assert "EVALAPP MODULES []" in bad.stdout


def test_the_standalone_verifier_is_a_script_as_given(tmp_path, bundle_parts):
    """The very command the docs give: python -I evalapp/box/crypto.py BUNDLE.json."""
    bundle, _dealt, _params = bundle_parts
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    run = subprocess.run([sys.executable, "-I", str(CRYPTO_FILE), str(path)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    path.write_text("[1, 2", encoding="utf-8")
    broken = subprocess.run([sys.executable, "-I", str(CRYPTO_FILE), str(path)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert broken.returncode == 1
    assert "format" in broken.stdout
