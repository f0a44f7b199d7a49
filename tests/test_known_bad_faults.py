"""Each fault clause catches the provider planted with the matching mistake, on that clause."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from known_bad import faults as bad

from conformance import (
    Case,
    FakeServer,
    ProviderSpec,
    ProviderUnderTest,
    bundled_scenarios,
    run_case,
)
from reference_providers.openai_compatible import OpenAICompatibleProvider

SCENARIOS = bundled_scenarios()

#: (provider, clause, scenario, mode, words the clause's message must contain)
ROWS = [
    (bad.TimeoutAsGenericError, "ER-4", "fault_stall_before_headers", "chat", "'unknown'"),
    (bad.TimeoutAsGenericError, "ER-4", "fault_stall_mid_stream", "stream", "'unknown'"),
    (bad.TimeoutAsGenericError, "ER-4", "fault_connection_refused", "chat", "'unknown'"),
    (bad.TimeoutAsGenericError, "ER-4", "fault_connection_reset", "stream", "'unknown'"),
    (bad.TruncatedStreamIsSuccess, "ER-7", "fault_stream_cut", "stream", "reported as a success"),
    (bad.SwallowsInStreamError, "ER-6", "error_in_stream", "stream", "instead of an error"),
    (bad.SkipsUnparsableEvents, "ER-5", "fault_malformed_json", "stream", "success"),
    (bad.SkipsUnparsableEvents, "ER-5", "fault_malformed_json", "chat", "success"),
    (bad.BuffersWholeStream, "ST-4", "stream_incremental_delivery", "stream", "buffered"),
    (bad.DownloadsOnAfterEarlyExit, "ST-7", "stream_early_exit", "stream", "stayed open"),
    (bad.SplitsLinesOnLFOnly, "ST-6", "framing_cr_split_reads", "stream", "ended before"),
    (bad.DispatchesOnStickyEventId, "ST-6", "framing_event_ids_then_comment", "stream", "not JSON"),
    (bad.CloseClosesNothing, "RS-1", "text_plain", "chat", "still open after close()"),
    (bad.CloseClosesNothing, "RS-2", "text_plain", "chat", "ResourceWarning"),
    (bad.CloseTwiceRaises, "RS-1", "text_plain", "chat", "second time raised"),
]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


def _run(server: FakeServer, provider: type[OpenAICompatibleProvider], name: str, mode: str):  # type: ignore[no-untyped-def]
    spec = ProviderSpec(
        target="x:y", dialect="openai-chat", label=provider.__name__, factory=provider
    )
    return run_case(server, ProviderUnderTest.load(spec), Case(SCENARIOS[name], mode))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("provider", "clause", "scenario", "mode", "evidence"),
    ROWS,
    ids=[f"{r[1]}-{r[0].__name__}-{r[2]}-{r[3]}" for r in ROWS],
)
def test_the_fault_clause_catches_the_planted_mistake(
    server: FakeServer,
    provider: type[OpenAICompatibleProvider],
    clause: str,
    scenario: str,
    mode: str,
    evidence: str,
) -> None:
    outcome = _run(server, provider, scenario, mode)
    failing = {v.clause: v.message for v in outcome.failures}
    assert clause in failing, outcome.failure_text()
    assert evidence in failing[clause], failing[clause]
    assert clause in outcome.failure_text()
    assert "--- request 1 ---" in outcome.failure_text() or scenario == "fault_connection_refused"


@pytest.mark.parametrize(
    ("scenario", "mode"),
    sorted({(r[2], r[3]) for r in ROWS}),
)
def test_the_reference_provider_passes_the_same_scenarios(
    server: FakeServer, scenario: str, mode: str
) -> None:
    outcome = _run(server, OpenAICompatibleProvider, scenario, mode)
    assert outcome.ok, outcome.failure_text()


def test_a_buffered_stream_fails_st4_and_leaves_st7_unjudged(server: FakeServer) -> None:
    """The caller cannot leave during the hold if no text reaches it then: one bug, one clause."""
    outcome = _run(server, bad.BuffersWholeStream, "stream_early_exit", "stream")
    verdicts = {v.clause: v for v in outcome.verdicts}
    assert verdicts["ST-4"].failed, outcome.failure_text()
    assert verdicts["ST-7"].outcome == "not-applicable", verdicts["ST-7"]
    assert "nothing left to stop early" in verdicts["ST-7"].message
