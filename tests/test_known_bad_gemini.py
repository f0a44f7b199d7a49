"""The suite must catch each known-bad Gemini provider on the right clause, in the gemini dialect.

As in test_known_bad_providers.py: each row plants one realistic bug in the Gemini reference
provider (tests/known_bad/gemini.py) and demands that one scenario flags the clause the bug
breaks, with the planted bug's evidence in the message, the wire transcript shown, the key
redacted, and nothing unrelated flagged. The reference itself must pass everything, recorded
Gemini traffic included, or a failing row would prove nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from known_bad import gemini as bad

from conformance import (
    Case,
    CaseOutcome,
    FakeServer,
    ProviderSpec,
    ProviderUnderTest,
    bundled_scenarios,
    run_case,
    run_identity,
)
from conformance.dialects.gemini import GeminiDialect
from conformance.scenarios.model import Scenario
from conformance.scenarios.recordings import recorded_scenarios
from reference_providers.gemini import GeminiProvider

SCENARIOS = bundled_scenarios()
IDENTITY = "identity"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@dataclass
class Run:
    outcome: CaseOutcome
    keys: list[str] = field(default_factory=list)


def run_check(
    server: FakeServer,
    provider: type[GeminiProvider],
    scenario: str | Scenario,
    mode: str,
) -> Run:
    """Run one check as the plugin does, recording the throwaway key for the SE-1 asserts."""
    keys: list[str] = []

    def factory(**kwargs: Any) -> GeminiProvider:
        keys.append(str(kwargs["api_key"]))
        return provider(**kwargs)

    spec = ProviderSpec(
        target=f"{provider.__module__}:{provider.__qualname__}",
        dialect="gemini",
        profile="native",
        label=provider.__name__,
        factory=factory,
    )
    put = ProviderUnderTest.load(spec)
    if scenario == IDENTITY:
        return Run(run_identity(put, server), keys)
    chosen = SCENARIOS[scenario] if isinstance(scenario, str) else scenario
    assert mode in ("chat", "stream")
    return Run(run_case(server, put, Case(chosen, "chat" if mode == "chat" else "stream")), keys)


def transcript_section(text: str) -> str:
    assert "Wire transcript:" in text, text
    section = text.split("Wire transcript:", 1)[1]
    return section.split("Expected result:", 1)[0].strip()


@dataclass(frozen=True)
class Row:
    provider: type[GeminiProvider]
    clause: str
    scenario: str
    mode: str
    evidence: tuple[str, ...] = ()
    collateral: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        return f"{self.clause}-{self.provider.__name__}-{self.scenario}-{self.mode}"


ROWS: tuple[Row, ...] = (
    Row(
        bad.DropsFunctionCallArgs,
        "CH-2",
        "tool_call_single",
        "chat",
        ('arguments {}, expected {"city": "Paris", "unit": "celsius"}',),
    ),
    Row(
        bad.DropsFunctionCallArgs,
        "ST-3",
        "tool_calls_parallel",
        "stream",
        ('arguments {}, expected {"city": "東京"}',),
    ),
    # The API (and so the fake server) accepts `?key=`, so the answer itself is right. httpx
    # logs each request's URL, key included, at INFO: a genuine SE-1 leak as well.
    Row(
        bad.KeyInQueryString,
        "RQ-2",
        "text_plain",
        "chat",
        ("the API key is in the URL",),
        frozenset({"SE-1"}),
    ),
    Row(
        bad.KeyInQueryString,
        "RQ-2",
        "text_plain",
        "stream",
        ("the API key is in the URL",),
        frozenset({"SE-1"}),
    ),
    Row(
        bad.SystemPromptAsUserTurn,
        "RQ-6",
        "text_plain",
        "chat",
        ("system prompt None", "a system prompt sent as a user message?"),
    ),
    Row(
        bad.SystemPromptAsUserTurn,
        "RQ-6",
        "tool_conversation",
        "stream",
        ("system prompt None", "a system prompt sent as a user message?"),
    ),
    Row(
        bad.StopMeansStop,
        "CH-3",
        "tool_call_single",
        "chat",
        ("stop reason 'stop', expected 'tool_calls'",),
    ),
    Row(
        bad.StopMeansStop,
        "ST-5",
        "tool_calls_parallel",
        "stream",
        ("final chunk's stop reason 'stop', expected 'tool_calls'",),
    ),
)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_known_bad_gemini_provider_is_caught(server: FakeServer, row: Row) -> None:
    run = run_check(server, row.provider, row.scenario, row.mode)
    outcome = run.outcome
    text = outcome.failure_text()
    failed = {verdict.clause for verdict in outcome.failures}

    assert outcome.error is None, text
    assert outcome.not_applicable is None, text
    assert row.clause in failed, f"{row.clause} was not flagged:\n{text}"
    unexpected = failed - {row.clause} - row.collateral
    assert not unexpected, f"unrelated clause(s) {sorted(unexpected)} failed too:\n{text}"

    messages = " ".join(v.message for v in outcome.failures if v.clause == row.clause)
    assert f"  {row.clause} (" in text, text
    for needle in row.evidence:
        assert needle in messages, f"{needle!r} not in the {row.clause} message:\n{text}"

    section = transcript_section(text)
    assert "--- request 1 ---" in section, text
    assert "--- response 1 ---" in section, text

    assert run.keys, "the provider was never built"
    dumped = json.dumps(outcome.as_json(), ensure_ascii=False)
    for key in run.keys:
        assert key not in text
        assert key not in dumped


REFERENCE_CASES = [
    (name, mode) for name, scenario in sorted(SCENARIOS.items()) for mode in scenario.modes
]


@pytest.mark.parametrize(
    ("scenario", "mode"), REFERENCE_CASES, ids=[f"{n}-{m}" for n, m in REFERENCE_CASES]
)
def test_gemini_reference_provider_passes(server: FakeServer, scenario: str, mode: str) -> None:
    """Without this, a failing row could be the suite's fault rather than the planted bug's."""
    outcome = run_check(server, GeminiProvider, scenario, mode).outcome
    assert outcome.error is None, outcome.failure_text()
    assert outcome.not_applicable is None, outcome.not_applicable
    assert not outcome.failures, outcome.failure_text()
    assert outcome.verdicts, "a check that judged nothing cannot fail"


def test_gemini_reference_provider_passes_identity(server: FakeServer) -> None:
    outcome = run_check(server, GeminiProvider, IDENTITY, "none").outcome
    assert outcome.ok, outcome.failure_text()


@pytest.mark.corpus("gemini")
def test_gemini_reference_provider_replays_recordings(
    server: FakeServer, corpus_file: Path
) -> None:
    """Every recorded Gemini stream the dialect serves reads as the oracle says it should."""
    scenarios = recorded_scenarios(GeminiDialect(), corpus_file.parent.parent)
    scenario = scenarios[f"wire-{corpus_file.stem}"]
    outcome = run_check(server, GeminiProvider, scenario, "stream").outcome
    assert outcome.error is None, outcome.failure_text()
    assert not outcome.failures, outcome.failure_text()
    assert any(v.clause == "ST-1" for v in outcome.verdicts)
