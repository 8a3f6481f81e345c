"""The import graph of the project's packages, read from source, imports inside functions included.

Imports under ``if TYPE_CHECKING:`` are left out: they never run, so they cannot form a cycle at
import time, and they are how annotations name a type without importing its module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ImportEdge:
    source: str
    target: str
    line: int


def module_files(package: str) -> dict[str, Path]:
    """Every module of ``package`` by dotted name (a package by its own name, not ``__init__``)."""
    found: dict[str, Path] = {}
    for path in sorted((REPO_ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from (imp for stmt in node.orelse for imp in _runtime_imports_of(stmt))
            continue
        yield from _runtime_imports_of(node)


def _runtime_imports_of(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _runtime_imports(node)


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    # A package's own module counts as one level deeper than a plain module's.
    keep = len(base) - node.level + (1 if is_package else 0)
    prefix = ".".join(base[:keep])
    return f"{prefix}.{node.module}" if node.module else prefix


def _with_ancestors(name: str) -> Iterable[str]:
    # Importing a.b.c runs a/__init__ and a/b/__init__ first.
    parts = name.split(".")
    return (".".join(parts[:i]) for i in range(1, len(parts) + 1))


def imports_of(module: str, path: Path, known: set[str]) -> list[ImportEdge]:
    """The project modules that importing ``module`` runs directly."""
    tree = ast.parse(path.read_text(), filename=str(path))
    edges: list[ImportEdge] = []
    for node in _runtime_imports(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = _absolute(module, node, path.name == "__init__.py")
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        for name in names:
            for target in _with_ancestors(name):
                # A module's own packages are already being imported when it runs, so the
                # implied import of them adds nothing; naming one explicitly still counts.
                implied_own_package = target != name and module.startswith(target + ".")
                if target in known and target != module and not implied_own_package:
                    edges.append(ImportEdge(module, target, node.lineno))
    return edges


def import_graph(packages: Iterable[str]) -> dict[str, list[ImportEdge]]:
    files: dict[str, Path] = {}
    for package in packages:
        files.update(module_files(package))
    known = set(files)
    return {module: imports_of(module, path, known) for module, path in files.items()}


def cycles(graph: dict[str, list[ImportEdge]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for edge in graph.get(node, []):
            if edge.target not in index:
                visit(edge.target)
                low[node] = min(low[node], low[edge.target])
            elif edge.target in on_stack:
                low[node] = min(low[node], index[edge.target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found
