"""Coverage of the provider's own code, as the suite exercised it (coverage.py).

Measuring only the provider's modules tells its author which branches of their SSE parsing and
error mapping the suite never reached. Under pytest-xdist each worker writes its own data file
and the controller combines them.

Measured only where provider code runs. On an interpreter without `sys.monitoring` coverage
traces with `sys.settrace`, which costs every Python call of a traced thread, the provider's or
not: traced everywhere, the harness's own work (pytest, hypothesis drawing examples, the fake
server) made a suite 60 % slower. So the process is traced while the providers are imported and
built once (their module-level code counts), then `narrow()` leaves only the threads that run
provider code: the check threads and the threads they start. The harness's named threads
(`conformance-*`: the fake server, the lag sampler) and the main thread are not traced after that.
"""

from __future__ import annotations

import functools
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import coverage

#: The thread each check runs the provider in (conformance.checks.runner.run_with_deadline).
CHECK_THREAD = "conformance-check"
#: The harness names its own threads so; apart from the check thread they never run provider code.
HARNESS_THREAD_PREFIX = "conformance-"

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


class ProviderCoverage:
    def __init__(self, report_dir: Path, modules: list[str], *, worker: bool) -> None:
        self.directory = report_dir / "coverage"
        self.modules = sorted(set(modules))
        self.worker = worker
        self._data_file = self.directory / ".coverage"
        self._coverage: coverage.Coverage | None = None

    def _new(self) -> coverage.Coverage:
        return coverage.Coverage(
            data_file=str(self._data_file),
            data_suffix=True,
            source_pkgs=self.modules,
            branch=True,
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
        if self._coverage is not None:
            self._coverage.stop()
            self._coverage.save()
            self._coverage = None

    def discard(self) -> None:
        if self._coverage is not None:
            self._coverage.stop()
            self._coverage = None

    def report(self) -> list[Path]:
        """Combine the data files and write HTML and XML; returns what was written."""
        if not self.modules or not any(self.directory.glob(".coverage.*")):
            return []
        combined = self._new()
        combined.combine([str(self.directory)])
        combined.save()
        html = self.directory / "html"
        xml = self.directory / "coverage.xml"
        try:
            combined.html_report(directory=str(html), title="Provider coverage")
            combined.xml_report(outfile=str(xml))
        except coverage.exceptions.NoDataError:
            return []
        return [html / "index.html", xml]
