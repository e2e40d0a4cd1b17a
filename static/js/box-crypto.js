// The encrypted ballot on the voter's device: exactly what evalapp/box/crypto.py does in
// encrypt_ballot, ballot_prefix, canonical, tracker and _prove_one_of (same formats, same hash
// inputs, same canonical JSON), over @noble/curves' ristretto255 and @noble/hashes' SHA-2,
// bundled at set-up into ../vendor/noble/noble.js (scripts/vendor-noble.sh).
//
// Exponential ElGamal: with the box's public key Y, a ciphertext of m with randomness r is
// (α, β) = (r·G, m·G + r·Y); one ciphertext per line and level, each proved to hold 0 or 1 and
// each line's sum proved to hold 1 (Belenios' iprove, Fiat–Shamir with SHA-512 reduced mod ℓ),
// every proof bound to ballot_prefix(fingerprint(params), ciphertexts). Points are 32-byte
// ristretto255 encodings and scalars 32-byte little-endian, in lower-case hex.
// The server checks every ballot with crypto.check_ballot; tests/browser/test_box_crypto_js.py
// proves the two sides agree.

import { bytesToHex, hexToBytes, randomBytes, ristretto255, sha256, sha512 }
  from "../vendor/noble/noble.js";

const Point = ristretto255.Point;
export const ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

// Scalar multiplications done so far (the benchmark divides the ballot's time by their cost):
// fixed-base (s·G) and variable-base (s·P).
export const operations = { base: 0, variable: 0 };

// ---------------------------------------------------------------- the group

function mod(n) {
  const r = n % ORDER;
  return r < 0n ? r + ORDER : r;
}

function numberLE(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i -= 1) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

/** A scalar (reduced mod ℓ) as 64 hex characters, little-endian: Python's scalar(n).hex(). */
export function scalarHex(n) {
  let value = mod(n);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i += 1) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return bytesToHex(out);
}

export function pointHex(p) {
  return bytesToHex(p.toBytes());
}

export function pointOf(hex) {
  return Point.fromBytes(hexToBytes(hex));
}

/** Uniform in 1..ℓ−1: 64 random bytes (crypto.getRandomValues) reduced mod ℓ. */
export function randomScalar() {
  for (;;) {
    const n = mod(numberLE(randomBytes(64)));
    if (n !== 0n) return n;
  }
}

function baseMul(n) {
  const s = mod(n);
  if (s === 0n) return Point.ZERO;
  operations.base += 1;
  return Point.BASE.multiply(s);
}

function mul(n, p) {
  const s = mod(n);
  if (s === 0n || p.is0()) return Point.ZERO;
  operations.variable += 1;
  return p.multiply(s);
}

/** m·G for a small plain value m (0 or 1 on a ballot): no multiplication needed. */
function small(m) {
  return m === 0 ? Point.ZERO : m === 1 ? Point.BASE : Point.BASE.multiply(BigInt(m));
}

// ---------------------------------------------------------------- hashing and JSON

const encoder = new TextEncoder();

/** Python's json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
 *  for what a box holds (objects, arrays, strings, integers, booleans, null). */
export function canonical(value) {
  if (value === null || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error("canonical: integers only");
    return String(value);
  }
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  const keys = Object.keys(value).sort();
  return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
}

export function sha256Hex(text) {
  return bytesToHex(sha256(encoder.encode(text)));
}

/** The Fiat–Shamir challenge: SHA-512 of the parts joined by "|", reduced modulo ℓ. */
export function challenge(...parts) {
  return mod(numberLE(sha512(encoder.encode(parts.join("|")))));
}

/** The box's fingerprint: SHA-256 of its parameters' canonical JSON. */
export function fingerprint(params) {
  return sha256Hex(canonical(params));
}

export function ballotPrefix(fingerprintHex, ciphertexts) {
  return `${fingerprintHex}|${sha256Hex(canonical(ciphertexts))}`;
}

export function tracker(ballot) {
  return sha256Hex(canonical(ballot));
}

// ---------------------------------------------------------------- proofs

/** Belenios' iprove: (α, β) encrypts values[actual] with randomness r.
 *  Returns [[challenge, response] per value] in hex, as crypto._prove_one_of. */
export function proveOneOf(prefix, publicKey, alpha, beta, r, values, actual) {
  const n = values.length;
  const challenges = new Array(n);
  const responses = new Array(n);
  const commitments = new Array(n);
  values.forEach((m, i) => {
    if (i === actual) return;
    const c = randomScalar();
    const s = randomScalar();
    challenges[i] = c;
    responses[i] = s;
    commitments[i] = [baseMul(s).add(mul(c, alpha)),
                      mul(s, publicKey).add(mul(c, beta.subtract(small(m))))];
  });
  const w = randomScalar();
  commitments[actual] = [baseMul(w), mul(w, publicKey)];
  const total = challenge("prove", prefix, `${pointHex(alpha)},${pointHex(beta)}`,
                          commitments.map(([a, b]) => `${pointHex(a)},${pointHex(b)}`).join(","));
  let cActual = total;
  challenges.forEach((c, i) => { if (i !== actual) cActual = mod(cActual - c); });
  challenges[actual] = cActual;
  responses[actual] = mod(w - r * cActual);
  return challenges.map((c, i) => [scalarHex(c), scalarHex(responses[i])]);
}

// ---------------------------------------------------------------- the ballot

/** The box's parameters without the page's extra "fingerprint" key, and their fingerprint
 *  (refused if the page's fingerprint says otherwise). */
export function boxOf(pageParameters) {
  const params = {};
  for (const key of Object.keys(pageParameters)) {
    if (key !== "fingerprint") params[key] = pageParameters[key];
  }
  const computed = fingerprint(params);
  if (pageParameters.fingerprint !== undefined && pageParameters.fingerprint !== computed) {
    throw new Error("the box's parameters do not match their fingerprint");
  }
  return { params, fingerprint: computed };
}

/** The ballot marking level index choices[j] on line j, encrypted with fresh randomness and
 *  proved well-formed: {ciphertexts, proofs, line_proofs}, as crypto.encrypt_ballot. */
export function encryptBallot(params, choices, fingerprintHex) {
  const levels = params.levels.length;
  const lines = params.lines;
  if (choices.length !== lines
      || !choices.every((c) => Number.isInteger(c) && c >= 0 && c < levels)) {
    throw new Error("one choice per line, among the levels");
  }
  const publicKey = pointOf(params.public_key);
  const ciphertexts = [];
  const points = [];
  const randomness = [];
  for (const choice of choices) {
    const row = [];
    const rowPoints = [];
    const rs = [];
    for (let level = 0; level < levels; level += 1) {
      const r = randomScalar();
      const alpha = baseMul(r);
      const beta = small(level === choice ? 1 : 0).add(mul(r, publicKey));
      row.push([pointHex(alpha), pointHex(beta)]);
      rowPoints.push([alpha, beta]);
      rs.push(r);
    }
    ciphertexts.push(row);
    points.push(rowPoints);
    randomness.push(rs);
  }
  const prefix = ballotPrefix(fingerprintHex || fingerprint(params), ciphertexts);
  const proofs = [];
  const lineProofs = [];
  choices.forEach((choice, j) => {
    proofs.push(points[j].map(([alpha, beta], level) =>
      proveOneOf(prefix, publicKey, alpha, beta, randomness[j][level], [0, 1],
                 level === choice ? 1 : 0)));
    // The line's sum, from the points' hex as Python adds the decoded bytes.
    let alpha = Point.ZERO;
    let beta = Point.ZERO;
    for (const [a, b] of ciphertexts[j]) {
      alpha = alpha.add(pointOf(a));
      beta = beta.add(pointOf(b));
    }
    const rSum = randomness[j].reduce((acc, r) => mod(acc + r), 0n);
    lineProofs.push(proveOneOf(prefix, publicKey, alpha, beta, rSum, [1], 0));
  });
  return { ciphertexts, proofs, line_proofs: lineProofs };
}

/** Scalar multiplications encrypt_ballot needs for `lines` lines of `levels` levels:
 *  per level r·G, r·Y (encryption), then s·G, c·α, s·Y, c·(β−m·G) (simulated branch) and
 *  w·G, w·Y (real branch); per line w·G, w·Y (the line's proof). */
export function multiplicationsNeeded(lines, levels) {
  return { base: lines * (3 * levels + 1), variable: lines * (5 * levels + 1) };
}
