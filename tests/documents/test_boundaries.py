"""The document engine knows no area: nothing under evalapp/documents imports evalapp.ballots,
evalapp.org, evalapp.tally, … (only the ground floor: core, auth, audit, the extensions and the
configuration), and its templates name no other area's pages or templates. An area plugs in by
registering its owners and kinds (evalapp.documents.registry)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

from evalapp import ROOT

ENGINE = ROOT / "evalapp" / "documents"
ENGINE_TEMPLATES = ROOT / "templates" / "documents"
GROUND_FLOOR = ("evalapp.documents", "evalapp.core", "evalapp.auth", "evalapp.audit",
                "evalapp.extensions", "evalapp.config")


def imported_modules(path) -> list[tuple[int, str]]:
    """Every module a file imports, at any depth (imports inside functions too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside evalapp.documents
                found.append((node.lineno, "evalapp.documents." + (node.module or "")))
            else:
                found.append((node.lineno, node.module or ""))
                found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names
                          if node.module == "evalapp"]
    return found


def test_no_engine_module_imports_another_area():
    modules = sorted(ENGINE.glob("*.py"))
    assert {p.name for p in modules} >= {"models.py", "registry.py", "rendering.py",
                                         "services.py", "signing.py", "routes.py"}
    offending = [f"{path.name}:{line} imports {name}"
                 for path in modules for line, name in imported_modules(path)
                 if (name == "evalapp" or name.startswith("evalapp."))
                 and name != "evalapp"
                 and not any(name == allowed or name.startswith(allowed + ".")
                             for allowed in GROUND_FLOOR)]
    assert offending == []


def test_the_check_would_see_an_import_of_an_area(tmp_path):
    """The same reading finds an area imported at the top, inside a function, or by name."""
    sample = tmp_path / "sample.py"
    sample.write_text("from evalapp.ballots import services\n"
                      "def f():\n    import evalapp.org.models\n"
                      "from evalapp import tally\nfrom evalapp.core import errors\n")
    names = [name for _line, name in imported_modules(sample)]
    assert {"evalapp.ballots", "evalapp.org.models", "evalapp.tally"} <= set(names)


def test_importing_the_engine_loads_no_area():
    """In a fresh interpreter, the engine's modules bring in no area that builds on it (org
    comes in only under auth, whose roles are scoped to units)."""
    code = ("import sys\n"
            "import evalapp.documents.services, evalapp.documents.signing, "
            "evalapp.documents.routes, evalapp.documents.signing_commands\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('evalapp.'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT).stdout.split()
    assert "evalapp.documents.registry" in loaded
    areas = {name.split(".")[1] for name in loaded}
    assert areas.isdisjoint({"ballots", "tally", "box", "api", "evaluations"}), loaded


def test_engine_templates_name_no_other_area():
    """The engine's templates link to the engine's own pages (and to the home page and the
    account's), and include only the engine's and the shared templates."""
    endpoint = re.compile(r"url_for\(\s*['\"]([a-z_]+)\.")
    included = re.compile(r"{%-?\s*(?:include|extends|from|import)\s+['\"]([^'\"]+)['\"]")
    problems = []
    for path in sorted(ENGINE_TEMPLATES.glob("*.html")):
        text = path.read_text(encoding="utf-8")
        problems += [f"{path.name}: url_for('{name}.…')" for name in endpoint.findall(text)
                     if name not in ("documents", "core", "auth")]
        problems += [f"{path.name}: {name}" for name in included.findall(text)
                     if "/" in name and not name.startswith("documents/")]
    assert problems == []
