"""Provider coverage measures the threads that run provider code, not the harness's work.

Traced everywhere, coverage's settrace core made a suite 60 % slower: pytest, hypothesis and the
fake server paid for every call. After `narrow()`, only check threads (and threads they start)
are measured; what ran before it (the provider's import, its first build) still counts.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import coverage
import pytest

from conformance.report.coverage_run import ProviderCoverage

PROVIDER = """\
def at_import():
    return "imported"

def in_main_thread():
    return "main"

def in_check_thread():
    return "check"

def in_its_own_thread():
    return "spawned"

def in_the_server_before():
    return "server before"

def in_the_server_after():
    return "server after"
"""


@pytest.fixture
def provider_module(tmp_path: Path) -> Iterator[str]:
    package = tmp_path / "src" / "narrowed_provider"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(PROVIDER, encoding="utf-8")
    sys.path.insert(0, str(package.parent))
    try:
        yield "narrowed_provider"
    finally:
        sys.path.remove(str(package.parent))
        sys.modules.pop("narrowed_provider", None)


def _measured_functions(report_dir: Path) -> set[str]:
    combined = coverage.Coverage(data_file=str(report_dir / "coverage" / ".coverage"))
    combined.combine([str(report_dir / "coverage")])
    data = combined.get_data()
    [path] = [f for f in data.measured_files() if "narrowed_provider" in f]
    source = Path(path).read_text(encoding="utf-8").splitlines()
    lines = data.lines(path) or []
    return {
        source[n - 2].split("(")[0].removeprefix("def ") for n in lines if "return" in source[n - 1]
    }


def test_after_narrowing_only_provider_threads_are_measured(
    tmp_path: Path, provider_module: str
) -> None:
    measured = ProviderCoverage(tmp_path, [provider_module], worker=False)
    measured.start()
    try:
        module = __import__(provider_module)
        module.at_import()
        before, go, done = threading.Event(), threading.Event(), threading.Event()

        def serve() -> None:  # a harness thread started before narrowing, like the fake server
            module.in_the_server_before()
            before.set()
            go.wait(10)
            module.in_the_server_after()
            done.set()

        server = threading.Thread(target=serve, name="conformance-fake-server", daemon=True)
        server.start()
        before.wait(10)
        measured.narrow()
        go.set()
        done.wait(10)
        module.in_main_thread()

        def check() -> None:
            module.in_check_thread()
            spawned = threading.Thread(target=module.in_its_own_thread, name="asyncio_0")
            spawned.start()
            spawned.join()

        checking = threading.Thread(target=check, name="conformance-check")
        checking.start()
        checking.join()
        server.join(10)
    finally:
        measured.stop()

    assert _measured_functions(tmp_path) == {
        "at_import",
        "in_the_server_before",
        "in_check_thread",
        "in_its_own_thread",
    }


def test_a_controller_clears_stale_data_and_measures_nothing_itself(
    tmp_path: Path, provider_module: str
) -> None:
    """Its checks run in workers, which measure the provider's import and checks themselves."""
    stale = tmp_path / "coverage" / ".coverage.stale-from-last-run"
    stale.parent.mkdir(parents=True)
    stale.write_text("", encoding="utf-8")
    controller = ProviderCoverage(tmp_path, [provider_module], worker=False)
    tracing, thread_hook = sys.gettrace(), threading.gettrace()
    controller.start(measure=False)
    try:
        assert sys.gettrace() is tracing and threading.gettrace() is thread_hook
        __import__(provider_module).in_main_thread()
    finally:
        controller.stop()
    assert not stale.exists()
    assert controller.report() == []  # no data of its own (workers' files are combined)
