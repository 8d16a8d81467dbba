"""The packages' import arrows: no circles in broker/, and the three contexts stand alone."""

from __future__ import annotations

from tests.broker.architecture.imports import PACKAGES, imports, module_name, source_files, target_modules

CONTEXTS = ("consent", "audit", "adapters")


def _module_graph(package: str, *, deferred: bool = False) -> dict[str, set[str]]:
    """Module-level imports at run time between the modules of ``package`` (with ``deferred``, the
    imports inside functions too)."""
    paths = {module_name(path): path for path in source_files(package)}
    known = set(paths)
    return {
        name: {target for item in imports(path) if item.runtime and (item.top_level or deferred)
               for target in target_modules(item, known) if target != name}
        for name, path in paths.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle through each strongly connected group of modules (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_circle_within(graph, set(group)) for group in groups]


def _circle_within(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    start = min(group)
    path, seen = [start], {start}
    while True:
        nxt = min(n for n in graph[path[-1]] if n in group)
        if nxt in seen:
            return path[path.index(nxt):] + [nxt]
        path.append(nxt)
        seen.add(nxt)


def test_the_cycle_finder_names_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]


def test_no_import_circles_among_broker_modules():
    cycles = _cycles(_module_graph("broker"))
    assert not cycles, "import circles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def test_no_import_circles_among_broker_modules_through_deferred_imports():
    # An import inside a function hides a circle from the interpreter, not from the reader.
    cycles = _cycles(_module_graph("broker", deferred=True))
    assert not cycles, "import circles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def test_no_import_circles_within_the_contexts():
    cycles = [cycle for package in CONTEXTS for cycle in _cycles(_module_graph(package))]
    assert not cycles, "import circles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def test_consent_audit_and_adapters_import_neither_broker_nor_each_other():
    crossings = []
    for package in CONTEXTS:
        others = [p for p in PACKAGES if p != package]
        for path in source_files(package):
            for item in imports(path):
                top = item.module.split(".")[0]
                if top in others:
                    crossings.append(f"{module_name(path)}:{item.line} imports {item.module}")
    assert not crossings, "\n".join(crossings)
