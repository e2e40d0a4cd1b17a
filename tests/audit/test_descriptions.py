"""The audit page in words: every action recorded anywhere in evalapp has a description, the
details are laid out readably, and the trail can be filtered and paged."""

from __future__ import annotations

import ast
import re
from datetime import date, timedelta
from pathlib import Path

from evalapp.audit.descriptions import ACTIONS
from evalapp.audit.services import record
from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.auth.services import GrantSpec, create_user
from evalapp.org.services import set_person_active
from tests.conftest import PASSWORD

PACKAGE = Path(__file__).resolve().parents[2] / "evalapp"


class ActionFinder:
    """The action keys passed to record() anywhere in evalapp, found in the source.

    An action is a string literal, a conditional between literals, or a parameter of the
    calling function, in which case every call of that function is followed. Anything else
    cannot be checked and is reported as unresolved, so that no action escapes the test."""

    def __init__(self) -> None:
        self.trees = {path: ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
                      for path in sorted(PACKAGE.rglob("*.py"))}
        self.functions: dict[str, list[ast.FunctionDef]] = {}
        self.calls: list[tuple[Path, ast.Call, ast.FunctionDef | None]] = []
        for path, tree in self.trees.items():
            self._walk(path, tree, None)

    def _walk(self, path, node, function) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions.setdefault(child.name, []).append(child)
                self._walk(path, child, child)
                continue
            if isinstance(child, ast.Call):
                self.calls.append((path, child, function))
            self._walk(path, child, function)

    @staticmethod
    def _name(call: ast.Call) -> str | None:
        if isinstance(call.func, ast.Name):
            return call.func.id
        if isinstance(call.func, ast.Attribute):
            return call.func.attr
        return None

    def _argument(self, call: ast.Call, function: ast.FunctionDef, parameter: str):
        names = [a.arg for a in function.args.posonlyargs + function.args.args]
        for keyword in call.keywords:
            if keyword.arg == parameter:
                return keyword.value
        if parameter in names and names.index(parameter) < len(call.args):
            return call.args[names.index(parameter)]
        return None

    def resolve(self, node, function, where, depth=0) -> tuple[set[str], list[str]]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}, []
        if isinstance(node, ast.IfExp):
            a, bad_a = self.resolve(node.body, function, where, depth)
            b, bad_b = self.resolve(node.orelse, function, where, depth)
            return a | b, bad_a + bad_b
        if isinstance(node, ast.Name) and function is not None and depth < 3:
            parameters = [a.arg for a in function.args.posonlyargs + function.args.args
                          + function.args.kwonlyargs]
            if node.id in parameters:
                found, bad = set(), []
                for path, call, caller in self.calls:
                    if self._name(call) != function.name:
                        continue
                    argument = self._argument(call, function, node.id)
                    if argument is None:
                        continue
                    keys, problems = self.resolve(argument, caller,
                                                  f"{path.name}:{call.lineno}", depth + 1)
                    found |= keys
                    bad += problems
                if found or bad:
                    return found, bad
        return set(), [f"{where}: {ast.unparse(node)}"]

    def actions(self) -> tuple[set[str], list[str]]:
        found, unresolved = set(), []
        for path, call, function in self.calls:
            if self._name(call) != "record" or len(call.args) < 2:
                continue
            if path.name == "services.py" and path.parent.name == "audit":
                continue
            keys, bad = self.resolve(call.args[1], function, f"{path.name}:{call.lineno}")
            found |= keys
            unresolved += bad
        return found, unresolved


def test_every_action_recorded_anywhere_has_a_description():
    found, unresolved = ActionFinder().actions()
    assert unresolved == [], ("record() is called with an action this test cannot read; "
                              f"pass a string literal: {unresolved}")
    assert {"auth.login", "document.signed", "certificate.demo_issued",
            "account.deactivated", "ballot_round.candidate_included"} <= found
    missing = sorted(found - set(ACTIONS))
    assert missing == [], f"add these to evalapp.audit.descriptions.ACTIONS: {missing}"


def test_descriptions_use_only_the_details_their_actions_record(app):
    """A placeholder a sentence uses must be one its action records (or the target)."""
    finder = ActionFinder()
    details: dict[str, set[str]] = {}
    for _path, call, function in finder.calls:
        if finder._name(call) == "record" and len(call.args) >= 2:
            keys, _bad = finder.resolve(call.args[1], function, "")
            for key in keys:
                details.setdefault(key, set()).update(k.arg for k in call.keywords if k.arg)
    for key, (_name, sentence) in ACTIONS.items():
        used = set(re.findall(r"%\((\w+)\)s", str(sentence)))
        allowed = {"target"} | details.get(key, set()) | {f"{d}_count" for d in
                                                          details.get(key, set())}
        assert used <= allowed, (key, used - allowed)


def _login(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}
                       ).status_code == 302
    return client


def test_the_audit_page_speaks_vietnamese_and_shows_details_readably(app, db, factory):
    unit = factory.unit("Sở Nội vụ")
    person = factory.person("Nguyễn Văn A", unit, staff_code="NV001")
    admin = factory.user("kiemtoan", roles=(Role.ADMIN,), full_name="Kiểm Toán Viên")
    create_user(SYSTEM, username="thuky2", full_name="Lê Thị Thư", password=PASSWORD,
                grants=[GrantSpec(Role.SECRETARY, unit), GrantSpec(Role.VOTER, None)])
    set_person_active(admin, person, False)
    db.session.commit()
    html = _login(app, "kiemtoan").get("/audit/").get_data(as_text=True)
    assert "Ngừng theo dõi cán bộ Nguyễn Văn A" in html
    assert "Tạo tài khoản Lê Thị Thư (thuky2)" in html
    assert "Thêm cán bộ Nguyễn Văn A vào danh sách" in html
    assert "Tạo đơn vị Sở Nội vụ" in html
    # Details as labelled values, roles by name and unit: no raw JSON, no role codes.
    assert "Thư ký · Sở Nội vụ" in html and "Đại biểu bỏ phiếu · toàn bộ tổ chức" in html
    assert "secretary@" not in html and '{"' not in html and "&#34;" not in html
    assert re.search(r"<dt>Mã cán bộ</dt><dd>NV001</dd>", html)
    assert "person.deactivated" not in re.sub(r'(data-action|value)="[^"]*"', "", html)


def test_the_audit_trail_is_filtered_and_paged(app, db, factory):
    factory.user("kiemtoan", roles=(Role.ADMIN,))
    for i in range(60):
        record(None, "post.created", None, name=f"Chức vụ {i}", rank=i, is_leadership=False,
               active=True)
    db.session.commit()
    client = _login(app, "kiemtoan")

    def shown(**args):
        response = client.get("/audit/", query_string=args)
        html = response.get_data(as_text=True)
        return response.status_code, html.count('class="audit-entry"'), html

    status, count, html = shown()
    assert (status, count) == (200, 50)
    assert 'href="/audit/?page=2"' in html
    assert shown(page=2)[1] == 60 + 2 - 50  # and the account created, and its login
    status, count, html = shown(action="post.created")
    assert (status, count) == (200, 50) and "60 mục phù hợp" in html
    assert 'href="/audit/?action=post.created&amp;page=2"' in html
    assert shown(action="auth.login")[1] == 1
    assert shown(actor="KIEMTOAN")[1] == 1  # the login; the others were the system's
    assert shown(actor="system", action="post.created")[1] == 50
    today = date.today()
    fmt = "%d/%m/%Y"
    assert shown(since=(today - timedelta(days=1)).strftime(fmt),
                 until=(today + timedelta(days=1)).strftime(fmt))[1] == 50
    assert shown(since=(today + timedelta(days=2)).strftime(fmt))[1] == 0
    assert shown(until=(today - timedelta(days=2)).strftime(fmt))[1] == 0
    status, count, html = shown(since="31/02/2026")
    assert status == 422 and "Không có ngày 31/02/2026" in html and count == 50
    status, _count, html = shown(since="05/05/2026", until="01/05/2026")
    assert status == 422 and "trước ngày bắt đầu" in html
