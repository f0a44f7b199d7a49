"""The official `anthropic` SDK, pointed at the fake server, must read every scenario as expected.

The SDK is an independent reader of the wire: its own HTTP stack, its own SSE decoder and stream
accumulator, pydantic models for every body and event (strict validation on), and its own error
classes per status. A scenario that the SDK reads differently from the scenario's expected result
means the fake server's bytes are not what api.anthropic.com sends.

It reads each answer three ways: `messages.create`, the `messages.stream` helper (which
accumulates the message itself), and `messages.create(stream=True)` raw events accumulated as the
API reference describes. It also reads the recorded real streams of the wire corpus, as a second
opinion on the dialect's oracle for them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from conformance.dialects.anthropic_messages import AnthropicMessagesDialect
from conformance.dialects.corpus import corpus_scenarios
from conformance.scenarios import Scenario, bundled_scenarios
from conformance.scenarios.model import ErrorReply, Reply, RequestSpec, Turn
from conformance.server import FakeServer
from conformance.vocabulary.canonical import ChatMessage, Mode

anthropic = pytest.importorskip(
    "anthropic", reason="the official anthropic package is not installed"
)

DIALECT = AnthropicMessagesDialect()

#: The API's stop_reason words, in the canonical vocabulary of conformance.vocabulary.canonical.
_CANONICAL_STOP = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

#: The exception class the SDK documents for each status; other 5xx are InternalServerError.
_STATUS_ERRORS: dict[int, type[Exception]] = {
    400: anthropic.BadRequestError,
    401: anthropic.AuthenticationError,
    403: anthropic.PermissionDeniedError,
    404: anthropic.NotFoundError,
    408: anthropic.RequestTimeoutError,
    413: anthropic.ContentTooLargeError,
    422: anthropic.UnprocessableEntityError,
    429: anthropic.RateLimitError,
    503: anthropic.ServiceUnavailableError,
    504: anthropic.GatewayTimeoutError,
    529: anthropic.OverloadedError,
}

_SCENARIOS = bundled_scenarios()
_ANSWERING = sorted(name for name, s in _SCENARIOS.items() if s.is_plain_answer)
_FAILING = sorted(name for name, s in _SCENARIOS.items() if s.is_http_error)

Reader = Callable[[Any, dict[str, Any]], dict[str, Any]]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@pytest.fixture
def api_key() -> str:
    return f"sk-ant-conformance-sdk-{secrets.token_hex(8)}"


def _client(base_url: str, api_key: str) -> Any:
    # Strict validation makes a missing or mistyped field fail here instead of reading as None.
    return anthropic.Anthropic(
        base_url=base_url,
        api_key=api_key,
        max_retries=0,
        timeout=10.0,
        _strict_response_validation=True,
    )


def _turn(message: ChatMessage) -> dict[str, Any]:
    if message.role == "tool":
        block = {
            "type": "tool_result",
            "tool_use_id": message.tool_call_id,
            "content": message.content,
        }
        return {"role": "user", "content": [block]}
    if message.role == "assistant" and message.tool_calls:
        blocks: list[dict[str, Any]] = []
        if message.content:
            blocks.append({"type": "text", "text": message.content})
        blocks += [
            {"type": "tool_use", "id": c.id, "name": c.name, "input": dict(c.arguments)}
            for c in message.tool_calls
        ]
        return {"role": "assistant", "content": blocks}
    return {"role": message.role, "content": message.content}


def _request(scenario: Scenario, turn: int) -> dict[str, Any]:
    """The keyword arguments an SDK user would pass for this turn of the conversation."""
    messages: list[dict[str, Any]] = []
    for message in scenario.messages_for_turn(turn):
        if message.role == "system":
            continue
        entry = _turn(message)
        if messages and messages[-1]["role"] == entry["role"] == "user" and message.role == "tool":
            previous = messages[-1]["content"]
            assert isinstance(previous, list)
            previous += entry["content"]
            continue
        messages.append(entry)
    arguments: dict[str, Any] = {
        "model": scenario.request.model,
        "max_tokens": scenario.request.max_tokens,
        "messages": messages,
        # Recent SDKs dropped the `temperature` keyword (newer models fix it); the API field stays.
        "extra_body": {"temperature": scenario.request.temperature},
    }
    if scenario.request.system is not None:
        arguments["system"] = scenario.request.system
    if scenario.request.tools:
        arguments["tools"] = [
            {
                "name": tool.name,
                "description": tool.description,
                "input_schema": dict(tool.parameters),
            }
            for tool in scenario.request.tools
        ]
    return arguments


def _usage(input_tokens: int, output_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": input_tokens,
        "completion_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }


def _result(message: Any) -> dict[str, Any]:
    """A Message object in the canonical result shape (server tool blocks are not calls)."""
    assert message.type == "message" and message.role == "assistant"
    text = "".join(block.text for block in message.content if block.type == "text")
    calls = [
        {"id": block.id, "name": block.name, "arguments": dict(block.input)}
        for block in message.content
        if block.type == "tool_use"
    ]
    return {
        "text": text,
        "tool_calls": calls,
        "usage": _usage(message.usage.input_tokens, message.usage.output_tokens),
        "stop_reason": _CANONICAL_STOP.get(message.stop_reason, message.stop_reason),
    }


def _chat(client: Any, request: dict[str, Any]) -> dict[str, Any]:
    return _result(client.messages.create(**request))


def _stream_helper(client: Any, request: dict[str, Any]) -> dict[str, Any]:
    """The SDK's own accumulation: text as it streams, then the message it assembled."""
    with client.messages.stream(**request) as stream:
        streamed = "".join(stream.text_stream)
        message = stream.get_final_message()
    result = _result(message)
    assert streamed == result["text"]
    return result


@dataclass
class _Block:
    type: str
    id: str | None = None
    name: str | None = None
    partial_json: list[str] = field(default_factory=list)


def _raw_stream(client: Any, request: dict[str, Any]) -> dict[str, Any]:
    """Raw events accumulated as the API reference says: text from text deltas, tool input as
    the concatenated partial_json of its block (from an empty string, not from the `{}`)."""
    text: list[str] = []
    blocks: dict[int, _Block] = {}
    stop_reason: str | None = None
    input_tokens = output_tokens = 0
    with client.messages.create(**request, stream=True) as events:
        for event in events:
            if event.type == "message_start":
                input_tokens = event.message.usage.input_tokens
                output_tokens = event.message.usage.output_tokens
            elif event.type == "content_block_start":
                block = event.content_block
                blocks[event.index] = _Block(
                    block.type, getattr(block, "id", None), getattr(block, "name", None)
                )
            elif event.type == "content_block_delta":
                if event.delta.type == "text_delta":
                    text.append(event.delta.text)
                elif event.delta.type == "input_json_delta":
                    blocks[event.index].partial_json.append(event.delta.partial_json)
            elif event.type == "message_delta":
                stop_reason = event.delta.stop_reason
                output_tokens = event.usage.output_tokens
                if event.usage.input_tokens is not None:
                    input_tokens = event.usage.input_tokens
    calls = []
    for index in sorted(blocks):
        block = blocks[index]
        if block.type == "tool_use":
            raw = "".join(block.partial_json)
            calls.append(
                {"id": block.id, "name": block.name, "arguments": json.loads(raw) if raw else {}}
            )
    return {
        "text": "".join(text),
        "tool_calls": calls,
        "usage": _usage(input_tokens, output_tokens),
        "stop_reason": _CANONICAL_STOP.get(stop_reason or "", stop_reason),
    }


_READERS: dict[str, Reader] = {
    "chat": _chat,
    "stream-helper": _stream_helper,
    "stream-raw": _raw_stream,
}


def _cases(names: list[str]) -> list[Any]:
    return [
        pytest.param(name, reader, id=f"{name}-{reader}")
        for name in names
        for mode in _SCENARIOS[name].modes
        for reader in (("chat",) if mode == "chat" else ("stream-helper", "stream-raw"))
    ]


def _expected(scenario: Scenario) -> dict[str, Any]:
    """The scenario's expected result in what this wire can carry: no total, so it is the sum."""
    expected = scenario.expected_result()
    usage = scenario.final_reply.usage
    expected["usage"] = DIALECT.wire_usage(usage).as_json() if usage is not None else None
    return expected


@pytest.mark.parametrize(("name", "reader"), _cases(_ANSWERING))
def test_sdk_reads_the_expected_result(
    server: FakeServer, api_key: str, name: str, reader: str
) -> None:
    scenario = _SCENARIOS[name]
    read = _READERS[reader]
    with (
        server.session(scenario, DIALECT, api_key) as session,
        _client(session.base_url, api_key) as client,
    ):
        results = [read(client, _request(scenario, turn)) for turn in range(len(scenario.turns))]
        turns_played = [exchange.turn for exchange in session.snapshot()]
    assert turns_played == list(range(len(scenario.turns))), session.transcript()
    result, expected = results[-1], _expected(scenario)
    if expected["usage"] is None:
        # The API always reports usage; a scenario without numbers sends zeros, judged by no one.
        result["usage"] = None
    assert result == expected, session.transcript()


@pytest.mark.parametrize(("name", "reader"), _cases(_FAILING))
def test_sdk_raises_its_status_error(
    server: FakeServer, api_key: str, name: str, reader: str
) -> None:
    scenario = _SCENARIOS[name]
    error = scenario.final_reply.error
    assert error is not None
    expected_class = _STATUS_ERRORS.get(
        error.status,
        anthropic.InternalServerError if error.status >= 500 else anthropic.APIStatusError,
    )
    with (
        server.session(scenario, DIALECT, api_key) as session,
        _client(session.base_url, api_key) as client,
        pytest.raises(anthropic.APIStatusError) as raised,
    ):
        _READERS[reader](client, _request(scenario, 0))
    exc = raised.value
    assert type(exc) is expected_class, session.transcript()
    assert exc.status_code == error.status
    assert error.message in str(exc)
    assert isinstance(exc.body, dict) and exc.body["type"] == "error"
    assert exc.body["error"]["message"] == error.message
    assert exc.request_id == "req_conformance"
    for header, value in error.headers.items():
        assert exc.response.headers.get(header) == value


def _in_stream_error_scenario(status: int, error_type: str) -> Scenario:
    """An answer that starts, then fails inside the 200 stream (no bundled scenario does)."""
    return Scenario(
        name=f"in_stream_{error_type}",
        title="An error event in the middle of a stream",
        turns=(
            Turn(
                Reply(
                    text_parts=("Partial", " answer"),
                    error=ErrorReply(status, f"{error_type} mid-stream", in_stream=True),
                )
            ),
        ),
        request=RequestSpec(messages=(ChatMessage("user", "Hello?"),)),
        modes=("stream",),
    )


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(529, "overloaded_error"), (500, "api_error"), (429, "rate_limit_error")],
)
@pytest.mark.parametrize("reader", ["stream-helper", "stream-raw"])
def test_sdk_raises_on_an_error_event(
    server: FakeServer, api_key: str, status: int, error_type: str, reader: Mode | str
) -> None:
    scenario = _in_stream_error_scenario(status, error_type)
    with (
        server.session(scenario, DIALECT, api_key) as session,
        _client(session.base_url, api_key) as client,
        pytest.raises(anthropic.APIStatusError) as raised,
    ):
        _READERS[reader](client, _request(scenario, 0))
    exc = raised.value
    # The SDK builds the error from the event's body on the 200 response it arrived in.
    assert isinstance(exc.body, dict), session.transcript()
    assert exc.body["error"] == {"type": error_type, "message": f"{error_type} mid-stream"}
    assert f"{error_type} mid-stream" in str(exc)


# -- the wire corpus, read by the SDK ----------------------------------------------------------


@pytest.mark.corpus("anthropic")
def test_sdk_reads_recordings_as_the_oracle_does(
    server: FakeServer, api_key: str, corpus_file: Path
) -> None:
    """The SDK's stream helper agrees with the dialect's oracle on every recording.

    One deliberate difference: a tool_use block the answer left unfinished at max_tokens. The
    SDK keeps it with its input parsed as far as it goes; the oracle (and the contract, which only
    reports complete calls) drops it. The test checks that this is the only difference.
    """
    scenarios = corpus_scenarios(DIALECT, corpus_file.parent.parent)
    scenario = scenarios[f"wire-{corpus_file.stem}"]
    oracle = scenario.final_reply
    assert oracle.error is None, "the corpus has no in-stream error recording"
    with (
        server.session(scenario, DIALECT, api_key) as session,
        _client(session.base_url, api_key) as client,
    ):
        result = _stream_helper(client, _request(scenario, 0))
    expected = _expected(replace(scenario, turns=(Turn(replace(oracle, recorded=None)),)))
    if oracle.effective_stop_reason == "length" and len(result["tool_calls"]) > len(
        oracle.tool_calls
    ):
        unfinished = result["tool_calls"].pop()
        assert unfinished["id"] not in {call.id for call in oracle.tool_calls}
    assert result == expected, session.transcript()
