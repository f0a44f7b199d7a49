"""The suite must catch each known-bad Gemini provider on the right clause, in the gemini dialect.

As in test_known_bad_providers.py: each row plants one realistic bug in the Gemini reference
provider (tests/known_bad/gemini.py) and demands that one scenario flags the clause the bug
breaks, with the planted bug's evidence in the message, the wire transcript shown, the key
redacted, and nothing unrelated flagged. The reference itself must pass everything, recorded
Gemini traffic included, or a failing row would prove nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from known_bad import gemini as bad
from known_bad import harness
from known_bad.harness import (
    IDENTITY,
    Row,
    Run,
    assert_caught,
    assert_passes,
    reference_cases,
)

from conformance import FakeServer
from conformance.dialects.corpus import corpus_scenarios
from conformance.dialects.gemini import GeminiDialect
from conformance.scenarios.model import Scenario
from reference_providers.gemini import GeminiProvider


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def run_check(server: FakeServer, provider: type[Any], scenario: Scenario | str, mode: str) -> Run:
    """One check as the plugin runs it, against this file's dialect (see known_bad.harness)."""
    return harness.run_check(server, provider, "gemini", scenario, mode)


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
    Row(
        bad.FirstChunkUsage,
        "ST-5",
        "usage_reporting",
        "stream",
        ("final chunk's usage {'prompt_tokens': 1234, 'completion_tokens': 28",),
    ),
)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_known_bad_gemini_provider_is_caught(server: FakeServer, row: Row) -> None:
    assert_caught(row, run_check(server, row.provider, row.scenario, row.mode))


REFERENCE_CASES = reference_cases(dialect="gemini")


@pytest.mark.parametrize(
    ("scenario", "mode"), REFERENCE_CASES, ids=[f"{n}-{m}" for n, m in REFERENCE_CASES]
)
def test_gemini_reference_provider_passes(server: FakeServer, scenario: str, mode: str) -> None:
    """Without this, a failing row could be the suite's fault rather than the planted bug's."""
    outcome = run_check(server, GeminiProvider, scenario, mode).outcome
    assert_passes(outcome)


def test_gemini_reference_provider_passes_identity(server: FakeServer) -> None:
    outcome = run_check(server, GeminiProvider, IDENTITY, "none").outcome
    assert outcome.ok, outcome.failure_text()


@pytest.mark.corpus("gemini")
def test_gemini_reference_provider_replays_recordings(
    server: FakeServer, corpus_file: Path
) -> None:
    """Every recorded Gemini stream the dialect serves reads as the oracle says it should."""
    scenarios = corpus_scenarios(GeminiDialect(), corpus_file.parent.parent)
    scenario = scenarios[f"wire-{corpus_file.stem}"]
    outcome = run_check(server, GeminiProvider, scenario, "stream").outcome
    assert outcome.error is None, outcome.failure_text()
    assert not outcome.failures, outcome.failure_text()
    assert any(v.clause == "ST-1" for v in outcome.verdicts)
