"""Provider coverage measures the threads that run provider code, not the harness's work.

Traced everywhere, coverage's settrace core made a suite 60 % slower: pytest, hypothesis and the
fake server paid for every call. After `narrow()`, only check threads (and threads they start)
are measured; what ran before it (the provider's import, its first build) still counts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import coverage
import pytest

from conformance.report.coverage_run import ProviderCoverage, module_file

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
    if any((report_dir / "coverage").glob(".coverage.*")):  # not combined by a report yet
        combined.combine([str(report_dir / "coverage")])
    else:
        combined.load()
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


def _measure_alone(report_dir: Path, module: str, function: str) -> None:
    """One process that runs every check of its run: `-n 0`, or the only worker of `-n 1`."""
    measured = ProviderCoverage(report_dir, [module], worker=True, alone=True)
    measured.start()
    try:
        getattr(__import__(module), function)()
    finally:
        measured.stop()


def test_a_process_alone_writes_the_reports_and_the_controller_only_renames_its_data(
    tmp_path: Path, provider_module: str
) -> None:
    """The controller of `-n 1` then never imports coverage.py to write the same reports again."""
    _measure_alone(tmp_path, provider_module, "in_main_thread")
    directory = tmp_path / "coverage"
    xml = (directory / "coverage.xml").read_text(encoding="utf-8")
    assert (directory / "html" / "index.html").is_file()
    [data_file] = directory.glob(".coverage.*")

    controller = ProviderCoverage(tmp_path, [provider_module], worker=False)
    assert controller.report() == [directory / "html" / "index.html", directory / "coverage.xml"]
    assert (directory / "coverage.xml").read_text(encoding="utf-8") == xml  # not written again
    assert not data_file.exists() and (directory / ".coverage").is_file()
    assert not list(directory.glob(".coverage-*"))  # the note of what the reports came from
    assert _measured_functions(tmp_path) == {"in_main_thread"}


def test_a_second_data_file_sends_the_controller_back_to_combining(
    tmp_path: Path, provider_module: str
) -> None:
    """A worker the watchdog replaced wrote its own data: the first one's reports are partial."""
    _measure_alone(tmp_path, provider_module, "in_main_thread")
    sys.modules.pop(provider_module)  # the replacement imports the provider again
    _measure_alone(tmp_path, provider_module, "in_check_thread")
    directory = tmp_path / "coverage"
    assert len(list(directory.glob(".coverage.*"))) == 2

    controller = ProviderCoverage(tmp_path, [provider_module], worker=False)
    assert controller.report() == [directory / "html" / "index.html", directory / "coverage.xml"]
    assert not list(directory.glob(".coverage.*")) and not list(directory.glob(".coverage-*"))
    assert _measured_functions(tmp_path) == {"in_main_thread", "in_check_thread"}
    xml = (directory / "coverage.xml").read_text(encoding="utf-8")
    assert 'lines-covered="8"' in xml  # the six defs, and each process's return


def test_a_run_without_provider_coverage_does_not_import_coverage(tmp_path: Path) -> None:
    """Importing coverage.py costs every process about 0.1 s; only a measuring run needs it."""
    code = (
        "import sys, conformance.cli, conformance.plugin.hooks, conformance.report\n"
        "sys.exit('coverage' in sys.modules)\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    done = subprocess.run([sys.executable, "-c", code], env=environment, cwd=tmp_path, check=False)
    assert done.returncode == 0, "conformance imports coverage.py before a run measures anything"


@pytest.fixture
def package_importing_its_provider(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Like reference_providers: the package's __init__ imports every provider module."""
    package = tmp_path / "src" / "eager_providers"
    package.mkdir(parents=True)
    imports = tmp_path / "imports.log"
    (package / "__init__.py").write_text(
        f"with open({str(imports)!r}, 'a') as log:\n    log.write('package\\n')\n"
        "from eager_providers.chat import answer\n",
        encoding="utf-8",
    )
    (package / "chat.py").write_text("def answer():\n    return 42\n", encoding="utf-8")
    sys.path.insert(0, str(package.parent))
    try:
        yield "eager_providers.chat", imports
    finally:
        sys.path.remove(str(package.parent))
        for name in ("eager_providers", "eager_providers.chat"):
            sys.modules.pop(name, None)


def test_starting_does_not_import_the_providers_package(
    tmp_path: Path, package_importing_its_provider: tuple[str, Path]
) -> None:
    """coverage.py's `source_pkgs` imported it (every reference provider) and threw it away."""
    module, imports = package_importing_its_provider
    assert module_file(module) == str(tmp_path / "src" / "eager_providers" / "chat.py")
    measured = ProviderCoverage(tmp_path, [module], worker=False, alone=True)
    measured.start()
    try:
        assert not imports.exists()
        assert __import__(module, fromlist=["answer"]).answer() == 42
    finally:
        measured.stop()
    assert imports.read_text(encoding="utf-8") == "package\n"
    xml = (tmp_path / "coverage" / "coverage.xml").read_text(encoding="utf-8")
    assert 'lines-covered="2" line-rate="1"' in xml  # the def at import, the return in the call


def test_a_package_or_a_module_only_an_import_can_place_is_left_to_coverage(
    package_importing_its_provider: tuple[str, Path],
) -> None:
    assert module_file("eager_providers") is None  # a package: its submodules count as well
    assert module_file("json") is None  # the standard library's json is a package too
    assert module_file("eager_providers.absent") is None
    assert module_file("math") is None  # built in
