"""Where the bundled scenarios, error tables and JSON Schemas live.

In a source checkout (and an editable install) they are the top-level `fixtures/`, `schemas/` and
`docs/` folders; a wheel carries the same folders inside the package as `conformance/_data/`.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the `conformance` package


def _root() -> Path:
    bundled = _PACKAGE_DIR / "_data"
    if (bundled / "schemas").is_dir():
        return bundled
    return _PACKAGE_DIR.parent


def fixtures_dir() -> Path:
    return _root() / "fixtures"


def schemas_dir() -> Path:
    return _root() / "schemas"


def scenarios_dir() -> Path:
    return fixtures_dir() / "scenarios"


def vendor_scenarios_dir() -> Path:
    """One vendor's own fields (Groq's `x_groq`...): opt-in with `--scenarios-dir`, not bundled."""
    return fixtures_dir() / "vendor_scenarios"


def regressions_dir() -> Path:
    """Minimal examples the properties once found: replayed as scenarios on every run."""
    return fixtures_dir() / "regressions"


def docs_dir() -> Path:
    """The guides and the examples they tell users to copy (docs/ of the checkout)."""
    return _root() / "docs"


def schema_path(name: str) -> Path:
    return schemas_dir() / name
