#!/usr/bin/env bash
# Set up and run the whole test suite twice: on SQLite, then on a real PostgreSQL server that
# this script starts (and stops) itself. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test

workers=${EVALAPP_TEST_WORKERS:-auto}
run_pytest() {
  local label=$1; shift
  echo "== tests on $label =="
  set +e
  .venv/bin/python -m pytest -n "$workers" -p no:cacheprovider "$@"
  local status=$?
  set -e
  if [ "$status" = 5 ]; then echo "pytest collected no tests on $label" >&2; return 1; fi
  return "$status"
}

EVALAPP_TEST_DB=sqlite run_pytest SQLite "$@"

pg_dir=$(mktemp -d /tmp/evalapp-pg.XXXXXX)
trap 'bash scripts/postgres.sh stop "$pg_dir" >/dev/null 2>&1 || true; rm -rf "$pg_dir"' EXIT
pg_url=$(bash scripts/postgres.sh start "$pg_dir")
EVALAPP_TEST_DB=postgresql EVALAPP_TEST_POSTGRES_URL=$pg_url run_pytest PostgreSQL "$@"
