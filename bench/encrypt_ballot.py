"""Benchmark: encrypting and proving a ballot in Chromium (static/js/box-crypto.js over noble's
ristretto255), against the bare scalar multiplications it needs, timed in the same page.

    .venv/bin/python bench/encrypt_ballot.py [--quick] [--people K] [--levels L]
                                             [--ballots N] [--mults M]

Serves the checkout's static/ on 127.0.0.1 (a throw-away http.server, stopped at the end),
opens it in Debian's Chromium (headless, Playwright), imports box-crypto.js as the ballot page
does, and times in the page:
- N ballots of K people on an L-level scale (median), each then checked by the server's
  crypto.check_ballot (a ballot that fails fails the run);
- M fixed-base (s·G) and M variable-base (s·P) noble scalar multiplications (the mean of each).
A ballot needs K·(3L+1) fixed-base and K·(5L+1) variable-base multiplications (box-crypto.js
counts the ones it does; the run fails if they differ). Prints

    ratio ballot/mults = ballot time / (multiplications needed × one variable-base one)
    ratio ballot/weighted = ballot time / (fixed-base ones × t_base + variable-base × t_var)

(about 1: the ballot costs its group operations and little else). Not part of the test suite.
Needs scripts/vendor-noble.sh to have run (static/vendor/noble/noble.js).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import sys
import threading

from _harness import ROOT, free_port, header, say

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

MEASURE = """async ([page, choices, ballots, mults]) => {
  const m = await import("/static/js/box-crypto.js");
  const { params, fingerprint } = m.boxOf(page);
  m.encryptBallot(params, choices, fingerprint);  // warm-up (JIT, noble's base table)
  const times = [], made = [];
  let base = 0, variable = 0;
  for (let i = 0; i < ballots; i += 1) {
    const before = { ...m.operations };
    const start = performance.now();
    const ballot = m.encryptBallot(params, choices, fingerprint);
    times.push(performance.now() - start);
    base = m.operations.base - before.base;
    variable = m.operations.variable - before.variable;
    made.push(ballot);
  }
  const { ristretto255 } = await import("/static/vendor/noble/noble.js");
  const P = m.pointOf(params.public_key);
  const scalars = Array.from({ length: mults }, () => m.randomScalar());
  const G = ristretto255.Point.BASE;
  for (let i = 0; i < 20; i += 1) { G.multiply(scalars[i]); P.multiply(scalars[i]); }
  let start = performance.now();
  for (const s of scalars) G.multiply(s);
  const tBase = (performance.now() - start) / mults;
  start = performance.now();
  for (const s of scalars) P.multiply(s);
  const tVar = (performance.now() - start) / mults;
  return { times, made, base, variable, tBase, tVar,
           needed: m.multiplicationsNeeded(params.lines, params.levels.length),
           agent: navigator.userAgent };
}"""


def box(people: int, levels: int) -> dict:
    """Parameters of a fresh box (a dealt key) with `people` lines of `levels` levels."""
    from evalapp.box import crypto

    dealt = crypto.deal(3, 2)
    params = {"version": crypto.VERSION, "group": crypto.GROUP, "box": "bench",
              "owner": "ballot_round 1", "levels": [f"level{i}" for i in range(levels)],
              "lines": people, "public_key": dealt.public_key.hex(), "threshold": 2,
              "guardians": [{"number": i, "verification_key": k.hex()}
                            for i, k in dealt.verification_keys.items()]}
    return params


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run (3 ballots, 200 mults)")
    parser.add_argument("--people", type=int, default=30, help="people on the ballot (30)")
    parser.add_argument("--levels", type=int, default=3, help="levels of the scale (3)")
    parser.add_argument("--ballots", type=int, help="ballots timed (default 10, quick 3)")
    parser.add_argument("--mults", type=int, help="multiplications timed (1000, quick 200)")
    args = parser.parse_args()
    ballots = args.ballots or (3 if args.quick else 10)
    mults = args.mults or (200 if args.quick else 1000)
    header("encrypt_ballot", people=args.people, levels=args.levels, ballots=ballots,
           mults=mults)
    if not (ROOT / "static/vendor/noble/noble.js").exists():
        say("static/vendor/noble/noble.js is missing: run scripts/vendor-noble.sh")
        return 1

    from playwright.sync_api import sync_playwright

    from evalapp.box import crypto

    params = box(args.people, args.levels)
    page_params = params | {"fingerprint": crypto.fingerprint(params)}
    choices = [j % args.levels for j in range(args.people)]

    handler = functools.partial(_Quiet, directory=str(ROOT))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_port}/static/favicon.svg")
            out = page.evaluate(MEASURE, [page_params, choices, ballots, mults])
            browser.close()
    finally:
        server.shutdown()

    for ballot in out["made"]:
        crypto.check_ballot(params, ballot)  # BadBallot fails the run
    needed = out["needed"]
    if {"base": out["base"], "variable": out["variable"]} != needed:
        say(f"multiplications done {out['base']}+{out['variable']} != needed {needed}")
        return 1
    ballot_ms = statistics.median(out["times"])
    total = needed["base"] + needed["variable"]
    weighted = needed["base"] * out["tBase"] + needed["variable"] * out["tVar"]
    say(f"browser: {out['agent']}")
    say(f"ballot {args.people} people x {args.levels} levels: median {ballot_ms:.0f} ms "
        f"(min {min(out['times']):.0f}, max {max(out['times']):.0f}); "
        f"{len(crypto.canonical(out['made'][0]))} bytes; every ballot passed check_ballot")
    say(f"multiplications needed: {needed['base']} fixed-base + {needed['variable']} "
        f"variable-base = {total}")
    say(f"one fixed-base {out['tBase'] * 1000:.0f} us, one variable-base "
        f"{out['tVar'] * 1000:.0f} us (mean of {mults})")
    say(f"ratio ballot/mults = {ballot_ms / (total * out['tVar']):.2f}")
    say(f"ratio ballot/weighted = {ballot_ms / weighted:.2f}")
    return 0


class _Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript"}

    def log_message(self, *args) -> None:
        pass


if __name__ == "__main__":
    sys.exit(main())
