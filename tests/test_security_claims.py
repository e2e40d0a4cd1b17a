"""docs/security.md and docs/crypto.md name, for each claim, the test that proves it: every node
id they name must exist (file, function, and for a parametrised one its id), so that a claim
never points at a test that was renamed or removed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NODE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(\[[^\]`]*\])?`")


@pytest.mark.parametrize("document, least", [("security.md", 30), ("crypto.md", 30)])
def test_every_test_named_in_the_threat_model_exists(document, least):
    text = (ROOT / "docs" / document).read_text()
    named = NODE.findall(text)
    assert len(named) >= least
    missing = []
    for path, name, _param in named:
        file = ROOT / path
        if not file.is_file():
            missing.append(f"{path} (no such file)")
            continue
        functions = {node.name for node in ast.walk(ast.parse(file.read_text()))
                     if isinstance(node, ast.FunctionDef)}
        if name not in functions or not name.startswith("test_"):
            missing.append(f"{path}::{name}")
    assert missing == []


def test_the_threat_model_covers_every_asset_and_adversary():
    text = (ROOT / "docs" / "security.md").read_text().lower()
    for word in ("ballot secrecy", "integrity", "tally", "signed documents", "accounts",
                 "another voter", "administrator", "secretary", "counting team",
                 "database or of a backup", "network", "operator", "anonymous outsider"):
        assert word in text, word
