#!/usr/bin/env bash
# Set up, migrate the embedded SQLite database, load the demo organisation when the database is
# empty, and serve the app at http://127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FLASK_APP=evalapp
.venv/bin/flask db upgrade
.venv/bin/flask seed-demo --if-empty
echo
echo "evalapp: http://127.0.0.1:${PORT:-5000}"
echo "Demo accounts (password demo-evalapp): admin, thuky, kiemphieu, uyvien, canbo"
echo "Counting-team passphrases in the demo rounds: 'khóa tổ kiểm phiếu 1', '… 2', '… 3'"
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
