#!/usr/bin/env bash
# Every benchmark once, in its quick size (about half a minute on 2 cores). Not part of the
# test suite. Usage: bash bench/run_all.sh [--database postgresql]
# (--database applies to cast_ballots, count_round and close_box; import_people's ceiling is
# sqlite3; verify_ballot uses no database; encrypt_ballot runs in Chromium.)
set -uo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
failed=()
for bench in cast_ballots count_round close_box import_people verify_ballot encrypt_ballot; do
  extra=()
  case $bench in import_people|verify_ballot|encrypt_ballot) ;; *) extra=("$@") ;; esac
  "$py" "bench/$bench.py" --quick "${extra[@]}" || failed+=("$bench")
  echo
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: failed: ${failed[*]}" >&2
  exit 1
fi
