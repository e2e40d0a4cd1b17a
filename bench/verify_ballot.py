"""Benchmark: the encrypted box's cryptography on the server, against the bare libsodium group
operations it needs.

    .venv/bin/python bench/verify_ballot.py [--quick] [--people K] [--ballots N]
                                             [--repeat R]

1. The server's check of one ballot (`crypto.check_ballot`: every 0/1 proof and every line
   proof) for K people on the three-level scale, median of R.
2. Counting and jointly decrypting a box of N such ballots with 3 of 5 guardians: the
   homomorphic sums, the three partial decryptions with their proofs, the check of each, and
   the combination (Lagrange + the small discrete logarithm), each a median of R, in order.

The ceiling of each is the same number of bare libsodium calls. The calls an operation makes
are counted in an untimed pass (every libsodium function crypto.py uses is wrapped in a
counter), then that many calls of each function are timed in a plain loop (ctypes, one
preallocated output buffer, fixed valid inputs). A ratio of 1 would mean the Python around
libsodium costs nothing; the gap is crypto.py's own work (hex, hashing, JSON-shaped lists).

Setup shortcut: the N ballots of part 2 are made by the dealer who knows the key x (the bench
deals it): α = r·G, β = (m + r·x)·G, two fixed-base multiplications instead of a full
encryption with proofs (the same ciphertexts; 500 proved ballots would take half a minute and
only measure encryption, which happens in the browser). Their proofs are not needed: the count
reads only ciphertexts. The counts are compared with the marks drawn (a difference fails the
run, exit 1). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import ctypes
import random
import statistics
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from _harness import header, say

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evalapp.box import crypto  # noqa: E402

LEVELS = ["high", "confidence", "low"]
# every libsodium function crypto.py calls, by its name in crypto.py
FUNCTIONS = ["_scalarmult", "_scalarmult_base", "_add", "_sub", "_is_valid_point",
             "_scalar_add", "_scalar_sub", "_scalar_mul", "_scalar_reduce", "_scalar_random"]
SHORT = {"_scalarmult": "mul", "_scalarmult_base": "base", "_add": "add", "_sub": "sub",
         "_is_valid_point": "valid", "_scalar_add": "s+", "_scalar_sub": "s-",
         "_scalar_mul": "s*", "_scalar_reduce": "reduce", "_scalar_random": "random"}


@contextmanager
def counting():
    """Within the block, every libsodium call crypto.py makes is counted (not timed)."""
    counts: Counter = Counter()
    saved = {name: getattr(crypto, name) for name in FUNCTIONS}

    def counter(name, function):
        def call(*args):
            counts[name] += 1
            return function(*args)
        return call

    for name, function in saved.items():
        setattr(crypto, name, counter(name, function))
    try:
        yield counts
    finally:
        for name, function in saved.items():
            setattr(crypto, name, function)


def bare_seconds(counts: Counter) -> float:
    """The time of `counts[f]` bare calls of each libsodium function f, on valid inputs."""
    out = ctypes.create_string_buffer(32)
    s, t = crypto.random_scalar(), crypto.random_scalar()
    p, q = crypto.base_mul(s), crypto.base_mul(t)
    wide = bytes(range(64))
    arguments = {"_scalarmult": (out, s, p), "_scalarmult_base": (out, s), "_add": (out, p, q),
                 "_sub": (out, p, q), "_is_valid_point": (p,), "_scalar_add": (out, s, t),
                 "_scalar_sub": (out, s, t), "_scalar_mul": (out, s, t),
                 "_scalar_reduce": (out, wide), "_scalar_random": (out,)}
    total = 0.0
    for name, n in counts.items():
        function, args = getattr(crypto, name), arguments[name]
        began = time.perf_counter()
        for _ in range(n):
            function(*args)
        total += time.perf_counter() - began
    return total


def described(counts: Counter) -> str:
    return ", ".join(f"{counts[name]:,} {SHORT[name]}" for name in FUNCTIONS if counts[name])


def measure(name: str, action, repeat: int):
    """Counts the libsodium calls of `action` (untimed), then `repeat` rounds each timing the
    action and right after it the same calls bare (interleaved, so that other load on the
    machine hits both alike); prints the medians and their ratio. Returns the action's result
    and the two medians."""
    with counting() as counts:
        result = action()
    times, bares = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - began)
        bares.append(bare_seconds(counts))
    spent, bare = statistics.median(times), statistics.median(bares)
    say(f"{name}: {1000 * spent:,.1f} ms; bare libsodium {1000 * bare:,.1f} ms for "
        f"{described(counts)} (medians of {repeat})")
    say(f"ratio {name}/bare = {spent / bare:.2f}")
    return result, spent, bare


def cheap_ballots(params: dict, x: bytes, count: int, rng: random.Random):
    """SETUP SHORTCUT (see the docstring): ciphertexts made with the key, no proofs."""
    lines, levels = params["lines"], len(params["levels"])
    marks, ballots = [], []
    for _ in range(count):
        choices = [rng.randrange(levels) for _ in range(lines)]
        rows = []
        for choice in choices:
            row = []
            for level in range(levels):
                r = crypto.random_scalar()
                exponent = crypto.s_add(crypto.scalar(int(level == choice)), crypto.s_mul(r, x))
                row.append([crypto.base_mul(r).hex(), crypto.base_mul(exponent).hex()])
            rows.append(row)
        marks.append(choices)
        ballots.append({"ciphertexts": rows})
    return marks, ballots


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run (100 ballots)")
    parser.add_argument("--people", type=int, default=30, help="lines of a ballot (30)")
    parser.add_argument("--ballots", type=int, help="ballots counted (default 500, quick 100)")
    parser.add_argument("--repeat", type=int, help="timings of each (default 5, quick 3)")
    args = parser.parse_args()
    ballots_wanted = args.ballots or (100 if args.quick else 500)
    repeat = args.repeat or (3 if args.quick else 5)
    header("verify_ballot", people=args.people, levels=len(LEVELS), ballots=ballots_wanted,
           guardians="3 of 5")
    rng = random.Random(9)
    failed = False

    # The dealer's view, for the setup shortcut only: x = Σ λ_i·x_i over any 3 shares.
    dealt = crypto.deal(5, 3)
    coefficients = crypto.lagrange([1, 2, 3])
    x = crypto.scalar(0)
    for i in (1, 2, 3):
        x = crypto.s_add(x, crypto.s_mul(coefficients[i], dealt.shares[i]))
    params = crypto.parameters(box=1, owner="bench", levels=LEVELS, lines=args.people,
                               public_key=dealt.public_key, threshold=3,
                               verification_keys=dealt.verification_keys)

    say("-- 1. the server's check of one ballot")
    ballot = crypto.encrypt_ballot(params, [rng.randrange(3) for _ in range(args.people)])
    measure("check", lambda: crypto.check_ballot(params, ballot), repeat)

    say(f"-- 2. counting {ballots_wanted} ballots × {args.people} people, 3 of 5 guardians")
    began = time.perf_counter()
    marks, ballots = cheap_ballots(params, x, ballots_wanted, rng)
    say(f"setup: {ballots_wanted} ballots made with the key in {time.perf_counter() - began:.1f} s"
        " (shortcut, not measured)")
    sums, t_sums, b_sums = measure("sums", lambda: crypto.sums(params, ballots), repeat)
    partials, t_partial, b_partial = measure("partial decryptions ×3", lambda: [
        crypto.partial_decryption(params, i, dealt.shares[i], sums) for i in (1, 3, 5)], repeat)
    _none, t_check, b_check = measure("check of the partials ×3", lambda: [
        crypto.check_partial_decryption(params, sums, p) for p in partials], repeat)
    counts, t_combine, b_combine = measure(
        "combine", lambda: crypto.combine(params, sums, partials, len(ballots)), repeat)
    expected = [[sum(1 for m in marks if m[j] == level) for level in range(len(LEVELS))]
                for j in range(args.people)]
    if counts != expected:
        say("the decrypted counts DIFFER from the marks drawn")
        failed = True
    else:
        say(f"decrypted counts agree with the {ballots_wanted} ballots' marks")
    spent = t_sums + t_partial + t_check + t_combine
    bare = b_sums + b_partial + b_check + b_combine
    say(f"count + joint decryption: {spent:.2f} s; bare libsodium {bare:.2f} s")
    say(f"ratio count/bare = {spent / bare:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
