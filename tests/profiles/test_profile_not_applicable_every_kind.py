"""A clause a profile declares not applicable is never passed or failed, by any kind of check.

The ecosystem matrix showed ST-2 "pass (1 of 23)" for LiteLLM, whose profile declares ST-2 not
applicable: the `answers` property reported the clauses it was drawn for as "held" without
asking the profile. The map is now applied once, in the check lifecycle, after every kind.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from conformance import FakeServer, ProviderSpec, ProviderUnderTest
from conformance.checks.lifecycle import PlannedCheck, outcome_as_profile_allows, run_planned
from conformance.checks.runner import BuildError, CaseOutcome
from conformance.judge.verdict import failed, passed
from conformance.plugin.checks import ConformanceChecks
from conformance.plugin.state import OUTCOME_KEY
from conformance.profiles.orchestrator import NOT_APPLICABLE
from conformance.properties import PropertyProfile, get_property, run_property

SPEC = ProviderSpec(target="acme.llm:Acme", dialect="openai-chat")
REASON = "the interface has no final chunk"
ORCHESTRATOR = "orchestrator.providers.openai_like:OpenAILikeProvider"
#: Two examples: enough to show the property's verdicts, cheap on a shared machine.
TINY = PropertyProfile("tiny", "two examples", 2, derandomize=True)


def _outcome(*verdicts: Any) -> CaseOutcome:
    outcome = CaseOutcome(SPEC.id, "property-answers", "stream")
    outcome.verdicts = list(verdicts)
    return outcome


def _planned(outcome: CaseOutcome) -> PlannedCheck:
    return PlannedCheck(SPEC, outcome.scenario, outcome.mode, ("ST-1", "ST-2"), lambda: outcome)


def test_a_pass_or_fail_on_a_declared_clause_becomes_not_applicable() -> None:
    outcome = _outcome(passed("ST-1", "held"), passed("ST-2", "held"), failed("ST-2", "two"))
    judged = run_planned(_planned(outcome), inexpressible=lambda spec: {"ST-2": REASON})
    assert [(v.clause, v.outcome) for v in judged.verdicts] == [
        ("ST-1", "pass"),
        ("ST-2", "not-applicable"),
        ("ST-2", "not-applicable"),
    ]
    assert judged.verdicts[1].message == REASON
    assert judged.not_applicable is None and judged.ok


def test_a_check_left_with_only_declared_clauses_is_not_applicable_as_a_whole() -> None:
    judged = outcome_as_profile_allows(_outcome(passed("ST-2", "held")), {"ST-2": REASON})
    assert judged.not_applicable == REASON


def test_a_provider_that_cannot_be_built_keeps_its_own_outcome() -> None:
    outcome = _outcome(passed("ST-2", "held"))

    def unbuilt(spec: ProviderSpec) -> dict[str, str]:
        raise BuildError("cannot be built")

    assert run_planned(_planned(outcome), inexpressible=unbuilt) is outcome


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


class _State:
    def __init__(self, put: ProviderUnderTest) -> None:
        self.put = put
        self.report_dir = None

    def provider(self, spec: ProviderSpec) -> ProviderUnderTest:
        return self.put


class _Item:
    def __init__(self) -> None:
        self.stash: dict[Any, Any] = {}


def test_the_suite_reports_a_property_on_a_declared_clause_not_applicable(
    server: FakeServer,
) -> None:
    """The orchestrator profile declares ST-2 not applicable; the `answers` property judges it."""
    put = ProviderUnderTest.load(ProviderSpec(ORCHESTRATOR, "openai-chat", "orchestrator"))
    prop = get_property("answers")

    def run() -> CaseOutcome:
        return run_property(server, put, prop, "stream", profile=TINY, seed=1)

    raw = run()
    assert any(v.clause == "ST-2" and v.outcome != "not-applicable" for v in raw.verdicts)
    item = _Item()
    checks = ConformanceChecks(_State(put), item)  # type: ignore[arg-type]
    planned = PlannedCheck(put.spec, prop.id, "stream", prop.clauses["stream"], run)
    # The verdicts are what is judged here, not the pytest outcome.
    with contextlib.suppress(pytest.fail.Exception, pytest.skip.Exception):
        checks.run(planned)
    verdicts = item.stash[OUTCOME_KEY]["verdicts"]
    st2 = [v for v in verdicts if v["clause"] == "ST-2"]
    assert st2 and all(v["outcome"] == "not-applicable" for v in st2)
    assert {v["message"] for v in st2} == {NOT_APPLICABLE["ST-2"]}
