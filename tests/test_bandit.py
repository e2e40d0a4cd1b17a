"""bandit (the Python security linter) finds nothing in evalapp that is not explained where it
is: each remaining finding carries `# nosec B<number> - why it is safe` on its line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bandit_finds_nothing_unexplained():
    done = subprocess.run([sys.executable, "-m", "bandit", "-q", "-r", "evalapp", "-f", "json"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    report = json.loads(done.stdout)
    findings = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
                for r in report["results"]]
    assert findings == []
    assert report["errors"] == []


def test_every_nosec_names_the_check_and_says_why():
    bare = []
    for path in sorted((ROOT / "evalapp").rglob("*.py")):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines, start=1):
            if "nosec" not in line:
                continue
            named = re.search(r"# nosec B\d{3}\b", line)
            said = re.search(r"nosec B\d{3}[^-]*- \S", line) or (
                number > 1 and re.search(r"nosec B\d{3}[^-]*- \S", lines[number - 2]))
            if not (named and said):
                bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert bare == []
