"""The `conformance` fixture's object: how a suite test runs one check and attaches its outcome.

The suite class calls these methods; keeping them apart from the hooks means the suite and the
hooks do not import each other.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from conformance.checks.runner import (
    BuildError,
    Case,
    CaseOutcome,
    Incomplete,
)
from conformance.plugin.state import OUTCOME_KEY, ConformanceState
from conformance.properties import Property, run_property
from conformance.report.failure_summary import transcript_link
from conformance.report.harness_errors import (
    IDENTITY_CLAUSES,
    harness_error_text,
    spec_facts,
)
from conformance.resilience import ResilienceCheck, run_resilience_check
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.spec import ProviderSpec


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
        self._item.stash[OUTCOME_KEY] = data
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
            verbosity = self._item.config.get_verbosity()
            where = transcript_link(
                self._state.report_dir, verbosity, outcome.provider, outcome.scenario, outcome.mode
            )
            pytest.fail(outcome.failure_text(where), pytrace=False)
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
