"""Checks in pytest-xdist worker processes: a crash, an exit or a hang costs only its check.

The controller (the process that writes the reports) never runs provider code during checks; the
workers do. This module is the pytest plugin half of that isolation:

- Worker side: arms the crash forensics (conformance/isolation/forensics.py), names the check in
  progress, applies `--memory-limit`, and recycles itself (exits after its reports are sent) when
  a check left a thread behind that it had to abandon at its deadline (a blocked or spinning
  provider), so no later check runs in a poisoned process.
- Controller side: worker restarts are unlimited for crashes during checks (a crash-looping start
  still stops the run); a check that crashed its worker gets an outcome
  `Incomplete("crashed", "the provider crashed the worker with SIGSEGV")`; checks that were only
  queued on a worker that died or was recycled are scheduled again, not blamed; `--run-timeout`
  ends the run, the missing checks are reported with kind "deadline", and the exit status is 3.

With `-n 0` checks run in-process: nothing here protects the run (for debugging only).
pytest-xdist's private attributes are used where its hooks do not reach (the restart limit, the
crash report of a check that never started); each use tolerates their absence.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from conformance.checks import watchdog
from conformance.checks.runner import CaseOutcome, Incomplete
from conformance.isolation import exits
from conformance.isolation.forensics import WorkerFiles, real_exit

DEFAULT_RUN_TIMEOUT = 1800.0
#: `provider-conformance run`'s exit status when the run is incomplete (pytest's INTERNAL_ERROR
#: has the same number: an internal error leaves the run incomplete too).
EXIT_INCOMPLETE = 3
#: The largest captured stdout/stderr/log section a report keeps (characters).
SECTION_LIMIT = 64 * 1024
#: Consecutive worker deaths without a single report in between that end the run (a worker that
#: dies while starting, before any check, would otherwise be restarted forever).
_START_CRASH_LIMIT = 4

_PLUGIN = "provider-conformance-isolation"
_FOLDER_KEY = "conformance_isolation_dir"


def register(config: pytest.Config, state: Any) -> None:
    """Install the worker or controller side of the isolation for this session."""
    timeout = config.option.run_timeout
    if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
        raise pytest.UsageError(
            f"--run-timeout {timeout}: expected a positive, finite number of seconds"
        )
    limit = config.option.memory_limit
    if limit is not None and limit <= 0:
        raise pytest.UsageError(f"--memory-limit {limit}: expected a positive number of megabytes")
    exits.guard_exit()
    if config.pluginmanager.has_plugin(_PLUGIN):
        return
    worker = hasattr(config, "workerinput")
    plugin = WorkerSide(config) if worker else ControllerSide(config, state)
    config.pluginmanager.register(plugin, _PLUGIN)


def _cap(text: str) -> str:
    if len(text) <= SECTION_LIMIT:
        return text
    dropped = len(text) - SECTION_LIMIT
    return f"{text[:SECTION_LIMIT]}\n[... {dropped} more characters of output not shown]"


class _OutputCap:
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item) -> Generator[None, Any, None]:
        """A provider printing megabytes must not bloat the run's output: cap captured sections."""
        result = yield
        report: pytest.TestReport = result.get_result()
        report.sections = [(title, _cap(content)) for title, content in report.sections]


def is_check(item: pytest.Item) -> bool:
    return "conformance" in getattr(item, "fixturenames", ())


def planned_outcome(item: pytest.Item, state: Any) -> dict[str, Any] | None:
    """The outcome skeleton (provider, scenario, mode, facts) of a conformance check item."""
    callspec = getattr(item, "callspec", None)
    params: dict[str, Any] = dict(callspec.params) if callspec is not None else {}
    try:
        if isinstance(params.get("conformance_check"), tuple):
            spec, case = params["conformance_check"]
            scenario, mode = case.scenario.name, case.mode
        elif isinstance(params.get("conformance_property"), tuple):
            spec, prop, mode = params["conformance_property"]
            scenario = prop.id
        elif isinstance(params.get("conformance_resilience"), tuple):
            spec, check, mode = params["conformance_resilience"]
            scenario = check.name
        elif hasattr(params.get("conformance_spec"), "id"):
            spec, scenario, mode = params["conformance_spec"], "identity", "none"
        else:
            return None
    except (TypeError, ValueError, AttributeError):  # an empty parametrization (NotSet)
        return None
    facts: dict[str, Any] = {}
    with contextlib.suppress(Exception):
        facts = dict(state.provider(spec).facts())
    return CaseOutcome(spec.id, scenario, str(mode), facts=facts).as_json()


class WorkerSide(_OutputCap):
    def __init__(self, config: pytest.Config) -> None:
        self._config = config
        workerinput: dict[str, Any] = config.workerinput  # type: ignore[attr-defined]
        folder = workerinput.get(_FOLDER_KEY)
        self._files = (
            WorkerFiles(Path(folder), str(workerinput["workerid"])) if folder is not None else None
        )
        self._worker_id = str(workerinput["workerid"])
        #: Why this worker must not run another check (empty: it may).
        self._recycle = ""

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self) -> None:
        if self._files is not None:
            self._files.arm()
        limit = self._config.option.memory_limit
        if limit is not None:
            import resource

            size = limit * 1024 * 1024
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            resource.setrlimit(resource.RLIMIT_AS, (size if hard < 0 else min(size, hard), hard))

    def pytest_unconfigure(self) -> None:
        if self._files is not None:
            self._files.disarm()

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, None]:
        if self._recycle:
            # The previous check's reports are sent; this one has not started: the controller
            # schedules it again, on a fresh worker.
            print(
                f"\nprovider-conformance: recycling worker {self._worker_id}: {self._recycle}",
                file=sys.stderr,
            )
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            real_exit(0)
        if self._files is not None:
            state = self._config.pluginmanager.getplugin("provider-conformance-state")
            outcome = planned_outcome(item, state) if is_check(item) else None
            self._files.started(item.nodeid, outcome or {})
        yield
        if self._files is not None:
            self._files.finished()
        if is_check(item) and watchdog.poisoned():
            self._recycle = f"{item.name} left a thread running past its deadline"


class ControllerSide(_OutputCap):
    def __init__(self, config: pytest.Config, state: Any) -> None:
        self._config = config
        self._state = state
        self._folder = Path(tempfile.mkdtemp(prefix="provider-conformance-workers-"))
        self._session: pytest.Session | None = None
        self._dsession: Any = None
        self._downs = 0
        self._timer: threading.Timer | None = None
        self._started = time.monotonic()
        given: float | None = config.option.run_timeout
        self._timeout: float | None = (
            given if given is not None else DEFAULT_RUN_TIMEOUT if state.configured else None
        )
        if not hasattr(state, "stop_reason"):
            state.stop_reason = None

    # -- pytest-xdist's controller hooks

    @pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[_FOLDER_KEY] = str(self._folder)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._session = session
        self._dsession = self._config.pluginmanager.getplugin("dsession")
        dsession = self._dsession
        if dsession is not None:
            if hasattr(dsession, "_max_worker_restart"):
                dsession._max_worker_restart = None  # one crash per check, however many
            original_crash = getattr(dsession, "handle_crashitem", None)
            if original_crash is not None:

                def handle_crashitem(nodeid: str, worker: Any) -> None:
                    if self._reschedule(nodeid, worker):
                        return
                    original_crash(nodeid, worker)

                dsession.handle_crashitem = handle_crashitem
            original_clone = getattr(dsession, "_clone_node", None)
            if original_clone is not None:

                def clone(node: Any) -> Any:
                    if self._state.stop_reason is not None:
                        return node  # the run is ending: no replacement
                    return original_clone(node)

                dsession._clone_node = clone
        if dsession is None and self._config.option.memory_limit is not None:
            print(
                "provider-conformance: --memory-limit applies to worker processes; with -n 0 the "
                "checks run in this process and are not limited",
                file=sys.stderr,
            )
        if self._timeout is not None:
            remaining = self._timeout - (time.monotonic() - self._started)
            self._timer = threading.Timer(max(0.0, remaining), self._deadline)
            self._timer.daemon = True
            self._timer.start()

    def pytest_keyboard_interrupt(self) -> None:
        """Ctrl-C (or SIGINT) reached the run: what did not finish was interrupted."""
        if self._state.stop_reason is None:
            self._state.stop_reason = "interrupted"

    @pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook
    def pytest_testnodedown(self, node: Any, error: object | None) -> None:
        if error is None:
            return
        if error == "keyboard-interrupt":  # the worker got the Ctrl-C too
            self.pytest_keyboard_interrupt()
            return
        self._downs += 1
        dsession = self._dsession
        if self._downs > _START_CRASH_LIMIT and dsession is not None:
            # Workers die before any check: stop restarting them, and say why.
            dsession._max_worker_restart = 0
            if self._state.stop_reason is None:
                self._state.stop_reason = "crashed"
                files = self._files(node)
                cause = files.cause(_returncode(node)) if files is not None else "unknown"
                print(
                    f"\nprovider-conformance: {self._downs} worker processes in a row died "
                    f"before finishing a check (last: {cause}); the run stops. Run with -n 0 "
                    "to see where (importing or building the provider?)",
                    file=sys.stderr,
                )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._downs = 0

    @pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook
    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport, sched: Any) -> None:
        """A check that was running when its worker died: incomplete, named, never a pass."""
        worker = getattr(report, "node", None)
        files = self._files(worker)
        running = files.in_progress() if files is not None else None
        skeleton = running.get("outcome") if running else None
        if not skeleton:  # not a conformance check: pytest-xdist's report, with how it died
            if files is not None:
                report.longrepr = f"{report.longrepr}: {files.cause(_returncode(worker))}"
                files.clear()
            return
        if self._state.stop_reason == "deadline":
            incomplete = Incomplete(
                "deadline",
                f"the run's deadline (--run-timeout {self._timeout} s) passed while this check "
                "was running",
            )
        elif self._state.stop_reason == "interrupted":
            incomplete = Incomplete(
                "interrupted", "the run was interrupted (Ctrl-C) while this check was running"
            )
        else:
            incomplete = Incomplete("crashed", files.cause(_returncode(worker)))  # type: ignore[union-attr]
        outcome = dict(skeleton)
        outcome["incomplete"] = incomplete.as_json()
        outcome["duration"] = round(max(0.0, time.time() - float(running["started"])), 4)  # type: ignore[index]
        report.conformance = outcome  # type: ignore[attr-defined]
        report.longrepr = f"{incomplete.kind}: {incomplete.reason} (while running {crashitem})"
        if files is not None:
            files.clear()

    # -- the run's end

    def _deadline(self) -> None:
        """The run's overall deadline: stop scheduling, end the workers, report what is missing."""
        self._state.stop_reason = "deadline"
        reason = f"the run's deadline passed (--run-timeout {self._timeout} s)"
        print(f"\nprovider-conformance: {reason}; writing the reports", file=sys.stderr)
        dsession = self._dsession
        if dsession is not None:
            dsession.shouldstop = reason
            for node in list(getattr(dsession, "_active_nodes", ())):
                popen = _popen(node)
                if popen is not None:
                    with contextlib.suppress(OSError):
                        popen.kill()
        elif self._session is not None:
            self._session.shouldstop = reason

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self) -> Generator[None, object, object]:
        try:
            return (yield)
        finally:  # every check has ended: the deadline no longer applies (reports get written)
            if self._timer is not None:
                self._timer.cancel()

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self._timer is not None:
            self._timer.cancel()
        state = self._state
        checks = bool(state.configured or getattr(state, "outcomes", None))
        if state.stop_reason is not None and checks:  # deadline, interrupt, workers that die
            session.exitstatus = EXIT_INCOMPLETE
        exits.set_exit_code(int(session.exitstatus))

    def pytest_unconfigure(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)

    # -- helpers

    def _files(self, worker: Any) -> WorkerFiles | None:
        gateway = getattr(worker, "gateway", None)
        if gateway is None:
            return None
        return WorkerFiles(self._folder, str(gateway.id))

    def _reschedule(self, nodeid: str, worker: Any) -> bool:
        """Schedule again a check that was only queued on a worker that died or was recycled."""
        files = self._files(worker)
        if files is None or self._state.stop_reason is not None:
            return False
        running = files.in_progress()
        if running is not None and running.get("nodeid") == nodeid:
            return False  # it was running: it crashed the worker
        sched = getattr(self._dsession, "sched", None)
        mark = getattr(sched, "mark_test_pending", None)
        if mark is None:
            return False
        try:
            mark(nodeid)
        except (ValueError, NotImplementedError):
            return False
        files.clear()
        return True


def _popen(node: Any) -> Any:
    io = getattr(getattr(node, "gateway", None), "_io", None)
    return getattr(io, "popen", None)


def _returncode(node: Any) -> int | None:
    popen = _popen(node)
    if popen is None:
        return None
    try:
        code: int | None = popen.wait(timeout=2.0)
    except Exception:
        return None
    return code
