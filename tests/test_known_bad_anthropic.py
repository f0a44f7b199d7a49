"""The suite must catch every known-bad Anthropic provider, on the right clause.

As in tests/test_known_bad_providers.py: each row plants one realistic bug in the Anthropic
reference provider (tests/known_bad/anthropic_messages.py) and demands that one check flags the
clause the bug breaks, says why in that clause's message, shows the wire transcript, and flags
nothing unrelated. The reference itself must pass every bundled scenario, every recorded stream of
the wire corpus and the in-stream error scenarios built here, or a failing row would prove nothing.

No bundled scenario has an error inside a 200 stream, so the ER-6 rows use scenarios built here:
a reply whose text starts streaming and is then cut by an `event: error`, as the API does when it
is overloaded mid-answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from known_bad import anthropic_messages as bad
from known_bad import harness
from known_bad.harness import (
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
)
from conformance.dialects.anthropic_messages import AnthropicMessagesDialect
from conformance.dialects.corpus import corpus_scenarios
from conformance.scenarios.model import ErrorReply, Reply, RequestSpec, Turn
from conformance.vocabulary.canonical import ChatMessage
from reference_providers.anthropic_messages import AnthropicProvider

DIALECT = "anthropic-messages"


def in_stream_error(status: int, message: str, *, text: tuple[str, ...] = ()) -> Scenario:
    """A stream that (optionally) starts answering, then carries an error event and ends."""
    return Scenario(
        name=f"in_stream_error_{status}" + ("_after_text" if text else ""),
        title=f"HTTP {status}'s error inside a 200 stream",
        focus=("ER-6",),
        modes=("stream",),
        request=RequestSpec(messages=(ChatMessage("user", "Tell me about the weather."),)),
        turns=(Turn(Reply(text_parts=text, error=ErrorReply(status, message, in_stream=True))),),
    )


OVERLOADED_MID_ANSWER = in_stream_error(529, "Overloaded", text=("It is", " sunny in"))
IN_STREAM_ERRORS = (
    OVERLOADED_MID_ANSWER,
    in_stream_error(529, "Overloaded"),
    in_stream_error(500, "Internal server error", text=("Partial",)),
    in_stream_error(429, "Output tokens per minute exceeded", text=("Partial",)),
    in_stream_error(400, "Output blocked by content filtering policy", text=("Partial",)),
)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def run_check(server: FakeServer, provider: type[Any], scenario: Scenario | str, mode: str) -> Run:
    """One check as the plugin runs it, against this file's dialect (see known_bad.harness)."""
    return harness.run_check(server, provider, DIALECT, scenario, mode)


ROWS: tuple[Row, ...] = (
    # The concatenated input does not parse, so the stream raises instead of finishing: no text,
    # no final chunk, hence ST-1, ST-2 and ST-5 cannot be judged either.
    Row(
        bad.ConcatenatesInitialInput,
        "ST-3",
        SCENARIOS["tool_call_single"],
        "stream",
        ("input is not valid JSON", "'{}{"),
        frozenset({"ST-1", "ST-2", "ST-5"}),
    ),
    Row(
        bad.ConcatenatesInitialInput,
        "ST-3",
        SCENARIOS["tool_calls_parallel"],
        "stream",
        ("input is not valid JSON",),
        frozenset({"ST-1", "ST-2", "ST-5"}),
    ),
    # The swallowed error leaves a stream without a stop reason: the provider reports a cut
    # connection (network), without the status and without the API's message (ER-3).
    Row(
        bad.SwallowsErrorEvent,
        "ER-6",
        OVERLOADED_MID_ANSWER,
        "stream",
        ("category 'network', expected 'server'",),
        frozenset({"ER-3"}),
    ),
    # Judged today as "answered with a result instead of an error" under ER-1 and ER-3: the
    # judge does not yet name ER-6 when an in-stream error is turned into a success.
    Row(
        bad.ErrorEventEndsStream,
        "ER-6",
        OVERLOADED_MID_ANSWER,
        "stream",
        ("HTTP 529 was answered with a result instead of an error",),
        frozenset({"ER-3"}),
    ),
    Row(bad.AlwaysStop, "CH-3", SCENARIOS["stop_length"], "chat", ("stop reason 'stop'",)),
    Row(bad.AlwaysStop, "CH-3", SCENARIOS["tool_call_single"], "chat", ("'tool_calls'",)),
    Row(
        bad.AlwaysStop,
        "ST-5",
        SCENARIOS["stop_length"],
        "stream",
        ("final chunk's stop reason 'stop', expected 'length'",),
    ),
    Row(
        bad.AlwaysStop,
        "ST-5",
        SCENARIOS["tool_call_single"],
        "stream",
        ("final chunk's stop reason 'stop', expected 'tool_calls'",),
    ),
    Row(
        bad.PingAsContent,
        "ST-1",
        SCENARIOS["text_plain"],
        "stream",
        ("texts differ at character 0", 'got …\'{"type": "pi'),
    ),
    # The server answers the version-less request with 400, so there is no answer to judge.
    Row(
        bad.MissingVersionHeader,
        "RQ-1",
        SCENARIOS["text_plain"],
        "chat",
        ("anthropic-version header is missing",),
        frozenset({"CH-1", "CH-3", "CH-4"}),
    ),
    Row(
        bad.MissingVersionHeader,
        "RQ-1",
        SCENARIOS["text_plain"],
        "stream",
        ("anthropic-version header is missing",),
        frozenset({"ST-1", "ST-2", "ST-5"}),
    ),
    Row(
        bad.UsageFromMessageStart,
        "ST-5",
        SCENARIOS["usage_reporting"],
        "stream",
        ("'completion_tokens': 1,",),
    ),
    # A system role is not in the Messages schema either (RQ-1).
    Row(
        bad.SystemAsMessage,
        "RQ-6",
        SCENARIOS["text_plain"],
        "chat",
        ("a system message stands at messages[0]",),
        frozenset({"RQ-1"}),
    ),
)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_known_bad_provider_is_caught(server: FakeServer, row: Row) -> None:
    assert_caught(row, run_check(server, row.provider, row.scenario, row.mode))


def test_concatenated_input_survives_only_empty_arguments(server: FakeServer) -> None:
    """Why the ST-3 rows use calls with arguments: `{}` + `""` is still `{}`."""
    outcome = run_check(
        server, bad.ConcatenatesInitialInput, SCENARIOS["tool_call_no_arguments"], "stream"
    ).outcome
    assert outcome.ok, outcome.failure_text()


# -- the reference passes everything ------------------------------------------------------------

REFERENCE_CASES = reference_cases(dialect="anthropic-messages")


@pytest.mark.parametrize(
    ("scenario", "mode"), REFERENCE_CASES, ids=[f"{n}-{m}" for n, m in REFERENCE_CASES]
)
def test_reference_provider_passes(server: FakeServer, scenario: str, mode: str) -> None:
    assert_passes(run_check(server, AnthropicProvider, SCENARIOS[scenario], mode).outcome)


@pytest.mark.parametrize("scenario", IN_STREAM_ERRORS, ids=[s.name for s in IN_STREAM_ERRORS])
def test_reference_provider_maps_in_stream_errors(server: FakeServer, scenario: Scenario) -> None:
    outcome = run_check(server, AnthropicProvider, scenario, "stream").outcome
    assert_passes(outcome)
    assert "ER-6" in {v.clause for v in outcome.verdicts if v.outcome == "pass"}


@pytest.mark.corpus("anthropic")
def test_reference_provider_passes_recordings(server: FakeServer, corpus_file: Path) -> None:
    scenarios = corpus_scenarios(AnthropicMessagesDialect(), corpus_file.parent.parent)
    scenario = scenarios[f"wire-{corpus_file.stem}"]
    assert_passes(run_check(server, AnthropicProvider, scenario, "stream").outcome)
