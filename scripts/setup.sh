#!/usr/bin/env bash
# Set up this checkout on a fresh Debian/Ubuntu machine; safe to run again.
#   scripts/setup.sh          what serving the app needs
#   scripts/setup.sh --test   also what the tests need (PostgreSQL, poppler, Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

runtime_packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libsodium23 python3-venv)
test_packages=(postgresql poppler-utils libnss3-tools chromium)
packages=("${runtime_packages[@]}")
[ "$want_test" = 1 ] && packages+=("${test_packages[@]}")

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
# Node.js and npm install the browser's cryptography (scripts/vendor-noble.sh). Some machines
# have Node.js from another source that brings its own npm: only ask apt when npm is missing.
command -v npm >/dev/null || missing+=(nodejs npm)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "Missing system packages: ${missing[*]} (run as root or install them)." >&2; exit 1
  fi
  echo "Installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.evalapp-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "Installing Python packages into .venv (log: .venv/pip.log)"
  if ! { .venv/bin/python -m pip install -q --upgrade pip &&
         .venv/bin/python -m pip install -q -e ".[dev]"; } >.venv/pip.log 2>&1; then
    tail -n 40 .venv/pip.log >&2
    exit 1
  fi
  touch "$stamp"
fi

# Message catalogs are compiled from the committed .po files.
.venv/bin/pybabel -q compile -d evalapp/translations -f

# The browser's ballot encryption: @noble/curves and @noble/hashes, pinned, from npm.
bash scripts/vendor-noble.sh
