"""The suite must catch every known-bad Responses API provider, on the right clause.

Each row plants one realistic bug in `OpenAIResponsesProvider` (tests/known_bad/openai_responses.py)
and demands that running one scenario in the openai-responses dialect flags the clause the bug
breaks, says why in terms of the bug, shows the wire transcript, and flags nothing unrelated. The
reference itself must pass every bundled scenario, every recording of the Responses corpus and the
in-stream failures below, or a failing row would prove nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from known_bad import harness
from known_bad import openai_responses as bad
from known_bad.harness import (
    IDENTITY,
    SCENARIOS,
    Row,
    Run,
    assert_caught,
    assert_passes,
    reference_cases,
)

from conformance import (
    FakeServer,
    Scenario,
    get_dialect,
)
from conformance.dialects.corpus import corpus_scenarios
from conformance.scenarios.model import ErrorReply, Reply, Turn
from reference_providers.openai_responses import OpenAIResponsesProvider

DIALECT = "openai-responses"


def _in_stream_failure(status: int, message: str) -> Scenario:
    """A stream that fails after its 200 (`error` + `response.failed`): no bundled scenario
    has one, yet it is how the Responses API reports a quota or server failure mid-answer."""
    return replace(
        SCENARIOS["text_plain"],
        name=f"in_stream_error_{status}",
        title=f"In-stream failure standing for HTTP {status}",
        focus=("ER-6",),
        modes=("stream",),
        turns=(Turn(Reply(error=ErrorReply(status, message, in_stream=True))),),
    )


IN_STREAM = {
    s.name: s
    for s in (
        _in_stream_failure(429, "You exceeded your current quota, please check your plan."),
        _in_stream_failure(500, "The server had an error while processing your request."),
        _in_stream_failure(400, "Invalid prompt: the request was flagged."),
    )
}
ALL_SCENARIOS = {**SCENARIOS, **IN_STREAM}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    """One fake server for the whole module: starting one per check would dominate the run time."""
    with FakeServer() as fake:
        yield fake


def run_check(server: FakeServer, provider: type[Any], scenario: Scenario | str, mode: str) -> Run:
    """One check as the plugin runs it, against this file's dialect (see known_bad.harness)."""
    return harness.run_check(server, provider, DIALECT, scenario, mode, scenarios=ALL_SCENARIOS)


ROWS: tuple[Row, ...] = (
    Row(
        bad.ItemIdAsToolCallId,
        "CH-2",
        "tool_call_single",
        "chat",
        ("id 'fc_conformance_0_0', expected 'call_w1'",),
    ),
    Row(
        bad.ItemIdAsToolCallId,
        "ST-3",
        "tool_calls_parallel",
        "stream",
        ("id 'fc_conformance_0_1', expected 'call_p2'",),
    ),
    # The call goes back without a call_id (and with a call id where an item id belongs), which
    # the schema rejects (RQ-1); turn 0's reported call has the item id as well (CH-2).
    Row(
        bad.ItemIdAsToolCallId,
        "RQ-5",
        "tool_conversation",
        "chat",
        ("'call_conv_1'", "which no earlier assistant message called"),
        frozenset({"RQ-1", "CH-2"}),
    ),
    Row(bad.IgnoresIncomplete, "CH-3", "stop_length", "chat", ("stop reason 'stop'", "'length'")),
    Row(
        bad.IgnoresIncomplete,
        "ST-5",
        "stop_length",
        "stream",
        ("final chunk's stop reason 'stop', expected 'length'",),
    ),
    Row(bad.ChatUsageNames, "CH-4", "usage_reporting", "chat", ("usage None",)),
    Row(bad.ChatUsageNames, "ST-5", "usage_reporting", "stream", ("final chunk's usage None",)),
    # The wrong name also means max_output_tokens is missing: RQ-1 and RQ-3 see the one bug.
    Row(
        bad.SendsMaxTokens,
        "RQ-1",
        "text_plain",
        "chat",
        ("'max_tokens'", "'max_output_tokens'"),
        frozenset({"RQ-3"}),
    ),
    Row(
        bad.SendsMaxTokens,
        "RQ-3",
        "stop_length",
        "stream",
        ("max_tokens None, expected 5",),
        frozenset({"RQ-1"}),
    ),
    # The nested shape lacks the top-level name the schema requires, and the dialect says why.
    Row(
        bad.ChatShapedTools,
        "RQ-4",
        "tool_call_single",
        "chat",
        ("tool 'get_weather' was not sent",),
        frozenset({"RQ-1"}),
    ),
    Row(
        bad.IgnoresErrorEvents,
        "ER-6",
        "in_stream_error_429",
        "stream",
        ("category 'network', expected 'rate_limit'",),
        # The provider's error is its cut-stream error, which carries no status nor message.
        frozenset({"ER-3"}),
    ),
)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_known_bad_provider_is_caught(server: FakeServer, row: Row) -> None:
    assert_caught(row, run_check(server, row.provider, row.scenario, row.mode))


def test_chat_shaped_tools_are_named_as_such(server: FakeServer) -> None:
    """RQ-1 says what is wrong in the API's terms, not only where the schema broke."""
    outcome = run_check(server, bad.ChatShapedTools, "tool_call_single", "chat").outcome
    messages = " ".join(v.message for v in outcome.failures if v.clause == "RQ-1")
    assert "the Chat Completions shape" in messages, outcome.failure_text()


REFERENCE_CASES = reference_cases(ALL_SCENARIOS, dialect="openai-responses")


@pytest.mark.parametrize(
    ("scenario", "mode"), REFERENCE_CASES, ids=[f"{n}-{m}" for n, m in REFERENCE_CASES]
)
def test_reference_provider_passes(server: FakeServer, scenario: str, mode: str) -> None:
    """Without this, a failing row could be the suite's fault rather than the planted bug's."""
    assert_passes(run_check(server, OpenAIResponsesProvider, scenario, mode).outcome)


def test_in_stream_failures_are_judged_by_er6(server: FakeServer) -> None:
    outcome = run_check(server, OpenAIResponsesProvider, "in_stream_error_429", "stream").outcome
    assert {v.clause for v in outcome.verdicts} >= {"ER-6", "ER-3", "ER-8"}


def test_reference_provider_passes_identity(server: FakeServer) -> None:
    outcome = run_check(server, OpenAIResponsesProvider, IDENTITY, "none").outcome
    assert outcome.ok, outcome.failure_text()
    assert [v.clause for v in outcome.verdicts] == ["ID-1"]


def test_reference_provider_replays_the_corpus(server: FakeServer, wire_corpus: Path) -> None:
    """Every recording of real Responses traffic reads as the dialect's oracle says."""
    recorded = corpus_scenarios(get_dialect(DIALECT), wire_corpus)
    if not recorded:
        pytest.skip(f"no openai_responses recordings under {wire_corpus}")
    for scenario in recorded.values():
        assert_passes(run_check(server, OpenAIResponsesProvider, scenario, "stream").outcome)
