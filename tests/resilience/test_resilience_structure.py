"""The resilience package keeps its shape: no import circle inside it, small modules, and no
concrete profile known to the checks (they reach profiles only through `Profile.resilience`)."""

from __future__ import annotations

import ast
from pathlib import Path

import conformance.resilience

PACKAGE = Path(conformance.resilience.__file__).parent
PREFIX = "conformance.resilience"
CONCRETE_PROFILES = tuple(
    f"conformance.profiles.{name}" for name in ("native", "victor", "orchestrator", "execute")
)
MAX_LINES = 400


def _imports(path: Path) -> set[str]:
    """Modules `path` imports; `from package import name` counts as the submodule when it is one."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = node.module == PREFIX and (PACKAGE / f"{alias.name}.py").exists()
                found.add(f"{PREFIX}.{alias.name}" if submodule else node.module)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {
        (PREFIX if p.stem == "__init__" else f"{PREFIX}.{p.stem}"): p for p in PACKAGE.glob("*.py")
    }
    return {name: _imports(path) & set(modules) for name, path in modules.items()}


def test_no_import_circle_inside_the_package() -> None:
    graph = _graph()
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            raise AssertionError("import circle: " + " -> ".join([*path, name]))
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, [*path, name])
        done.add(name)

    for module in sorted(graph):
        visit(module, [])


def test_modules_stay_small() -> None:
    long = {
        p.name: n
        for p in PACKAGE.glob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them by concept): {long}"


def test_the_checks_know_no_concrete_profile() -> None:
    for path in PACKAGE.glob("*.py"):
        known = {m for m in _imports(path) if m.startswith(CONCRETE_PROFILES)}
        assert not known, f"{path.name} imports {sorted(known)}: use Profile.resilience() only"
