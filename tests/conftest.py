"""Options and fixtures shared by the project's own tests.

`--wire-corpus DIR` points the tests at recorded real API traffic (`../shared/wire` beside the
checkout by default, as CI has it). Tests marked `@pytest.mark.corpus("openai_chat", ...)` get one
`corpus_file` parameter per recorded file; with no corpus they are skipped, saying where we looked.

The modules whose tests start whole runs in subprocesses are moved to the front of the run (see
`LONG_FIRST`), and `pytest -n N` hands tests out by work stealing (unless `--dist` is given), so
that the two workers of `pytest -n 2` end together on the quick tests.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "wire"

#: Test modules whose tests take seconds each (a whole run in a subprocess, a browser, a long
#: state machine), longest first. pytest-xdist hands out tests in collection order, and these
#: came last in the alphabet: one worker ran the final long runs alone while the other idled.
#: Started first, they are spread over both workers and the quick tests fill the gaps at the end.
#: A module missing here or listed in vain costs only balance, never a test.
LONG_FIRST = (
    "test_guide_example.py",
    "test_workflow.py",
    "test_shards.py",
    "test_secret_canary.py",
    "test_tool_call_accumulator_machine.py",
    "test_selection.py",
    "test_pytest_redaction.py",
    "test_serve_secrets.py",
    "test_extending.py",
    "test_known_bad_properties.py",
    "test_report_building.py",
    "test_misbehaving_providers.py",
    "test_html_report.py",
    "test_startup.py",
    "test_report_progress.py",
    "test_cli.py",
    "test_regression_names.py",
    "test_gating.py",
    "test_docs_in_wheel.py",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "corpus(*folders, pattern='*.sse'): parametrize corpus_file over recordings"
    )
    _cache_bytecode()


def _cache_bytecode() -> None:
    """Let the tests' Python processes keep the bytecode they compile.

    Hundreds of tests start Python processes (the CLI, pytest inside pytest, pytest-xdist's
    workers) that import the checkout's ~330 modules. With PYTHONDONTWRITEBYTECODE set, as on this
    project's machines, each of them compiled every module from source again (a third of a
    subprocess-heavy module's CPU); an installed package never pays that. Python writes the
    caches atomically and skips them where it cannot write.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own, which turns "no" into "load"
def pytest_cmdline_main(config: pytest.Config) -> None:
    """`-n N` without `--dist`: steal work rather than deal out fixed chunks.

    pytest-xdist's default ("load") gives each worker a quarter of its share up front in
    collection order, so the worker dealt the long runs of `LONG_FIRST` is still busy with them
    when the other has finished the rest; with "worksteal" an idle worker takes half of the
    other's queue. Set here, not in `addopts`: a `--dist` there would also reach
    `pytest --provider ...` runs in this folder without `-n`, which the plugin would take for
    runs in workers.
    """
    if getattr(config.option, "numprocesses", None) and config.option.dist == "no":
        config.option.dist = "worksteal"


@pytest.hookimpl(trylast=True)  # after any reordering plugin (pytest-randomly): keeps its order
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: index for index, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONG_FIRST)))


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
