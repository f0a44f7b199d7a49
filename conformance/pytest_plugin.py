"""The pytest plugin (entry point `pytest11`): options, fixtures, parametrization and reports.

Thin by design: it parametrizes the suite's tests over providers and scenarios, hands each check to
the runner, and gathers the outcomes (also from pytest-xdist workers, through the test reports)
into the compatibility report at the end of the session.
"""

from __future__ import annotations

import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import matrix
from conformance.canonical import MODES, Mode
from conformance.capabilities.run import ConfigurationChecks, add_configuration_options
from conformance.errors import ScenarioError, UsageError
from conformance.isolation import workers as isolation
from conformance.profiles.base import ProviderSpec
from conformance.properties import PROPERTIES, Property, run_property
from conformance.properties.settings import DEFAULT_PROFILE, PROFILES, property_profile
from conformance.provider_files import (
    ensure_unique_ids,
    load_entry_point_providers,
    load_providers_file,
)
from conformance.report.coverage_run import ProviderCoverage
from conformance.report.writers import verdict_lines, write_reports
from conformance.resilience import RESILIENCE_CHECKS, ResilienceCheck, run_resilience_check
from conformance.runner import (
    DEFAULT_CHECK_TIMEOUT,
    DEFAULT_PROVIDER_TIMEOUT,
    Case,
    CaseOutcome,
    ProviderUnderTest,
)
from conformance.scenarios import Scenario, bundled_scenarios, load_file, load_scenarios
from conformance.scenarios.recordings import recorded_scenarios
from conformance.server import FakeServer

_OUTCOME = pytest.StashKey[dict[str, Any]]()
#: Resilience checks are chosen with --scenario too (their names are not scenarios).
RESILIENCE_NAMES = frozenset(check.name for check in RESILIENCE_CHECKS)
_PLUGIN_NAME = "provider-conformance-state"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("provider-conformance", "LLM provider conformance")
    group.addoption(
        "--provider",
        action="append",
        default=[],
        metavar="MODULE:CLASS",
        help="provider class (or factory) to judge; repeatable",
    )
    group.addoption(
        "--providers-file",
        metavar="FILE",
        help="YAML file listing providers (schemas/providers.schema.json)",
    )
    group.addoption(
        "--dialect",
        default="openai-chat",
        metavar="NAME",
        help="wire dialect of --provider (default: openai-chat), or module:Class",
    )
    group.addoption(
        "--profile",
        default="native",
        metavar="NAME",
        help="interface profile of --provider (default: native), or module:Class",
    )
    group.addoption(
        "--profile-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="option for the profile or extra constructor argument; repeatable",
    )
    group.addoption(
        "--scenario",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this scenario; repeatable",
    )
    group.addoption(
        "--scenarios-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="also load scenarios from this folder; repeatable",
    )
    group.addoption(
        "--wire-corpus",
        metavar="DIR",
        help="also replay each dialect's recorded streams found under DIR",
    )
    group.addoption(
        "--report-dir",
        metavar="DIR",
        help="write the compatibility report and provider coverage here",
    )
    group.addoption(
        "--check-timeout",
        type=float,
        default=DEFAULT_CHECK_TIMEOUT,
        metavar="S",
        help=f"stop a check after S seconds (default {DEFAULT_CHECK_TIMEOUT:g})",
    )
    group.addoption(
        "--provider-timeout",
        type=float,
        default=DEFAULT_PROVIDER_TIMEOUT,
        metavar="S",
        help=f"timeout the provider is built with (default {DEFAULT_PROVIDER_TIMEOUT:g})",
    )
    group.addoption(
        "--no-provider-coverage", action="store_true", help="do not measure the provider's own code"
    )
    group.addoption(
        "--scenario-file",
        action="append",
        default=[],
        metavar="FILE",
        help="run only the scenarios of this file (a saved regression, say); repeatable",
    )
    group.addoption(
        "--property-profile",
        default=DEFAULT_PROFILE,
        choices=sorted(PROFILES),
        help="how hard the properties search: dev (quick), ci (default: a fixed seed, "
        "reproducible), thorough (long)",
    )
    group.addoption(
        "--property-seed",
        type=int,
        metavar="N",
        help="draw the properties' examples from this seed (shown with every property failure)",
    )
    group.addoption("--no-properties", action="store_true", help="run the example scenarios only")
    matrix.add_options(group)
    isolation.add_options(group)
    add_configuration_options(group)


def _parse_options(pairs: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--profile-option {pair}: expected KEY=VALUE")
        options[key.strip()] = value
    return options


def configured_specs(config: pytest.Config) -> list[ProviderSpec]:
    state: ConformanceState = config.pluginmanager.getplugin(_PLUGIN_NAME)
    return state.configured


class ConformanceState:
    """Per-session state of the plugin: scenarios, providers, the server and the outcomes."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        option = config.option
        options = _parse_options(option.profile_option)
        self.configured: list[ProviderSpec] = [
            ProviderSpec(target=t, dialect=option.dialect, profile=option.profile, options=options)
            for t in option.provider
        ]
        if option.providers_file:
            self.configured += load_providers_file(Path(option.providers_file))
        for group in option.entry_points:
            self.configured += load_entry_point_providers(
                group, dialect=option.dialect, profile=option.profile, options=options
            )
        ensure_unique_ids(self.configured, "providers of this run")
        extra = [Path(d) for d in option.scenarios_dir]
        self.scenarios: dict[str, Scenario] = dict(bundled_scenarios())
        for name, scenario in load_scenarios(extra).items() if extra else ():
            self.scenarios[name] = scenario
        #: CF-1 and CF-2: --capabilities, --model, --registry (conformance/capabilities/run.py).
        self.configuration = ConfigurationChecks.from_options(option)
        self.scenarios = self.configuration.scenarios(self.scenarios, option.capabilities_model)
        self.corpus = Path(option.wire_corpus) if option.wire_corpus else None
        self.scenario_files: list[str] = []
        for path in option.scenario_file:
            try:
                loaded = load_file(Path(path))
            except ScenarioError as exc:
                raise UsageError(f"--scenario-file {path}: {exc}") from None
            for scenario in loaded:
                self.scenarios[scenario.name] = scenario
                self.scenario_files.append(scenario.name)
        self.property_profile = property_profile(option.property_profile)
        self._recorded: dict[str, dict[str, Scenario]] = {}
        unknown = [
            n
            for n in option.scenario
            if n not in self.scenarios
            and not n.startswith(("wire-", "property-"))
            and n not in RESILIENCE_NAMES
        ]
        if unknown:
            raise UsageError(
                f"--scenario {unknown[0]}: unknown scenario; run "
                "'provider-conformance list scenarios' to see them"
            )
        self.filter: list[str] = [*option.scenario, *self.scenario_files]
        self.run_properties = not option.no_properties and not self.scenario_files
        self.report_dir = Path(option.report_dir) if option.report_dir else None
        self._providers: dict[str, ProviderUnderTest] = {}
        self._server: FakeServer | None = None
        self.outcomes: list[dict[str, Any]] = []
        self.coverage: ProviderCoverage | None = None
        self.written: list[Path] = []
        self.verdicts: list[str] = []
        #: The run's report, once the session has finished (gating and progress read it).
        self.report: dict[str, Any] | None = None

    @property
    def is_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    def provider(self, spec: ProviderSpec) -> ProviderUnderTest:
        key = f"{spec.id}|{spec.target}"
        if key not in self._providers:
            self._providers[key] = ProviderUnderTest.load(spec)
        return self._providers[key]

    def recorded(self, spec: ProviderSpec) -> dict[str, Scenario]:
        """The corpus scenarios for the spec's dialect (none without --wire-corpus)."""
        if self.corpus is None:
            return {}
        dialect = self.provider(spec).dialect
        if dialect.name not in self._recorded:
            self._recorded[dialect.name] = recorded_scenarios(dialect, self.corpus)
        return self._recorded[dialect.name]

    def cases(self, spec: ProviderSpec, names: list[str] | None) -> Iterator[Case]:
        available = {**self.scenarios, **self.recorded(spec)}
        for name, scenario in available.items():
            if self.filter and name not in self.filter:
                continue
            if names is not None and name not in names:
                continue
            for mode in MODES:
                if mode in scenario.modes:
                    yield Case(scenario, mode)

    @property
    def server(self) -> FakeServer:
        if self._server is None:
            self._server = FakeServer().start()
        return self._server

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = getattr(report, "conformance", None)
        if outcome is not None and not self.is_worker:
            self.outcomes.append(outcome)


class ConformanceChecks:
    """What the suite's tests call: run a check, record its outcome, pass, skip or fail."""

    def __init__(self, state: ConformanceState, item: pytest.Item) -> None:
        self._state = state
        self._item = item

    def _finish(self, outcome: CaseOutcome) -> None:
        self._item.stash[_OUTCOME] = outcome.as_json()
        if outcome.not_applicable is not None and not outcome.failures:
            pytest.skip(f"not applicable: {outcome.not_applicable}")
        if not outcome.ok:
            pytest.fail(outcome.failure_text(), pytrace=False)

    def check_identity(self, spec: ProviderSpec) -> None:
        state = self._state
        self._finish(state.configuration.identity(state.provider(spec), state.server))

    def check_case(self, spec: ProviderSpec, case: Case) -> None:
        state = self._state
        option = state.config.option
        self._finish(
            state.configuration.case(
                state.server,
                state.provider(spec),
                case,
                check_timeout=option.check_timeout,
                provider_timeout=option.provider_timeout,
            )
        )

    def check_property(self, spec: ProviderSpec, prop: Property, mode: Mode) -> None:
        state = self._state
        option = state.config.option
        put = state.provider(spec)
        save = state.report_dir / "regressions" if state.report_dir is not None else None
        self._finish(
            run_property(
                state.server,
                put,
                prop,
                mode,
                profile=state.property_profile,
                seed=option.property_seed,
                save_dir=save,
                replay_arguments=state.configuration.reproduce(spec),
                check_timeout=option.check_timeout,
                provider_timeout=option.provider_timeout,
            )
        )

    def check_resilience(self, spec: ProviderSpec, check: ResilienceCheck, mode: str) -> None:
        state = self._state
        option = state.config.option
        self._finish(
            run_resilience_check(
                state.server,
                state.provider(spec),
                check,
                mode,  # type: ignore[arg-type]
                check_timeout=option.check_timeout,
                provider_timeout=option.provider_timeout,
            )
        )


def _state(config: pytest.Config) -> ConformanceState:
    state: ConformanceState = config.pluginmanager.getplugin(_PLUGIN_NAME)
    return state


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance: a provider-conformance check")
    try:
        state = ConformanceState(config)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.pluginmanager.register(state, _PLUGIN_NAME)
    try:
        matrix.register(config, state)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    isolation.register(config, state)
    if not state.configured:
        return
    suite = str(Path(__file__).with_name("configured_tests.py"))
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        config.args.append(suite)
    else:
        config.args[:] = [suite]
    if state.report_dir is not None:
        state.report_dir.mkdir(parents=True, exist_ok=True)
        if not config.option.xmlpath:
            config.option.xmlpath = str(state.report_dir / "junit.xml")
        if not config.option.no_provider_coverage:
            modules = [m for m in (s.module_name for s in state.configured) if m]
            state.coverage = ProviderCoverage(state.report_dir, modules, worker=state.is_worker)
            state.coverage.start()
    try:  # after coverage has started, so the provider's module-level code is measured too
        for spec in state.configured:
            state.provider(spec)
    except UsageError as exc:
        if state.coverage is not None:
            state.coverage.discard()
        raise pytest.UsageError(str(exc)) from None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    from conformance.suite import ProviderConformanceSuite

    cls = metafunc.cls
    if cls is None or not issubclass(cls, ProviderConformanceSuite):
        return
    state = _state(metafunc.config)
    specs = cls.conformance_specs(metafunc.config)
    if "conformance_spec" in metafunc.fixturenames:
        metafunc.parametrize("conformance_spec", specs, ids=[s.id for s in specs])
    if "conformance_check" in metafunc.fixturenames:
        names = cls.conformance_scenarios(metafunc.config)
        names = list(names) if names is not None else None
        try:
            pairs = [(spec, case) for spec in specs for case in state.cases(spec, names)]
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
        metafunc.parametrize(
            "conformance_check", pairs, ids=[f"{spec.id}:{case.id}" for spec, case in pairs]
        )
    if "conformance_property" in metafunc.fixturenames:
        only = set(state.filter)
        chosen = cls.conformance_properties(metafunc.config)
        properties = [
            (spec, prop, mode)
            for spec in specs
            for prop in PROPERTIES
            if state.run_properties and (not only or prop.id in only)
            if chosen is None or prop.name in chosen or prop.id in chosen
            for mode in prop.modes
        ]
        metafunc.parametrize(
            "conformance_property",
            properties,
            ids=[f"{spec.id}:{prop.id}-{mode}" for spec, prop, mode in properties],
        )
    if "conformance_resilience" in metafunc.fixturenames:
        only = set(state.filter)
        triples = [
            (spec, check, mode)
            for spec in specs
            for check in RESILIENCE_CHECKS
            if not only or check.name in only
            for mode in check.modes
        ]
        metafunc.parametrize(
            "conformance_resilience",
            triples,
            ids=[f"{spec.id}:{check.name}-{mode}" for spec, check, mode in triples],
        )


@pytest.fixture
def conformance(request: pytest.FixtureRequest) -> ConformanceChecks:
    """Runs checks for the requesting test and records their outcomes for the report."""
    return ConformanceChecks(_state(request.config), request.node)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    result = yield
    report: pytest.TestReport = result.get_result()
    if call.when == "call" and _OUTCOME in item.stash:
        # An attribute, so it travels with the report from pytest-xdist workers.
        report.conformance = item.stash[_OUTCOME]  # type: ignore[attr-defined]


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = _state(session.config)
    if state.coverage is not None:
        state.coverage.stop()
    state.close()
    run = matrix.settings(session.config)
    if state.is_worker or (state.report_dir is None and run.baseline is None):
        return
    cli = Path(sys.argv[0]).stem in ("provider-conformance", "cli")
    program = "provider-conformance" if cli else "pytest"
    command = " ".join([program, *sys.argv[1:]])
    report, written = write_reports(
        state.report_dir, state.outcomes, command=command, shard=run.shard, baseline=run.baseline
    )
    state.report = report
    state.verdicts = verdict_lines(report)
    if state.report_dir is None:
        return
    if session.config.option.xmlpath:
        written.append(Path(session.config.option.xmlpath))  # pytest writes it after this hook
    if state.coverage is not None:
        written += state.coverage.report()
    state.written = written


def pytest_terminal_summary(terminalreporter: Any) -> None:
    state = _state(terminalreporter.config)
    if not state.written:
        return
    terminalreporter.write_sep("-", "provider-conformance")
    terminalreporter.write_line(f"reports written to {state.report_dir}:")
    for path in state.written:
        terminalreporter.write_line(f"  {path}")
    for line in state.verdicts:
        terminalreporter.write_line(line)
