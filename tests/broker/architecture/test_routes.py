"""Routes parse, call one service function and render: no SQL, no repository, no transaction of their own.

A route module is every module of ``broker/api/`` and ``broker/web/`` except the few helpers named
below, and those helpers are checked to declare no route.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.broker.architecture.imports import ROOT, imports, module_name

# Helpers beside the routers that serve no request themselves.
NOT_ROUTES = {
    "broker.api", "broker.api.problems",
    "broker.web", "broker.web.access", "broker.web.assets", "broker.web.forms", "broker.web.security",
    "broker.web.templating",
}

# Route functions allowed to open transactions of their own: none (a case's gather, discovery then
# gathering, is the use case broker.gathering.case_gather).
ALLOWED: set[tuple[str, str]] = set()

# What executes SQL: the statement builders, and the session's and connection's ways to run them.
# (A route may still roll back a refused change before showing the form again: that runs no query.)
SQL_NAMES = {"select", "insert", "update", "delete", "text", "func", "and_", "or_", "exists", "literal_column"}
SQL_CALLS = {"execute", "scalars", "scalar", "scalar_one", "scalar_one_or_none", "query", "get", "add", "add_all",
             "delete", "merge", "flush", "commit", "refresh"}
TRANSACTION_CALLS = {"unit_of_work", "sessions", "connect", "begin"}


def _route_modules() -> list[Path]:
    paths = sorted((ROOT / "broker" / "api").glob("*.py")) + sorted((ROOT / "broker" / "web").glob("*.py"))
    return [path for path in paths if module_name(path) not in NOT_ROUTES]


def _declares_routes(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "APIRouter":
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                call = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(call, ast.Attribute) and call.attr in {"get", "post", "put", "patch", "delete",
                                                                     "api_route", "route"}:
                    return True
    return False


def _enclosing_functions(tree: ast.Module) -> dict[ast.AST, str]:
    """Each node inside a top-level function, mapped to that function's name."""
    owner: dict[ast.AST, str] = {}
    for top in tree.body:
        if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(top):
                owner[node] = top.name
    return owner


def _receiver(node: ast.expr) -> str:
    while isinstance(node, (ast.Attribute, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def offences(path: Path) -> list[str]:
    name = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for item in imports(path):
        imported = f"{item.module}.{item.name}" if item.name else item.module
        if item.module.split(".")[0] == "sqlalchemy" and (item.name in SQL_NAMES or item.module == "sqlalchemy.sql"):
            found.append(f"{name}:{item.line} imports {imported}")
        elif imported.split(".")[-1] in {"repository", "repositories"} or item.module.endswith(".repository"):
            found.append(f"{name}:{item.line} imports the repository {item.module}")
    owner = _enclosing_functions(tree)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        where = owner.get(node, "<module>")
        receiver = _receiver(node.func.value)
        if node.func.attr in SQL_CALLS and "session" in receiver.lower():
            found.append(f"{name}:{node.lineno} runs {receiver}.{node.func.attr}() in {where}")
        elif node.func.attr in TRANSACTION_CALLS and receiver in {"database", "engine", "request"} \
                and (name, where) not in ALLOWED:
            found.append(f"{name}:{node.lineno} opens its own transaction ({node.func.attr}) in {where}")
    return found


def test_the_helpers_beside_the_routers_declare_no_route():
    helpers = [ROOT / (module.replace(".", "/") + ".py") for module in NOT_ROUTES]
    helpers = [p if p.exists() else p.with_suffix("") / "__init__.py" for p in helpers]
    assert [module_name(p) for p in helpers if _declares_routes(ast.parse(p.read_text()))] == []


def test_no_route_module_executes_sql_or_imports_a_repository():
    found = [offence for path in _route_modules() for offence in offences(path)]
    assert not found, "\n".join(found)


def test_the_allow_list_names_functions_that_exist():
    for module, function in ALLOWED:
        tree = ast.parse((ROOT / (module.replace(".", "/") + ".py")).read_text())
        assert function in {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
