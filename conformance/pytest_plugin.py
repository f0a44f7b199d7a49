"""The pytest plugin (entry point `pytest11`): options, fixtures, parametrization and reports.

Thin by design: it parametrizes the suite's tests over providers and scenarios, hands each check to
the runner, and gathers the outcomes (also from pytest-xdist workers, through the test reports)
into the compatibility report at the end of the session.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from _pytest.compat import ascii_escaped

from conformance import matrix
from conformance.canonical import MODES, Mode
from conformance.capabilities.run import ConfigurationChecks, add_configuration_options
from conformance.dialects.corpus import corpus_scenarios, file_scenario, is_recording
from conformance.errors import ScenarioError, UsageError
from conformance.isolation import workers as isolation
from conformance.option_checks import check_pytest_options
from conformance.profiles.base import ProviderSpec
from conformance.properties import PROPERTIES, Property, run_property
from conformance.properties.settings import DEFAULT_PROFILE, PROFILES, property_profile
from conformance.provider_files import (
    ensure_unique_ids,
    load_entry_point_providers,
    load_providers_file,
)
from conformance.pytest_redaction import RedactionPlugin
from conformance.quiet_logs import quiet_captured_logs
from conformance.report.coverage_run import ProviderCoverage
from conformance.report.exit_codes import report_exit_code
from conformance.report.failure_summary import failure_lines
from conformance.report.harness_errors import (
    IDENTITY_CLAUSES,
    harness_error_text,
    redact_run_secrets,
    spec_facts,
)
from conformance.report.junit import add_junit_entries, tidy_classnames
from conformance.report.plan import (
    Plan,
    PlannedCheck,
    check_id,
    fingerprint,
    missing_outcome,
    parse_test_id,
)
from conformance.report.writers import spec_info, verdict_lines, write_reports
from conformance.resilience import RESILIENCE_CHECKS, ResilienceCheck, run_resilience_check
from conformance.runner import (
    DEFAULT_CHECK_TIMEOUT,
    DEFAULT_PROVIDER_TIMEOUT,
    BuildError,
    Case,
    CaseOutcome,
    Incomplete,
    ProviderUnderTest,
)
from conformance.scenarios import Scenario, bundled_scenarios, load_file, load_scenarios
from conformance.secret_options import redact_arguments, resolve_options
from conformance.selection import clause_param, register_clause_markers, selected_suite_args
from conformance.server import FakeServer
from conformance.state_dirs import use_private_storage

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
    return resolve_options(options, "--profile-option")


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
        #: Recording files given as scenario files (`replay FILE.sse`), read by each dialect.
        self.recording_files = [Path(p) for p in option.scenario_file if is_recording(Path(p))]
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
                with contextlib.suppress(UsageError):  # another dialect's recording
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
            "profile_option_keys": sorted(_parse_options(option.profile_option)),
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


class ConformanceChecks:
    """What the suite's tests call: run a check, record its outcome, pass, skip or fail.

    Every check gets an outcome, also when the harness itself raises while running or judging it:
    that check is then incomplete ("harness-error"), reported in every format, never a pass and
    never the provider's failure.
    """

    def __init__(self, state: ConformanceState, item: pytest.Item) -> None:
        self._state = state
        self._item = item

    def _finish(self, outcome: CaseOutcome, clauses: Sequence[str] = ()) -> None:
        data = outcome.as_json()
        if os.environ.get("PYTHONPATH"):  # the reproduce command needs it to import the provider
            data["facts"]["reproduce_env"] = [f"PYTHONPATH={os.environ['PYTHONPATH']}"]
        if outcome.incomplete is not None:
            data["clauses"] = list(clauses)
        self._item.stash[_OUTCOME] = data
        if outcome.incomplete is not None:
            pytest.fail(
                f"{outcome.provider}: {outcome.scenario} [{outcome.mode}]: "
                f"{outcome.incomplete.kind.replace('-', ' ')} (not a provider failure): "
                f"{outcome.incomplete.reason}",
                pytrace=False,
            )
        if outcome.not_applicable is not None and not outcome.failures:
            pytest.skip(f"not applicable: {outcome.not_applicable}")
        if not outcome.ok:
            pytest.fail(outcome.failure_text(), pytrace=False)
        if outcome.inconclusive:
            lines = [f"  {v.headline()}" for v in outcome.inconclusive]
            pytest.fail(
                f"{outcome.provider}: scenario {outcome.scenario} [{outcome.mode}]: "
                "inconclusive (not a provider failure):\n" + "\n".join(lines),
                pytrace=False,
            )

    def _guarded(
        self,
        spec: ProviderSpec,
        scenario: str,
        mode: str,
        clauses: Sequence[str],
        run: Callable[[], CaseOutcome],
    ) -> None:
        try:
            outcome = run()
        except BuildError as exc:  # a suite class's provider that cannot be built: not a verdict
            outcome = CaseOutcome(spec.id, scenario, mode, facts=spec_facts(spec), error=str(exc))
        except Exception as exc:  # the harness's own fault: the check still gets an outcome
            outcome = CaseOutcome(
                spec.id,
                scenario,
                mode,
                facts=self._facts(spec),
                incomplete=Incomplete("harness-error", harness_error_text(exc, spec)),
            )
        self._finish(outcome, clauses)

    def _facts(self, spec: ProviderSpec) -> dict[str, Any]:
        try:
            return self._state.provider(spec).facts()
        except Exception:  # the provider itself is what broke: what the run was told of it
            return spec_facts(spec)

    def check_identity(self, spec: ProviderSpec) -> None:
        state = self._state
        self._guarded(
            spec,
            "identity",
            "none",
            IDENTITY_CLAUSES,
            lambda: state.configuration.identity(state.provider(spec), state.server),
        )

    def check_case(self, spec: ProviderSpec, case: Case) -> None:
        state = self._state
        option = state.config.option
        self._guarded(
            spec,
            case.scenario.name,
            case.mode,
            case.scenario.focus,
            lambda: state.configuration.case(
                state.server,
                state.provider(spec),
                case,
                check_timeout=option.check_timeout,
                provider_timeout=option.provider_timeout,
            ),
        )

    def check_property(self, spec: ProviderSpec, prop: Property, mode: Mode) -> None:
        state = self._state
        option = state.config.option
        save = state.report_dir / "regressions" if state.report_dir is not None else None
        self._guarded(
            spec,
            prop.id,
            mode,
            prop.clauses[mode],
            lambda: run_property(
                state.server,
                state.provider(spec),
                prop,
                mode,
                profile=state.property_profile,
                seed=option.property_seed,
                save_dir=save,
                replay_arguments=state.configuration.reproduce(spec),
                check_timeout=option.check_timeout,
                provider_timeout=option.provider_timeout,
            ),
        )

    def check_resilience(self, spec: ProviderSpec, check: ResilienceCheck, mode: str) -> None:
        state = self._state
        option = state.config.option
        self._guarded(
            spec,
            check.name,
            mode,
            (check.clause,),
            lambda: run_resilience_check(
                state.server,
                state.provider(spec),
                check,
                mode,  # type: ignore[arg-type]
                check_timeout=option.check_timeout,
                provider_timeout=option.provider_timeout,
            ),
        )


def _state(config: pytest.Config) -> ConformanceState:
    state: ConformanceState = config.pluginmanager.getplugin(_PLUGIN_NAME)
    return state


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
    config.pluginmanager.register(state, _PLUGIN_NAME)
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
            state.coverage = ProviderCoverage(state.report_dir, modules, worker=state.is_worker)
            state.coverage.start()
    try:  # after coverage has started, so the provider's module-level code is measured too
        _load_configured(state)
    except UsageError as exc:
        if state.coverage is not None:
            state.coverage.discard()
        raise pytest.UsageError(str(exc)) from None


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
    from conformance.suite import ProviderConformanceSuite

    cls = metafunc.cls
    if cls is None or not issubclass(cls, ProviderConformanceSuite):
        return
    state = _state(metafunc.config)
    specs = cls.conformance_specs(metafunc.config)
    if "conformance_spec" in metafunc.fixturenames:
        metafunc.parametrize(
            "conformance_spec", [clause_param(s, s.id, IDENTITY_CLAUSES) for s in specs]
        )
    if "conformance_check" in metafunc.fixturenames:
        names = cls.conformance_scenarios(metafunc.config)
        names = list(names) if names is not None else None
        try:
            pairs = state.case_checks(specs, names)
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
        metafunc.parametrize(
            "conformance_check",
            [
                clause_param((spec, case), f"{spec.id}:{case.id}", case.scenario.focus)
                for spec, case in pairs
            ],
        )
    if "conformance_property" in metafunc.fixturenames:
        chosen = cls.conformance_properties(metafunc.config)
        properties = state.property_checks(specs, chosen)
        metafunc.parametrize(
            "conformance_property",
            [
                clause_param((spec, prop, mode), f"{spec.id}:{prop.id}-{mode}", prop.clauses[mode])
                for spec, prop, mode in properties
            ],
        )
    if "conformance_resilience" in metafunc.fixturenames:
        triples = state.resilience_checks(specs)
        metafunc.parametrize(
            "conformance_resilience",
            [
                clause_param((spec, check, mode), f"{spec.id}:{check.name}-{mode}", (check.clause,))
                for spec, check, mode in triples
            ],
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


def _stop_reason(state: ConformanceState, exitstatus: int) -> str | None:
    if state.stop_reason is not None:
        return state.stop_reason
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        return "interrupted"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = _state(session.config)
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
    command = " ".join([program, *redact_arguments(sys.argv[1:])])
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
    state: ConformanceState | None = config.pluginmanager.getplugin(_PLUGIN_NAME)
    if state is not None:
        state.stop_reason = reason


def run_exit_code(config: pytest.Config) -> int | None:
    """0 conforms, 1 a clause failed (or the gate did), 3 the run is incomplete; None: no report.

    Read by `provider-conformance run`; pytest's own exit status stays pytest's.
    """
    state = config.pluginmanager.getplugin(_PLUGIN_NAME)
    if state is None or state.report is None:
        return None
    return report_exit_code(state.report)


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
