"""Recorded real traffic, replayed verbatim through every bundled reference provider.

For each provider in fixtures/providers/reference.yaml, every recording of its dialect's corpus
folder must pass (ST-1, ST-2, ST-3, ST-5, or the ER clauses for a recorded error), judged against
the dialect's plain reading of the recording.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance import Case, FakeServer, ProviderUnderTest, run_case
from conformance.dialects.corpus import corpus_scenarios
from conformance.plugin.provider_files import load_providers_file, reference_providers_file

REFERENCE = load_providers_file(reference_providers_file())


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


@pytest.mark.parametrize("spec", REFERENCE, ids=[spec.id for spec in REFERENCE])
def test_every_recording_replays_through_the_reference_provider(
    server: FakeServer, wire_corpus: Path, spec: object
) -> None:
    put = ProviderUnderTest.load(spec)  # type: ignore[arg-type]
    scenarios = corpus_scenarios(put.dialect, wire_corpus)
    if not scenarios:
        pytest.skip(f"dialect {put.dialect.name} has no recordings in {wire_corpus}")
    failures = []
    for scenario in scenarios.values():
        for mode in scenario.modes:
            outcome = run_case(server, put, Case(scenario, mode))
            if not outcome.ok:
                failures.append(outcome.failure_text())
    assert not failures, "\n\n".join(failures)


def test_the_openai_oracle_reads_parallel_calls_usage_and_in_stream_errors(
    wire_corpus: Path,
) -> None:
    from conformance import get_dialect

    scenarios = corpus_scenarios(get_dialect("openai-chat"), wire_corpus)
    parallel = scenarios["wire-openai_chat__parallel_tool_calls_two_functions"].final_reply
    assert [call.name for call in parallel.tool_calls] == ["GetWeatherArgs", "get_stock_price"]
    assert parallel.stop_reason == "tool_calls"
    assert parallel.usage is not None
    groq = scenarios["wire-openai_chat__compat_groq_event_error_tool_use_failed"].final_reply
    assert groq.error is not None and groq.error.status == 400 and groq.error.in_stream
