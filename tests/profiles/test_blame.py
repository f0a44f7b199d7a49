"""Each failure goes to the clause whose behaviour broke (#11.6): ST-6 blames framing only when the
plain-framed twin keeps the clause, and the early-exit caller leaves after the first chunk with
text, not after an empty first chunk such as Azure sends."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from victor.providers.base import StreamChunk
from victor.providers.openai_compat_provider import OpenAICompatProvider

from conformance import (
    Case,
    FakeServer,
    ProviderSpec,
    ProviderUnderTest,
    bundled_scenarios,
    run_case,
)
from conformance.judge.framing import blame_framing, plain_twin
from conformance.judge.verdict import Verdict, failed, passed

SCENARIOS = bundled_scenarios()


class EmptyFirstChunk(OpenAICompatProvider):
    """Correct, but its stream starts with a chunk without text, as Azure OpenAI's does."""

    async def stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[StreamChunk]:
        yield StreamChunk(content="")
        async with contextlib.aclosing(super().stream(*args, **kwargs)) as chunks:
            async for chunk in chunks:
                yield chunk


class DropsLastText(OpenAICompatProvider):
    """Loses the last text piece of every stream, whatever its framing: an ST-1 bug."""

    async def stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[StreamChunk]:
        held: StreamChunk | None = None
        async with contextlib.aclosing(super().stream(*args, **kwargs)) as chunks:
            async for chunk in chunks:
                if chunk.is_final:
                    yield chunk
                    continue
                if held is not None:
                    yield held
                held = chunk


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def _run(server: FakeServer, cls: type, scenario: str) -> dict[str, Verdict]:
    spec = ProviderSpec(
        f"{cls.__module__}:{cls.__qualname__}", "openai-chat", "victor", factory=cls
    )
    outcome = run_case(server, ProviderUnderTest.load(spec), Case(SCENARIOS[scenario], "stream"))
    assert outcome.error is None, outcome.failure_text()
    return {v.clause: v for v in outcome.verdicts}


@pytest.mark.parametrize("scenario", ["stream_early_exit", "stream_incremental_delivery"])
def test_an_empty_first_chunk_is_not_the_text_the_caller_waits_for(
    server: FakeServer, scenario: str
) -> None:
    verdicts = _run(server, EmptyFirstChunk, scenario)
    failures = {c: v.message for c, v in verdicts.items() if v.failed}
    assert not failures
    assert verdicts["ST-4"].outcome == "pass"


def test_st6_does_not_blame_framing_for_a_clause_broken_on_plain_framing_too(
    server: FakeServer,
) -> None:
    verdicts = _run(server, DropsLastText, "framing_crlf_with_comments")
    assert verdicts["ST-1"].failed
    assert verdicts["ST-6"].outcome == "not-applicable", verdicts["ST-6"]
    assert "ST-1 broke with plain framing too" in verdicts["ST-6"].message


def test_st6_keeps_the_blame_when_the_plain_twin_passes() -> None:
    scenario = SCENARIOS["framing_crlf_with_comments"]
    judged = [
        failed("ST-1", "texts differ"),
        failed("ST-6", "with this framing ST-1 broke: texts differ"),
    ]
    twins: list[str] = []

    def twin(s: Any) -> list[Verdict]:
        twins.append(s.name)
        return [passed("ST-1")]

    result = {v.clause: v for v in blame_framing(scenario, judged, twin)}
    assert result["ST-6"].failed and "ST-1 broke" in result["ST-6"].message
    assert twins == ["framing_crlf_with_comments__plain_twin"]


def test_the_twin_is_the_same_answer_with_plain_framing() -> None:
    scenario = SCENARIOS["framing_cr_split_reads"]
    twin = plain_twin(scenario)
    assert (twin.wire.line_ending, twin.wire.split_bytes) == ("lf", 0)
    assert twin.turns == scenario.turns and "ST-6" not in twin.focus


def test_no_twin_runs_when_st6_passed() -> None:
    def twin(s: Any) -> list[Verdict]:
        raise AssertionError("the twin ran although ST-6 passed")

    judged = [passed("ST-1"), passed("ST-6")]
    assert blame_framing(SCENARIOS["framing_crlf_with_comments"], judged, twin) == judged
