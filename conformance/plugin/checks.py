"""The `conformance` fixture's object: how a suite test runs one check and attaches its outcome.

The suite class calls these methods; keeping them apart from the hooks means the suite and the
hooks do not import each other.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from conformance.checks.lifecycle import PlannedCheck, run_planned
from conformance.checks.runner import Case, CaseOutcome
from conformance.plugin.kinds import KINDS
from conformance.plugin.state import OUTCOME_KEY, ConformanceState
from conformance.properties import Property
from conformance.report.failure_summary import transcript_link
from conformance.resilience import ResilienceCheck
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

    def run(self, check: PlannedCheck) -> None:
        """Run one planned check of any kind (conformance/plugin/kinds.py) and record it."""
        self._finish(run_planned(check, self._facts, self._inexpressible), check.clauses)

    def _facts(self, spec: ProviderSpec) -> dict[str, Any]:
        return self._state.provider(spec).facts()

    def _inexpressible(self, spec: ProviderSpec) -> Mapping[str, str]:
        return self._state.provider(spec).profile.not_applicable

    def check_identity(self, spec: ProviderSpec) -> None:
        self.run(KINDS["conformance_spec"].plan(self._state, spec))

    def check_case(self, spec: ProviderSpec, case: Case) -> None:
        self.run(KINDS["conformance_check"].plan(self._state, (spec, case)))

    def check_property(self, spec: ProviderSpec, prop: Property, mode: Mode) -> None:
        self.run(KINDS["conformance_property"].plan(self._state, (spec, prop, mode)))

    def check_resilience(self, spec: ProviderSpec, check: ResilienceCheck, mode: str) -> None:
        self.run(KINDS["conformance_resilience"].plan(self._state, (spec, check, mode)))
