"""What every known-bad table test does the same way: run one check, then judge the catch.

Each tests/test_known_bad_<dialect>.py plants one bug per row in a reference provider and demands
that one check flags the clause the bug breaks, says why in that clause's message, shows the wire
transcript, flags nothing unrelated, and never repeats the throwaway API key. Those demands are the
same for every dialect, so they live here once: a table that asserted less than its siblings would
be a weaker proof without anyone noticing. The rows, and the tests peculiar to one dialect, stay
in the test files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance import (
    Case,
    CaseOutcome,
    FakeServer,
    ProviderSpec,
    ProviderUnderTest,
    Scenario,
    bundled_scenarios,
    run_case,
    run_identity,
)
from conformance.dialects import get_dialect

SCENARIOS = bundled_scenarios()

#: The scenario name of the identity check, which sends no request.
IDENTITY = "identity"


@dataclass
class Run:
    """One check's outcome plus every API key the provider was built with (for SE-1 asserts)."""

    outcome: CaseOutcome
    keys: list[str] = field(default_factory=list)


def run_check(
    server: FakeServer,
    provider: type[Any],
    dialect: str,
    scenario: Scenario | str,
    mode: str,
    *,
    scenarios: Mapping[str, Scenario] = SCENARIOS,
) -> Run:
    """Run one check the way the plugin does, recording the throwaway key the runner hands out.

    The runner makes a fresh key per check and never returns it; a recording factory is the only
    way to learn it, and we need it to prove the key is redacted from the failure text. A
    scenario given by name is looked up in `scenarios` (the bundled ones unless a test adds its
    own); `IDENTITY` runs the identity check instead.
    """
    keys: list[str] = []

    def factory(**kwargs: Any) -> Any:
        keys.append(str(kwargs["api_key"]))
        return provider(**kwargs)

    spec = ProviderSpec(
        target=f"{provider.__module__}:{provider.__qualname__}",
        dialect=dialect,
        profile="native",
        label=provider.__name__,
        factory=factory,
    )
    put = ProviderUnderTest.load(spec)
    if scenario == IDENTITY:
        return Run(run_identity(put, server), keys)
    assert mode in ("chat", "stream")
    chosen = scenarios[scenario] if isinstance(scenario, str) else scenario
    return Run(run_case(server, put, Case(chosen, "chat" if mode == "chat" else "stream")), keys)


def transcript_section(text: str) -> str:
    """The part of failure_text() between "Wire transcript:" and the reproduce hint."""
    assert "Wire transcript:" in text, text
    section = text.split("Wire transcript:", 1)[1]
    return section.split("Expected result:", 1)[0].strip()


def reference_cases(
    scenarios: Mapping[str, Scenario] = SCENARIOS, *, dialect: str = "openai-chat"
) -> list[tuple[str, str]]:
    """Every (scenario, mode) the reference provider must pass, in a stable order for test ids.

    Leaves out what `dialect` cannot express (those checks are not applicable, tested apart)."""
    wire = get_dialect(dialect)
    return [
        (name, mode)
        for name, scenario in sorted(scenarios.items())
        for mode in scenario.modes
        if wire.cannot_express(scenario, mode) is None
    ]


@dataclass(frozen=True)
class Row:
    """One planted bug: the provider that has it, and the check that must catch it."""

    provider: type[Any]
    clause: str
    scenario: Scenario | str
    mode: str
    #: Substrings the clause's own message must contain: proof it failed for the planted bug.
    evidence: tuple[str, ...] = ()
    #: Other clauses that may legitimately fail too, with the reason in a comment at the row.
    collateral: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        name = self.scenario if isinstance(self.scenario, str) else self.scenario.name
        return f"{self.clause}-{self.provider.__name__}-{name}-{self.mode}"


def assert_caught(row: Row, run: Run, *, evidence_anywhere: bool = False) -> None:
    """The row's clause failed for the planted bug, visibly, and for no unrelated reason.

    `evidence_anywhere` lets the evidence stand anywhere in the failure text rather than in the
    clause's own message, for bugs whose proof is what the server answered (shown in the
    transcript) rather than what the clause says.
    """
    outcome = run.outcome
    text = outcome.failure_text()
    failed = {verdict.clause for verdict in outcome.failures}

    assert outcome.error is None, text
    assert outcome.not_applicable is None, text
    assert row.clause in failed, f"{row.clause} was not flagged:\n{text}"
    unexpected = failed - {row.clause} - row.collateral
    assert not unexpected, f"unrelated clause(s) {sorted(unexpected)} failed too:\n{text}"

    # The message names the clause, and says why it failed in terms of the planted bug.
    messages = " ".join(v.message for v in outcome.failures if v.clause == row.clause)
    assert f"  {row.clause} (" in text, text
    for needle in row.evidence:
        if evidence_anywhere:
            assert needle in messages or needle in text, f"{needle!r} not shown:\n{text}"
        else:
            assert needle in messages, f"{needle!r} not in the {row.clause} message:\n{text}"

    # The wire transcript that broke it is shown (an identity check sends no request at all).
    if row.scenario != IDENTITY:
        section = transcript_section(text)
        assert "--- request 1 ---" in section, text
        assert "--- response 1 ---" in section, text

    # Nothing a person reads repeats the key, even when the clause is about leaking it (SE-1).
    assert run.keys, "the provider was never built"
    dumped = json.dumps(outcome.as_json(), ensure_ascii=False)
    for key in run.keys:
        assert key not in text
        assert key not in dumped


def assert_passes(outcome: CaseOutcome) -> None:
    """A clean pass that judged something: without it a failing row could be the suite's fault."""
    assert outcome.error is None, outcome.failure_text()
    assert outcome.not_applicable is None, outcome.not_applicable
    assert not outcome.failures, outcome.failure_text()
    assert outcome.verdicts, "a check that judged nothing cannot fail"
