"""The paper modules use each other through their public interfaces only: the re-check keys and
locks through evalapp.ballots.paper's checked_ballot and lock_round, never its private helpers
(a private helper renamed or changed would silently break the re-check)."""

from __future__ import annotations

import ast
from pathlib import Path

import evalapp

ROOT = Path(evalapp.__file__).parent
PAPER_MODULES = ["ballots/paper.py", "ballots/paper_routes.py", "ballots/recheck.py",
                 "ballots/documents.py", "tally/paper.py"]


def _private_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = {alias.asname or alias.name for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("evalapp")
               for alias in node.names}
    return [f"{path.name}:{node.lineno} {node.value.id}.{node.attr}" for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id in modules and node.attr.startswith("_")
            and not node.attr.startswith("__")]


def test_the_paper_modules_use_no_private_helper_of_another_module():
    found = [use for name in PAPER_MODULES for use in _private_uses(ROOT / name)]
    assert found == []


def test_the_recheck_uses_the_public_entry_interface():
    from evalapp.ballots import paper

    text = (ROOT / "ballots/recheck.py").read_text(encoding="utf-8")
    assert "paper.checked_ballot(" in text and "paper.lock_round(" in text
    assert callable(paper.checked_ballot) and callable(paper.lock_round)


def test_the_counting_team_has_one_name_in_the_vietnamese_catalog():
    """The entry screen, the entry log and the re-check record call the counting team by one
    name (Tổ kiểm phiếu, as the minutes and every other page do), never Ban kiểm phiếu."""
    from babel.messages.pofile import read_po

    from tests.test_translations import po_path

    with po_path("vi").open("rb") as handle:
        catalog = read_po(handle)
    texts = [m.string if isinstance(m.string, str) else " ".join(m.string)
             for m in catalog if m.id]
    assert not [t for t in texts if "ban kiểm phiếu" in t.lower()]
    assert sum("Tổ kiểm phiếu" in t for t in texts) > 20
