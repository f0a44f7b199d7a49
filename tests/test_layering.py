"""The house plan, guarded: imports run down the layers only, and no module imports itself back.

docs/architecture.md draws the layers; this test is what keeps the drawing true. A new package
gets a floor here (the test fails until it has one), and an import that runs up a floor or closes
a circle fails with the importing file, its line and the way round.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "conformance"

#: Floor of each part of `conformance`, bottom first. A part may import its own floor and those
#: below; packages on one floor may import each other as long as no module circle forms.
FLOORS: dict[str, int] = {
    # the shared vocabulary (with the scrubbing every layer applies to what it writes)
    "vocabulary": 0,
    "secrets": 1,
    "scenarios": 1,
    "dialects": 2,
    "strategies": 3,
    "server": 3,
    "profiles": 4,
    "judge": 5,
    # the life of one check, then the kinds of checks built on it
    "checks": 6,
    "capabilities": 7,
    "properties": 7,
    "resilience": 7,
    "isolation": 8,
    "report": 8,
    # the faces: pytest, then the command line and the package's public names
    "plugin": 9,
    "recording": 9,  # the record proxy and the CLI's corpus handling: a face, like pytest's
    "cli": 10,
    "_moved": 10,
    "__init__": 10,
}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int

    def where(self) -> str:
        return f"{self.importer.replace('.', '/')}.py:{self.line}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _part(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1].removesuffix(".py")


def _imports(modules: dict[str, Path]) -> Iterator[Import]:
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".")
                    base = base[: len(base) - node.level + (1 if is_package else 0)]
                    module = ".".join([*base, node.module] if node.module else base)
                else:
                    module = node.module or ""
                # `from pkg import submodule` imports the submodule.
                targets = [
                    f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules else module
                    for alias in node.names
                ]
            else:
                continue
            for target in targets:
                if target.split(".")[0] in {"conformance", "reference_providers"}:
                    yield Import(name, target, node.lineno)


def test_every_part_has_a_floor() -> None:
    unplaced = sorted({_part(m) for m in _modules()} - FLOORS.keys())
    assert not unplaced, f"give these parts of conformance a floor in {__file__}: {unplaced}"


def test_imports_never_run_up_a_floor() -> None:
    upward = []
    for imp in _imports(_modules()):
        if imp.imported.startswith("reference_providers"):
            continue  # its own test below
        src, dst = _part(imp.importer), _part(imp.imported)
        if FLOORS.get(dst, -1) > FLOORS.get(src, 99):
            upward.append(
                f"{imp.where()}: {src} (floor {FLOORS[src]}) imports {imp.imported} "
                f"({dst}, floor {FLOORS[dst]})"
            )
    assert not upward, "imports that run up the layers:\n" + "\n".join(upward)


def test_no_import_circles() -> None:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    lines: dict[tuple[str, str], int] = {}
    for imp in _imports(modules):
        target = imp.imported
        while target not in modules and "." in target:
            target = target.rsplit(".", 1)[0]
        # A package's own __init__ re-exporting its modules is not a circle with them.
        if (
            target in modules
            and target != imp.importer
            and not imp.importer.startswith(target + ".")
        ):
            graph[imp.importer].add(target)
            lines.setdefault((imp.importer, target), imp.line)
    circles = _strongly_connected(graph)
    described = [
        " -> ".join(
            f"{m} (line {lines.get((m, c[(i + 1) % len(c)]), '?')})" for i, m in enumerate(c)
        )
        for c in circles
    ]
    assert not circles, "import circles:\n" + "\n".join(described)


def test_the_judge_never_imports_a_contestant() -> None:
    found = [
        imp.where()
        for imp in _imports(_modules())
        if imp.imported.startswith("reference_providers")
    ]
    assert not found, f"conformance imports reference_providers at {found}"


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively: the groups of modules that import each other round."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


@pytest.mark.parametrize("old", ["conformance.runner", "conformance.pytest_plugin"])
def test_old_module_paths_still_import_with_a_warning(old: str) -> None:
    import importlib
    import sys

    from conformance._moved import MOVED

    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=MOVED[old].replace(".", r"\.")):
        module = importlib.import_module(old)
    assert module is importlib.import_module(MOVED[old])
