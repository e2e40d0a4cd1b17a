"""The ballot encrypted in Chromium by static/js/box-crypto.js (noble's ristretto255, served from
our own origin) is the ballot evalapp/box/crypto.py expects: it passes check_ballot, counts right
after sums / partial_decryption / combine, has the tracker Python computes, and a tampered one
is refused. The page loads the module by a dynamic import from the live server, under the app's
own CSP (the CSP reporter of conftest logs any violation, and watch_errors fails on it)."""

from __future__ import annotations

import itertools
import json

import pytest

from evalapp.box import crypto

LEVELS = ["high", "confidence", "low"]

ENCRYPT = """async ([page, choices]) => {
  const m = await import("/static/js/box-crypto.js");
  const { params, fingerprint } = m.boxOf(page);
  const ballots = [];
  for (const c of choices) {
    const before = { ...m.operations };
    const ballot = m.encryptBallot(params, c, fingerprint);
    ballots.push({ ballot, canonical: m.canonical(ballot), tracker: m.tracker(ballot),
                   fingerprint,
                   base: m.operations.base - before.base,
                   variable: m.operations.variable - before.variable,
                   needed: m.multiplicationsNeeded(params.lines, params.levels.length) });
  }
  return ballots;
}"""


def _box(lines: int, levels: list[str], n: int = 3, k: int = 2, owner: str = "Vòng 1"):
    dealt = crypto.deal(n, k)
    params = {
        "version": crypto.VERSION, "group": crypto.GROUP,
        # Vietnamese, quotes, a backslash, a control character and U+2028: the canonical JSON
        # of both sides must agree on every one of them for the fingerprints to match.
        "box": "Hộp phiếu \"tín nhiệm\" \\ năm 2026\t\u2028", "owner": owner,
        "levels": levels, "lines": lines, "public_key": dealt.public_key.hex(),
        "threshold": k,
        "guardians": [{"number": i, "verification_key": key.hex()}
                      for i, key in dealt.verification_keys.items()],
    }
    return dealt, params


def _encrypt(page, params, choices):
    page.goto("/login")
    return page.evaluate(ENCRYPT, [params | {"fingerprint": crypto.fingerprint(params)},
                                   [list(c) for c in choices]])


@pytest.fixture
def page_watched(page, watch_errors):
    errors = watch_errors(page)
    yield page
    assert errors == []


def test_ballots_encrypted_in_chromium_check_and_count_in_python(page_watched):
    dealt, params = _box(2, LEVELS)
    combinations = list(itertools.product(range(3), repeat=2))  # all 9 of a 3-level, 2-line
    made = _encrypt(page_watched, params, combinations)

    ballots = []
    assert len(made) == len(combinations)
    for out in made:
        ballot = out["ballot"]
        assert out["fingerprint"] == crypto.fingerprint(params)
        assert crypto.check_ballot(params, ballot) == ballot
        assert out["canonical"] == crypto.canonical(ballot)
        assert out["tracker"] == crypto.tracker(ballot)
        assert len(out["tracker"]) == 64
        assert list(ballot) == ["ciphertexts", "proofs", "line_proofs"]
        # Every multiplication the module did is one the formula counts (the benchmark's
        # denominator), and no more.
        assert {"base": out["base"], "variable": out["variable"]} == out["needed"] \
            == {"base": 2 * (3 * 3 + 1), "variable": 2 * (5 * 3 + 1)}
        ballots.append(ballot)
    # Same size whatever the marks.
    assert len({len(out["canonical"]) for out in made}) == 1
    # No randomness reused: every α of the box is new.
    assert len({a for b in ballots for a in crypto.alphas(b)}) == 9 * 2 * 3

    sums = crypto.sums(params, ballots)
    partials = [crypto.partial_decryption(params, i, dealt.shares[i], sums) for i in (1, 3)]
    for partial in partials:
        crypto.check_partial_decryption(params, sums, partial)
    expected = [[sum(1 for c in combinations if c[line] == level) for level in range(3)]
                for line in range(2)]
    assert expected == [[3, 3, 3], [3, 3, 3]]
    assert crypto.combine(params, sums, partials, len(ballots)) == expected


def test_uneven_ballots_from_chromium_count_right_on_two_and_four_levels(page_watched):
    for levels, choices in ((["yes", "no"], [(0, 1, 1), (0, 0, 1), (1, 0, 1)]),
                            (["a", "b", "c", "d"], [(3, 0, 2), (3, 1, 2)])):
        dealt, params = _box(3, levels, n=5, k=3)
        ballots = [out["ballot"] for out in _encrypt(page_watched, params, choices)]
        for ballot in ballots:
            crypto.check_ballot(params, ballot)
        sums = crypto.sums(params, ballots)
        partials = [crypto.partial_decryption(params, i, dealt.shares[i], sums)
                    for i in (2, 4, 5)]
        expected = [[sum(1 for c in choices if c[line] == level)
                     for level in range(len(levels))] for line in range(3)]
        assert crypto.combine(params, sums, partials, len(ballots)) == expected


def test_a_tampered_chromium_ballot_is_refused_by_python(page_watched):
    _dealt, params = _box(2, LEVELS)
    [out] = _encrypt(page_watched, params, [(0, 2)])
    ballot = out["ballot"]
    crypto.check_ballot(params, ballot)
    one = crypto.base_mul(crypto.scalar(1))

    # β + G: the ciphertext now holds 2 (or the line sums to 2); its proofs no longer hold.
    changed = crypto.canonical(ballot)
    tampered = json.loads(changed)
    alpha, beta = tampered["ciphertexts"][0][0]
    tampered["ciphertexts"][0][0] = [alpha, crypto.add(bytes.fromhex(beta), one).hex()]
    with pytest.raises(crypto.BadBallot) as refused:
        crypto.check_ballot(params, tampered)
    assert refused.value.reason == "proof"

    # Two levels swapped on a line: every ciphertext still holds 0 or 1 and the line 1, but
    # the proofs are bound to the whole ballot's ciphertexts.
    swapped = json.loads(changed)
    row = swapped["ciphertexts"][1]
    row[0], row[2] = row[2], row[0]
    with pytest.raises(crypto.BadBallot):
        crypto.check_ballot(params, swapped)

    # The ballot made for one box is refused in another (another owner, another fingerprint).
    _other_dealt, other = _box(2, LEVELS, owner="Vòng 2")
    other["public_key"] = params["public_key"]
    with pytest.raises(crypto.BadBallot):
        crypto.check_ballot(other, ballot)


def test_the_module_refuses_parameters_that_do_not_match_their_fingerprint(page_watched):
    _dealt, params = _box(1, LEVELS)
    page_watched.goto("/login")
    message = page_watched.evaluate("""async (page) => {
      const m = await import("/static/js/box-crypto.js");
      try { m.boxOf(page); return "accepted"; } catch (e) { return e.message; }
    }""", params | {"fingerprint": "0" * 64})
    assert message == "the box's parameters do not match their fingerprint"
