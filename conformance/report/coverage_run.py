"""Coverage of the provider's own code, as the suite exercised it (coverage.py).

Measuring only the provider's modules tells its author which branches of their SSE parsing and
error mapping the suite never reached. Under pytest-xdist each worker writes its own data file
and the controller combines them.

Measured only where provider code runs. coverage.py picks its core: branches measured with
`sys.monitoring` need Python 3.14, where that is its default and only the measured files' code
pays. Before 3.14 its C tracer hooks `sys.settrace`, which costs every Python call of a traced
thread, the provider's or not (on 3.12 and 3.13, whose settrace is built on `sys.monitoring`,
every thread pays a share while any one is traced). Traced everywhere, the harness's own work
(pytest, hypothesis drawing examples, the fake server) made a suite 60 % slower. So the process
is traced while the providers are imported and built once (their module-level code counts), then
`narrow()` leaves only the threads that run provider code: the check threads and the threads
they start. The harness's named threads (`conformance-*`: the fake server, the lag sampler) and
the main thread are not traced after that. Narrower still (tracing only a check's own task, not
its event loop) measured no cheaper on 3.11: a check thread's time is the provider's own calls.

A process that measures every check of its run (`-n 0`, or the one worker of `-n 1`) writes the
reports itself from the data it holds, and names the data file they came from: the controller
then only renames that file, instead of importing coverage.py to read it back and write the same
reports again at the end of the run. Any other data file (a worker the watchdog replaced) sends
the controller back to combining.
"""

from __future__ import annotations

import functools
import importlib.machinery
import os
import sys
import threading
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when measuring starts: a run without coverage never pays for it
    import coverage

#: The thread each check runs the provider in (conformance.checks.runner.run_with_deadline).
CHECK_THREAD = "conformance-check"
#: The harness names its own threads so; apart from the check thread they never run provider code.
HARNESS_THREAD_PREFIX = "conformance-"
#: Names the one data file the reports in the directory were written from (see the module's doc).
REPORTED_FROM = ".coverage-reported-from"

TraceFunction = Any  # sys.settrace's callable; typeshed has no public name for it


def runs_provider_code(thread: threading.Thread) -> bool:
    """Whether a thread started after `narrow()` is measured."""
    name = thread.name
    return name == CHECK_THREAD or not name.startswith(HARNESS_THREAD_PREFIX)


def _provider_threads_only(
    install: TraceFunction, frame: FrameType, event: str, arg: Any
) -> TraceFunction | None:
    """The per-thread hook after narrowing: coverage's own installer, in provider threads only."""
    sys.settrace(None)
    if runs_provider_code(threading.current_thread()):
        return install(frame, event, arg)
    return None


def _find_spec(name: str, path: list[str] | None) -> ModuleSpec | None:
    """Ask the import system's finders, in its order, without loading anything."""
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if find is None:
            return None
        spec: ModuleSpec | None = find(name, path, None)
        if spec is not None:
            return spec
    return None


def module_file(name: str) -> str | None:
    """The source file of the plain module `name`, found without importing it or its packages.

    coverage.py's `source_pkgs` finds it by importing the module's packages and throwing the
    import away: for a reference provider that is every provider of `reference_providers`, and it
    is repeated whenever sys.path changes. A file of its own is measured the same way by name
    (`include`). None for a package (its submodules count too) or wherever the finders cannot
    tell without importing (a module not in a plain .py file): then `source_pkgs`.
    """
    path: list[str] | None = None
    spec = None
    parts = name.split(".")
    for depth in range(1, len(parts) + 1):
        if spec is not None:
            if spec.submodule_search_locations is None:
                return None
            path = list(spec.submodule_search_locations)
        prefix = ".".join(parts[:depth])
        imported = sys.modules.get(prefix)
        try:
            spec = imported.__spec__ if imported is not None else _find_spec(prefix, path)
        except (ImportError, ValueError, AttributeError):
            return None
        if spec is None:
            return None
    if spec is None or spec.submodule_search_locations is not None or spec.origin is None:
        return None
    origin = spec.origin
    if not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
        return None
    if not origin.endswith(".py") or any(c in origin for c in "*?[]"):  # include is a pattern
        return None
    return os.path.abspath(origin)


class ProviderCoverage:
    def __init__(
        self, report_dir: Path, modules: list[str], *, worker: bool, alone: bool = False
    ) -> None:
        """`alone`: this process runs every check of the run (`-n 0`, or the only worker)."""
        self.directory = report_dir / "coverage"
        self.modules = sorted(set(modules))
        self.worker = worker
        self.alone = alone
        self._data_file = self.directory / ".coverage"
        self._coverage: coverage.Coverage | None = None

    def _new(self) -> coverage.Coverage:
        import coverage

        files = [module_file(m) for m in self.modules]
        if all(files):  # the same files as `source_pkgs` names, without its import
            where: dict[str, Any] = {"include": files}
        else:
            where = {"source_pkgs": self.modules}
        return coverage.Coverage(
            data_file=str(self._data_file), data_suffix=True, branch=True, **where
        )

    def start(self, *, measure: bool = True) -> None:
        """Clear a controller's stale data and start measuring this process.

        `measure=False` for a controller whose checks run in worker processes: each worker
        measures the provider's import and checks itself, so the controller measuring its own
        import of the provider only slowed the run's start by the tracing cost.
        """
        if not self.modules:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self.worker:
            for stale in self.directory.glob(".coverage*"):
                stale.unlink()
        if not measure:
            return
        self._coverage = self._new()
        self._coverage.start()

    def narrow(self) -> None:
        """Stop measuring this thread and the harness's threads: only provider threads from now on.

        Call once the providers are imported and built, from the thread that called `start()`.
        A coverage core without a thread hook (`sys.monitoring`) is cheap everywhere and is left
        as it is.
        """
        if self._coverage is None:
            return
        # Stopped, each thread's tracer leaves its thread at that thread's next event (the fake
        # server's among them); started again, it is back only in the current thread, just below.
        self._coverage.stop()
        self._coverage.start()
        install = threading.gettrace()
        if install is None:
            return
        sys.settrace(None)
        threading.settrace(functools.partial(_provider_threads_only, install))

    def stop(self) -> None:
        """Save this process's data; alone in its run, write the reports from it too."""
        if self._coverage is None:
            return
        measured, self._coverage = self._coverage, None
        measured.stop()
        measured.save()
        if self.alone and self._write_reports(measured):
            data_file = measured.get_data().data_filename()
            (self.directory / REPORTED_FROM).write_text(Path(data_file).name, encoding="utf-8")

    def discard(self) -> None:
        if self._coverage is not None:
            self._coverage.stop()
            self._coverage = None

    def _reports(self) -> list[Path]:
        return [self.directory / "html" / "index.html", self.directory / "coverage.xml"]

    def _write_reports(self, measured: coverage.Coverage) -> bool:
        """HTML and XML from `measured`; False when it holds no data of the provider's files."""
        from coverage.exceptions import NoDataError

        html, xml = self._reports()
        try:
            measured.html_report(directory=str(html.parent), title="Provider coverage")
            measured.xml_report(outfile=str(xml))
        except NoDataError:
            return False
        return True

    def report(self) -> list[Path]:
        """The run's HTML and XML: combine the data files and write them, unless written already.

        Written already when the only data file is the one a process alone in its run wrote
        them from (`stop()`); it becomes the run's `.coverage` as combining would have made it.
        """
        if not self.modules:
            return []
        data = sorted(self.directory.glob(".coverage.*"))
        if not data:
            return []
        reported_from = self.directory / REPORTED_FROM
        if reported_from.exists():
            source = reported_from.read_text(encoding="utf-8")
            reported_from.unlink()
            if [d.name for d in data] == [source]:
                data[0].replace(self._data_file)
                return self._reports()
        combined = self._new()
        combined.combine([str(self.directory)])
        combined.save()
        return self._reports() if self._write_reports(combined) else []
