"""One check lifecycle (conformance/checks/lifecycle.py) and one parametrization path
(conformance/plugin/kinds.py) serve every kind of check."""

from __future__ import annotations

import inspect

from conformance.checks.lifecycle import PlannedCheck, run_planned
from conformance.checks.runner import BuildError, CaseOutcome
from conformance.plugin.kinds import KINDS
from conformance.plugin.suite import ProviderConformanceSuite
from conformance.vocabulary.spec import ProviderSpec

SPEC = ProviderSpec(
    target="acme.llm:Acme", dialect="openai-chat", options={"api_key": "typed-secret-0042"}
)


def _planned(run: object) -> PlannedCheck:
    return PlannedCheck(SPEC, "text_plain", "chat", ("ST-1",), run)  # type: ignore[arg-type]


def test_a_check_that_runs_keeps_its_own_outcome() -> None:
    outcome = CaseOutcome(SPEC.id, "text_plain", "chat")
    assert run_planned(_planned(lambda: outcome)) is outcome


def test_a_provider_that_cannot_be_built_is_an_error_not_a_verdict() -> None:
    def run() -> CaseOutcome:
        raise BuildError("--provider acme.llm:Acme: cannot be built")

    outcome = run_planned(_planned(run))
    assert outcome.error and "cannot be built" in outcome.error
    assert outcome.incomplete is None and outcome.verdicts == []


def test_a_harness_fault_leaves_the_check_incomplete_and_redacted() -> None:
    def run() -> CaseOutcome:
        raise RuntimeError("judge broke near typed-secret-0042")

    def facts(spec: ProviderSpec) -> dict[str, str]:
        raise ValueError("the provider's facts broke too")

    outcome = run_planned(_planned(run), facts)
    assert outcome.incomplete is not None and outcome.incomplete.kind == "harness-error"
    assert "RuntimeError: judge broke" in outcome.incomplete.reason
    assert "typed-secret-0042" not in outcome.incomplete.reason
    assert outcome.facts["target"] == "acme.llm:Acme"  # what the run was told of it


def test_every_suite_test_takes_its_checks_from_one_kinds_row() -> None:
    fixtures = {
        name
        for _, method in inspect.getmembers(ProviderConformanceSuite, inspect.isfunction)
        for name in inspect.signature(method).parameters
        if name.startswith("conformance_")
    }
    assert fixtures == set(KINDS)
