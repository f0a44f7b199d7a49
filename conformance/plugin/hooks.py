"""The pytest plugin (entry point `pytest11`): options, fixtures, parametrization and reports.

Thin by design: it declares the option table's options (conformance/plugin/options.py),
parametrizes the suite's tests over the planned checks of each kind (conformance/plugin/kinds.py),
and gathers the outcomes (also from pytest-xdist workers, through the test reports) into the
compatibility report at the end of the session.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from conformance.checks.runner import BuildError
from conformance.isolation import workers as isolation
from conformance.plugin import matrix
from conformance.plugin.checks import ConformanceChecks
from conformance.plugin.kinds import parametrize
from conformance.plugin.option_checks import check_pytest_options
from conformance.plugin.options import SECRET_FLAGS, declare_pytest_options
from conformance.plugin.scrubbing import RedactionPlugin
from conformance.plugin.selection import register_clause_markers, selected_suite_args
from conformance.plugin.state import (
    OUTCOME_KEY,
    PLUGIN_NAME,
    ConformanceState,
    state_of,
)
from conformance.report.coverage_run import ProviderCoverage
from conformance.report.exit_codes import report_exit_code
from conformance.report.junit import add_junit_entries
from conformance.report.writers import spec_info, verdict_lines, write_reports
from conformance.secrets.options import redact_arguments
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.state_dirs import use_private_storage


def pytest_addoption(parser: pytest.Parser) -> None:
    declare_pytest_options(parser.getgroup("provider-conformance", "LLM provider conformance"))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance: a provider-conformance check")
    register_clause_markers(config)
    check_pytest_options(config)  # bad timeouts, corpus or report folder: one line, exit 4
    config.pluginmanager.register(RedactionPlugin(), "provider-conformance-redaction")
    try:
        state = ConformanceState(config)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.pluginmanager.register(state, PLUGIN_NAME)
    try:
        matrix.register(config, state)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    isolation.register(config, state)
    if not state.configured:
        return
    use_private_storage()  # no .hypothesis/ in the working directory (state_dirs.py)
    suite = str(Path(__file__).with_name("configured_tests.py"))
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        pasted = selected_suite_args(config.args, suite)  # ids printed by an earlier run
        if pasted is not None:
            config.args[:] = pasted
        else:
            config.args.append(suite)
    else:
        config.args[:] = [suite]
    if state.report_dir is not None:
        state.report_dir.mkdir(parents=True, exist_ok=True)
        if not config.option.xmlpath:
            config.option.xmlpath = str(state.report_dir / "junit.xml")
        if not config.option.no_provider_coverage:
            modules = [m for m in (s.module_name for s in state.configured) if m]
            # A controller whose checks run in workers measures nothing itself.
            in_workers = _checks_run_in_workers(config, state)
            workers = getattr(config, "workerinput", {}).get("workercount", 1)
            state.coverage = ProviderCoverage(
                state.report_dir,
                modules,
                worker=state.is_worker,
                alone=not in_workers and workers == 1,
            )
            state.coverage.start(measure=not in_workers)
    if _checks_run_in_workers(config, state):
        return  # built once the workers are starting: pytest_sessionstart below
    _warm_providers(state)


def _checks_run_in_workers(config: pytest.Config, state: ConformanceState) -> bool:
    return not state.is_worker and getattr(config.option, "dist", "no") != "no"


def _warm_providers(state: ConformanceState) -> None:
    try:  # after coverage has started, so the provider's module-level code is measured too
        _load_configured(state)
    except UsageError as exc:
        if state.coverage is not None:
            state.coverage.discard()
        raise pytest.UsageError(str(exc)) from None
    if state.coverage is not None:  # imported and built: measure only provider threads now
        state.coverage.narrow()


@pytest.hookimpl(wrapper=True)
def pytest_sessionstart(session: pytest.Session) -> Generator[None, None, None]:
    """A controller builds the providers after pytest-xdist has started its workers.

    Each worker imports and builds them itself before its first check: built first in the
    controller too, they held back every worker's start. Built here, in parallel with the
    workers' start-up, they still end the run before any check when none can be built (one
    line, exit status 2), and a run of many still reports those that cannot be built.
    """
    result = yield
    config = session.config
    state: ConformanceState | None = config.pluginmanager.getplugin(PLUGIN_NAME)
    if state is not None and state.configured and _checks_run_in_workers(config, state):
        try:
            _warm_providers(state)
        except pytest.UsageError:
            _stop_workers(config)  # pytest does not finish a session that did not start
            raise
    return result


def _stop_workers(config: pytest.Config) -> None:
    """Stop the workers pytest-xdist started (its session finish would have, had it run).

    They are still starting, and a starting worker does not answer pytest-xdist's request to
    exit (its own teardown waits up to 10 s for that): after a short grace they are killed.
    """
    nodes = getattr(config.pluginmanager.getplugin("dsession"), "nodemanager", None)
    group = getattr(nodes, "group", None)
    if group is not None:
        group.terminate(_STOP_GRACE)


#: Seconds a starting worker is given to exit when the run ends before its first check.
_STOP_GRACE = 0.5


def _load_configured(state: ConformanceState) -> None:
    """Import and build every provider once; set aside those that cannot be built.

    With one provider, one that cannot be built is a usage error. In a run of many the others
    are still judged; its report entry says why it was not (`build_error`), and none of its checks
    is planned, so it neither passes nor fails a clause.
    """
    errors: dict[str, str] = {}
    # Importing and building run before pytest captures any test's output: what a provider prints
    # here would reach the terminal unredacted, so it is not shown at all.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for spec in state.configured:
            try:
                state.provider(spec)
            except BuildError as exc:
                errors[spec.id] = str(exc)
    if not errors:
        return
    if len(errors) == len(state.configured):
        more = f" (and {len(errors) - 1} more provider(s) that cannot be built)"
        raise UsageError(next(iter(errors.values())) + (more if len(errors) > 1 else ""))
    state.build_errors = errors
    state.unbuildable = [s for s in state.configured if s.id in errors]
    state.configured = [s for s in state.configured if s.id not in errors]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    from conformance.plugin.suite import ProviderConformanceSuite

    cls = metafunc.cls
    if cls is not None and issubclass(cls, ProviderConformanceSuite):
        parametrize(metafunc, cls)


@pytest.fixture
def conformance(request: pytest.FixtureRequest) -> ConformanceChecks:
    """Runs checks for the requesting test and records their outcomes for the report."""
    return ConformanceChecks(state_of(request.config), request.node)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    result = yield
    report: pytest.TestReport = result.get_result()
    if call.when == "call" and OUTCOME_KEY in item.stash:
        # An attribute, so it travels with the report from pytest-xdist workers.
        report.conformance = item.stash[OUTCOME_KEY]  # type: ignore[attr-defined]


def _stop_reason(state: ConformanceState, exitstatus: int) -> str | None:
    if state.stop_reason is not None:
        return state.stop_reason
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        return "interrupted"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = state_of(session.config)
    if state.coverage is not None:
        state.coverage.stop()
    state.close()
    run = matrix.settings(session.config)
    if state.is_worker:
        return
    if state.report_dir is None and run.baseline is None and not state.outcomes:
        return
    cli = Path(sys.argv[0]).stem in ("provider-conformance", "cli")
    program = "provider-conformance" if cli else "pytest"
    command = " ".join([program, *redact_arguments(sys.argv[1:], SECRET_FLAGS)])
    report, written = write_reports(
        state.report_dir,
        state.outcomes,
        command=command,
        shard=run.shard,
        baseline=run.baseline,
        plan=state.plan,
        stop_reason=_stop_reason(state, exitstatus),
        providers=[
            spec_info(spec)
            for spec in [*state.configured, *state.unbuildable]
            if spec.id in state.build_errors
            or (state.plan is not None and spec.id in state.plan.providers)
        ],
        build_errors=state.build_errors,
    )
    state.report = report
    state.verdicts = verdict_lines(report)
    add_junit_entries(session.config, report, state.plan)
    if state.report_dir is None:
        return
    if session.config.option.xmlpath:
        written.append(Path(session.config.option.xmlpath))  # pytest writes it after this hook
    if state.coverage is not None:
        written += state.coverage.report()
    state.written = written


def stop_run(config: pytest.Config, reason: str) -> None:
    """Say why the run ends before its checks do ("deadline", "interrupted").

    For whatever ends a run early (the overall deadline): at session finish every planned check
    without an outcome is reported incomplete with this kind, and the run's status is this.
    """
    state: ConformanceState | None = config.pluginmanager.getplugin(PLUGIN_NAME)
    if state is not None:
        state.stop_reason = reason


def run_exit_code(config: pytest.Config) -> int | None:
    """0 conforms, 1 a clause failed (or the gate did), 3 the run is incomplete; None: no report.

    Read by `provider-conformance run`; pytest's own exit status stays pytest's.
    """
    state = config.pluginmanager.getplugin(PLUGIN_NAME)
    if state is None or state.report is None:
        return None
    return report_exit_code(state.report)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    state = state_of(terminalreporter.config)
    if not state.written:
        return
    terminalreporter.write_sep("-", "provider-conformance")
    terminalreporter.write_line(f"reports written to {state.report_dir}:")
    for path in state.written:
        terminalreporter.write_line(f"  {path}")
    for line in state.verdicts:
        terminalreporter.write_line(line)
