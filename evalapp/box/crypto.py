"""The encrypted ballot box's cryptography: exponential ElGamal over ristretto255 with
zero-knowledge proofs, following the Belenios specification (docs/crypto.md names every
deviation), through libsodium's ristretto255 functions (pysodium).

This file imports nothing of evalapp: it is also the standalone verifier of a published box,

    python evalapp/box/crypto.py BUNDLE.json

which re-checks every proof, recomputes the sums and the counts, and exits 0 only if all hold.

Notation (additive, as the group is written in libsodium): G the base point, ℓ the group order,
the box's public key Y = x·G; a ciphertext of m with randomness r is (α, β) = (r·G, m·G + r·Y).
Points are 32-byte ristretto255 encodings and scalars 32-byte little-endian, both in lower-case
hex (64 characters): every ballot of a box has the same size whatever it says.

Formats (JSON, all hex strings):
- parameters: {"version", "group", "box", "owner", "levels": [level keys], "lines": n,
  "public_key": Y, "threshold": k, "guardians": [{"number": i, "verification_key": X_i}]};
  its fingerprint is the SHA-256 of its canonical JSON.
- ballot: {"ciphertexts": [[[α, β] per level] per line],
           "proofs": [[[[c0, s0], [c1, s1]] per level] per line],   (each holds 0 or 1)
           "line_proofs": [[[c, s]] per line]}                       (each line sums to 1)
  its tracker is the SHA-256 of its canonical JSON.
- partial decryption of guardian i: {"number": i, "factors": [[D per level] per line],
  "proofs": [[[c, s] per level] per line]}, D = x_i·Σα.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import secrets
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pysodium as na

VERSION = "evalapp-box-1"
GROUP = "ristretto255"
ORDER = 2**252 + 27742317777372353535851937790883648493  # ℓ, the order of ristretto255
IDENTITY = bytes(32)
_HEX = frozenset("0123456789abcdef")


class BadBallot(ValueError):
    """A ballot, proof or decryption that does not verify. The reason is a short key
    (`reason`), never the ballot's content."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------- the group
#
# Every group operation is one call into libsodium, the library pysodium loaded and
# initialised (pysodium.sodium): no other implementation of ristretto255 is used. The calls go
# through ctypes directly rather than through pysodium's wrappers (which check lengths in
# Python and raise on libsodium's refusals), with a fresh 32-byte output buffer each (no
# buffer is shared, so threads are safe); this module checks lengths itself, because libsodium
# reads 32 bytes whatever it is given. libsodium's own cost dominates: a variable-base scalar
# multiplication is ≈ 90 µs here and an addition ≈ 23 µs (each decodes and re-encodes its
# points), so what saves time is calling it less often (docs/crypto.md, "Cost").

_sodium = na.sodium
_scalarmult = _sodium.crypto_scalarmult_ristretto255
_scalarmult_base = _sodium.crypto_scalarmult_ristretto255_base
_add = _sodium.crypto_core_ristretto255_add
_sub = _sodium.crypto_core_ristretto255_sub
_is_valid_point = _sodium.crypto_core_ristretto255_is_valid_point
_scalar_add = _sodium.crypto_core_ristretto255_scalar_add
_scalar_sub = _sodium.crypto_core_ristretto255_scalar_sub
_scalar_mul = _sodium.crypto_core_ristretto255_scalar_mul
_scalar_reduce = _sodium.crypto_core_ristretto255_scalar_reduce
_scalar_random = _sodium.crypto_core_ristretto255_scalar_random
_buffer = ctypes.create_string_buffer


def _sized(*values: bytes) -> None:
    for value in values:
        if type(value) is not bytes or len(value) != 32:
            raise BadBallot("encoding")


def scalar(n: int) -> bytes:
    return (n % ORDER).to_bytes(32, "little")


def number(s: bytes) -> int:
    return int.from_bytes(s, "little")


def random_scalar() -> bytes:
    out = _buffer(32)
    _scalar_random(out)
    return out.raw


def base_mul(s: bytes) -> bytes:
    """s·G (the identity for s ≡ 0, which libsodium refuses to return)."""
    _sized(s)
    out = _buffer(32)
    if _scalarmult_base(out, s) != 0:
        return IDENTITY
    return out.raw


def mul(s: bytes, point_: bytes) -> bytes:
    """s·P (the identity when the product is, which libsodium refuses to return);
    BadBallot("point") if P is not a point."""
    _sized(s, point_)
    out = _buffer(32)
    if _scalarmult(out, s, point_) != 0:
        if point_ != IDENTITY and _is_valid_point(point_) != 1:
            raise BadBallot("point")
        return IDENTITY
    return out.raw


def add(p: bytes, q: bytes) -> bytes:
    _sized(p, q)
    out = _buffer(32)
    if _add(out, p, q) != 0:
        raise BadBallot("point")
    return out.raw


def sub(p: bytes, q: bytes) -> bytes:
    _sized(p, q)
    out = _buffer(32)
    if _sub(out, p, q) != 0:
        raise BadBallot("point")
    return out.raw


def s_add(a: bytes, b: bytes) -> bytes:
    _sized(a, b)
    out = _buffer(32)
    _scalar_add(out, a, b)
    return out.raw


def s_sub(a: bytes, b: bytes) -> bytes:
    _sized(a, b)
    out = _buffer(32)
    _scalar_sub(out, a, b)
    return out.raw


def s_mul(a: bytes, b: bytes) -> bytes:
    _sized(a, b)
    out = _buffer(32)
    _scalar_mul(out, a, b)
    return out.raw


G = base_mul(scalar(1))  # the base point


def times_g(m: int) -> bytes:
    """m·G, without a multiplication for the plaintexts a ballot holds (0 and 1)."""
    return IDENTITY if m == 0 else G if m == 1 else base_mul(scalar(m))


def minus_g(point_: bytes, m: int) -> bytes:
    """P − m·G (P itself for m = 0)."""
    return point_ if m == 0 else sub(point_, times_g(m))


def point(text: object) -> bytes:
    """A point from its hex encoding; BadBallot if it is not a canonical ristretto255 one."""
    raw = _raw(text)
    if raw != IDENTITY and _is_valid_point(raw) != 1:
        raise BadBallot("point")
    return raw


def scalar_of(text: object) -> bytes:
    """A scalar from its hex encoding; BadBallot unless it is reduced (below ℓ)."""
    raw = _raw(text)
    if number(raw) >= ORDER:
        raise BadBallot("scalar")
    return raw


def _raw(text: object) -> bytes:
    if not isinstance(text, str) or len(text) != 64 or not set(text) <= _HEX:
        raise BadBallot("encoding")
    return bytes.fromhex(text)


def challenge(*parts: str) -> bytes:
    """The Fiat–Shamir challenge: SHA-512 of the parts joined by "|", reduced modulo ℓ."""
    digest = hashlib.sha512("|".join(parts).encode()).digest()
    out = _buffer(32)
    _scalar_reduce(out, digest)
    return out.raw


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------- keys and guardians


@dataclass(frozen=True)
class Dealt:
    """A freshly dealt key: the public key, each guardian's share and verification key. The
    whole private key is never kept (deal() lets it go out of scope at once)."""

    public_key: bytes
    shares: dict[int, bytes]              # guardian number -> x_i
    verification_keys: dict[int, bytes]   # guardian number -> x_i·G


def deal(n: int, k: int) -> Dealt:
    """Shamir's sharing of a random key x among guardians 1..n, any k of whom can decrypt:
    x_i = f(i) for a random polynomial f of degree k−1 with f(0) = x."""
    if not 1 <= k <= n:
        raise ValueError("the threshold must be between 1 and the number of guardians")
    coefficients = [random_scalar() for _ in range(k)]
    shares = {}
    for i in range(1, n + 1):
        value, power = scalar(0), scalar(1)
        for coefficient in coefficients:
            value = s_add(value, s_mul(coefficient, power))
            power = s_mul(power, scalar(i))
        shares[i] = value
    public_key = base_mul(coefficients[0])
    coefficients.clear()
    return Dealt(public_key, shares, {i: base_mul(x) for i, x in shares.items()})


def lagrange(numbers: Sequence[int], at: int = 0) -> dict[int, bytes]:
    """Lagrange coefficients for interpolating at `at` from the guardians `numbers`."""
    out = {}
    for i in numbers:
        num, den = 1, 1
        for j in numbers:
            if j != i:
                num = num * (at - j) % ORDER
                den = den * (i - j) % ORDER
        out[i] = scalar(num * pow(den, -1, ORDER))
    return out


def check_verification_keys(public_key: bytes, keys: dict[int, bytes], k: int) -> bool:
    """The published keys lie on one polynomial of degree k−1 whose value at 0 is the public
    key (Feldman's check, on the keys alone): interpolating from the first k gives Y and every
    other guardian's key."""
    numbers = sorted(keys)
    if len(numbers) < k:
        return False
    first = numbers[:k]
    for target in [0, *numbers[k:]]:
        total = IDENTITY
        for i, coefficient in lagrange(first, target).items():
            total = add(total, mul(coefficient, keys[i]))
        if total != (public_key if target == 0 else keys[target]):
            return False
    return True


@dataclass(frozen=True)
class Lock:
    """What protects a guardian's share: an X25519 key pair derived from their passphrase by
    Argon2id (or held as a key file), of which only the public half and the salt are stored."""

    salt: bytes
    opslimit: int
    memlimit: int
    public_key: bytes


def derive_lock_keys(secret: str | bytes, salt: bytes, opslimit: int, memlimit: int
                     ) -> tuple[bytes, bytes]:
    """(public, secret) X25519 keys from a passphrase (NFC, stretched by Argon2id) or from a
    key file's 32 random bytes (used as the seed directly)."""
    if isinstance(secret, str):
        password = unicodedata.normalize("NFC", secret).encode()
        seed = na.crypto_pwhash(32, password, salt, opslimit, memlimit,
                                na.crypto_pwhash_ALG_ARGON2ID13)
    else:
        seed = hashlib.sha256(b"evalapp-box-key-file|" + salt + secret).digest()
    return na.crypto_box_seed_keypair(seed)


def make_lock(secret: str | bytes, opslimit: int, memlimit: int) -> Lock:
    salt = secrets.token_bytes(na.crypto_pwhash_SALTBYTES)
    public, _secret = derive_lock_keys(secret, salt, opslimit, memlimit)
    return Lock(salt, opslimit, memlimit, public)


def seal_share(share: bytes, lock_public_key: bytes) -> bytes:
    return na.crypto_box_seal(share, lock_public_key)


def open_share(sealed: bytes, lock: Lock, secret: str | bytes) -> bytes | None:
    """The share, or None when the passphrase (or key file) is not the one that locked it."""
    public, private = derive_lock_keys(secret, lock.salt, lock.opslimit, lock.memlimit)
    if public != lock.public_key:
        return None
    try:
        share = na.crypto_box_seal_open(sealed, public, private)
    except ValueError:
        return None
    return share if len(share) == 32 else None


# ---------------------------------------------------------------- parameters


def parameters(*, box: int, owner: str, levels: Sequence[str], lines: int, public_key: bytes,
               threshold: int, verification_keys: dict[int, bytes]) -> dict:
    return {"version": VERSION, "group": GROUP, "box": box, "owner": owner,
            "levels": list(levels), "lines": lines, "public_key": public_key.hex(),
            "threshold": threshold,
            "guardians": [{"number": i, "verification_key": verification_keys[i].hex()}
                          for i in sorted(verification_keys)]}


def fingerprint(params: dict) -> str:
    return sha256(canonical(params))


# ---------------------------------------------------------------- proofs


def _prove_one_of(prefix: str, public_key: bytes, alpha: bytes, beta: bytes, r: bytes,
                  values: Sequence[int], actual: int) -> list[list[str]]:
    """Belenios' iprove: (α, β) encrypts one of `values` (here the one at index `actual`),
    with randomness r. Returns [[challenge, response] per value]."""
    n = len(values)
    challenges: list[bytes | None] = [None] * n
    responses: list[bytes | None] = [None] * n
    commitments: list[tuple[bytes, bytes] | None] = [None] * n
    for i, m in enumerate(values):
        if i == actual:
            continue
        c, s = random_scalar(), random_scalar()
        challenges[i], responses[i] = c, s
        commitments[i] = (add(base_mul(s), mul(c, alpha)),
                          add(mul(s, public_key), mul(c, minus_g(beta, m))))
    w = random_scalar()
    commitments[actual] = (base_mul(w), mul(w, public_key))
    total = challenge("prove", prefix, f"{alpha.hex()},{beta.hex()}",
                      ",".join(f"{a.hex()},{b.hex()}" for a, b in commitments))
    c_actual = total
    for i, c in enumerate(challenges):
        if i != actual:
            c_actual = s_sub(c_actual, c)
    challenges[actual] = c_actual
    responses[actual] = s_sub(w, s_mul(r, c_actual))
    return [[c.hex(), s.hex()] for c, s in zip(challenges, responses, strict=True)]


def _verify_one_of(prefix: str, public_key: bytes, alpha: bytes, beta: bytes,
                   values: Sequence[int], proof: object) -> None:
    if not isinstance(proof, list) or len(proof) != len(values):
        raise BadBallot("proof_shape")
    commitments, total = [], scalar(0)
    for m, pair in zip(values, proof, strict=True):
        if not isinstance(pair, list) or len(pair) != 2:
            raise BadBallot("proof_shape")
        c, s = scalar_of(pair[0]), scalar_of(pair[1])
        commitments.append((add(base_mul(s), mul(c, alpha)),
                            add(mul(s, public_key), mul(c, minus_g(beta, m)))))
        total = s_add(total, c)
    expected = challenge("prove", prefix, f"{alpha.hex()},{beta.hex()}",
                         ",".join(f"{a.hex()},{b.hex()}" for a, b in commitments))
    if total != expected:
        raise BadBallot("proof")


def ballot_prefix(fingerprint_: str, ciphertexts: list) -> str:
    """What every proof of a ballot is bound to: the box (its parameters' fingerprint) and the
    whole ballot's ciphertexts, so that no proof can be lifted into another box or another
    ballot (see docs/crypto.md, "Binding")."""
    return f"{fingerprint_}|{sha256(canonical(ciphertexts))}"


# ---------------------------------------------------------------- ballots


def encrypt_ballot(params: dict, choices: Sequence[int]) -> dict:
    """The ballot marking level index choices[j] on line j, encrypted with fresh randomness
    and proved well-formed (what the voter's browser does; the server does it for a browser
    without JavaScript)."""
    levels, lines = len(params["levels"]), params["lines"]
    if len(choices) != lines or not all(0 <= c < levels for c in choices):
        raise ValueError("one choice per line, among the levels")
    public_key = bytes.fromhex(params["public_key"])
    ciphertexts, randomness = [], []
    for choice in choices:
        row, rs = [], []
        for level in range(levels):
            r = random_scalar()
            masked = mul(r, public_key)
            row.append([base_mul(r).hex(), (add(G, masked) if level == choice else masked).hex()])
            rs.append(r)
        ciphertexts.append(row)
        randomness.append(rs)
    prefix = ballot_prefix(fingerprint(params), ciphertexts)
    proofs, line_proofs = [], []
    for choice, row, rs in zip(choices, ciphertexts, randomness, strict=True):
        proofs.append([_prove_one_of(prefix, public_key, bytes.fromhex(a), bytes.fromhex(b), r,
                                     (0, 1), int(level == choice))
                       for level, ((a, b), r) in enumerate(zip(row, rs, strict=True))])
        alpha, beta = _sum_pairs(row)
        r_sum = scalar(0)
        for r in rs:
            r_sum = s_add(r_sum, r)
        line_proofs.append(_prove_one_of(prefix, public_key, alpha, beta, r_sum, (1,), 0))
    return {"ciphertexts": ciphertexts, "proofs": proofs, "line_proofs": line_proofs}


def _sum_pairs(pairs: Iterable) -> tuple[bytes, bytes]:
    alpha = beta = None
    for a, b in pairs:
        a = a if isinstance(a, bytes) else bytes.fromhex(a)
        b = b if isinstance(b, bytes) else bytes.fromhex(b)
        alpha, beta = (a, b) if alpha is None else (add(alpha, a), add(beta, b))
    return (IDENTITY, IDENTITY) if alpha is None else (alpha, beta)


def box_digest(fingerprint_: str, trackers: Iterable[str]) -> str:
    """The box's digest, printed in the minutes: SHA-256 of the parameters' fingerprint and
    every ballot's tracker, sorted (a tracker is the hash of its ballot: the digest covers every
    ciphertext and proof)."""
    return sha256(fingerprint_ + "\n--\n" + "\n".join(sorted(trackers)))


def tracker(ballot: dict) -> str:
    return sha256(canonical(ballot))


def check_ballot(params: dict, ballot: object, fingerprint_: str | None = None) -> dict:
    """The ballot as a clean dict (only its three fields) if it is well formed for this box
    and every proof holds; BadBallot otherwise."""
    if not isinstance(ballot, dict) or set(ballot) != {"ciphertexts", "proofs", "line_proofs"}:
        raise BadBallot("shape")
    levels, lines = len(params["levels"]), params["lines"]
    ciphertexts, proofs, line_proofs = (ballot["ciphertexts"], ballot["proofs"],
                                        ballot["line_proofs"])
    for part in (ciphertexts, proofs, line_proofs):
        if not isinstance(part, list) or len(part) != lines:
            raise BadBallot("shape")
    public_key = bytes.fromhex(params["public_key"])
    decoded = []
    for row in ciphertexts:
        if not isinstance(row, list) or len(row) != levels:
            raise BadBallot("shape")
        pairs = []
        for pair in row:
            if not isinstance(pair, list) or len(pair) != 2:
                raise BadBallot("shape")
            pairs.append((point(pair[0]), point(pair[1])))
        decoded.append(pairs)
    prefix = ballot_prefix(fingerprint_ or fingerprint(params), ciphertexts)
    for pairs, row_proofs, line_proof in zip(decoded, proofs, line_proofs, strict=True):
        if not isinstance(row_proofs, list) or len(row_proofs) != levels:
            raise BadBallot("shape")
        for (alpha, beta), proof in zip(pairs, row_proofs, strict=True):
            _verify_one_of(prefix, public_key, alpha, beta, (0, 1), proof)
        alpha, beta = _sum_pairs(pairs)
        _verify_one_of(prefix, public_key, alpha, beta, (1,), line_proof)
    return {"ciphertexts": ciphertexts, "proofs": proofs, "line_proofs": line_proofs}


def alphas(ballot: dict) -> list[str]:
    """Every α of the ballot: a replayed ciphertext shows as an α already in the box."""
    return [pair[0] for row in ballot["ciphertexts"] for pair in row]


def sums(params: dict, ballots: Iterable[dict]) -> list[list[list[str]]]:
    """The homomorphic sums: per line and level, the sum of the ballots' ciphertexts."""
    levels, lines = len(params["levels"]), params["lines"]
    acc = [[[IDENTITY, IDENTITY] for _ in range(levels)] for _ in range(lines)]
    for ballot in ballots:
        for j, row in enumerate(ballot["ciphertexts"]):
            for level, (a, b) in enumerate(row):
                cell = acc[j][level]
                cell[0] = add(cell[0], bytes.fromhex(a))
                cell[1] = add(cell[1], bytes.fromhex(b))
    return [[[a.hex(), b.hex()] for a, b in row] for row in acc]


# ---------------------------------------------------------------- decryption


def _decryption_challenge(fingerprint_: str, key: bytes, alpha: bytes, factor: bytes,
                          a: bytes, b: bytes) -> bytes:
    return challenge("decrypt", fingerprint_, key.hex(), alpha.hex(), factor.hex(),
                     f"{a.hex()},{b.hex()}")


def partial_decryption(params: dict, number_: int, share: bytes, sums_: list) -> dict:
    """Guardian `number_`'s decryption factors D = x_i·α of every sum, each with a
    Chaum–Pedersen proof that log_G(X_i) = log_α(D)."""
    fingerprint_ = fingerprint(params)
    key = base_mul(share)
    factors, proofs = [], []
    for row in sums_:
        row_factors, row_proofs = [], []
        for alpha_hex, _beta in row:
            alpha = bytes.fromhex(alpha_hex)
            factor = mul(share, alpha)
            w = random_scalar()
            a, b = base_mul(w), mul(w, alpha)
            c = _decryption_challenge(fingerprint_, key, alpha, factor, a, b)
            row_factors.append(factor.hex())
            row_proofs.append([c.hex(), s_add(w, s_mul(share, c)).hex()])
        factors.append(row_factors)
        proofs.append(row_proofs)
    return {"number": number_, "factors": factors, "proofs": proofs}


def check_partial_decryption(params: dict, sums_: list, partial: object,
                             fingerprint_: str | None = None) -> None:
    """BadBallot unless every factor of the partial decryption is proved for the sums."""
    if not isinstance(partial, dict) or set(partial) != {"number", "factors", "proofs"}:
        raise BadBallot("decryption_shape")
    keys = {g["number"]: g["verification_key"] for g in params["guardians"]}
    if partial["number"] not in keys:
        raise BadBallot("decryption_guardian")
    key = point(keys[partial["number"]])
    fingerprint_ = fingerprint_ or fingerprint(params)
    factors, proofs = partial["factors"], partial["proofs"]
    if (not isinstance(factors, list) or not isinstance(proofs, list)
            or len(factors) != len(sums_) or len(proofs) != len(sums_)):
        raise BadBallot("decryption_shape")
    for row, row_factors, row_proofs in zip(sums_, factors, proofs, strict=True):
        if (not isinstance(row_factors, list) or not isinstance(row_proofs, list)
                or len(row_factors) != len(row) or len(row_proofs) != len(row)):
            raise BadBallot("decryption_shape")
        for (alpha_hex, _beta), factor_hex, proof in zip(row, row_factors, row_proofs,
                                                         strict=True):
            if not isinstance(proof, list) or len(proof) != 2:
                raise BadBallot("decryption_shape")
            alpha, factor = point(alpha_hex), point(factor_hex)
            c, s = scalar_of(proof[0]), scalar_of(proof[1])
            a = sub(base_mul(s), mul(c, key))
            b = sub(mul(s, alpha), mul(c, factor))
            if _decryption_challenge(fingerprint_, key, alpha, factor, a, b) != c:
                raise BadBallot("decryption_proof")


def combine(params: dict, sums_: list, partials: Sequence[dict], most: int
            ) -> list[list[int]]:
    """The counts per line and level from the sums and k partial decryptions (already
    checked): x·α = Σ λ_i·D_i, m·G = β − x·α, m found among 0..most. BadBallot("dlog") when
    some count is not in range (too few or wrong shares)."""
    k = params["threshold"]
    one_each = {}
    for partial in partials:  # a guardian given twice counts once
        one_each.setdefault(partial["number"], partial)
    chosen = [one_each[number] for number in sorted(one_each)][:k]
    if len(chosen) < k:
        raise BadBallot("too_few_decryptions")
    coefficients = lagrange([p["number"] for p in chosen])
    table, current = {IDENTITY: 0}, IDENTITY
    for m in range(1, most + 1):
        current = add(current, G)
        table[current] = m
    counts = []
    for j, row in enumerate(sums_):
        row_counts = []
        for level, (_alpha, beta_hex) in enumerate(row):
            combined = IDENTITY
            for p in chosen:
                factor = bytes.fromhex(p["factors"][j][level])
                combined = add(combined, mul(coefficients[p["number"]], factor))
            m = table.get(sub(bytes.fromhex(beta_hex), combined))
            if m is None:
                raise BadBallot("dlog")
            row_counts.append(m)
        counts.append(row_counts)
    return counts


# ---------------------------------------------------------------- the published box


def verify_bundle(bundle: dict) -> list[str]:
    """Every problem found in a published box (empty: it verifies). Recomputes the parameters'
    fingerprint, every ballot's proofs and tracker, the box's digest (the one the minutes
    print), the sums, every partial decryption's proofs and the counts."""
    problems = []
    try:
        params = bundle["parameters"]
        fingerprint_ = fingerprint(params)
        if bundle.get("fingerprint") != fingerprint_:
            problems.append("fingerprint: the parameters do not match the fingerprint")
        keys = {g["number"]: point(g["verification_key"]) for g in params["guardians"]}
        if not check_verification_keys(point(params["public_key"]), keys, params["threshold"]):
            problems.append("keys: the guardians' keys do not make the public key")
        seen_trackers, seen_alphas, ballots = set(), set(), []
        for index, entry in enumerate(bundle["ballots"], start=1):
            ballot = entry["ballot"]
            try:
                check_ballot(params, ballot, fingerprint_)
            except BadBallot as error:
                problems.append(f"ballot {index}: {error.reason}")
                continue
            if tracker(ballot) != entry["tracker"]:
                problems.append(f"ballot {index}: its tracker is not its hash")
            if entry["tracker"] in seen_trackers or seen_alphas & set(alphas(ballot)):
                problems.append(f"ballot {index}: a copy of another ballot's ciphertext")
            seen_trackers.add(entry["tracker"])
            seen_alphas.update(alphas(ballot))
            ballots.append(ballot)
        if "digest" in bundle and bundle["digest"] != box_digest(
                fingerprint_, [tracker(b) for b in ballots]):
            problems.append("digest: the ballots do not make the digest printed in the minutes")
        computed = sums(params, ballots)
        if computed != bundle["sums"]:
            problems.append("sums: the sums are not the sums of the ballots")
        good = []
        for partial in bundle["decryptions"]:
            try:
                check_partial_decryption(params, computed, partial, fingerprint_)
                good.append(partial)
            except BadBallot as error:
                problems.append(f"decryption {partial.get('number')}: {error.reason}")
        try:
            counts = combine(params, computed, good, len(ballots))
            if counts != bundle["counts"]:
                problems.append("counts: the published counts are not the decrypted sums")
        except BadBallot as error:
            problems.append(f"counts: {error.reason}")
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        problems.append(f"format: {type(error).__name__}")
    return problems


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print("usage: python crypto.py BUNDLE.json", file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as file:
            bundle = json.load(file)
    except (OSError, ValueError) as error:  # unreadable, not UTF-8, not JSON
        print(f"format: {type(error).__name__}")
        return 1
    problems = verify_bundle(bundle) if isinstance(bundle, dict) else ["format: not an object"]
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"OK: {len(bundle['ballots'])} ballots, fingerprint {bundle['fingerprint']}, "
          f"digest {box_digest(bundle['fingerprint'], [b['tracker'] for b in bundle['ballots']])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
