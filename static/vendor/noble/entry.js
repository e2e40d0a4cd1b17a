// What evalapp's browser code uses of @noble/curves and @noble/hashes (pinned in package.json,
// locked in package-lock.json). scripts/vendor-noble.sh bundles this into noble.js, one ES
// module with no bare imports, served from our own origin (the CSP allows no other).
export { ristretto255 } from "@noble/curves/ed25519.js";
export { sha256, sha512 } from "@noble/hashes/sha2.js";
export { bytesToHex, hexToBytes, randomBytes } from "@noble/hashes/utils.js";
