"""Options and fixtures shared by the project's own tests.

`--wire-corpus DIR` points the tests at recorded real API traffic (`../shared/wire` beside the
checkout by default, as CI has it). Tests marked `@pytest.mark.corpus("openai_chat", ...)` get one
`corpus_file` parameter per recorded file; with no corpus they are skipped, saying where we looked.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "wire"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "corpus(*folders, pattern='*.sse'): parametrize corpus_file over recordings"
    )


def _corpus_root(config: pytest.Config) -> Path:
    """`--wire-corpus` (the plugin's option, shared with the suite), else ../shared/wire."""
    given = config.getoption("--wire-corpus") or os.environ.get("CONFORMANCE_WIRE_CORPUS")
    return Path(given) if given else DEFAULT_CORPUS


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "corpus_file" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("corpus")
    if marker is None:
        raise pytest.UsageError(
            f"{metafunc.definition.nodeid}: corpus_file needs @pytest.mark.corpus"
        )
    root = _corpus_root(metafunc.config)
    pattern = marker.kwargs.get("pattern", "*.sse")
    files = sorted(path for folder in marker.args for path in (root / folder).glob(pattern))
    if not files:
        reason = f"no recordings under {root} for {marker.args} (pass --wire-corpus DIR)"
        metafunc.parametrize(
            "corpus_file",
            [pytest.param(None, marks=pytest.mark.skip(reason=reason))],
            ids=["no-corpus"],
        )
        return
    metafunc.parametrize("corpus_file", files, ids=[path.name for path in files])


@pytest.fixture
def wire_corpus(request: pytest.FixtureRequest) -> Path:
    """The corpus folder; skips the test when it is absent."""
    root = _corpus_root(request.config)
    if not root.is_dir():
        pytest.skip(f"wire corpus not found at {root} (pass --wire-corpus DIR)")
    return root
