"""The suite must catch every known-bad Ollama provider, on the right clause, with a usable message.

Each row plants one realistic Ollama bug in the reference `OllamaProvider`
(tests/known_bad/ollama_chat.py) and demands that running one scenario in the ollama-chat dialect
flags the clause the bug breaks, with the planted bug as evidence in the message, the wire
transcript shown, and nothing unrelated flagged. The reference itself must pass every bundled
scenario and every recorded Ollama stream, or a failing row would prove nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from known_bad import harness
from known_bad import ollama_chat as bad
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
from reference_providers.ollama_chat import OllamaProvider

DIALECT = "ollama-chat"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    """One fake server for the whole module: starting one per check would dominate the run time."""
    with FakeServer() as fake:
        yield fake


def run_check(server: FakeServer, provider: type[Any], scenario: Scenario | str, mode: str) -> Run:
    """One check as the plugin runs it, against this file's dialect (see known_bad.harness)."""
    return harness.run_check(server, provider, DIALECT, scenario, mode)


#: When the provider raises instead of answering, every answer clause of the turn has nothing
#: to judge; these are the ones that then fail beside the row's own clause.
NO_CHAT_ANSWER = frozenset({"CH-1", "CH-2", "CH-3", "CH-4"})
NO_STREAM_ANSWER = frozenset({"ST-1", "ST-2", "ST-3", "ST-5"})

ROWS: tuple[Row, ...] = (
    # The first 3-byte read is '{"m': not JSON, so the stream fails before any text.
    Row(
        bad.SplitsLinesPerRead,
        "ST-1",
        "text_unicode_split_reads",
        "stream",
        ("no answer to judge", "stream line is not JSON"),
        NO_STREAM_ANSWER | {"ST-6"},  # the scenario is a framing one: its loss is ST-6 too
    ),
    Row(bad.IgnoresDoneReason, "CH-3", "stop_length", "chat", ("stop reason 'stop'", "'length'")),
    Row(
        bad.IgnoresDoneReason,
        "ST-5",
        "stop_length",
        "stream",
        ("final chunk's stop reason 'stop'", "'length'"),
    ),
    Row(
        bad.ParsesArgumentsAsString,
        "CH-2",
        "tool_call_single",
        "chat",
        ("TypeError", "the JSON object must be str"),
        NO_CHAT_ANSWER,
    ),
    Row(
        bad.ParsesArgumentsAsString,
        "ST-3",
        "tool_calls_parallel",
        "stream",
        ("TypeError", "the JSON object must be str"),
        NO_STREAM_ANSWER,
    ),
    Row(bad.TopLevelSystemField, "RQ-6", "text_plain", "chat", ("top-level 'system' field",)),
    Row(bad.TopLevelSystemField, "RQ-6", "text_plain", "stream", ("/api/generate shape",)),
    # The server streams NDJSON to a request without `"stream": false`, which chat() cannot read.
    Row(
        bad.OmitsStreamFalse,
        "RQ-3",
        "text_plain",
        "chat",
        ("stream flag true on a non-streamed call",),
        NO_CHAT_ANSWER,
    ),
    Row(
        bad.OpenAIStyleOptions,
        "RQ-3",
        "text_plain",
        "stream",
        ("temperature None, expected 0.25", "max_tokens None, expected 321"),
    ),
    Row(
        bad.ArgumentsSentAsString,
        "RQ-1",
        "tool_conversation",
        "chat",
        ("/messages/2/tool_calls/0/function/arguments", "is not of type 'object'"),
    ),
)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_known_bad_provider_is_caught(server: FakeServer, row: Row) -> None:
    assert_caught(row, run_check(server, row.provider, row.scenario, row.mode))


def test_split_reads_scenario_really_splits_lines() -> None:
    """The ST-1 row proves something only if the scenario's reads end inside NDJSON lines."""
    scenario = SCENARIOS["text_unicode_split_reads"]
    assert scenario.wire.split_bytes == 3
    assert scenario.modes == ("stream",)


REFERENCE_CASES = reference_cases(dialect="ollama-chat")


@pytest.mark.parametrize(
    ("scenario", "mode"), REFERENCE_CASES, ids=[f"{n}-{m}" for n, m in REFERENCE_CASES]
)
def test_reference_provider_passes(server: FakeServer, scenario: str, mode: str) -> None:
    """Without this, a failing row could be the suite's fault rather than the planted bug's."""
    outcome = run_check(server, OllamaProvider, scenario, mode).outcome
    assert_passes(outcome)


def test_reference_provider_passes_identity(server: FakeServer) -> None:
    outcome = run_check(server, OllamaProvider, IDENTITY, "none").outcome
    assert outcome.ok, outcome.failure_text()
    assert [v.clause for v in outcome.verdicts] == ["ID-1"]


def test_reference_provider_passes_the_recorded_ollama_streams(
    server: FakeServer, wire_corpus: Path
) -> None:
    """Real Ollama traffic (local, cloud with thinking, a 2024 build), replayed verbatim."""
    recorded = {
        name: scenario
        for name, scenario in corpus_scenarios(get_dialect(DIALECT), wire_corpus).items()
        if scenario.modes == ("stream",)  # (bodies and errors: tests/test_wire_corpus_replay.py)
    }
    if not recorded:
        pytest.skip(f"no Ollama chat streams under {wire_corpus}")
    for scenario in recorded.values():
        outcome = run_check(server, OllamaProvider, scenario, "stream").outcome
        assert outcome.error is None, outcome.failure_text()
        assert not outcome.failures, outcome.failure_text()
        assert {"ST-1", "ST-2", "ST-5"} <= {v.clause for v in outcome.verdicts}


def test_known_bad_split_reader_survives_whole_line_reads(server: FakeServer) -> None:
    """The planted bug hides where every read holds whole lines, as it does on a local Ollama:
    that is why the suite needs a split_bytes scenario to catch it."""
    outcome = run_check(server, bad.SplitsLinesPerRead, "text_unicode_long", "stream").outcome
    assert outcome.ok, outcome.failure_text()
