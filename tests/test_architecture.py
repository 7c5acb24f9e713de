"""The house rules of the package, read from its imports with ``ast``.

Data flows one way: the façade (workspace.py) composes the layers below it and
nothing below imports it back, so no import circle runs through it; analyses read
through storage and never import ingest; only ui/ imports streamlit; and no two
modules of demo/, ingest/ and analysis/ share a name.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cloudoptima"
BELOW_THE_FACADE = ("analysis", "ingest", "storage", "reference", "demo", "auth", "ai", "azure")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        edges[name] = {m for m in imports_of(path) if m in modules and m != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_runs_through_the_facade() -> None:
    assert not [c for c in cycles(graph()) if "cloudoptima.workspace" in c]


def test_nothing_below_the_facade_imports_it() -> None:
    offenders = {
        name
        for name, targets in graph().items()
        if name.split(".")[1:2]
        and name.split(".")[1] in BELOW_THE_FACADE
        and "cloudoptima.workspace" in targets
    }
    assert not offenders


def test_analysis_never_imports_ingest() -> None:
    offenders = {
        (name, target)
        for name, targets in graph().items()
        if name.startswith("cloudoptima.analysis")
        for target in targets
        if target.startswith("cloudoptima.ingest")
    }
    assert not offenders


def test_only_the_ui_package_imports_streamlit() -> None:
    offenders = {
        module_name(path)
        for path in PACKAGE.rglob("*.py")
        if not module_name(path).startswith("cloudoptima.ui")
        and any(
            m.split(".")[0] in ("streamlit", "streamlit_authenticator") for m in imports_of(path)
        )
    }
    assert not offenders


def test_no_two_modules_of_demo_ingest_and_analysis_share_a_name() -> None:
    owners: dict[str, list[str]] = defaultdict(list)
    for room in ("demo", "ingest", "analysis"):
        for path in (PACKAGE / room).rglob("*.py"):
            if path.stem != "__init__":
                owners[path.stem].append(module_name(path))
    assert {stem: where for stem, where in owners.items() if len(where) > 1} == {}
