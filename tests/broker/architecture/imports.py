"""Reading the packages' import statements without running them: the shared walk of the architecture tests."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("broker", "consent", "audit", "adapters")


@dataclass(frozen=True)
class Import:
    """One imported module (``module``) and, for ``from module import name``, the name."""

    module: str
    name: str | None
    line: int
    runtime: bool  # False inside ``if TYPE_CHECKING:``
    top_level: bool  # False inside a function or method


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(package: str) -> Iterator[Path]:
    for path in sorted((ROOT / package).rglob("*.py")):
        if "vendor" not in path.relative_to(ROOT).parts:
            yield path


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(path: Path) -> list[Import]:
    """Every import in the file, absolute, marked by where it stands."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def absolute(module: str | None, level: int) -> str:
        if level == 0:
            return module or ""
        base = package.split(".")
        base = base[: len(base) - (level - 1)]
        return ".".join(base + ([module] if module else []))

    def walk(node: ast.AST, runtime: bool, top_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend(Import(a.name, None, child.lineno, runtime, top_level) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                module = absolute(child.module, child.level)
                found.extend(Import(module, a.name, child.lineno, runtime, top_level) for a in child.names)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for statement in child.body:
                    walk(ast.Module(body=[statement], type_ignores=[]), False, top_level)
                for statement in child.orelse:
                    walk(ast.Module(body=[statement], type_ignores=[]), runtime, top_level)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                walk(child, runtime, False)
            else:
                walk(child, runtime, top_level)

    walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), True, True)
    return found


def target_modules(item: Import, known: set[str]) -> list[str]:
    """The project modules an import loads: ``from a.b import c`` is ``a.b.c`` when that is a module."""
    if item.name is not None and f"{item.module}.{item.name}" in known:
        return [f"{item.module}.{item.name}"]
    return [item.module] if item.module in known else []
