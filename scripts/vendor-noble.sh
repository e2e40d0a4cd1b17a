#!/usr/bin/env bash
# The browser's cryptography (the encrypted ballot): @noble/curves and @noble/hashes from npm,
# at the exact versions of static/vendor/noble/package-lock.json, bundled by esbuild into
# static/vendor/noble/noble.js, one ES module served from our own origin (never a CDN).
# Called by scripts/setup.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/../static/vendor/noble"
if ! command -v npm >/dev/null; then
  echo "npm is missing (install Node.js 18 or later with npm)." >&2
  exit 1
fi
if [ ! -f noble.js ] || [ package-lock.json -nt noble.js ] || [ entry.js -nt noble.js ]; then
  echo "Installing @noble/curves and @noble/hashes (npm ci) and bundling static/vendor/noble/noble.js"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  node_modules/.bin/esbuild entry.js --bundle --format=esm --legal-comments=inline \
    --log-level=warning --outfile=noble.js
fi
