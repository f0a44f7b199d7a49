"""The contract's refinements, judged as docs/contract.md states them (issue #11):

- an HTTP status error needs no cause (the official openai client raises its status errors
  `from None`); an error from a transport or decoder exception does (tests/known_bad rows);
- the provider's name is required where the interface's errors have a place for it, and not
  judged where they have none;
- a stream that ends with its terminal marker but never states a stop reason (Snowflake Cortex)
  has the canonical stop reason `stop`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from victor.providers.base import ProviderError, StreamChunk
from victor.providers.openai_compat_provider import OpenAICompatProvider

from conformance import (
    Case,
    FakeServer,
    ProviderSpec,
    ProviderUnderTest,
    bundled_scenarios,
    run_case,
)
from conformance.dialects import get_dialect
from conformance.judge.verdict import Verdict
from conformance.scenarios.model import RequestSpec, Scenario, Turn
from conformance.vocabulary.canonical import ChatMessage
from conformance.vocabulary.observation import ObservedError

SCENARIOS = bundled_scenarios()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def _verdicts(server: FakeServer, cls: type, scenario: Scenario, mode: str) -> dict[str, Verdict]:
    spec = ProviderSpec(
        f"{cls.__module__}:{cls.__qualname__}", "openai-chat", "victor", factory=cls
    )
    outcome = run_case(server, ProviderUnderTest.load(spec), Case(scenario, mode))  # type: ignore[arg-type]
    assert outcome.error is None, outcome.failure_text()
    return {v.clause: v for v in outcome.verdicts}


class StatusErrorsFromNone(OpenAICompatProvider):
    """Raises its HTTP status errors `from None`, as the official openai client does."""

    def _handle_http_error(self, error: httpx.HTTPStatusError) -> ProviderError:
        mapped = super()._handle_http_error(error)
        mapped.__suppress_context__ = True
        return mapped

    async def chat(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().chat(*args, **kwargs)
        except ProviderError as exc:
            error = exc
        error.__cause__ = error.__context__ = None
        raise error


@pytest.mark.parametrize("scenario", ["error_401", "error_429", "error_503"])
def test_an_http_status_error_needs_no_cause(server: FakeServer, scenario: str) -> None:
    verdicts = _verdicts(server, StatusErrorsFromNone, SCENARIOS[scenario], "chat")
    assert verdicts["ER-3"].outcome == "pass", verdicts["ER-3"].message


def _error(**fields: Any) -> ObservedError:
    base: dict[str, Any] = {
        "type_name": "pkg.ProviderError",
        "category": "auth",
        "status_code": 401,
        "retryable": False,
        "retry_after": None,
        "provider": None,
        "message": "Incorrect API key provided. "
        "You can find your API key in your account settings.",
        "cause_type": None,
        "representation": "ProviderError()",
    }
    return ObservedError(**{**base, **fields})


def test_a_missing_name_is_judged_only_where_the_errors_have_a_place_for_it() -> None:
    from conformance.judge.case import CaseRecord
    from conformance.judge.errors import judge_errors
    from conformance.vocabulary.observation import Observation, TurnObservation

    def er3(error: ObservedError) -> Verdict:
        turn = TurnObservation(mode="chat", error=error)
        observation = Observation(mode="chat", turns=[turn], provider_name="acme")
        case = CaseRecord(
            SCENARIOS["error_401"],
            "chat",
            observation,
            (),
            get_dialect("openai-chat"),
            "k",
            frozenset(),
        )
        return next(v for v in judge_errors(case) if v.clause == "ER-3")

    assert "does not name the provider" in er3(_error()).message
    assert er3(_error(names_provider=False)).outcome == "pass"
    wrong = er3(_error(names_provider=False, provider="other"))
    assert "names provider 'other'" in wrong.message


def _snowflake_like() -> Scenario:
    """Text deltas, no finish_reason anywhere, then [DONE]: what Snowflake Cortex's
    OpenAI-compatible API streams."""
    events = [
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "model": "m",
            "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": None}
            ],
        }
        for text in ("Snow", "flake", " says hi.")
    ]
    body = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
    body += b"data: [DONE]\n\n"
    dialect = get_dialect("openai-chat")
    reply = replace(dialect.recording_reply(body), recorded=body)
    assert reply.stop_reason is None and reply.effective_stop_reason == "stop"
    return Scenario(
        name="local_no_finish_reason",
        title="a stream that never states a stop reason",
        turns=(Turn(reply),),
        request=RequestSpec(messages=(ChatMessage("user", "Hi?"),)),
        focus=("ST-1", "ST-2", "ST-5"),
        modes=("stream",),
    )


class KeepsTheMissingStopReason(OpenAICompatProvider):
    """Reports no stop reason when the wire stated none."""

    async def stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[StreamChunk]:
        async with contextlib.aclosing(super().stream(*args, **kwargs)) as chunks:
            async for chunk in chunks:
                yield chunk.model_copy(update={"stop_reason": None}) if chunk.is_final else chunk


def test_a_stream_without_a_stop_reason_ends_with_stop(server: FakeServer) -> None:
    scenario = _snowflake_like()
    good = _verdicts(server, OpenAICompatProvider, scenario, "stream")
    assert good["ST-5"].outcome == "pass", good["ST-5"].message
    bad = _verdicts(server, KeepsTheMissingStopReason, scenario, "stream")
    assert bad["ST-5"].failed
    assert "without stating a stop reason" in bad["ST-5"].message
    assert "canonical stop reason is 'stop'" in bad["ST-5"].message


def test_a_status_is_judged_only_where_the_errors_have_a_place_for_it() -> None:
    from conformance.judge.case import CaseRecord
    from conformance.judge.errors import judge_errors
    from conformance.vocabulary.observation import Observation, TurnObservation

    def er3(error: ObservedError) -> Verdict:
        turn = TurnObservation(mode="chat", error=error)
        observation = Observation(mode="chat", turns=[turn], provider_name="acme")
        case = CaseRecord(
            SCENARIOS["error_401"],
            "chat",
            observation,
            (),
            get_dialect("openai-chat"),
            "k",
            frozenset(),
        )
        return next(v for v in judge_errors(case) if v.clause == "ER-3")

    named = {"provider": "acme"}
    assert "status code None" in er3(_error(status_code=None, **named)).message
    assert er3(_error(status_code=None, states_status=False, **named)).outcome == "pass"
    wrong = er3(_error(status_code=500, states_status=False, **named))
    assert "status code 500, expected 401" in wrong.message
