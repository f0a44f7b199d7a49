"""The openai-gateway dialect: OpenAI's stream with a gateway's keep-alive comments around it.

The comments must be there whatever the scenario's wire options say, in the scenario's line
endings and splits; the plain OpenAI reference and the official SDK (spec-following SSE decoders)
must read through them; and a provider that parses SSE line by line without knowing comments
must fail here while passing openai-chat, which is the point of the dialect.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance import Case, FakeServer, ProviderSpec, ProviderUnderTest, run_case
from conformance.dialects import get_dialect
from conformance.dialects.azure_openai import OpenAIGatewayDialect
from conformance.dialects.corpus import corpus_scenarios
from conformance.dialects.openai_chat import OpenAIChatDialect
from conformance.scenarios import bundled_scenarios
from conformance.scenarios.model import WireOptions
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.wire import RecordedRequest
from reference_providers.openai_compatible import OpenAICompatibleProvider
from reference_providers.sse import ServerSentEvent

SCENARIOS = bundled_scenarios()
DIALECT = OpenAIGatewayDialect()
BODY = {
    "model": "conformance-model-1",
    "messages": [{"role": "user", "content": "Hi"}],
    "stream": True,
    "stream_options": {"include_usage": True},
}


def _request(body: dict[str, Any]) -> RecordedRequest:
    path = "/v1/chat/completions"
    headers = (("Authorization", "Bearer k"),)
    return RecordedRequest("POST", path, path, headers, json.dumps(body).encode(), 1, 1)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def test_it_is_registered_by_name() -> None:
    assert isinstance(get_dialect("openai-gateway"), OpenAIGatewayDialect)


@pytest.mark.parametrize("comments", [False, True])
def test_comments_lead_and_separate_every_event_whatever_the_wire_says(comments: bool) -> None:
    scenario = replace(SCENARIOS["text_plain"], wire=WireOptions(comments=comments))
    gateway = DIALECT.render_reply(scenario, 0, _request(BODY), stream=True)
    plain = OpenAIChatDialect().render_reply(scenario, 0, _request(BODY), stream=True)
    blocks = gateway.body.decode().split("\n\n")[:-1]
    events = plain.body.decode().split("\n\n")[:-1]
    lead = DIALECT.leading_comments
    assert blocks[:lead] == [": PROCESSING"] * lead
    # Then the events, unchanged, with exactly one keep-alive comment between each two.
    assert blocks[lead::2] == events
    assert blocks[lead + 1 :: 2] == [": keep-alive"] * (len(events) - 1)


def test_comments_follow_the_line_endings_and_splits() -> None:
    wire = WireOptions(line_ending="cr", split_bytes=5)
    scenario = replace(SCENARIOS["text_plain"], wire=wire)
    response = DIALECT.render_reply(scenario, 0, _request(BODY), stream=True)
    assert response.body.startswith(b": PROCESSING\r\r: PROCESSING\r\r")
    assert b"\n" not in response.body
    assert all(len(piece) <= 5 for piece in response.pieces)


def test_non_streamed_answers_are_openais() -> None:
    body = {**BODY, "stream": False}
    scenario = SCENARIOS["tool_call_single"]
    gateway = DIALECT.render_reply(scenario, 0, _request(body), stream=False)
    plain = OpenAIChatDialect().render_reply(scenario, 0, _request(body), stream=False)
    assert gateway.body == plain.body


# -- providers against it -----------------------------------------------------------------------


def _put(provider: type[OpenAICompatibleProvider], dialect: str) -> ProviderUnderTest:
    return ProviderUnderTest.load(
        ProviderSpec(target=f"{provider.__module__}:{provider.__qualname__}", dialect=dialect)
    )


#: Every scenario this wire can carry (OpenAI Responses' stream variants it cannot).
CASES = [
    (name, mode)
    for name, s in sorted(SCENARIOS.items())
    for mode in s.modes
    if OpenAIGatewayDialect().cannot_express(s, mode) is None
]


@pytest.mark.parametrize(("scenario", "mode"), CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_the_openai_reference_passes(server: FakeServer, scenario: str, mode: Mode) -> None:
    outcome = run_case(
        server, _put(OpenAICompatibleProvider, "openai-gateway"), Case(SCENARIOS[scenario], mode)
    )
    assert outcome.ok, outcome.failure_text()
    assert outcome.verdicts


@pytest.mark.corpus("openai_chat", pattern="openai_chat__compat_*.sse")
def test_the_openai_reference_reads_the_compatible_servers_recordings(
    server: FakeServer, corpus_file: Path
) -> None:
    scenario = corpus_scenarios(DIALECT, corpus_file.parent.parent)[f"wire-{corpus_file.stem}"]
    outcome = run_case(
        server, _put(OpenAICompatibleProvider, "openai-gateway"), Case(scenario, "stream")
    )
    assert outcome.ok, outcome.failure_text()


class JsonPerDataLine(OpenAICompatibleProvider):
    """Reads a stream as lines, strips a `data:` prefix if any and parses the rest as JSON.

    The shortcut that works against api.openai.com, which never sends comments.
    """

    async def _iter_events(self, response: httpx.Response) -> AsyncIterator[ServerSentEvent]:
        async for line in response.aiter_lines():
            if line.strip():
                yield ServerSentEvent("message", line.removeprefix("data:").strip())


def test_a_provider_blind_to_comments_passes_openai_but_fails_the_gateway(
    server: FakeServer,
) -> None:
    case = Case(SCENARIOS["text_plain"], "stream")
    assert run_case(server, _put(JsonPerDataLine, "openai-chat"), case).ok
    outcome = run_case(server, _put(JsonPerDataLine, "openai-gateway"), case)
    failed = {v.clause for v in outcome.failures}
    assert "ST-1" in failed, outcome.failure_text()
    assert "stream event is not JSON: ': PROCESSING'" in outcome.failure_text()


# -- the official SDK as a witness ----------------------------------------------------------------

openai = pytest.importorskip("openai", reason="the official openai package is not installed")

STREAMED = [
    name for name, s in sorted(SCENARIOS.items()) if s.is_plain_answer and "stream" in s.modes
]


@pytest.mark.parametrize("name", STREAMED)
def test_the_official_client_reads_through_the_comments(server: FakeServer, name: str) -> None:
    from test_official_openai_client import _client, _stream
    from test_official_openai_client import _request as sdk_request

    scenario = SCENARIOS[name]
    api_key = secrets.token_hex(8)
    with (
        server.session(scenario, DIALECT, api_key) as session,
        _client(session.base_url, api_key) as client,
    ):
        results = [_stream(client, sdk_request(scenario, t)) for t in range(len(scenario.turns))]
    assert results[-1] == scenario.expected_result(), session.transcript()
