"""Who may import whom, and what is declared only once, checked on the source itself."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "evalapp"
AREAS = {"auth", "org", "ballots", "documents", "audit", "api", "tally", "box", "evaluations",
         "ledger"}


def modules(under: Path = PACKAGE):
    return sorted(p for p in under.rglob("*.py") if "__pycache__" not in p.parts)


def imported(path: Path) -> set[str]:
    """Every evalapp module `path` imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in names if name.startswith("evalapp.")}


def areas_imported(path: Path) -> set[str]:
    return {name.split(".")[1] for name in imported(path)} & AREAS


def test_core_imports_no_area():
    """core is the ground floor: areas build on it, never the other way round."""
    found = {str(path.relative_to(ROOT)): sorted(areas_imported(path))
             for path in modules(PACKAGE / "core")}
    assert {path: areas for path, areas in found.items() if areas} == {}


def test_auth_imports_no_area_that_builds_on_it():
    """Areas register their permissions with auth (evalapp.auth.permissions.action); auth
    knows none of them."""
    built_on_auth = {"ballots", "documents", "api", "box", "evaluations", "tally", "ledger"}
    found = {str(path.relative_to(ROOT)): sorted(areas_imported(path) & built_on_auth)
             for path in modules(PACKAGE / "auth")}
    assert {path: areas for path, areas in found.items() if areas} == {}


# Which area may import which: the table of docs/architecture.md. An area not listed as a key
# (evaluations, paper entry, …) adds its own line there and here when it is created; a later
# area may use the box, the documents engine and the directory, never the ballots area.
MAY_IMPORT = {
    "core": set(),
    "tally": set(),
    "audit": {"core", "auth"},
    "auth": {"core", "audit", "org"},
    "org": {"core", "audit", "auth"},
    "box": {"core", "audit", "auth", "tally"},
    "documents": {"core", "audit", "auth"},
    "ballots": {"core", "audit", "auth", "org", "tally", "box", "documents"},
    "evaluations": {"core", "audit", "auth", "org", "tally", "box", "documents"},
    "api": {"core", "auth", "org", "tally", "ballots", "documents", "evaluations"},
    # The ledger feeds the rounds through evaluations' period sources; evaluations never
    # imports the ledger (it is not in evaluations' set above). Desk cards go through documents.
    "ledger": {"core", "audit", "auth", "org", "tally", "evaluations", "documents"},
}


def test_every_area_imports_only_what_the_architecture_allows():
    """docs/architecture.md: the shared machinery (core, tally, audit, auth, org, box,
    documents) knows no area built on it; confidence rounds (ballots) use it; the API uses the
    areas it exposes."""
    found = {}
    for area in sorted(MAY_IMPORT):
        for path in modules(PACKAGE / area):
            extra = areas_imported(path) - MAY_IMPORT[area] - {area}
            if extra:
                found[str(path.relative_to(ROOT))] = sorted(extra)
    assert found == {}
    assert set(MAY_IMPORT) >= {p.name for p in PACKAGE.iterdir()
                               if p.is_dir() and (p / "__init__.py").exists()} - {"translations"}


def test_the_architecture_document_has_the_same_table():
    text = (ROOT / "docs" / "architecture.md").read_text()
    for area, allowed in MAY_IMPORT.items():
        row = re.search(rf"^\| `{area}` \|[^|]*\| ([^|]*) \|$", text, re.M)
        assert row, f"docs/architecture.md has no row for {area}"
        listed = set(re.findall(r"`(\w+)`", row.group(1)))
        assert listed == allowed, (area, listed, allowed)


def test_the_import_checker_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from evalapp.ballots import services\n")
    assert areas_imported(sample) == {"ballots"}


# ---------------------------------------------------------------- one lifecycle table


def _lifecycles():
    from evalapp import create_app
    from evalapp.core.lifecycle import LIFECYCLES

    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})  # imports every area
    return list(LIFECYCLES)


def step_tables(path: Path, names: set[str]) -> list[int]:
    """Lines of `path` holding a table of steps: a collection literal with two or more of the
    step `names` as strings (dict keys, list/tuple/set items), or a routing rule that lists
    them (`<any(open,close,...)>`)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        items = []
        if isinstance(node, ast.Dict):
            items = node.keys
        elif isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = node.elts
        strings = {item.value for item in items
                   if isinstance(item, ast.Constant) and isinstance(item.value, str)}
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = re.search(r"<any\(([^)]*)\)", node.value)
            if match:
                strings = {part.strip("' \"") for part in match.group(1).split(",")}
        if len(strings & names) >= 2:
            lines.append(node.lineno)
    return lines


def declarations(path: Path) -> int:
    """How many lifecycles `path` declares (calls of Lifecycle(...))."""
    return sum(1 for node in ast.walk(ast.parse(path.read_text(), str(path)))
               if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Lifecycle")


def test_each_lifecycle_is_declared_in_one_module_and_nowhere_else():
    """The steps of a kind of round are listed once, where its lifecycle is declared; every
    other module (routes, API, services, home page) takes them from there."""
    lifecycles = _lifecycles()
    assert {lc.name for lc in lifecycles} >= {"ballot_round"}
    assert len({lc.name for lc in lifecycles}) == len(lifecycles), "a lifecycle declared twice"
    declaring = [path for path in modules() if declarations(path)]
    tables = {}
    for lifecycle in lifecycles:
        names = {step.name for step in lifecycle.steps}
        for path in modules():
            found = step_tables(path, names)
            if found and not declarations(path):
                tables[f"{path.relative_to(ROOT)} ({lifecycle.name})"] = found
    assert tables == {}, "step tables outside the lifecycle's declaration: " + repr(tables)
    assert [p.name for p in declaring] == ["lifecycle.py"] * len(declaring)


@pytest.mark.parametrize("source, found", [
    ('TRANSITIONS = {"open": open_voting, "close": close_voting}', True),
    ('STEPS = ("start-attendance", "open")', True),
    ('@bp.post("/ballots/<int:round_id>/<any(open,close):step>")\ndef f(): pass', True),
    ('if step == "close":\n    scrub()', False),
    ('LEVELS = ("high", "low")', False),
])
def test_the_table_finder_finds_tables_of_steps(tmp_path, source, found):
    sample = tmp_path / "sample.py"
    sample.write_text(source)
    names = {"start-attendance", "open", "close", "count", "finalise", "publish"}
    assert bool(step_tables(sample, names)) is found


# ---------------------------------------------------------------- templates ask, never compare


STATUS_WORDS = ("draft", "attendance", "voting", "closed", "counted", "finalised")
JINJA = re.compile(r"{[{%](.*?)[%}]}", re.S)


def status_comparisons(text: str) -> list[str]:
    """Jinja expressions that read a status's value or compare with a status's name."""
    found = []
    for expression in JINJA.findall(text):
        quoted = re.findall(r"""['"](\w+)['"]""", expression)
        if "status.value" in expression or any(word in STATUS_WORDS for word in quoted):
            found.append(expression.strip())
    return found


def test_templates_ask_the_lifecycle_and_never_compare_statuses():
    """Templates ask `round_steps.can(current_user, round, "close")` (or a named phase); a
    status string in a template would be a second copy of the lifecycle."""
    offending = {}
    for path in sorted((ROOT / "templates").rglob("*.html")):
        found = status_comparisons(path.read_text())
        if found:
            offending[str(path.relative_to(ROOT))] = found
    assert offending == {}


def test_the_template_checker_finds_status_comparisons():
    assert status_comparisons("{% if round.status.value == 'voting' %}x{% endif %}")
    assert status_comparisons("{% set draft = round.status == 'draft' %}")
    assert not status_comparisons("{% if round_steps.can(current_user, round, 'close') %}")
    assert not status_comparisons("{{ round.status.label }}")
