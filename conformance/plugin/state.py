"""What the plugin keeps for one pytest session: the plan, the outcomes, the report being built.

One object, registered as a plugin under a fixed name, so the gate, the progress display and the
writers all read the same run instead of re-deriving it.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from _pytest.compat import ascii_escaped

from conformance.capabilities.run import ConfigurationChecks
from conformance.checks.harness_errors import (
    IDENTITY_CLAUSES,
    redact_run_secrets,
)
from conformance.checks.runner import (
    BuildError,
    Case,
    ProviderUnderTest,
)
from conformance.dialects.corpus import (
    corpus_scenarios,
    file_scenario,
    is_dialects_file,
    is_recording,
)
from conformance.plugin.options import reproduce_arguments
from conformance.plugin.provider_files import (
    ensure_unique_ids,
    load_entry_point_providers,
    load_providers_file,
)
from conformance.plugin.quiet_logs import quiet_captured_logs
from conformance.properties import PROPERTIES, Property
from conformance.properties.settings import property_profile
from conformance.report.coverage_run import ProviderCoverage
from conformance.report.failure_summary import failure_lines, order_failed_reports
from conformance.report.junit import tidy_classnames
from conformance.report.plan import (
    Plan,
    PlannedCheck,
    check_id,
    fingerprint,
    missing_outcome,
    parse_test_id,
)
from conformance.resilience import RESILIENCE_CHECKS, ResilienceCheck
from conformance.scenarios import Scenario, bundled_scenarios, load_file, load_scenarios
from conformance.secrets.options import resolve_options
from conformance.server import FakeServer
from conformance.vocabulary.canonical import MODES, Mode
from conformance.vocabulary.errors import ScenarioError, UsageError
from conformance.vocabulary.spec import ProviderSpec

OUTCOME_KEY = pytest.StashKey[dict[str, Any]]()
#: Resilience checks are chosen with --scenario too (their names are not scenarios).
RESILIENCE_NAMES = frozenset(check.name for check in RESILIENCE_CHECKS)
PLUGIN_NAME = "provider-conformance-state"


class ConformanceState:
    """Per-session state of the plugin: scenarios, providers, the server and the outcomes."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        option = config.option
        options = parse_profile_options(option.profile_option)
        self.configured: list[ProviderSpec] = [
            ProviderSpec(target=t, dialect=option.dialect, profile=option.profile, options=options)
            for t in option.provider
        ]
        listed = load_providers_file(Path(option.providers_file)) if option.providers_file else []
        self.configured += listed
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
        self.configuration = ConfigurationChecks.from_options(
            option, reproduce_arguments(option), [s.id for s in listed]
        )
        self.scenarios = self.configuration.scenarios(self.scenarios, option.capabilities_model)
        self.corpus = Path(option.wire_corpus) if option.wire_corpus else None
        self.scenario_files: list[str] = []
        #: Recording files given as scenario files (`replay FILE.sse`), read by each dialect.
        self.recording_files = [Path(p) for p in option.scenario_file if is_recording(Path(p))]
        self.option_dialect: str = option.dialect
        self.scenario_files += [f"wire-{path.stem}" for path in self.recording_files]
        for path in option.scenario_file:
            if is_recording(Path(path)):
                continue
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
        self._unbuilt: dict[str, BuildError] = {}
        self._server: FakeServer | None = None
        self.outcomes: list[dict[str, Any]] = []
        self.coverage: ProviderCoverage | None = None
        self.written: list[Path] = []
        self.verdicts: list[str] = []
        #: The run's report, once the session has finished (gating and progress read it).
        self.report: dict[str, Any] | None = None
        #: The checks this session collected (this shard's part), known to the controller too.
        self.plan: Plan | None = None
        self._arrived: set[tuple[str, str]] = set()
        #: Why the session ended early, if a component knows better than pytest's exit status:
        #: the run's overall deadline sets "deadline" before the session finishes.
        self.stop_reason: str | None = None
        #: Provider id -> why it could not be built (a many-provider run goes on without it).
        self.build_errors: dict[str, str] = {}
        self.unbuildable: list[ProviderSpec] = []

    @property
    def is_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    def provider(self, spec: ProviderSpec) -> ProviderUnderTest:
        """The spec loaded and warmed (built once) in this process; raises BuildError."""
        key = f"{spec.id}|{spec.target}"
        if key in self._unbuilt:
            raise self._unbuilt[key]  # tried once in this process: no second wait for it
        if key not in self._providers:
            put = ProviderUnderTest.load(spec)
            try:
                put.warm(f"{self.server.root_url}/c/warm{put.dialect.base_path}")
            except BuildError as exc:
                self._unbuilt[key] = exc
                raise
            self._providers[key] = put
        return self._providers[key]

    def recorded(self, spec: ProviderSpec) -> dict[str, Scenario]:
        """The corpus scenarios for the spec's dialect (none without --wire-corpus)."""
        if self.corpus is None and not self.recording_files:
            return {}
        dialect = self.provider(spec).dialect
        if dialect.name not in self._recorded:
            found = corpus_scenarios(dialect, self.corpus) if self.corpus else {}
            for path in self.recording_files:
                if is_dialects_file(dialect, path, self.option_dialect):
                    scenario = file_scenario(dialect, path)
                    found[scenario.name] = scenario
            self._recorded[dialect.name] = found
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

    # -- the plan: what was collected, so what never reported is seen ------------------------

    def clauses_of(self, scenario: str, mode: str) -> tuple[str, ...]:
        """The clauses a check exists to judge, as far as the controller can tell."""
        if scenario == "identity":
            return IDENTITY_CLAUSES
        found = self.scenarios.get(scenario)
        for recorded in self._recorded.values():
            found = found or recorded.get(scenario)
        if found is not None:
            return tuple(found.focus)
        for prop in PROPERTIES:
            if prop.id == scenario:
                return tuple(prop.clauses.get(mode, ()))
        for check in RESILIENCE_CHECKS:
            if check.name == scenario:
                return (check.clause,)
        return ()

    def plan_from_ids(self, nodeids: Sequence[str]) -> None:
        if self.plan is not None:
            return  # every xdist worker collects the same tests: the first one counts
        try:
            whole = self.fingerprint(nodeids)
        except UsageError:  # a scenario source that fails now failed the collection already
            whole = fingerprint([], {"collected": sorted(nodeids)})
        plan = Plan(fingerprint=whole)
        # pytest escapes non-ASCII characters in test ids; outcomes carry the names themselves.
        names = [spec.id for spec in self.configured] + list(self.scenarios)
        unescape = {ascii_escaped(name): name for name in names}
        for nodeid in nodeids:
            parsed = parse_test_id(nodeid)
            if parsed is None:
                continue
            provider, scenario, mode = (unescape.get(part, part) for part in parsed)
            planned = PlannedCheck(provider, scenario, mode, self.clauses_of(scenario, mode))
            plan.add(planned, nodeid)
        self.plan = plan

    def fingerprint(self, collected: Iterable[str]) -> str:
        """The whole run's fingerprint: equal in every shard of it, different for another run."""
        if self.configured:
            checks = [(spec.id, "identity[none]") for spec in self.configured]
            checks += [(s.id, check_id(c.scenario.name, c.mode)) for s, c in self.case_checks()]
            checks += [(s.id, check_id(p.id, m)) for s, p, m in self.property_checks()]
            checks += [(s.id, check_id(c.name, m)) for s, c, m in self.resilience_checks()]
        else:  # a suite class of the user's: only the collected ids are known
            checks = [(p[0], check_id(p[1], p[2])) for p in map(parse_test_id, collected) if p]
        option = self.config.option
        options = {
            "check_timeout": option.check_timeout,
            "provider_timeout": option.provider_timeout,
            "property_profile": option.property_profile,
            "property_seed": option.property_seed,
            "properties": self.run_properties,
            "profile_option_keys": sorted(parse_profile_options(option.profile_option)),
            "providers": sorted(
                f"{s.id}|{s.target}|{s.dialect}|{s.profile}" for s in self.configured
            ),
        }
        return fingerprint(checks, options)

    def case_checks(
        self, specs: Sequence[ProviderSpec] | None = None, names: list[str] | None = None
    ) -> list[tuple[ProviderSpec, Case]]:
        chosen = self.configured if specs is None else specs
        return [(spec, case) for spec in chosen for case in self.cases(spec, names)]

    def property_checks(
        self, specs: Sequence[ProviderSpec] | None = None, names: Sequence[str] | None = None
    ) -> list[tuple[ProviderSpec, Property, Mode]]:
        only = set(self.filter)
        return [
            (spec, prop, mode)
            for spec in (self.configured if specs is None else specs)
            for prop in PROPERTIES
            if self.run_properties and (not only or prop.id in only)
            if names is None or prop.name in names or prop.id in names
            for mode in prop.modes
        ]

    def resilience_checks(
        self, specs: Sequence[ProviderSpec] | None = None
    ) -> list[tuple[ProviderSpec, ResilienceCheck, str]]:
        only = set(self.filter)
        return [
            (spec, check, mode)
            for spec in (self.configured if specs is None else specs)
            for check in RESILIENCE_CHECKS
            if not only or check.name in only
            for mode in check.modes
        ]

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> Generator[None, None, None]:
        """The failing clauses, one line each, before pytest's failure details (which follow)."""
        lines = failure_lines(self.outcomes, self.report) if not self.is_worker else []
        failed = terminalreporter.stats.get("failed")
        if failed:  # pytest's details below, in the order of these lines
            terminalreporter.stats["failed"] = order_failed_reports(failed)
        if lines:
            terminalreporter.write_sep("=", "failing clauses (details below)")
            for line in lines:
                terminalreporter.write_line(line)
        return (yield)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        quiet_captured_logs(session.config)  # the logging plugin exists from here on

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if config.option.xmlpath and not self.is_worker:
            tidy_classnames(Path(config.option.xmlpath))  # written at session finish

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not self.is_worker:
            self.plan_from_ids([item.nodeid for item in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.plan_from_ids(ids)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.is_worker:
            return
        if self.plan is not None and (report.when == "call" or not report.passed):
            self.plan.reported.add(report.nodeid)  # a test case of its own in junit.xml
        outcome = getattr(report, "conformance", None)
        if outcome is not None:
            self._record(outcome)
            return
        planned = self.plan.nodeids.get(report.nodeid) if self.plan is not None else None
        if planned is None or not report.failed:
            return
        # A planned check that failed without an outcome: its worker died, or a fixture broke.
        text = str(report.longrepr or "")
        kind = "crashed" if "crashed while running" in text else "harness-error"
        reason = " ".join(text.split())[-300:] or "the check reported no outcome"
        self._record(missing_outcome(planned, kind, redact_run_secrets(f"{report.when}: {reason}")))

    def _record(self, outcome: dict[str, Any]) -> None:
        key = (outcome["provider"], check_id(outcome["scenario"], outcome["mode"]))
        if key in self._arrived:
            return  # one outcome per check: a teardown error does not add a second
        self._arrived.add(key)
        self.outcomes.append(outcome)


def parse_profile_options(pairs: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--profile-option {pair}: expected KEY=VALUE")
        options[key.strip()] = value
    return resolve_options(options, "--profile-option")


def configured_specs(config: pytest.Config) -> list[ProviderSpec]:
    state: ConformanceState = config.pluginmanager.getplugin(PLUGIN_NAME)
    return state.configured


def state_of(config: pytest.Config) -> ConformanceState:
    state: ConformanceState = config.pluginmanager.getplugin(PLUGIN_NAME)
    return state
